package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

func TestModel_POOL_STICKY_1(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		code  string // "" → sent from the bound number b415
		rule  string
	}{
		{"bound number used", func(*world) {}, "", "POOL-STICKY-1"},
		{"degraded still used", func(w *world) { w.outcomes(b415, false, 20) }, "", "POOL-STICKY-1"},
		{"weight 0 still used", func(w *world) {
			w.ok(model.SetStrategy{Org: "o", Strategy: model.StrategyWeighted})
			w.ok(model.SetNumber{Phone: b415, Weight: ptr(0)})
		}, "", "POOL-STICKY-1"},
		{"offline: 503, not moved", func(w *world) { w.ok(model.LineStatus{Phone: b415}) }, model.CodeSenderUnavailable, "POOL-STICKY-1"},
		{"became inbound: reply-only", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanInbound)})
		}, model.CodeInboundOnly, "POOL-INBOUND-1"},
		{"became exhausted trial", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: b415, Texts: 20})
		}, model.CodeTrialLimitReached, "POOL-STICKY-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, model.StrategyRoundRobin)
			w.blooio("k", a415, b415, c212)
			w.ok(model.Send{Key: "k", Recipient: alice, From: b415, Texts: 1})
			tt.setup(w)
			op := model.Send{Key: "k", Recipient: alice, Texts: 1}
			if tt.code != "" {
				w.fail(op, tt.code, tt.rule)
				w.violation(op, model.Outcome{From: a415}, tt.rule)
				return
			}
			w.allowed(op, model.Allowed{From: []string{b415}, Exact: b415, Rule: "POOL-STICKY-1"})
			w.violation(op, model.Outcome{From: a415}, "POOL-STICKY-1")
			w.violation(op, model.Outcome{Code: model.CodeNoActiveNumber}, "POOL-STICKY-1")
			require.Equal(t, b415, w.ok(op))
		})
	}
}

func TestModel_POOL_STICKY_1_real_deployment(t *testing.T) {
	w := newRealWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415)
	w.ok(model.Send{Key: "k", Recipient: alice, From: b415, Texts: 1})
	op := model.Send{Key: "k", Recipient: alice, Texts: 1}
	w.violation(op, model.Outcome{From: a415}, "POOL-STICKY-1")
	// A 503 the model did not foresee may come from a line the model never heard drop.
	v := w.m.Step(op, model.Outcome{Code: model.CodeSenderUnavailable})
	require.Equal(t, model.Unknown, v.Kind, v.String())
	w.violation(op, model.Outcome{Code: model.CodeNumberBanned}, "POOL-STICKY-1")
}

func TestModel_POOL_STICKY_2(t *testing.T) {
	w := newRealWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415, c212)

	// An accepted auto send binds to the observed number, whichever candidate it is.
	v := w.m.Step(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: c212})
	require.Equal(t, model.OK, v.Kind, v.String())
	got, ok := w.m.Binding("k", alice)
	require.True(t, ok)
	require.Equal(t, c212, got)

	// An explicit F rebinds.
	w.ok(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1})
	got, _ = w.m.Binding("k", alice)
	require.Equal(t, a415, got)

	// So does an inbound message, in either direction.
	w.ok(model.Inbound{Phone: b415, From: alice})
	got, _ = w.m.Binding("k", alice)
	require.Equal(t, b415, got)
	require.Equal(t, b415, w.send("k", alice))

	// Emails are lower-cased.
	w.ok(model.Inbound{Phone: a415, From: "Carol@Example.com"})
	got, ok = w.m.Binding("k", carol)
	require.True(t, ok)
	require.Equal(t, a415, got)
	require.Equal(t, a415, w.send("k", "CAROL@example.com"))

	// A rejected send changes nothing.
	w.ok(model.LineStatus{Phone: b415})
	w.fail(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.CodeSenderUnavailable, "POOL-STICKY-1")
	got, _ = w.m.Binding("k", alice)
	require.Equal(t, b415, got)
}

func TestModel_POOL_STICKY_3(t *testing.T) {
	t.Run("unassign", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Unassign{Key: "k", Phone: a415})
		_, ok := w.m.Binding("k", alice)
		require.False(t, ok)
		require.Equal(t, b415, w.send("k", alice))
		// Re-assigned, a415 is a new allocation; alice stays on b415.
		w.ok(model.Assign{Key: "k", Phones: []string{a415}})
		require.Equal(t, b415, w.send("k", alice))
	})
	t.Run("ban, not back on unban", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Ban{Phone: a415})
		_, ok := w.m.Binding("k", alice)
		require.False(t, ok)
		w.ok(model.Unban{Phone: a415})
		_, ok = w.m.Binding("k", alice)
		require.False(t, ok)
		require.Equal(t, b415, w.send("k", alice))
	})
	t.Run("binding to a banned number is skipped", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		w.ok(model.Ban{Phone: a415})
		w.ok(model.Inbound{Phone: a415, From: alice}) // binds, but a415 is banned
		got, ok := w.m.Binding("k", alice)
		require.True(t, ok)
		require.Equal(t, a415, got)
		w.allowed(model.Send{Key: "k", Recipient: alice, Texts: 1},
			model.Allowed{From: []string{b415}, Exact: b415, Rule: "POOL-RR-1"})
	})
	t.Run("reset", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.ResetBinding{Key: "k", Recipient: alice})
		w.fail(model.ResetBinding{Key: "k", Recipient: alice}, model.CodeBindingNotFound, "POOL-STICKY-3")
		w.fail(model.ResetBinding{Key: "nope", Recipient: alice}, model.CodeKeyNotFound, "POOL-STICKY-3")
		require.Equal(t, b415, w.send("k", alice))
	})
	t.Run("ttl", func(t *testing.T) {
		w := newWorldWith(t, model.CreateOrg{Org: "o", StickyTTL: time.Hour}, model.WithGeo(geo), model.WithExact())
		w.blooio("k", a415, b415)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Advance{D: time.Hour})
		require.Equal(t, time.Hour, w.m.Now())
		require.Equal(t, a415, w.send("k", alice), "at exactly the TTL the binding is kept")
		w.ok(model.Advance{D: 59 * time.Minute})
		w.ok(model.Inbound{Phone: a415, From: alice}) // inbound refreshes it
		w.ok(model.Advance{D: 59 * time.Minute})
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Advance{D: time.Hour + time.Nanosecond})
		_, ok := w.m.Binding("k", alice)
		require.False(t, ok)
		w.fail(model.ResetBinding{Key: "k", Recipient: alice}, model.CodeBindingNotFound, "POOL-STICKY-3")
		require.Equal(t, b415, w.send("k", alice))
	})
	t.Run("ttl 0 never expires", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Advance{D: 1000 * time.Hour})
		require.Equal(t, a415, w.send("k", alice))
	})
}

func TestModel_POOL_STICKY_4(t *testing.T) {
	// The model is sequential: the second "concurrent" first send sees the first's binding.
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415)
	first := w.send("k", alice)
	w.allowed(model.Send{Key: "k", Recipient: alice, Texts: 1},
		model.Allowed{From: []string{first}, Exact: first, Rule: "POOL-STICKY-1"})
}

func TestModel_POOL_NEW_1(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		from  []string // allowed candidates; nil → code
		code  string
	}{
		{"all active", func(*world) {}, []string{a415, b415, c212}, ""},
		{"not inbound", func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.Inbound{Phone: a415, From: bob}) // prior inbound from someone else
		}, []string{b415, c212}, ""},
		{"inbound with prior inbound from R is not used while others can", func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.Inbound{Phone: a415, From: alice})
			w.ok(model.ResetBinding{Key: "k", Recipient: alice})
		}, []string{b415, c212}, ""},
		{"not degraded, offline or banned", func(w *world) {
			w.outcomes(a415, false, 20)
			w.ok(model.LineStatus{Phone: b415})
		}, []string{c212}, ""},
		{"shared, trial and 2fa select like dedicated", func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanShared)})
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.SetNumber{Phone: c212, PlanKind: ptr(model.Plan2FA)})
		}, []string{a415, b415, c212}, ""},
		{"not an exhausted trial", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: b415, Texts: 20})
		}, []string{a415, c212}, ""},
		{"fallback: inbound with prior inbound, active or degraded", func(w *world) {
			for _, p := range []string{a415, b415} {
				w.ok(model.SetNumber{Phone: p, PlanKind: ptr(model.PlanInbound)})
				w.ok(model.Inbound{Phone: p, From: alice})
			}
			w.ok(model.ResetBinding{Key: "k", Recipient: alice})
			w.outcomes(b415, false, 20)
			w.ok(model.Ban{Phone: c212})
		}, []string{a415, b415}, ""},
		{"fallback excludes offline", func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.Inbound{Phone: a415, From: alice})
			w.ok(model.ResetBinding{Key: "k", Recipient: alice})
			w.ok(model.LineStatus{Phone: a415})
			w.ok(model.Ban{Phone: b415})
			w.ok(model.Ban{Phone: c212})
		}, nil, model.CodeNoActiveNumber},
		{"all inbound, no prior inbound", func(w *world) {
			for _, p := range []string{a415, b415, c212} {
				w.ok(model.SetNumber{Phone: p, PlanKind: ptr(model.PlanInbound)})
			}
			w.ok(model.Inbound{Phone: a415, From: bob})
		}, nil, model.CodeInboundOnly},
		{"all inbound, prior inbound but offline", func(w *world) {
			for _, p := range []string{a415, b415, c212} {
				w.ok(model.SetNumber{Phone: p, PlanKind: ptr(model.PlanInbound)})
			}
			w.ok(model.Inbound{Phone: a415, From: alice})
			w.ok(model.ResetBinding{Key: "k", Recipient: alice})
			w.ok(model.LineStatus{Phone: a415})
		}, nil, model.CodeNoActiveNumber},
		{"none active", func(w *world) {
			w.outcomes(a415, false, 20)
			w.ok(model.LineStatus{Phone: b415})
			w.ok(model.Ban{Phone: c212})
		}, nil, model.CodeNoActiveNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newRealWorld(t, model.StrategyRoundRobin)
			w.blooio("k", a415, b415, c212)
			tt.setup(w)
			op := model.Send{Key: "k", Recipient: alice, Texts: 1}
			if tt.code != "" {
				w.fail(op, tt.code, "POOL-NEW-1")
				return
			}
			a := w.m.Allowed(op)
			require.ElementsMatch(t, tt.from, a.From)
			require.True(t, slices.IsSorted(a.From))
			require.Contains(t, a.From, a.Exact)
			require.Equal(t, "POOL-RR-1", a.Rule)
			if len(tt.from) > 0 {
				w.violation(op, model.Outcome{Code: model.CodeNumberBanned}, "POOL-NEW-1")
			}
			for _, from := range tt.from {
				require.Equal(t, model.OK, w.m.Clone().Step(op, model.Outcome{From: from}).Kind)
			}
		})
	}
}

func TestModel_POOL_NEW_1_blame(t *testing.T) {
	tests := []struct {
		name     string
		strategy model.Strategy
		setup    func(w *world)
		from     string
		rule     string
	}{
		{"banned", model.StrategyRoundRobin, func(w *world) { w.ok(model.Ban{Phone: a415}) }, a415, "POOL-HEALTH-3"},
		{"offline", model.StrategyRoundRobin, func(w *world) { w.ok(model.LineStatus{Phone: a415}) }, a415, "POOL-HEALTH-2"},
		{"degraded", model.StrategyRoundRobin, func(w *world) { w.outcomes(a415, false, 20) }, a415, "POOL-HEALTH-1"},
		{"inbound without prior inbound", model.StrategyRoundRobin, func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
		}, a415, "POOL-INBOUND-1"},
		{"inbound with prior inbound while others can", model.StrategyRoundRobin, func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.Inbound{Phone: a415, From: alice})
			w.ok(model.ResetBinding{Key: "k", Recipient: alice})
		}, a415, "POOL-NEW-1"},
		{"weight 0", model.StrategyWeighted, func(w *world) { w.ok(model.SetNumber{Phone: a415, Weight: ptr(0)}) }, a415, "POOL-WRR-1"},
		{"exhausted trial", model.StrategyRoundRobin, func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: a415, Texts: 20})
		}, a415, "POOL-NEW-1"},
		{"outside the geographic tier", model.StrategyGeographic, func(*world) {}, c212, "POOL-GEO-1"},
		{"not the reference pick", model.StrategyRoundRobin, func(*world) {}, b415, "POOL-RR-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.strategy)
			w.blooio("k", a415, b415, c212)
			tt.setup(w)
			w.violation(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: tt.from}, tt.rule)
		})
	}
}

func TestModel_POOL_NEW_2(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415, c212)
	require.Equal(t, a415, w.send("k", alice))
	got, ok := w.m.Binding("k", alice)
	require.True(t, ok)
	require.Equal(t, a415, got)

	// Ongoing conversations and explicit sends do not move the rotation.
	for range 3 {
		require.Equal(t, a415, w.send("k", alice))
	}
	w.ok(model.Send{Key: "k", Recipient: bob, From: c212, Texts: 1})
	require.Equal(t, b415, w.send("k", carol))
	require.Equal(t, c212, w.send("k", "dave@example.com"))
	require.Equal(t, a415, w.send("k", "erin@example.com"))
}
