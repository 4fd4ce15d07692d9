package scenarios_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"poolkit/scenarios"
	"poolkit/target"
	"poolkit/target/targettest"
)

// specRules are the rule ids of SPEC §2–§4, every one of which some scenario must name.
var specRules = []string{
	"POOL-EMPTY-1",
	"POOL-FROM-1", "POOL-FROM-2", "POOL-FROM-3",
	"POOL-TWILIO-1", "POOL-TWILIO-2",
	"POOL-STICKY-1", "POOL-STICKY-2", "POOL-STICKY-3", "POOL-STICKY-4",
	"POOL-NEW-1", "POOL-NEW-2",
	"POOL-INBOUND-1", "POOL-INBOUND-2", "POOL-INBOUND-3", "POOL-INBOUND-4",
	"POOL-PROTO-1", "POOL-PROTO-2", "POOL-PROTO-3",
	"POOL-ISO-1", "POOL-ISO-2",
	"POOL-RR-1", "POOL-WRR-1", "POOL-GEO-1", "POOL-FAIR-1",
	"POOL-HEALTH-1", "POOL-HEALTH-2", "POOL-HEALTH-3",
}

func library(tb testing.TB) []*scenarios.Scenario {
	tb.Helper()
	all, err := scenarios.LoadFS(scenarios.Library, ".")
	if err != nil {
		tb.Fatalf("load the library: %v", err)
	}
	return all
}

// TestReplay replays every scenario of the library against the embedded deployment, each
// in its own org, engine and relay fleet, in parallel.
func TestReplay(t *testing.T) {
	for _, sc := range library(t) {
		t.Run(strings.TrimSuffix(sc.File, ".yaml"), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res := scenarios.Run(ctx, target.Embedded{}, sc, scenarios.Options{})
			if res.Failed() {
				t.Error(res.Summary())
			}
			if res.Skipped != "" { // the embedded deployment offers every capability
				t.Errorf("skipped on the embedded deployment: %s", res.Skipped)
			}
		})
	}
}

// TestLibrary_CoversSpecRules fails when a rule id of SPEC §2–§4 is named by no scenario,
// or a scenario names an id that is not one of them.
func TestLibrary_CoversSpecRules(t *testing.T) {
	all := library(t)
	if len(all) < 30 {
		t.Errorf("the library holds %d scenarios, want at least 30", len(all))
	}
	known := map[string]bool{}
	for _, r := range specRules {
		known[r] = true
	}
	named := map[string][]string{}
	for _, sc := range all {
		for _, r := range sc.Rules {
			if !known[r] {
				t.Errorf("%s: rule %s is not a rule id of SPEC §2–§4", sc.File, r)
			}
			named[r] = append(named[r], sc.File)
		}
	}
	for _, r := range specRules {
		if len(named[r]) == 0 {
			t.Errorf("no scenario names %s", r)
		}
	}
}

// TestReplay_Fixture replays the library against a staging deployment reached only
// through a fixture (API keys, no admin API): every scenario passes or is skipped with
// the reason, none fails, and those whose setup the fixture matches really run.
func TestReplay_Fixture(t *testing.T) {
	staging := targettest.Staging(t, "round_robin", []targettest.StagingKey{
		{Name: "outreach", Protocol: "imessage", PlanKinds: []string{"dedicated", "dedicated", "dedicated"}},
		{Name: "pair", Protocol: "imessage", PlanKinds: []string{"dedicated", "dedicated"}},
		{Name: "single", Protocol: "imessage", PlanKinds: []string{"dedicated"}},
		{Name: "other", Protocol: "imessage", PlanKinds: []string{"dedicated"}},
		{Name: "agent", Protocol: "imessage", PlanKinds: []string{"inbound"}},
		{Name: "sms", Protocol: "sms", PlanKinds: []string{"dedicated", "dedicated"}},
		{Name: "sms3", Protocol: "sms", PlanKinds: []string{"dedicated", "dedicated", "dedicated"}},
		{Name: "mixed", Protocol: "imessage", PlanKinds: []string{"dedicated", "inbound"}},
		{Name: "agents", Protocol: "imessage", PlanKinds: []string{"inbound", "inbound"}},
		{Name: "trial", Protocol: "imessage", PlanKinds: []string{"trial", "dedicated"}},
		{Name: "empty", Protocol: "imessage"},
	}, 300)
	ran := 0
	for _, sc := range library(t) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res := scenarios.Run(ctx, staging, sc, scenarios.Options{})
		cancel()
		switch res.Outcome() {
		case scenarios.Failed:
			t.Errorf("%s failed against the fixture deployment:\n%s", sc.File, res.Summary())
		case scenarios.Skipped:
			t.Logf("skip %s: %s", sc.File, res.Skipped)
		default:
			ran++
		}
	}
	t.Logf("%d scenarios ran against the fixture deployment", ran)
	if ran < 5 {
		t.Errorf("only %d scenarios could run against the fixture deployment", ran)
	}
}
