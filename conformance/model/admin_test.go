package model_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

// protoWorld has org "o" with key "k", Blooio numbers a415 b415, Twilio t1 t2, and a
// second key "k2" holding b415.
func protoWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, model.StrategyRoundRobin)
	w.ok(model.CreateKey{Org: "o", Key: "k2"})
	for _, p := range []string{a415, b415, c212} {
		w.ok(model.RegisterNumber{Org: "o", Phone: p, Provider: model.ProviderBlooio, Weight: 1})
	}
	for _, p := range []string{t1, t2} {
		w.ok(model.RegisterNumber{Org: "o", Phone: p, Provider: model.ProviderTwilio, Weight: 1})
	}
	w.ok(model.Assign{Key: "k2", Phones: []string{b415}})
	return w
}

func TestModel_POOL_PROTO_1(t *testing.T) {
	tests := []struct {
		name   string
		before []string // assigned to k first
		phones []string
		code   string
		rule   string
	}{
		{"unknown number first", nil, []string{a415, t1, b415, "+19995550000"}, model.CodeNumberNotFound, "POOL-PROTO-1"},
		{"mixed before already allocated", []string{c212}, []string{t1, b415}, model.CodeMixedProtocols, "POOL-PROTO-1"},
		{"already allocated before conflict", []string{t1}, []string{a415, b415}, model.CodeNumberAlreadyAlloc, "POOL-PROTO-2"},
		{"twilio to a blooio key", []string{a415}, []string{t1}, model.CodeKeyProtocolConflict, "POOL-PROTO-1"},
		{"blooio to a twilio key", []string{t1}, []string{a415}, model.CodeKeyProtocolConflict, "POOL-PROTO-1"},
		{"own numbers still count as mixed", []string{a415}, []string{a415, t1}, model.CodeMixedProtocols, "POOL-PROTO-1"},
		{"empty request", nil, []string{}, model.CodeInvalidRequest, model.RuleAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := protoWorld(t)
			if tt.before != nil {
				w.ok(model.Assign{Key: "k", Phones: tt.before})
			}
			pool := w.m.Pool("k")
			op := model.Assign{Key: "k", Phones: tt.phones}
			w.fail(op, tt.code, tt.rule)
			w.violation(op, model.Outcome{}, tt.rule)
			require.Equal(t, pool, w.m.Pool("k"), "atomic: nothing assigned")
		})
	}
	t.Run("success, no-op for own numbers, positions in request order", func(t *testing.T) {
		w := protoWorld(t)
		w.ok(model.Assign{Key: "k", Phones: []string{c212}})
		require.Equal(t, model.ProtocolIMessage, w.m.Protocol("k"))
		w.allowed(model.Assign{Key: "k", Phones: []string{a415, c212, a415}}, model.Allowed{Rule: "POOL-PROTO-1"})
		w.ok(model.Assign{Key: "k", Phones: []string{a415, c212, a415}})
		require.Equal(t, []string{c212, a415}, w.m.Pool("k"))
		w.ok(model.Assign{Key: "k", Phones: []string{c212}})
		require.Equal(t, []string{c212, a415}, w.m.Pool("k"))
	})
	t.Run("another org's number is not found", func(t *testing.T) {
		w := protoWorld(t)
		w.ok(model.CreateOrg{Org: "o2"})
		w.ok(model.RegisterNumber{Org: "o2", Phone: d213, Provider: model.ProviderBlooio, Weight: 1})
		w.fail(model.Assign{Key: "k", Phones: []string{d213}}, model.CodeNumberNotFound, "POOL-PROTO-1")
	})
	t.Run("unknown key", func(t *testing.T) {
		w := protoWorld(t)
		w.fail(model.Assign{Key: "nope", Phones: []string{a415}}, model.CodeKeyNotFound, model.RuleAdmin)
	})
}

func TestModel_POOL_PROTO_2(t *testing.T) {
	w := protoWorld(t)
	w.fail(model.Assign{Key: "k", Phones: []string{b415}}, model.CodeNumberAlreadyAlloc, "POOL-PROTO-2")
	w.ok(model.Assign{Key: "k", Phones: []string{a415}})
	w.fail(model.Assign{Key: "k2", Phones: []string{a415}}, model.CodeNumberAlreadyAlloc, "POOL-PROTO-2")
	require.Equal(t, []string{a415}, w.m.Pool("k"))
	require.Equal(t, []string{b415}, w.m.Pool("k2"))
}

func TestModel_POOL_PROTO_3(t *testing.T) {
	w := protoWorld(t)
	w.ok(model.Assign{Key: "k", Phones: []string{a415, c212}})
	w.ok(model.Unassign{Key: "k", Phone: a415})
	require.Equal(t, model.ProtocolIMessage, w.m.Protocol("k"))
	w.fail(model.Assign{Key: "k", Phones: []string{t1}}, model.CodeKeyProtocolConflict, "POOL-PROTO-1")
	w.allowed(model.Unassign{Key: "k", Phone: c212}, model.Allowed{Rule: "POOL-PROTO-3"})
	w.ok(model.Unassign{Key: "k", Phone: c212})
	require.Equal(t, model.ProtocolNone, w.m.Protocol("k"))
	w.allowed(model.Assign{Key: "k", Phones: []string{t1}}, model.Allowed{Rule: "POOL-PROTO-3"})
	w.ok(model.Assign{Key: "k", Phones: []string{t1}})
	require.Equal(t, model.ProtocolSMS, w.m.Protocol("k"))
	require.Equal(t, model.ProtocolNone, w.m.Protocol("nope"))

	w.fail(model.Unassign{Key: "k", Phone: a415}, model.CodeNumberNotFound, model.RuleAdmin)
	w.fail(model.Unassign{Key: "k", Phone: b415}, model.CodeNumberNotFound, model.RuleAdmin)
	w.fail(model.Unassign{Key: "nope", Phone: t1}, model.CodeKeyNotFound, model.RuleAdmin)
}

func TestModel_admin(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	tests := []struct {
		name string
		op   model.Op
		code string
	}{
		{"duplicate org", model.CreateOrg{Org: "o"}, model.CodeInvalidRequest},
		{"empty org id", model.CreateOrg{}, model.CodeInvalidRequest},
		{"bad strategy", model.CreateOrg{Org: "x", Strategy: "random"}, model.CodeInvalidRequest},
		{"negative ttl", model.CreateOrg{Org: "x", StickyTTL: -time.Second}, model.CodeInvalidRequest},
		{"bad thresholds", model.CreateOrg{Org: "x", Health: model.HealthSettings{DegradeBelow: 2}}, model.CodeInvalidRequest},
		{"key of unknown org", model.CreateKey{Org: "x", Key: "k9"}, model.CodeOrgNotFound},
		{"duplicate key", model.CreateKey{Org: "o", Key: "k"}, model.CodeInvalidRequest},
		{"revoke unknown key", model.RevokeKey{Key: "nope"}, model.CodeKeyNotFound},
		{"number of unknown org", model.RegisterNumber{Org: "x", Phone: a415, Provider: model.ProviderBlooio}, model.CodeOrgNotFound},
		{"bad phone", model.RegisterNumber{Org: "o", Phone: "415", Provider: model.ProviderBlooio}, model.CodeInvalidRequest},
		{"bad provider", model.RegisterNumber{Org: "o", Phone: a415, Provider: "vonage"}, model.CodeInvalidRequest},
		{"bad plan kind", model.RegisterNumber{Org: "o", Phone: a415, Provider: model.ProviderBlooio, PlanKind: "gold"}, model.CodeInvalidRequest},
		{"negative weight", model.RegisterNumber{Org: "o", Phone: a415, Provider: model.ProviderBlooio, Weight: -1}, model.CodeInvalidRequest},
		{"inbound twilio", model.RegisterNumber{Org: "o", Phone: t1, Provider: model.ProviderTwilio, PlanKind: model.PlanInbound}, model.CodeInvalidRequest},
		{"set unknown number", model.SetNumber{Phone: "+19995550000", Weight: ptr(1)}, model.CodeNumberNotFound},
		{"strategy of unknown org", model.SetStrategy{Org: "x", Strategy: model.StrategyWeighted}, model.CodeOrgNotFound},
		{"bad strategy change", model.SetStrategy{Org: "o", Strategy: ""}, model.CodeInvalidRequest},
		{"clock backwards", model.Advance{D: -time.Second}, model.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.tb = t
			a := w.m.Allowed(tt.op)
			require.Equal(t, []string{tt.code}, a.Codes)
			w.violation(tt.op, model.Outcome{}, a.Rule)
			require.Equal(t, model.OK, w.m.Step(tt.op, model.Outcome{Code: tt.code}).Kind)
		})
	}

	t.Run("numbers", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.ok(model.RegisterNumber{Org: "o", Phone: a415, Provider: model.ProviderBlooio})
		w.fail(model.RegisterNumber{Org: "o", Phone: a415, Provider: model.ProviderTwilio}, model.CodeNumberAlreadyRegister, model.RuleAdmin)
		w.ok(model.RegisterNumber{Org: "o", Phone: t1, Provider: model.ProviderTwilio})
		w.fail(model.SetNumber{Phone: t1, PlanKind: ptr(model.PlanInbound)}, model.CodeInvalidRequest, model.RuleAdmin)
		w.fail(model.SetNumber{Phone: t1, PlanKind: ptr(model.PlanKind("gold"))}, model.CodeInvalidRequest, model.RuleAdmin)
		w.fail(model.SetNumber{Phone: t1, Weight: ptr(-2)}, model.CodeInvalidRequest, model.RuleAdmin)
		w.ok(model.SetNumber{Phone: t1, PlanKind: ptr(model.PlanTrial), Weight: ptr(3)})
		w.ok(model.SetNumber{Phone: a415})
	})

	t.Run("revoke", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415)
		w.send("k", alice)
		w.ok(model.Inbound{Phone: a415, From: bob, Group: "g"})
		w.ok(model.RevokeKey{Key: "k"})
		require.Empty(t, w.m.Keys())
		_, ok := w.m.Binding("k", alice)
		require.False(t, ok)
		w.fail(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.CodeUnauthorized, model.RuleRequest)
		w.fail(model.RevokeKey{Key: "k"}, model.CodeKeyNotFound, model.RuleAdmin)
		w.fail(model.Assign{Key: "k", Phones: []string{a415}}, model.CodeKeyNotFound, model.RuleAdmin)
		w.fail(model.ResetBinding{Key: "k", Recipient: alice}, model.CodeKeyNotFound, "POOL-STICKY-3")
		w.fail(model.CreateKey{Org: "o", Key: "k"}, model.CodeInvalidRequest, model.RuleAdmin)
		_, ok = w.m.Binding("nope", alice)
		require.False(t, ok)

		// Its numbers and groups are free again.
		w.ok(model.CreateKey{Org: "o", Key: "k2"})
		w.ok(model.Assign{Key: "k2", Phones: []string{a415}})
		require.Equal(t, a415, w.send("k2", "grp:g"))
		require.False(t, w.m.HasPriorInbound(a415, "grp:g"))
	})
}
