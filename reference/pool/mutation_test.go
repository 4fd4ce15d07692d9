package pool_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/mutants"
	"poolkit/internal/mutation"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// The conformance mutants (STYLE lesson 5) are only worth something if each of them really
// breaks its rule. These tests hold every mutation to that: a probe of the rule's behaviour
// passes on the clean engine and fails on the engine built with the mutation, so no mutant
// is a no-op, and none breaks a different behaviour from the one it names.

// newMutantWorld is newWorld with the engine built with mutations m.
func newMutantWorld(tb TB, spec pool.OrgSpec, m mutation.Set) *world {
	tb.Helper()
	c := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	w := &world{tb: tb, ctx: context.Background(), clock: c}
	w.e = pool.New(mem.New(), pool.WithClock(c.Now), pool.WithMutations(m))
	var err error
	w.org, err = w.e.CreateOrg(w.ctx, spec)
	require.NoError(tb, err)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "relay-secret"})
	require.NoError(tb, err)
	return w
}

// outcome renders a send's result for a probe: the from_number, or the error code.
func outcome(res pool.SendResult, err error) string {
	if err != nil {
		return string(pool.ErrorCode(err))
	}
	return res.From
}

// probe checks one behaviour of a rule on a fresh world. It reports whether the behaviour
// holds and what it saw. Its setup must succeed on the clean and the mutated engine alike;
// only the observation may differ.
type probe struct {
	spec  pool.OrgSpec
	check func(w *world) (holds bool, got string)
}

const (
	n1, n2, n3 = "+15551110001", "+15551110002", "+15551110003"
	t1, t2     = "+15552220001", "+15552220002"
	contactR   = "+15557770001"
)

// probes has one probe per mutant, by mutant name.
var probes = map[string]probe{
	"empty-pool-503": {check: func(w *world) (bool, string) {
		k := w.key("a")
		got := outcome(w.send(k, contactR, ""))
		return got == string(pool.CodeNoNumbersAssigned), got
	}},
	"from-unvalidated": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		got := outcome(w.send(k, contactR, "5551110001"))
		return got == string(pool.CodeInvalidFromNumber), got
	}},
	"foreign-from-accepted": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		w.imessageKey("b", n2)
		got := outcome(w.send(k, contactR, n2))
		return got == string(pool.CodeFromNumberNotInPool), got
	}},
	"from-ignored": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "") // bound to n1
		got := outcome(w.send(k, contactR, n2))
		return got == n2, got
	}},
	"twilio-rotates": {check: func(w *world) (bool, string) {
		k := w.key("sms")
		w.twilio(t1, t2)
		w.assign(k, t1, t2)
		var got []string
		for _, r := range contacts(3) {
			got = append(got, w.sent(k, r, ""))
		}
		return slices.Equal(got, []string{t1, t1, t1}), fmt.Sprint(got)
	}},
	"twilio-sticky": {check: func(w *world) (bool, string) {
		k := w.key("sms")
		w.twilio(t1, t2)
		w.assign(k, t1, t2)
		w.sent(k, contactR, t2)
		w.inbound(t2, "+15557770002")
		got := []string{w.sent(k, contactR, ""), w.sent(k, "+15557770002", "")}
		return slices.Equal(got, []string{t1, t1}), fmt.Sprint(got)
	}},
	"no-sticky": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		got := []string{w.sent(k, contactR, ""), w.sent(k, contactR, ""), w.sent(k, contactR, "")}
		return slices.Equal(got, []string{n1, n1, n1}), fmt.Sprint(got)
	}},
	"offline-switches": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "")
		require.NoError(w.tb, w.e.SetOffline(w.ctx, n1, true))
		got := outcome(w.send(k, contactR, ""))
		return got == string(pool.CodeSenderUnavailable), got
	}},
	"explicit-no-rebind": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "")
		w.sent(k, contactR, n2)
		got := w.sent(k, contactR, "")
		return got == n2, got
	}},
	"inbound-no-rebind": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "")
		w.inbound(n2, contactR)
		got := w.sent(k, contactR, "")
		return got == n2, got
	}},
	"replay-resends": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		req := pool.SendRequest{KeyID: k.ID, ChatID: contactR, From: n1, Texts: []string{"hi"}, IdempotencyKey: "idem-1"}
		first, err := w.e.Send(w.ctx, req)
		require.NoError(w.tb, err)
		w.sent(k, contactR, n2) // binding → n2
		w.clock.Advance(time.Hour)
		again, err := w.e.Send(w.ctx, req)
		require.NoError(w.tb, err)
		after := w.sent(k, contactR, "")
		got := fmt.Sprintf("replayed=%v same id=%v then %s", again.Replayed, again.MessageID == first.MessageID, after)
		return again.Replayed && again.MessageID == first.MessageID && after == n2, got
	}},
	"ban-keeps-binding": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "")
		w.patch(n1, pool.NumberPatch{Health: ptr(pool.HealthBanned)})
		got := outcome(w.send(k, contactR, ""))
		return got == n2, got
	}},
	"racy-first-send": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2, n3)
		for i, r := range contacts(60) {
			froms := concurrentFirstSends(w, k, r, 8)
			if len(froms) != 1 {
				return false, fmt.Sprintf("recipient %d (%s) got %v", i, r, froms)
			}
		}
		return true, "one number per recipient"
	}},
	"degraded-chosen": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.degrade(n1)
		got := []string{w.sent(k, contactR, ""), w.sent(k, "+15557770002", "")}
		return slices.Equal(got, []string{n2, n2}), fmt.Sprint(got)
	}},
	"no-inbound-fallback": {check: func(w *world) (bool, string) {
		k := w.key("a")
		w.blooio(pool.PlanInbound, n1, n2)
		w.assign(k, n1, n2)
		w.inbound(n2, contactR)
		require.NoError(w.tb, w.e.ResetBinding(w.ctx, k.ID, contactR))
		got := outcome(w.send(k, contactR, ""))
		return got == n2, got
	}},
	"strategy-ignored": {spec: pool.OrgSpec{Strategy: pool.StrategyWeighted}, check: func(w *world) (bool, string) {
		k := w.key("a")
		w.blooio(pool.PlanDedicated, n1, n2, n3)
		w.patch(n1, pool.NumberPatch{Weight: ptr(5)})
		w.assign(k, n1, n2, n3)
		name := map[string]string{n1: "a", n2: "b", n3: "c"}
		seq := ""
		for _, r := range contacts(7) {
			seq += name[w.sent(k, r, "")]
		}
		return seq == "aabacaa", seq
	}},
	"reply-only-unenforced": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		w.blooio(pool.PlanInbound, n2)
		w.assign(k, n2)
		got := outcome(w.send(k, contactR, n2))
		return got == string(pool.CodeInboundOnlyNoPriorInbound), got
	}},
	"inbound-warm-up": {check: func(w *world) (bool, string) {
		k := w.key("a")
		w.blooio(pool.PlanInbound, n1)
		w.assign(k, n1)
		w.inbound(n1, contactR)
		got := outcome(w.send(k, contactR, n1))
		return got == n1, got
	}},
	"group-grants-contact": {check: func(w *world) (bool, string) {
		k := w.key("a")
		w.blooio(pool.PlanInbound, n1)
		w.assign(k, n1)
		slot := lineSlot(w, n1)
		res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: slot, From: contactR, Text: "hey all",
			Group: &pool.InboundGroup{ChatGUID: "chat-guid-1", Participants: []string{contactR, "+15557770002"}}})
		require.NoError(w.tb, err)
		group := outcome(w.send(k, res.GroupID, ""))
		direct := outcome(w.send(k, contactR, n1))
		return group == n1 && direct == string(pool.CodeInboundOnlyNoPriorInbound), "group " + group + ", 1:1 " + direct
	}},
	"slot-misattributed": {check: func(w *world) (bool, string) {
		k := w.key("a")
		w.blooio(pool.PlanInbound, n1, n2)
		got := w.assign(k, n1, n2)
		res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: lineSlot(w, n2), From: contactR, Text: "hi"})
		require.NoError(w.tb, err)
		reply := outcome(w.send(k, contactR, n2))
		return res.AllocationID == got[1].Allocation.ID && reply == n2, "attributed to " + res.AllocationID + ", reply " + reply
	}},
	"protocol-conflict-unchecked": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		w.twilio(t1)
		_, err := w.e.AssignNumbers(w.ctx, k.ID, pool.AssignRequest{Phones: []string{t1}})
		got := fmt.Sprintf("assign twilio: %q", pool.ErrorCode(err))
		return pool.ErrorCode(err) == pool.CodeKeyProtocolConflict, got
	}},
	"assign-steals-number": {check: func(w *world) (bool, string) {
		w.imessageKey("a", n1)
		b := w.key("b")
		_, err := w.e.AssignNumbers(w.ctx, b.ID, pool.AssignRequest{Phones: []string{n1}})
		got := fmt.Sprintf("assign a's number to b: %q", pool.ErrorCode(err))
		return pool.ErrorCode(err) == pool.CodeNumberAlreadyAllocated, got
	}},
	"protocol-sticks": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		require.NoError(w.tb, w.e.UnassignNumber(w.ctx, k.ID, n1))
		key, err := w.e.Key(w.ctx, k.ID)
		require.NoError(w.tb, err)
		w.twilio(t1)
		_, err = w.e.AssignNumbers(w.ctx, k.ID, pool.AssignRequest{Phones: []string{t1}})
		got := fmt.Sprintf("protocol %q, assign twilio: %q", key.Protocol, pool.ErrorCode(err))
		return key.Protocol == pool.ProtocolNone && err == nil, got
	}},
	"me-numbers-leak": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		w.imessageKey("b", n2)
		nums, err := w.e.KeyNumbers(w.ctx, k.ID)
		require.NoError(w.tb, err)
		var got []string
		for _, n := range nums {
			got = append(got, n.Number.Phone)
		}
		return slices.Equal(got, []string{n1}), fmt.Sprint(got)
	}},
	"unassigned-still-sends": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.sent(k, contactR, "")
		require.NoError(w.tb, w.e.UnassignNumber(w.ctx, k.ID, n1))
		got := outcome(w.send(k, contactR, ""))
		return got == n2, got
	}},
	"rr-skewed": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		counts := map[string]int{}
		rs := contacts(8)
		for i, r := range rs {
			if i >= 2 {
				w.sent(k, rs[0], "") // an ongoing conversation goes on between new ones
			}
			counts[w.sent(k, r, "")]++
			if d := counts[n1] - counts[n2]; d > 1 || d < -1 {
				return false, fmt.Sprintf("after %d new conversations: %v", i+1, counts)
			}
		}
		return true, fmt.Sprint(counts)
	}},
	"zero-weight-chosen": {spec: pool.OrgSpec{Strategy: pool.StrategyWeighted}, check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		w.patch(n2, pool.NumberPatch{Weight: ptr(0)})
		var got []string
		for _, r := range contacts(4) {
			got = append(got, w.sent(k, r, ""))
		}
		return slices.Equal(got, []string{n1, n1, n1, n1}), fmt.Sprint(got)
	}},
	"geo-area-code-ignored": {spec: pool.OrgSpec{Strategy: pool.StrategyGeographic}, check: func(w *world) (bool, string) {
		k := w.imessageKey("a", "+12125550004", "+14155550001")
		got := []string{w.sent(k, "+14155551234", ""), w.sent(k, "+17185551234", "")} // same area code; same state
		return slices.Equal(got, []string{"+14155550001", "+12125550004"}), fmt.Sprint(got)
	}},
	"never-degrades": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1)
		for i := 0; i < pool.DefaultHealth.MinSamples; i++ {
			res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: contactR, Texts: []string{"x"}})
			require.NoError(w.tb, err)
			require.NoError(w.tb, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusFailed, "30003"))
		}
		rep, err := w.e.NumberHealth(w.ctx, n1)
		require.NoError(w.tb, err)
		return rep.Status == pool.HealthDegraded, fmt.Sprintf("%s after %d samples", rep.Status, rep.Samples)
	}},
	"offline-ignored": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		require.NoError(w.tb, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: lineSlot(w, n1), Online: false}))
		require.NoError(w.tb, w.e.SetOffline(w.ctx, n2, true)) // a dispatch that could not connect
		a, b := outcome(w.send(k, contactR, n1)), outcome(w.send(k, contactR, n2))
		unavailable := string(pool.CodeSenderUnavailable)
		return a == unavailable && b == unavailable, "line report: " + a + ", failed dispatch: " + b
	}},
	"relay-ban-ignored": {check: func(w *world) (bool, string) {
		k := w.imessageKey("a", n1, n2)
		require.NoError(w.tb, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: lineSlot(w, n1), Online: true, Banned: true}))
		got := outcome(w.send(k, contactR, n1))
		return got == string(pool.CodeNumberBanned), got
	}},
}

// lineSlot returns the relay line slot of a Blooio number.
func lineSlot(w *world, phone string) int {
	w.tb.Helper()
	num, err := w.e.Number(w.ctx, phone)
	require.NoError(w.tb, err)
	return num.LineSlot
}

// concurrentFirstSends sends from n goroutines at once to recipient and returns the
// distinct from_numbers they were answered with.
func concurrentFirstSends(w *world, k pool.Key, recipient string, n int) []string {
	w.tb.Helper()
	froms := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: recipient, Texts: []string{"hi"}})
			froms[g], errs[g] = res.From, err
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(w.tb, err)
	}
	slices.Sort(froms)
	return slices.Compact(froms)
}

// TestMutations: every mutant's probe holds on the clean engine and fails on the mutant.
func TestMutations(t *testing.T) {
	for _, m := range mutants.All() {
		t.Run(m.Name, func(t *testing.T) {
			p, ok := probes[m.Name]
			require.True(t, ok, "no probe for mutant %s", m.Name)

			holds, got := p.check(newMutantWorld(t, p.spec, 0))
			require.True(t, holds, "the clean engine fails the probe of %s: %s", m.Rule, got)

			holds, got = p.check(newMutantWorld(t, p.spec, m.Set))
			require.False(t, holds, "mutant %s does not break %s: %s", m.Name, m.Rule, got)
			t.Logf("%s breaks %s: %s", m.Name, m.Rule, got)
		})
	}
	for name := range probes {
		_, ok := mutants.ByName(name)
		require.True(t, ok, "probe %s has no mutant", name)
	}
}

// TestMutation_RacyFirstSend_POOL_STICKY_4: the racy mutant really splits concurrent first
// sends at the engine level, its last writer's binding wins, and sequential sends are
// unaffected (the bug is a race, nothing else).
func TestMutation_RacyFirstSend_POOL_STICKY_4(t *testing.T) {
	phones := []string{n1, n2, n3}

	// Sequentially the mutant is the clean engine: same picks, sticky.
	clean := newMutantWorld(t, pool.OrgSpec{}, 0)
	racy := newMutantWorld(t, pool.OrgSpec{}, mutation.RacyFirstSend)
	kc, kr := clean.imessageKey("a", phones...), racy.imessageKey("a", phones...)
	for i, r := range contacts(20) {
		r2 := contacts(20)[(i*7)%20] // revisits earlier recipients
		require.Equal(t, clean.sent(kc, r, ""), racy.sent(kr, r, ""), "send %d", i)
		require.Equal(t, clean.sent(kc, r2, ""), racy.sent(kr, r2, ""), "send %d", i)
	}

	// Concurrently it splits: some new recipient is answered from two numbers.
	w := newMutantWorld(t, pool.OrgSpec{}, mutation.RacyFirstSend)
	k := w.imessageKey("a", phones...)
	splits := 0
	for _, r := range contacts(100) {
		froms := concurrentFirstSends(w, k, r, 8)
		if len(froms) < 2 {
			continue
		}
		splits++
		// The binding is one of the numbers answered: the last writer's.
		b, err := w.e.Binding(w.ctx, k.ID, r)
		require.NoError(t, err)
		require.Contains(t, froms, b.Phone)
		require.Equal(t, b.Phone, w.sent(k, r, ""), "later sends follow the binding")
	}
	t.Logf("%d of 100 new recipients were split across numbers", splits)
	require.Positive(t, splits, "concurrent first sends were never split")
}

// ruleIDs are the 28 rule ids of SPEC §2–§4.
var ruleIDs = []string{
	"POOL-EMPTY-1", "POOL-FROM-1", "POOL-FROM-2", "POOL-FROM-3", "POOL-TWILIO-1", "POOL-TWILIO-2",
	"POOL-STICKY-1", "POOL-STICKY-2", "POOL-STICKY-3", "POOL-STICKY-4", "POOL-NEW-1", "POOL-NEW-2",
	"POOL-INBOUND-1", "POOL-INBOUND-2", "POOL-INBOUND-3", "POOL-INBOUND-4",
	"POOL-PROTO-1", "POOL-PROTO-2", "POOL-PROTO-3", "POOL-ISO-1", "POOL-ISO-2",
	"POOL-RR-1", "POOL-WRR-1", "POOL-GEO-1", "POOL-FAIR-1",
	"POOL-HEALTH-1", "POOL-HEALTH-2", "POOL-HEALTH-3",
}

// TestMutants_List: the mutants are many, sorted, uniquely and stably named, each with a
// SPEC rule id, a description and exactly one mutation; together they use every mutation.
func TestMutants_List(t *testing.T) {
	require.Len(t, ruleIDs, 28)
	all := mutants.All()
	require.GreaterOrEqual(t, len(all), 20)
	name := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	names := map[string]bool{}
	var used mutation.Set
	rules := map[string]bool{}
	for i, m := range all {
		require.Regexp(t, name, m.Name)
		require.False(t, names[m.Name], "duplicate mutant name %s", m.Name)
		names[m.Name] = true
		if i > 0 {
			require.Less(t, all[i-1].Name, m.Name, "All is sorted by name")
		}
		require.Contains(t, ruleIDs, m.Rule, "mutant %s", m.Name)
		rules[m.Rule] = true
		require.NotEmpty(t, m.Description, "mutant %s", m.Name)
		require.NotZero(t, m.Set, "mutant %s", m.Name)
		require.Zero(t, m.Set&(m.Set-1), "mutant %s has more than one mutation", m.Name)
		require.Zero(t, used&m.Set, "mutant %s reuses a mutation", m.Name)
		used |= m.Set
		require.Len(t, m.PoolOptions(), 1)
		got, ok := mutants.ByName(m.Name)
		require.True(t, ok)
		require.Equal(t, m, got)
	}
	require.Equal(t, mutation.All, used, "every mutation has a mutant")
	require.Equal(t, all, mutants.All(), "All is stable")
	var missing []string
	for _, r := range ruleIDs {
		if !rules[r] {
			missing = append(missing, r)
		}
	}
	// FAIR-1 is statistical: every skew mutant (rr-skewed, strategy-ignored, …) breaks it too.
	require.Equal(t, []string{"POOL-FAIR-1"}, missing, "rules without a mutant")
}
