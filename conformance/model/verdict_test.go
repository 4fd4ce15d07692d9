package model_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

func TestKind_String(t *testing.T) {
	require.Equal(t, "ok", model.OK.String())
	require.Equal(t, "violation", model.Violation.String())
	require.Equal(t, "unknown", model.Unknown.String())
	require.Equal(t, "Kind(0)", model.Kind(0).String())
}

func TestVerdict_String(t *testing.T) {
	tests := []struct {
		name  string
		real  bool
		setup func(w *world)
		op    model.Op
		out   model.Outcome
		want  model.Verdict
	}{
		{"sticky send from another number", false, func(w *world) { w.send("k", alice) },
			model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: b415},
			model.Verdict{Kind: model.Violation, Rule: "POOL-STICKY-1", Want: "202 from " + a415, Got: "202 from " + b415}},
		{"candidates, real deployment", true, func(*world) {},
			model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{Code: model.CodeNumberBanned},
			model.Verdict{Kind: model.Violation, Rule: "POOL-NEW-1", Want: "202 from one of {" + a415 + ", " + b415 + "}", Got: "number_banned"}},
		{"exact mode shows the exact pick", false, func(*world) {},
			model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: b415},
			model.Verdict{Kind: model.Violation, Rule: "POOL-RR-1", Want: "202 from " + a415, Got: "202 from " + b415}},
		{"error allowed", false, func(*world) {},
			model.Send{Key: "k", Recipient: alice, From: "+19995550000", Texts: 1}, model.Outcome{Code: model.CodeFromNumberNotInPool},
			model.Verdict{Kind: model.OK, Rule: "POOL-FROM-2", Want: "from_number_not_in_pool", Got: "from_number_not_in_pool"}},
		{"admin success", false, func(*world) {},
			model.Ban{Phone: a415}, model.Outcome{},
			model.Verdict{Kind: model.OK, Rule: "POOL-HEALTH-3", Want: "ok", Got: "ok"}},
		{"unforeseen 503 in exact mode", false, func(*world) {},
			model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{Code: model.CodeSenderUnavailable},
			model.Verdict{Kind: model.Violation, Rule: "POOL-NEW-1", Want: "202 from " + a415, Got: "sender_unavailable"}},
		{"unforeseen line drop in a real deployment", true, func(*world) {},
			model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.Outcome{Code: model.CodeSenderUnavailable},
			model.Verdict{Kind: model.Unknown, Rule: "POOL-FROM-3", Want: "202 from " + a415, Got: "sender_unavailable"}},
		{"unforeseen line drops in a real deployment, new conversation", true, func(*world) {},
			model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{Code: model.CodeNoActiveNumber},
			model.Verdict{Kind: model.Unknown, Rule: "POOL-RR-1", Want: "202 from one of {" + a415 + ", " + b415 + "}", Got: "no_active_number"}},
		{"a line drop cannot explain the wrong 503", true, func(*world) {},
			model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.Outcome{Code: model.CodeNoActiveNumber},
			model.Verdict{Kind: model.Violation, Rule: "POOL-FROM-3", Want: "202 from " + a415, Got: "no_active_number"}},
		{"a line drop cannot explain a 503 before banned", true, func(w *world) { w.ok(model.Ban{Phone: a415}) },
			model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.Outcome{Code: model.CodeSenderUnavailable},
			model.Verdict{Kind: model.Violation, Rule: "POOL-FROM-3", Want: "number_banned", Got: "sender_unavailable"}},
		{"a line drop explains a 503 before the trial limit", true, func(w *world) {
			w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanTrial)})
			w.ok(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 20})
		}, model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.Outcome{Code: model.CodeSenderUnavailable},
			model.Verdict{Kind: model.Unknown, Rule: "POOL-FROM-3", Want: "trial_limit_reached", Got: "sender_unavailable"}},
		{"unknown op", false, func(*world) {}, nil, model.Outcome{},
			model.Verdict{Kind: model.Unknown, Rule: "UNKNOWN-OP", Want: "ok", Got: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, model.StrategyRoundRobin)
			if tt.real {
				w = newRealWorld(t, model.StrategyRoundRobin)
			}
			w.blooio("k", a415, b415)
			tt.setup(w)
			got := w.m.Step(tt.op, tt.out)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Step mismatch (-want +got):\n%s", diff)
			}
			require.Contains(t, got.String(), tt.want.Rule)
		})
	}
}

func TestModel_pointer_ops(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	ops := []model.Op{
		&model.CreateOrg{Org: "o2"},
		&model.CreateKey{Org: "o2", Key: "k2"},
		&model.RegisterNumber{Org: "o2", Phone: a415, Provider: model.ProviderBlooio, Weight: 1},
		&model.Assign{Key: "k2", Phones: []string{a415}},
		&model.SetNumber{Phone: a415, Weight: ptr(2)},
		&model.SetStrategy{Org: "o2", Strategy: model.StrategyWeighted},
		&model.Inbound{Phone: a415, From: alice},
		&model.ResetBinding{Key: "k2", Recipient: alice},
		&model.Send{Key: "k2", Recipient: alice, Texts: 1},
		&model.DeliveryOutcome{Phone: a415, Delivered: true},
		&model.LineStatus{Phone: a415, Online: true},
		&model.Ban{Phone: a415},
		&model.Unban{Phone: a415},
		&model.Advance{D: 1},
		&model.Unassign{Key: "k2", Phone: a415},
		&model.RevokeKey{Key: "k2"},
	}
	for _, op := range ops {
		w.ok(op)
	}
	require.True(t, w.m.Exact())
}
