package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

func TestModel_request_checks(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415)
	w.ok(model.CreateKey{Org: "o", Key: "sms"})
	w.number("sms", t1, model.ProviderTwilio, model.PlanDedicated, 1)

	tests := []struct {
		name string
		op   model.Send
		code string
		rule string
	}{
		{"unknown key", model.Send{Key: "nope", Recipient: alice, Texts: 1}, model.CodeUnauthorized, model.RuleRequest},
		{"bad recipient", model.Send{Key: "k", Recipient: "alice", Texts: 1}, model.CodeInvalidChatID, model.RuleRequest},
		{"empty group name", model.Send{Key: "k", Recipient: "grp:", Texts: 1}, model.CodeInvalidChatID, model.RuleRequest},
		{"email with comma", model.Send{Key: "k", Recipient: "a@b.c,d@e.f", Texts: 1}, model.CodeInvalidChatID, model.RuleRequest},
		{"sms key, email", model.Send{Key: "sms", Recipient: carol, Texts: 1}, model.CodeInvalidChatID, model.RuleRequest},
		{"sms key, group", model.Send{Key: "sms", Recipient: "grp:x", Texts: 1}, model.CodeInvalidChatID, model.RuleRequest},
		{"no text", model.Send{Key: "k", Recipient: alice}, model.CodeInvalidRequest, model.RuleRequest},
		{"chat id before text", model.Send{Key: "k", Recipient: "x"}, model.CodeInvalidChatID, model.RuleRequest},
		{"text before from", model.Send{Key: "k", Recipient: alice, From: "x"}, model.CodeInvalidRequest, model.RuleRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.tb = t
			w.fail(tt.op, tt.code, tt.rule)
		})
	}
}

func TestModel_POOL_EMPTY_1(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	op := model.Send{Key: "k", Recipient: alice, Texts: 1}
	w.fail(op, model.CodeNoNumbersAssigned, "POOL-EMPTY-1")
	// EMPTY-1 comes before FROM-2.
	w.fail(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.CodeNoNumbersAssigned, "POOL-EMPTY-1")
	w.violation(op, model.Outcome{From: a415}, "POOL-EMPTY-1")

	// Empty again after the last number is unassigned.
	w.blooio("k", a415)
	w.send("k", alice)
	w.ok(model.Unassign{Key: "k", Phone: a415})
	w.fail(op, model.CodeNoNumbersAssigned, "POOL-EMPTY-1")
}

func TestModel_POOL_FROM_1(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	for _, f := range []string{"15551234567", "+0123", "+1555abc", "+1234567890123456", "+1"} {
		// Request checks precede POOL-EMPTY-1.
		w.fail(model.Send{Key: "k", Recipient: alice, From: f, Texts: 1}, model.CodeInvalidFromNumber, "POOL-FROM-1")
	}
	w.blooio("k", a415)
	w.fail(model.Send{Key: "k", Recipient: alice, From: "a415", Texts: 1}, model.CodeInvalidFromNumber, "POOL-FROM-1")
	// An empty F counts as absent.
	require.Equal(t, a415, w.ok(model.Send{Key: "k", Recipient: alice, From: "", Texts: 1}))
}

func TestModel_POOL_FROM_2(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.ok(model.CreateOrg{Org: "o2"})
	w.ok(model.CreateKey{Org: "o", Key: "k2"})
	w.ok(model.CreateKey{Org: "o2", Key: "k3"})
	w.blooio("k", a415)
	w.blooio("k2", b415)
	w.ok(model.RegisterNumber{Org: "o2", Phone: c212, Provider: model.ProviderBlooio, Weight: 1})
	w.ok(model.Assign{Key: "k3", Phones: []string{c212}})
	w.ok(model.RegisterNumber{Org: "o", Phone: d213, Provider: model.ProviderBlooio, Weight: 1}) // unallocated

	for _, f := range []string{b415, c212, d213, "+19995550000"} {
		op := model.Send{Key: "k", Recipient: alice, From: f, Texts: 1}
		w.fail(op, model.CodeFromNumberNotInPool, "POOL-FROM-2")
		w.violation(op, model.Outcome{From: f}, "POOL-FROM-2")
	}
}

func TestModel_POOL_FROM_3(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		code  string
		rule  string
	}{
		{"sent from F", func(*world) {}, "", "POOL-FROM-3"},
		{"degraded is fine", func(w *world) { w.outcomes(b415, false, 20) }, "", "POOL-FROM-3"},
		{"weight 0 is fine", func(w *world) {
			w.ok(model.SetStrategy{Org: "o", Strategy: model.StrategyWeighted})
			w.ok(model.SetNumber{Phone: b415, Weight: ptr(0)})
		}, "", "POOL-FROM-3"},
		{"banned", func(w *world) { w.ok(model.Ban{Phone: b415}) }, model.CodeNumberBanned, "POOL-FROM-3"},
		{"banned before reply-only and offline", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.LineStatus{Phone: b415})
			w.ok(model.Ban{Phone: b415})
		}, model.CodeNumberBanned, "POOL-FROM-3"},
		{"reply-only before offline", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanInbound)})
			w.ok(model.LineStatus{Phone: b415})
		}, model.CodeInboundOnly, "POOL-INBOUND-1"},
		{"offline", func(w *world) { w.ok(model.LineStatus{Phone: b415}) }, model.CodeSenderUnavailable, "POOL-FROM-3"},
		{"offline before trial", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: b415, Texts: 20})
			w.ok(model.LineStatus{Phone: b415})
		}, model.CodeSenderUnavailable, "POOL-FROM-3"},
		{"trial exhausted", func(w *world) {
			w.ok(model.SetNumber{Phone: b415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: b415, Texts: 20})
		}, model.CodeTrialLimitReached, "POOL-FROM-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, model.StrategyRoundRobin)
			w.blooio("k", a415, b415)
			tt.setup(w)
			op := model.Send{Key: "k", Recipient: alice, From: b415, Texts: 1}
			if tt.code != "" {
				w.fail(op, tt.code, tt.rule)
				w.violation(op, model.Outcome{From: b415}, tt.rule)
				return
			}
			w.allowed(op, model.Allowed{From: []string{b415}, Exact: b415, Rule: tt.rule})
			w.violation(op, model.Outcome{From: a415}, "POOL-FROM-3")
			w.violation(op, model.Outcome{Code: model.CodeNoActiveNumber}, "POOL-FROM-3")
			require.Equal(t, b415, w.ok(op))
		})
	}
}

func TestModel_POOL_TWILIO_1(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		want  string // "" → no_active_number
	}{
		{"first assigned", func(*world) {}, t1},
		{"degraded is still picked", func(w *world) { w.outcomes(t1, false, 30) }, t1},
		{"banned skipped", func(w *world) { w.ok(model.Ban{Phone: t1}) }, t2},
		{"exhausted trial skipped", func(w *world) {
			w.ok(model.SetNumber{Phone: t1, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: bob, From: t1, Texts: 20})
		}, t2},
		{"strategy never applies", func(w *world) {
			w.ok(model.SetStrategy{Org: "o", Strategy: model.StrategyGeographic})
			w.ok(model.SetNumber{Phone: t1, Weight: ptr(0)})
		}, t1},
		{"position order, not phone order", func(w *world) {
			w.ok(model.Unassign{Key: "k", Phone: t1})
			w.ok(model.Assign{Key: "k", Phones: []string{t1}})
		}, t2},
		{"none can send", func(w *world) {
			w.ok(model.Ban{Phone: t1})
			w.ok(model.Ban{Phone: t2})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, model.StrategyRoundRobin)
			w.number("k", t1, model.ProviderTwilio, model.PlanDedicated, 1)
			w.number("k", t2, model.ProviderTwilio, model.PlanDedicated, 1)
			tt.setup(w)
			op := model.Send{Key: "k", Recipient: alice, Texts: 1}
			if tt.want == "" {
				w.fail(op, model.CodeNoActiveNumber, "POOL-TWILIO-1")
				return
			}
			w.allowed(op, model.Allowed{From: []string{tt.want}, Exact: tt.want, Rule: "POOL-TWILIO-1"})
			for range 3 { // no rotation
				require.Equal(t, tt.want, w.ok(op))
			}
		})
	}
}

func TestModel_POOL_TWILIO_2(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.number("k", t1, model.ProviderTwilio, model.PlanDedicated, 1)
	w.number("k", t2, model.ProviderTwilio, model.PlanDedicated, 1)
	require.Equal(t, model.ProtocolSMS, w.m.Protocol("k"))

	w.ok(model.Send{Key: "k", Recipient: alice, From: t2, Texts: 1})
	op := model.Send{Key: "k", Recipient: alice, Texts: 1}
	w.allowed(op, model.Allowed{From: []string{t1}, Exact: t1, Rule: "POOL-TWILIO-1"})
	w.violation(op, model.Outcome{From: t2}, "POOL-TWILIO-2")

	w.ok(model.Inbound{Phone: t2, From: bob})
	_, bound := w.m.Binding("k", bob)
	require.False(t, bound, "sms keys have no bindings")
	require.True(t, w.m.HasPriorInbound(t2, bob))
	w.violation(model.Send{Key: "k", Recipient: bob, Texts: 1}, model.Outcome{From: t2}, "POOL-TWILIO-2")
	require.Equal(t, t1, w.send("k", bob))
}

func TestModel_POOL_ISO_1(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.ok(model.CreateKey{Org: "o", Key: "k2"})
	w.blooio("k", a415, b415)
	w.blooio("k2", c212)
	w.fail(model.Assign{Key: "k2", Phones: []string{a415}}, model.CodeNumberAlreadyAlloc, "POOL-PROTO-2")

	require.Equal(t, []string{a415, b415}, w.m.Pool("k"))
	require.Equal(t, []string{c212}, w.m.Pool("k2"))
	require.Nil(t, w.m.Pool("nope"))
	require.Equal(t, []string{"k", "k2"}, w.m.Keys())

	w.ok(model.Unassign{Key: "k", Phone: a415})
	w.ok(model.Assign{Key: "k2", Phones: []string{a415}})
	require.Equal(t, []string{b415}, w.m.Pool("k"))
	require.Equal(t, []string{c212, a415}, w.m.Pool("k2"))

	w.ok(model.RevokeKey{Key: "k2"})
	require.Equal(t, []string{"k"}, w.m.Keys())
	require.Empty(t, w.m.Pool("k2"))
}

func TestModel_POOL_ISO_2(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.ok(model.CreateKey{Org: "o", Key: "k2"})
	w.blooio("k", a415)
	w.blooio("k2", b415)
	w.ok(model.RegisterNumber{Org: "o", Phone: c212, Provider: model.ProviderBlooio, Weight: 1})

	for _, op := range []model.Send{
		{Key: "k", Recipient: alice, Texts: 1},             // new conversation
		{Key: "k", Recipient: alice, From: a415, Texts: 1}, // explicit
	} {
		for _, from := range []string{b415, c212, "+19995550000", ""} {
			w.violation(op, model.Outcome{From: from}, "POOL-ISO-2")
		}
	}
	w.send("k", alice)
	w.violation(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: b415}, "POOL-ISO-2")
}
