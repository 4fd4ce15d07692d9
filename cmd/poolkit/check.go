package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"poolkit/conformance"
	"poolkit/conformance/mutants"
	"poolkit/scenarios"
	"poolkit/target"
)

// check runs the conformance suite (rule checks, property sequences, scenario library)
// against the embedded reference or a target, prints the report and fails when
// anything failed.
func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: poolkit check [--target URL] [--fixture FILE] [--admin-token T] [--rules POOL-STICKY,…] [--json FILE] [--junit FILE]")
		fs.PrintDefaults()
	}
	var tc target.Config
	tc.RegisterFlags(fs, getenv)
	rules := fs.String("rules", "", "comma-separated rule ids or prefixes to check (POOL-STICKY-1, POOL-HEALTH); default every rule (sequences and scenarios run only then)")
	sequences := fs.Int("sequences", 100, "random operation sequences compared with the model (0: none)")
	maxOps := fs.Int("max-ops", 40, "operations per sequence")
	seed := fs.Uint64("seed", 0, "seed of the sequences (0: random; the report prints it)")
	failureDir := fs.String("failure-dir", "poolkit-failures", "directory where a shrunk failing sequence is written as a YAML scenario")
	scenarioPaths := fs.String("scenarios", "", "comma-separated scenario files or directories to replay instead of the built-in library; \"none\" to skip them")
	jsonOut := fs.String("json", "", "write the JSON report to FILE")
	junitOut := fs.String("junit", "", "write the JUnit XML report to FILE")
	parallel := fs.Int("parallel", 4, "checks run at once (a fixture deployment always runs one at a time)")
	verbose := fs.Bool("v", false, "print each check as it finishes")
	mutant := fs.String("mutant", "", "judge a deliberately broken embedded engine instead (see conformance/mutants; \"list\" lists them): the suite must fail on its rule")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check takes no arguments, got %q", fs.Args())
	}
	tg, err := tc.Resolve(getenv)
	if err != nil {
		return err
	}
	if *mutant == "list" {
		for _, m := range mutants.All() {
			fmt.Fprintf(stdout, "%-28s %-15s %s\n", m.Name, m.Rule, m.Description)
		}
		return nil
	}
	if *mutant != "" {
		m, ok := mutants.ByName(*mutant)
		if !ok {
			return fmt.Errorf("no mutant %q (poolkit check --mutant list)", *mutant)
		}
		if !tc.Embedded() {
			return errors.New("--mutant judges an embedded engine; it takes no --target or --fixture")
		}
		tg = target.Embedded{PoolOptions: m.PoolOptions()}
		fmt.Fprintf(stdout, "mutant %s: %s (breaks %s)\n", m.Name, m.Description, m.Rule)
	}
	opts := conformance.Options{
		Sequences: conformance.SequenceOptions{Checks: *sequences, MaxOps: *maxOps, Seed: *seed, FailureDir: *failureDir},
		Parallel:  *parallel,
	}
	opts.NoSequences = *sequences == 0
	if *rules != "" {
		for _, r := range strings.Split(*rules, ",") {
			opts.Rules = append(opts.Rules, strings.TrimSpace(r))
		}
	}
	switch *scenarioPaths {
	case "":
	case "none":
		opts.NoScenarios = true
	default:
		scs, err := scenarios.LoadPaths(strings.Split(*scenarioPaths, ","))
		if err != nil {
			return err
		}
		opts.Scenarios = scs
	}
	if *verbose {
		opts.OnCheck = func(r conformance.CheckResult) {
			line := fmt.Sprintf("%-4s %s %s (%s)", r.Status, r.Rule, r.Name, r.Duration.Round(time.Millisecond))
			if r.Skip != "" {
				line += ": " + r.Skip
			}
			fmt.Fprintln(stderr, line)
		}
	}
	report := conformance.Check(ctx, tg, opts)
	if err := report.WriteText(stdout); err != nil {
		return err
	}
	write := func(file string, fn func(io.Writer) error) error {
		if file == "" {
			return nil
		}
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			return err
		}
		if dir := filepath.Dir(file); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		return os.WriteFile(file, b.Bytes(), 0o644)
	}
	if err := errors.Join(write(*jsonOut, report.WriteJSON), write(*junitOut, report.WriteJUnit)); err != nil {
		return err
	}
	if report.Failed() {
		return fmt.Errorf("conformance failed: %s", strings.Join(report.FailedRules(), ", "))
	}
	if report.NothingChecked() {
		return fmt.Errorf("nothing could be checked on this target (%s): give it an admin token or a fixture", report.Capabilities)
	}
	return nil
}
