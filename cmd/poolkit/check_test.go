package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/target/targettest"
)

func noEnv(string) string { return "" }

// TestCheck_PassesTheReference runs two rules' checks against the embedded reference and
// writes the reports.
func TestCheck_PassesTheReference(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	js, junit := filepath.Join(dir, "r", "check.json"), filepath.Join(dir, "check.xml")
	err := run(context.Background(), []string{"poolkit", "check", "--rules", "POOL-STICKY-1,POOL-FROM", "--json", js, "--junit", junit, "-v"}, noEnv, nil, &out, &errOut)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
	assert.Contains(t, out.String(), "embedded reference deployment")
	assert.Contains(t, out.String(), "POOL-STICKY-1   pass")
	assert.Contains(t, out.String(), "PASS: rules 4 passed, 0 failed, 0 skipped")
	assert.Contains(t, errOut.String(), "pass POOL-FROM-2")
	var report struct {
		Summary struct {
			Verdict string `json:"verdict"`
		} `json:"summary"`
	}
	b, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Equal(t, "pass", report.Summary.Verdict)
	x, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<testsuite name="POOL-STICKY-1"`)
}

// TestCheck_FailsAMutant judges a broken engine: the exit is an error naming the rule,
// and the report shows the evidence.
func TestCheck_FailsAMutant(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "check", "--mutant", "no-sticky", "--rules", "POOL-STICKY-1"}, noEnv, nil, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "POOL-STICKY-1")
	assert.Contains(t, out.String(), "POOL-STICKY-1   FAIL")
	assert.Contains(t, out.String(), "request:  POST /v2/api/chats/")
	assert.Contains(t, out.String(), "allowed:")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"poolkit", "check", "--mutant", "list"}, noEnv, nil, &out, &errOut))
	assert.Contains(t, out.String(), "twilio-rotates")

	err = run(context.Background(), []string{"poolkit", "check", "--mutant", "nope"}, noEnv, nil, &out, &errOut)
	require.ErrorContains(t, err, `no mutant "nope"`)
	err = run(context.Background(), []string{"poolkit", "check", "--fixture", filepath.Join(t.TempDir(), "missing.yaml")}, noEnv, nil, &out, &errOut)
	require.Error(t, err)
}

// TestCheck_NothingChecked fails a run that could judge nothing: a target without admin
// token or fixture.
func TestCheck_NothingChecked(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"poolkit", "check", "--target", srv.URL, "--rules", "POOL-STICKY-1"}, noEnv, nil, &out, &errOut)
	require.ErrorContains(t, err, "nothing could be checked")
	assert.Contains(t, out.String(), "NOTHING CHECKED")
}

// TestCheck_Fixture judges a staging-like deployment reached only through a fixture file
// with secrets in the environment: what the public API allows runs and passes, the rest
// is skipped with the reason, and the run passes.
func TestCheck_Fixture(t *testing.T) {
	staging := targettest.Staging(t, "round_robin", []targettest.StagingKey{
		{Name: "outreach", Protocol: "imessage", PlanKinds: []string{"dedicated", "dedicated", "dedicated"}},
		{Name: "agent", Protocol: "imessage", PlanKinds: []string{"inbound"}},
		{Name: "sms", Protocol: "sms", PlanKinds: []string{"dedicated", "dedicated"}},
	}, 200)
	secrets := map[string]string{}
	var b strings.Builder
	fmt.Fprintf(&b, "url: %s\nstrategy: round_robin\nkeys:\n", staging.URL)
	for _, k := range staging.Fixture.Keys {
		secrets[k.SecretEnv] = k.Secret
		fmt.Fprintf(&b, "  - name: %s\n    secret_env: %s\n    protocol: %s\n    numbers:\n", k.Name, k.SecretEnv, k.Protocol)
		for _, n := range k.Numbers {
			fmt.Fprintf(&b, "      - {phone: %q, plan_kind: %s}\n", n.Phone, cmpOr(n.PlanKind, "dedicated"))
		}
	}
	b.WriteString("recipients:\n")
	for _, r := range staging.Fixture.Recipients {
		fmt.Fprintf(&b, "  - %q\n", r)
	}
	file := filepath.Join(t.TempDir(), "staging.yaml")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o600))
	getenv := func(k string) string { return secrets[k] }

	var out, errOut bytes.Buffer
	js := filepath.Join(t.TempDir(), "check.json")
	err := run(context.Background(), []string{"poolkit", "check", "--fixture", file, "--json", js}, getenv, nil, &out, &errOut)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
	text := out.String()
	assert.Contains(t, text, "(fixture "+file+")")
	assert.Contains(t, text, "POOL-STICKY-1   pass")
	assert.Contains(t, text, "skipped: needs provisioning")
	assert.Contains(t, text, "property sequences: skipped")
	assert.Regexp(t, `PASS: rules \d+ passed, 0 failed, \d+ skipped`, text)
	for _, s := range secrets {
		assert.NotContains(t, text, s, "secrets never appear in the report")
		raw, _ := os.ReadFile(js)
		assert.NotContains(t, string(raw), s)
	}
}
