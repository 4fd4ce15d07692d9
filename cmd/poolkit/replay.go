package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"poolkit/scenarios"
	"poolkit/target"
)

// replay replays YAML scenarios (files, directories, or the built-in library when none
// is given) against the embedded deployment or --target, prints every step's result, and
// fails when a scenario fails.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: poolkit replay [FILE|DIR]... [--target URL] [--fixture FILE] [--admin-token T] [--junit FILE] [--parallel N]")
		fs.PrintDefaults()
	}
	var tc target.Config
	tc.RegisterFlags(fs, getenv)
	junit := fs.String("junit", "", "write JUnit XML results to FILE")
	parallel := fs.Int("parallel", 4, "scenarios replayed at once")
	// Flags may follow the paths: parse, take one path, parse the rest again.
	var paths []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *parallel < 1 {
		return errors.New("--parallel must be at least 1")
	}
	t, err := tc.Resolve(getenv)
	if err != nil {
		return err
	}
	if r, ok := t.(target.Remote); ok && r.Fixture != nil && *parallel > 1 {
		// Scenarios bound to a fixture share its keys: one at a time, or their rotations mix.
		dep, err := r.Open(ctx)
		if err != nil {
			return err
		}
		caps := dep.Capabilities(ctx)
		if !caps.Has(target.Provisioning) {
			*parallel = 1
		}
		fmt.Fprintf(stdout, "target %s: %s\n", dep.URL, caps)
	}
	var all []*scenarios.Scenario
	if len(paths) == 0 {
		all, err = scenarios.LoadFS(scenarios.Library, ".")
	} else {
		all, err = scenarios.LoadPaths(paths)
	}
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return errors.New("no scenarios to replay")
	}

	start := time.Now()
	results := make([]*scenarios.Result, len(all))
	var mu sync.Mutex // serialises output: one scenario's block at a time
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i, sc := range all {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res := scenarios.Run(ctx, t, sc, scenarios.Options{})
			results[i] = res
			var b bytes.Buffer
			printResult(&b, res)
			mu.Lock()
			stdout.Write(b.Bytes())
			mu.Unlock()
		})
	}
	wg.Wait()

	failed, skipped := 0, 0
	for _, r := range results {
		switch r.Outcome() {
		case scenarios.Failed:
			failed++
		case scenarios.Skipped:
			skipped++
		}
	}
	fmt.Fprintf(stdout, "%d scenarios: %d passed, %d failed, %d skipped (%s)\n", len(results), len(results)-failed-skipped, failed, skipped, time.Since(start).Round(time.Millisecond))
	if *junit != "" {
		var b bytes.Buffer
		if err := scenarios.WriteJUnit(&b, results); err != nil {
			return err
		}
		if err := os.WriteFile(*junit, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios failed", failed, len(results))
	}
	return nil
}

// printResult writes one scenario's per-step results.
func printResult(w io.Writer, r *scenarios.Result) {
	sc := r.Scenario
	fmt.Fprintf(w, "=== %s: %s\n", sc.File, sc.Name)
	if r.Err != nil {
		fmt.Fprintf(w, "  FAIL setup: %v\n", r.Err)
	}
	for _, s := range r.Steps {
		switch s.Outcome {
		case scenarios.Passed:
			fmt.Fprintf(w, "  ok   %s  %d %s (%s)\n", s.At, s.Index+1, s.Name, s.Duration.Round(time.Millisecond))
		case scenarios.Failed:
			fmt.Fprintf(w, "  FAIL %s  %d %s (%s)\n", s.At, s.Index+1, s.Name, s.Duration.Round(time.Millisecond))
			for _, line := range strings.Split(strings.TrimRight(s.Failure, "\n"), "\n") {
				fmt.Fprintf(w, "       %s\n", line)
			}
		case scenarios.Skipped:
			fmt.Fprintf(w, "  skip %s  %d %s\n", s.At, s.Index+1, s.Name)
		}
	}
	if r.Skipped != "" && !r.Failed() {
		fmt.Fprintf(w, "  skip %s\n", r.Skipped)
	}
	verdict := map[scenarios.Outcome]string{scenarios.Passed: "PASS", scenarios.Failed: "FAIL", scenarios.Skipped: "SKIP"}[r.Outcome()]
	fmt.Fprintf(w, "--- %s %s (%s)\n", verdict, sc.File, r.Duration.Round(time.Millisecond))
}
