// Package conformance judges any deployment of the number-pool API against the rules of
// SPEC §2–§4: rule checks (deterministic where the rule is exact, statistical for
// fairness, concurrent for POOL-STICKY-4), property sequences compared with the model
// (conformance/model) and shrunk to a replayable YAML scenario, and the scenario
// library. It needs only a target (package target): the embedded reference by default, or
// a base URL with an admin token or a fixture; what a target cannot do is skipped with
// the reason, never passed.
//
//	go test ./conformance                                     # the embedded reference
//	go test ./conformance -args -target=URL -fixture=FILE     # any deployment
//	poolkit check --target URL --fixture FILE --junit out.xml
package conformance

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"poolkit/scenarios"
	"poolkit/target"
)

// Options tune a conformance run. The zero value runs everything.
type Options struct {
	// Rules keeps only the checks of these rule ids or prefixes ("POOL-STICKY"); empty
	// means every rule.
	Rules []string
	// Sequences tune the property sequences; NoSequences leaves them out.
	Sequences   SequenceOptions
	NoSequences bool
	// Scenarios are replayed too (nil: the built-in library); NoScenarios leaves them out.
	Scenarios   []*scenarios.Scenario
	NoScenarios bool
	// Parallel is how many checks run at once on a target that provisions (default 4);
	// on a fixture deployment checks share keys, so they run one at a time.
	Parallel int
	// OnCheck, when set, is called as each check finishes (progress output).
	OnCheck func(CheckResult)
}

func (o Options) keep(rule string) bool {
	if len(o.Rules) == 0 {
		return true
	}
	for _, r := range o.Rules {
		if rule == r || strings.HasPrefix(rule, r+"-") || strings.HasPrefix(rule, r) && strings.HasSuffix(r, "-") {
			return true
		}
	}
	return false
}

// selected returns the checks the options keep.
func (o Options) selected() []check {
	var out []check
	for _, ck := range allChecks() {
		if o.keep(ck.Rule) {
			out = append(out, ck)
		}
	}
	return out
}

// oneOptions is the options of a variadic call: none means the zero value.
func oneOptions(o []Options) Options {
	if len(o) == 0 {
		return Options{}
	}
	return o[0]
}

// probe opens a deployment of tg once to name it and detect its capabilities.
func probe(ctx context.Context, tg target.Target) (name string, caps target.Capabilities, err error) {
	dep, err := tg.Open(ctx)
	if err != nil {
		return "", caps, err
	}
	if dep.Close != nil {
		defer dep.Close()
	}
	name = dep.URL
	if _, ok := tg.(target.Embedded); ok {
		name = "embedded reference deployment"
	} else if dep.Fixture != nil {
		name += " (fixture " + dep.Fixture.File + ")"
	}
	return name, dep.Capabilities(ctx), nil
}

// Check runs the rule checks, the property sequences and the scenario library against
// tg and returns the report. Options are optional: Check(ctx, tg) runs everything.
func Check(ctx context.Context, tg target.Target, options ...Options) *Report {
	opts := oneOptions(options)
	start := time.Now()
	r := &Report{Started: start}
	name, caps, err := probe(ctx, tg)
	if err != nil {
		r.Target = fmt.Sprint(tg)
		r.finish([]CheckResult{{Name: "open", Rule: "target", Status: Fail, Failures: []Failure{{Message: err.Error()}}}})
		r.Duration = time.Since(start)
		return r
	}
	r.Target, r.Capabilities = name, caps
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	if !caps.Has(target.Provisioning) {
		parallel = 1
	}

	checks := opts.selected()
	results := make([]CheckResult, len(checks))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, ck := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runCheck(ctx, tg, ck)
			if opts.OnCheck != nil {
				mu.Lock()
				opts.OnCheck(results[i])
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	if !opts.NoSequences && len(opts.Rules) == 0 {
		seq := RunSequences(ctx, tg, opts.Sequences)
		r.Sequences = &seq
	}
	if !opts.NoScenarios && len(opts.Rules) == 0 {
		r.Scenarios = replayScenarios(ctx, tg, opts.Scenarios, parallel)
	}
	r.finish(results)
	r.Duration = time.Since(start)
	return r
}

// replayScenarios replays the scenario library (or scs) against tg.
func replayScenarios(ctx context.Context, tg target.Target, scs []*scenarios.Scenario, parallel int) []ScenarioResult {
	if scs == nil {
		var err error
		if scs, err = scenarios.LoadFS(scenarios.Library, "."); err != nil {
			return []ScenarioResult{{File: "scenarios", Status: Fail, Failure: err.Error()}}
		}
	}
	out := make([]ScenarioResult, len(scs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, sc := range scs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res := scenarios.Run(ctx, tg, sc, scenarios.Options{})
			sr := ScenarioResult{File: sc.File, Name: sc.Name, Rules: sc.Rules, Duration: res.Duration}
			switch res.Outcome() {
			case scenarios.Failed:
				sr.Status, sr.Failure = Fail, res.Summary()
			case scenarios.Skipped:
				sr.Status, sr.Skip = Skip, res.Skipped
			default:
				sr.Status = Pass
			}
			out[i] = sr
		})
	}
	wg.Wait()
	return out
}

// Run runs the conformance suite as subtests of t: a subtest per check (named rule/check),
// "sequences" and "scenarios/<file>". Skipped checks are t.Skip with the reason; a failure
// reports its evidence. Options are optional: Run(t, tg) runs everything. On failure
// the JSON report is written to a temporary file whose path is logged.
func Run(t *testing.T, tg target.Target, options ...Options) {
	t.Helper()
	opts := oneOptions(options)
	ctx := t.Context()
	name, caps, err := probe(ctx, tg)
	if err != nil {
		t.Fatalf("open the target: %v", err)
	}
	t.Logf("target %s: %s", name, caps)
	parallel := caps.Has(target.Provisioning)
	var all []CheckResult
	var mu sync.Mutex
	t.Run("rules", func(t *testing.T) {
		for _, ck := range opts.selected() {
			t.Run(ck.Rule+"/"+ck.Name, func(t *testing.T) {
				if parallel {
					t.Parallel()
				}
				res := runCheck(ctx, tg, ck)
				mu.Lock()
				all = append(all, res)
				mu.Unlock()
				for _, n := range res.Notes {
					t.Log(n)
				}
				switch res.Status {
				case Skip:
					t.Skip(res.Skip)
				case Fail:
					var b strings.Builder
					for _, f := range res.Failures {
						writeFailure(&b, f)
					}
					t.Errorf("%s broken — %s:\n%s", ck.Rule, ck.Doc, b.String())
				}
			})
		}
	})
	r := &Report{Target: name, Capabilities: caps}
	if !opts.NoSequences && len(opts.Rules) == 0 {
		t.Run("sequences", func(t *testing.T) {
			seq := RunSequences(ctx, tg, opts.Sequences)
			r.Sequences = &seq
			switch {
			case seq.Skipped != "":
				t.Skip(seq.Skipped)
			case seq.Error != "":
				t.Errorf("the sequences could not be carried out after %d (seed %d): %s", seq.Sequences, seq.Seed, seq.Error)
			case seq.Failure != nil:
				f := seq.Failure
				t.Errorf("%s broken after %d sequences (seed %d): %s\nminimal sequence:\n  %s\nrequest:  %s\nresponse: %s\nreplay: poolkit replay %s",
					f.Rule, seq.Sequences, seq.Seed, f.Message, strings.Join(f.Steps, "\n  "), f.Request, f.Response, f.ScenarioFile)
			default:
				t.Logf("%d sequences, %d operations, seed %d: the target agrees with the model", seq.Sequences, seq.Ops, seq.Seed)
			}
		})
	}
	if !opts.NoScenarios && len(opts.Rules) == 0 {
		scs := opts.Scenarios
		if scs == nil {
			var err error
			if scs, err = scenarios.LoadFS(scenarios.Library, "."); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("scenarios", func(t *testing.T) {
			for _, sc := range scs {
				t.Run(strings.TrimSuffix(sc.File, ".yaml"), func(t *testing.T) {
					if parallel {
						t.Parallel()
					}
					res := scenarios.Run(ctx, tg, sc, scenarios.Options{})
					switch res.Outcome() {
					case scenarios.Failed:
						t.Error(res.Summary())
					case scenarios.Skipped:
						t.Skip(res.Skipped)
					}
				})
			}
		})
	}
	if t.Failed() {
		r.finish(all)
		f, err := os.CreateTemp("", "poolkit-conformance-*.json")
		if err == nil {
			r.WriteJSON(f)
			f.Close()
			t.Logf("report: %s", f.Name())
		}
	}
}
