package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReplay_PassAndFail(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "twilio-sticky-tracking.yaml"))
	require.NoError(t, err)
	goodPath := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(goodPath, good, 0o644))
	// The same scenario with one wrong expectation: the second send must come from $t2.
	bad := strings.Replace(string(good), "expect: {status: 202, from_number: $t1}\n  - name: another", "expect: {status: 202, from_number: $t2}\n  - name: another", 1)
	require.NotEqual(t, string(good), bad, "the mutation applies")
	badPath := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badPath, []byte(bad), 0o644))

	var out, errOut bytes.Buffer
	junit := filepath.Join(dir, "report.xml")
	err = run(context.Background(), []string{"poolkit", "replay", goodPath, "--junit", junit}, func(string) string { return "" }, nil, &out, &errOut)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &out, &errOut)
	report, err := os.ReadFile(junit)
	require.NoError(t, err)
	require.Contains(t, string(report), "<testsuite")
	require.Contains(t, string(report), `failures="0"`)

	out.Reset()
	errOut.Reset()
	err = run(context.Background(), []string{"poolkit", "replay", badPath, "--junit", junit}, func(string) string { return "" }, nil, &out, &errOut)
	require.Error(t, err, "a failing scenario makes replay fail")
	require.Contains(t, out.String()+errOut.String(), "bad.yaml:", "the failure names the file and line")
	report, err = os.ReadFile(junit)
	require.NoError(t, err)
	require.Contains(t, string(report), "<failure")
}
