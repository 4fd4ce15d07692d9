package conformance_test

import (
	"flag"
	"os"
	"strconv"
	"testing"

	"poolkit/conformance"
	"poolkit/target"
)

// The target under test: go test ./conformance -args -target=URL -fixture=FILE (or
// POOLKIT_TARGET, POOLKIT_FIXTURE, POOLKIT_ADMIN_TOKEN); none means the embedded reference.
var targetConfig target.Config

func init() { targetConfig.RegisterFlags(flag.CommandLine, os.Getenv) }

// TestConformance runs the whole suite — every rule check, the property sequences
// (RAPID_CHECKS of them, default 100) and the scenario library — against the target.
func TestConformance(t *testing.T) {
	tg, err := targetConfig.Resolve(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	opts := conformance.Options{Sequences: conformance.SequenceOptions{Checks: 100, FailureDir: t.TempDir()}}
	if n, err := strconv.Atoi(os.Getenv("RAPID_CHECKS")); err == nil && n > 0 {
		opts.Sequences.Checks = n
	}
	conformance.Run(t, tg, opts)
}
