package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
