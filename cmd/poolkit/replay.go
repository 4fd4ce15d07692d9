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
)

// replay replays YAML scenarios (files, directories, or the built-in library when none
// is given) against the embedded deployment or --target, prints every step's result, and
// fails when a scenario fails.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: poolkit replay [FILE|DIR]... [--target URL --admin-token T] [--junit FILE] [--parallel N]")
		fs.PrintDefaults()
	}
	target := fs.String("target", "", "base URL of a running poolkit reference to provision and replay against; default: an embedded deployment per scenario")
	adminToken := fs.String("admin-token", getenv("POOLKIT_ADMIN_TOKEN"), "admin token of --target (env POOLKIT_ADMIN_TOKEN)")
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
	var t scenarios.Target = scenarios.Embedded{}
	if *target != "" {
		if *adminToken == "" {
			return errors.New("--target needs --admin-token (or POOLKIT_ADMIN_TOKEN): scenarios provision their own org")
		}
		t = scenarios.Remote{URL: *target, AdminToken: *adminToken}
	}
	var all []*scenarios.Scenario
	var err error
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

	failed := 0
	for _, r := range results {
		if r.Failed() {
			failed++
		}
	}
	fmt.Fprintf(stdout, "%d scenarios: %d passed, %d failed (%s)\n", len(results), len(results)-failed, failed, time.Since(start).Round(time.Millisecond))
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
	verdict := "PASS"
	if r.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "--- %s %s (%s)\n", verdict, sc.File, r.Duration.Round(time.Millisecond))
}
