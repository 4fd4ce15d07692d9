package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"poolkit/conformance/mutants"
	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

var mutantsAllChecks = flag.Bool("mutants.all", false, "TestMutantsAreKilled: also run every check against every mutant and log the rules each one fails")

// ruleIDs are the 28 rule ids of SPEC §2–§4.
var ruleIDs = []string{
	"POOL-EMPTY-1", "POOL-FROM-1", "POOL-FROM-2", "POOL-FROM-3", "POOL-TWILIO-1", "POOL-TWILIO-2",
	"POOL-STICKY-1", "POOL-STICKY-2", "POOL-STICKY-3", "POOL-STICKY-4", "POOL-NEW-1", "POOL-NEW-2",
	"POOL-INBOUND-1", "POOL-INBOUND-2", "POOL-INBOUND-3", "POOL-INBOUND-4",
	"POOL-PROTO-1", "POOL-PROTO-2", "POOL-PROTO-3", "POOL-ISO-1", "POOL-ISO-2",
	"POOL-RR-1", "POOL-WRR-1", "POOL-GEO-1", "POOL-FAIR-1",
	"POOL-HEALTH-1", "POOL-HEALTH-2", "POOL-HEALTH-3",
}

// describe renders a result for test logs: status, skip reason, failures with their
// evidence, notes.
func describe(r CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s) in %v", r.Status, r.Name, r.Rule, r.Duration.Round(time.Millisecond))
	if r.Skip != "" {
		fmt.Fprintf(&b, ": %s", r.Skip)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "\n  - %s", f.Message)
		if f.Request != "" {
			fmt.Fprintf(&b, "\n    request:  %s", f.Request)
		}
		if f.Response != "" {
			fmt.Fprintf(&b, "\n    response: %s", f.Response)
		}
		if f.Allowed != "" {
			fmt.Fprintf(&b, "\n    allowed:  %s", f.Allowed)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	return b.String()
}

// TestChecks_PassOnTheReference: every check passes against the embedded reference,
// which offers every capability, so none may skip either.
func TestChecks_PassOnTheReference(t *testing.T) {
	for _, ck := range allChecks() {
		t.Run(ck.Name, func(t *testing.T) {
			t.Parallel()
			res := runCheck(context.Background(), target.Embedded{}, ck)
			if res.Status != Pass {
				t.Fatal(describe(res))
			}
			for _, n := range res.Notes {
				t.Log(n)
			}
		})
	}
}

// TestChecks_CoverEveryRule: every rule id of SPEC §2–§4 has a check, every check names
// one of them, and names are unique.
func TestChecks_CoverEveryRule(t *testing.T) {
	byRule := map[string][]string{}
	names := map[string]bool{}
	for _, ck := range allChecks() {
		if ck.Name == "" || names[ck.Name] {
			t.Errorf("check name %q is empty or not unique", ck.Name)
		}
		names[ck.Name] = true
		if !slices.Contains(ruleIDs, ck.Rule) {
			t.Errorf("check %s judges %q, which is not a rule id of SPEC §2–§4", ck.Name, ck.Rule)
		}
		if ck.Doc == "" || ck.Run == nil {
			t.Errorf("check %s has no Doc or no Run", ck.Name)
		}
		byRule[ck.Rule] = append(byRule[ck.Rule], ck.Name)
	}
	for _, id := range ruleIDs {
		if len(byRule[id]) == 0 {
			t.Errorf("rule %s has no check", id)
		}
	}
	if len(ruleIDs) != 28 {
		t.Fatalf("%d rule ids, SPEC §2–§4 has 28", len(ruleIDs))
	}
	t.Logf("%d checks over %d rules", len(names), len(byRule))
}

// TestMutantsAreKilled: against every mutant, some check of the mutant's rule fails. The
// checks of one rule run in parallel, and the mutants too.
func TestMutantsAreKilled(t *testing.T) {
	checks := allChecks()
	for _, m := range mutants.All() {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			tg := target.Embedded{PoolOptions: m.PoolOptions()}
			var mine []check
			for _, ck := range checks {
				if ck.Rule == m.Rule {
					mine = append(mine, ck)
				}
			}
			results := runAll(tg, mine)
			var killers []string
			for _, r := range results {
				if r.Status == Fail {
					killers = append(killers, r.Name)
					t.Log(describe(r))
				}
			}
			if len(killers) == 0 {
				for _, r := range results {
					t.Log(describe(r))
				}
				t.Fatalf("mutant %s (%s) survived: no check of %s failed", m.Name, m.Description, m.Rule)
			}
			t.Logf("%s (%s) killed by %s", m.Name, m.Rule, strings.Join(killers, ", "))
			if *mutantsAllChecks {
				failing := map[string]bool{}
				for _, r := range runAll(tg, checks) {
					if r.Status == Fail {
						failing[r.Rule] = true
					}
				}
				rules := make([]string, 0, len(failing))
				for r := range failing {
					rules = append(rules, r)
				}
				sort.Strings(rules)
				t.Logf("%s: every check run, failing rules: %s", m.Name, strings.Join(rules, " "))
			}
		})
	}
}

// runAll runs checks on tg in parallel and returns their results in order.
func runAll(tg target.Target, checks []check) []CheckResult {
	out := make([]CheckResult, len(checks))
	var wg sync.WaitGroup
	for i, ck := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = runCheck(context.Background(), tg, ck)
		}()
	}
	wg.Wait()
	return out
}

// TestChecks_OnFixtures runs every check, one after the other, against "staging"
// deployments reached only through API keys and a fixture (no admin API, no relays of
// the run's own; keys that earlier checks have already used, so cursors and weighted
// state stand anywhere): a round-robin org with an inbound hook, a weighted org and a
// geographic one. A check there may skip for a capability or a pool the fixture lacks,
// never fail; and every check that needs nothing but the public API (and the hook) of a
// pool of the org's strategy must bind and pass.
func TestChecks_OnFixtures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every check in sequence, three times")
	}
	d, in := "dedicated", "inbound"
	w := func(weight int) stagingNumber { return stagingNumber{kind: d, weight: &weight} }
	ac := func(area string) stagingNumber { return stagingNumber{kind: d, area: area} }
	n := func(kinds ...string) []stagingNumber {
		out := make([]stagingNumber, len(kinds))
		for i, k := range kinds {
			out[i] = stagingNumber{kind: k}
		}
		return out
	}
	runs := []struct {
		strategy string
		keys     []stagingKey
		// recipients come first when a check maps contacts; the rest are fresh.
		recipients []string
	}{
		{"round_robin", []stagingKey{
			{name: "empty", protocol: "imessage"},
			{name: "one1", protocol: "imessage", numbers: n(d)},
			{name: "one2", protocol: "imessage", numbers: n(d)},
			{name: "two", protocol: "imessage", numbers: n(d, d)},
			{name: "three", protocol: "imessage", numbers: n(d, d, d)},
			{name: "mixed", protocol: "imessage", numbers: n(d, in)},
			{name: "mixed3", protocol: "imessage", numbers: n(d, in, d)},
			{name: "agent", protocol: "imessage", numbers: n(in)},
			{name: "agents", protocol: "imessage", numbers: n(in, in)},
			{name: "sms2", protocol: "sms", numbers: n(d, d)},
			{name: "sms3", protocol: "sms", numbers: n(d, d, d)},
		}, nil},
		{"weighted", []stagingKey{
			{name: "w511", protocol: "imessage", numbers: []stagingNumber{w(5), w(1), w(1)}},
			{name: "w321", protocol: "imessage", numbers: []stagingNumber{w(3), w(2), w(1)}},
			{name: "w321b", protocol: "imessage", numbers: []stagingNumber{w(3), w(2), w(1)}},
			{name: "w10", protocol: "imessage", numbers: []stagingNumber{w(1), w(0)}},
		}, nil},
		{"geographic", []stagingKey{
			{name: "geo", protocol: "imessage", numbers: []stagingNumber{ac("212"), ac("310"), ac("415")}},
		}, []string{"+14155550199", "+12135550199", "+17185550199", "+13125550199"}},
	}
	for _, run := range runs {
		t.Run(run.strategy, func(t *testing.T) {
			t.Parallel() // three deployments of their own; within one, the checks take turns
			tg := staging(t, run.strategy, run.keys, run.recipients)
			var passed, skipped []string
			for _, ck := range allChecks() {
				res := runCheck(context.Background(), tg, ck)
				if res.Duration > time.Second {
					t.Logf("%s took %v", ck.Name, res.Duration.Round(time.Millisecond))
				}
				switch res.Status {
				case Pass:
					passed = append(passed, ck.Name)
				case Skip:
					skipped = append(skipped, ck.Name+" ("+res.Skip+")")
					if publicOnly(ck, run.strategy) {
						t.Errorf("%s needs only the public API of a %s pool but skipped on the fixture: %s", ck.Name, run.strategy, res.Skip)
					}
				default:
					t.Errorf("on a fixture: %s", describe(res))
				}
			}
			t.Logf("passed on the fixture (%d): %s", len(passed), strings.Join(passed, ", "))
			t.Logf("skipped on the fixture (%d): %s", len(skipped), strings.Join(skipped, "; "))
		})
	}
}

// publicOnly says whether a check needs nothing a staging fixture of strategy lacks: no
// capability but inbound (its hook), no org setting, the org's strategy.
func publicOnly(ck check, strategy string) bool {
	for _, n := range ck.Needs {
		if n != target.Inbound {
			return false
		}
	}
	return ck.Spec.Health == nil && ck.Spec.StickyTTLSeconds == nil && cmpOr(ck.Spec.Strategy, "round_robin") == strategy
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type stagingNumber struct {
	kind   string
	weight *int
	area   string
}

type stagingKey struct {
	name, protocol string
	numbers        []stagingNumber
}

// staging starts an embedded deployment, provisions an org with strategy and keys
// through its admin API (Blooio numbers on one fake Mac), and returns it the way a
// customer reaches a real one: a Remote without admin token, described by a fixture with
// the keys, recipients then fresh ones, a foreign number, and an inbound hook that runs
// this test binary again (TestHelperInboundHook) to make a contact write through the
// fake Mac's control API.
func staging(t *testing.T, strategy string, keys []stagingKey, recipients []string) target.Remote {
	t.Helper()
	ctx := context.Background()
	dep, err := target.Embedded{}.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dep.Close() })
	admin := client.New(dep.URL, client.WithAdminToken(dep.AdminToken))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "staging", Strategy: strategy})
	if err != nil {
		t.Fatal(err)
	}
	mac := macrelay.MacConfig{ID: "staging-mac", Secret: "staging-secret-0123456789"}
	phones := make([][]string, len(keys))
	slots := map[string]int{}
	for i, k := range keys {
		for j, num := range k.numbers {
			p := fmt.Sprintf("+1%s555%02d%02d", cmpOr(num.area, "555"), i+1, j+1)
			phones[i] = append(phones[i], p)
			if k.protocol == "imessage" {
				slots[p] = len(mac.Lines) + 1
				mac.Lines = append(mac.Lines, macrelay.LineConfig{Slot: slots[p], Phone: p})
			}
		}
	}
	fleet, err := macrelay.New(macrelay.Config{EngineURL: dep.URL, Macs: []macrelay.MacConfig{mac}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	rl := fleet.Relays()[0]
	if _, err := admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: rl.RelayID, URL: rl.URL, Secret: rl.Secret}); err != nil {
		t.Fatal(err)
	}
	slotsJSON, _ := json.Marshal(slots)
	f := &target.Fixture{
		File: "staging (test)", Strategy: strategy, Recipients: recipients,
		FreshRecipients: &target.RecipientRange{Prefix: "+1212", Digits: 7},
		ForeignNumbers:  []string{"+13105550177"},
		// GORACE: a race-enabled binary otherwise lingers a second at exit.
		Hooks: target.Hooks{Inbound: []string{"env", "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
			os.Args[0], "-test.run=^TestHelperInboundHook$", "--",
			fleet.URL(), mac.ID, string(slotsJSON), "{from}", "{to}", "{text}"}},
	}
	for i, k := range keys {
		fk := target.FixtureKey{Name: k.name, SecretEnv: "STAGING_KEY_" + strings.ToUpper(k.name), Protocol: k.protocol}
		for j, num := range k.numbers {
			req := client.RegisterNumberRequest{PhoneNumber: phones[i][j], PlanKind: num.kind, Weight: num.weight}
			if k.protocol == "sms" {
				req.Provider = "twilio"
			} else {
				slot := slots[phones[i][j]]
				req.RelayID, req.LineSlot = mac.ID, &slot
			}
			if _, err := admin.RegisterNumber(ctx, org.OrganizationID, req); err != nil {
				t.Fatal(err)
			}
			fk.Numbers = append(fk.Numbers, target.FixtureNumber{Phone: phones[i][j], PlanKind: num.kind, Weight: num.weight})
		}
		ck, err := admin.CreateKey(ctx, org.OrganizationID, k.name)
		if err != nil {
			t.Fatal(err)
		}
		fk.Secret = ck.APIKey
		if len(phones[i]) > 0 {
			if _, err := admin.AssignNumbers(ctx, ck.KeyID, client.AssignRequest{PhoneNumbers: phones[i]}); err != nil {
				t.Fatal(err)
			}
		}
		f.Keys = append(f.Keys, fk)
	}
	return target.Remote{URL: dep.URL, Fixture: f}
}

// TestHelperInboundHook is not a test: it is the inbound hook of the fixtures of
// TestChecks_OnFixtures, this binary run again with the arguments control URL, Mac id,
// slots by phone (JSON), from, to and text after "--". It makes the contact write
// through the fake Mac's control API and fails (exit status 1) when that fails.
func TestHelperInboundHook(t *testing.T) {
	args := flag.Args()
	if len(args) != 6 {
		t.Skip("the inbound hook of TestChecks_OnFixtures")
	}
	var slots map[string]int
	if err := json.Unmarshal([]byte(args[2]), &slots); err != nil {
		t.Fatal(err)
	}
	slot, ok := slots[args[4]]
	if !ok {
		t.Fatalf("%s is not a Blooio number of the staging Mac", args[4])
	}
	body, _ := json.Marshal(map[string]string{"from": args[3], "text": args[5]})
	url := fmt.Sprintf("%s/control/macs/%s/lines/%d/inbound", args[0], args[1], slot)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, out)
	}
}
