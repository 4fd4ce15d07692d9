package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/target"
)

const simProfile = `name: cli-test
pool:
  numbers:
    - {area_code: "415", count: 3}
contacts:
  count: 5000
traffic:
  duration: 10m
  messages: 20000
  new_conversations: 0.2
  replies: 0.2
  reply_delay: 10s
  delivery: {failure_ratio: 0.01, latency: 1s}
thresholds:
  - "stickiness_violations == 0"
  - "jain >= 0.999"
`

func writeProfile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

// TestSim_PassWritesReports: a passing run prints its verdict and writes the JSON
// result and the HTML report.
func TestSim_PassWritesReports(t *testing.T) {
	profile := writeProfile(t, simProfile)
	dir := t.TempDir()
	jsonOut, htmlOut := filepath.Join(dir, "out", "r.json"), filepath.Join(dir, "out", "r.html")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "sim", profile, "--seed", "5", "--json", jsonOut, "--html", htmlOut},
		func(string) string { return "" }, nil, &out, &errOut)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
	require.Contains(t, out.String(), "verdict: PASS")
	require.Empty(t, errOut.String(), "no progress bar when stderr is not a terminal")
	var res struct {
		Seed    uint64 `json:"seed"`
		Verdict string `json:"verdict"`
		Traffic struct {
			Sends int64 `json:"sends"`
		} `json:"traffic"`
	}
	b, err := os.ReadFile(jsonOut)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &res))
	require.Equal(t, uint64(5), res.Seed)
	require.Equal(t, "pass", res.Verdict)
	require.Equal(t, int64(20000), res.Traffic.Sends)
	h, err := os.ReadFile(htmlOut)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(h), "<svg "))
}

// TestSim_ExitCode: the process exits 0 when every threshold holds and 1 when one
// fails, like k6.
func TestSim_ExitCode(t *testing.T) {
	pass := writeProfile(t, simProfile)
	fail := writeProfile(t, strings.Replace(simProfile, `"jain >= 0.999"`, `"jain > 1"`, 1))
	for _, tc := range []struct {
		profile string
		code    int
		output  string
	}{{pass, 0, "verdict: PASS"}, {fail, 1, "1 of 2 thresholds failed (seed 1)"}} {
		raw, err := json.Marshal([]string{"sim", tc.profile, "--messages", "5000"})
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "POOLKIT_CHILD_ARGS="+string(raw))
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		require.Equal(t, tc.code, code, "output:\n%s", out)
		require.Contains(t, string(out), tc.output)
	}
}

func TestSim_BadProfile(t *testing.T) {
	profile := writeProfile(t, strings.Replace(simProfile, "  count: 5000\n", "  count: 5000\n  colour: blue\n", 1))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "sim", profile}, func(string) string { return "" }, nil, &out, &errOut)
	require.Error(t, err)
	require.Contains(t, err.Error(), profile+":7: field colour not found")
}

// TestSim_HTTPDriverEmbedded: --driver http without --target runs against an embedded
// reference and reports latency.
func TestSim_HTTPDriverEmbedded(t *testing.T) {
	profile := writeProfile(t, strings.Replace(simProfile, `  - "jain >= 0.999"`, `  - "latency_p99 < 5s"`, 1))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "sim", "--driver", "http", "--duration", "1s", "--rate", "80", profile},
		func(string) string { return "" }, nil, &out, &errOut)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
	require.Contains(t, out.String(), "target     embedded")
	require.Contains(t, out.String(), "latency    p50")
}

// TestSim_FixtureKeys drives a fixture's existing keys only when told that the profile's
// synthetic contacts may be messaged.
func TestSim_FixtureKeys(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join(dir, "f.yaml")
	require.NoError(t, os.WriteFile(fixture, []byte("url: http://127.0.0.1:1\nkeys:\n  - {name: a, secret_env: SIM_KEY, protocol: imessage, numbers: [{phone: \"+14155550101\"}]}\n  - {name: s, secret_env: SIM_KEY, protocol: sms, numbers: [{phone: \"+14155550199\"}]}\n"), 0o600))
	env := func(k string) string {
		if k == "SIM_KEY" {
			return "secret"
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "sim", "--driver", "http", "--fixture", fixture, "--quiet"}, env, nil, &out, &errOut)
	require.ErrorContains(t, err, "--allow-synthetic-contacts")
	ht, err := httpTarget(target.Config{FixtureFile: fixture}, env)
	require.NoError(t, err)
	require.Len(t, ht.Keys, 1, "only the iMessage key")
	require.Equal(t, "+14155550101", ht.Keys[0].Numbers[0].Phone)
	require.Equal(t, "http://127.0.0.1:1", ht.URL)
	err = run(context.Background(), []string{"poolkit", "sim", "--fixture", fixture}, env, nil, &out, &errOut)
	require.ErrorContains(t, err, "--driver http")
}
