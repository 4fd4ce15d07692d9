package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

// inboundWorld has a dedicated a415 and an inbound i415 on key k.
const i415 = "+14155550009"

func inboundWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415)
	w.number("k", i415, model.ProviderBlooio, model.PlanInbound, 1)
	return w
}

func TestModel_POOL_INBOUND_1(t *testing.T) {
	w := inboundWorld(t)
	op := model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}
	w.fail(op, model.CodeInboundOnly, "POOL-INBOUND-1")
	w.violation(op, model.Outcome{From: i415}, "POOL-INBOUND-1")

	// Through a binding: the number became inbound after the conversation started.
	require.Equal(t, a415, w.send("k", bob))
	w.ok(model.SetNumber{Phone: a415, PlanKind: ptr(model.PlanInbound)})
	w.fail(model.Send{Key: "k", Recipient: bob, Texts: 1}, model.CodeInboundOnly, "POOL-INBOUND-1")
}

func TestModel_POOL_INBOUND_2(t *testing.T) {
	w := inboundWorld(t)
	op := model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}
	w.fail(op, model.CodeInboundOnly, "POOL-INBOUND-1")
	w.ok(model.Inbound{Phone: i415, From: alice})
	require.True(t, w.m.HasPriorInbound(i415, alice))
	require.Equal(t, i415, w.ok(op), "no warm-up")
	// The inbound message also bound the conversation to the inbound number.
	require.Equal(t, i415, w.send("k", alice))
}

func TestModel_POOL_INBOUND_3(t *testing.T) {
	t.Run("group does not unlock 1:1", func(t *testing.T) {
		w := inboundWorld(t)
		w.ok(model.Inbound{Phone: i415, From: alice, Group: "g"})
		require.True(t, w.m.HasPriorInbound(i415, "grp:g"))
		require.False(t, w.m.HasPriorInbound(i415, alice))
		w.fail(model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}, model.CodeInboundOnly, "POOL-INBOUND-1")
		require.Equal(t, i415, w.ok(model.Send{Key: "k", Recipient: "grp:g", Texts: 1}))
		require.Equal(t, i415, w.ok(model.Send{Key: "k", Recipient: "grp:g", From: i415, Texts: 1}))
	})
	t.Run("1:1 does not unlock group", func(t *testing.T) {
		w := inboundWorld(t)
		w.ok(model.Inbound{Phone: i415, From: alice})
		w.fail(model.Send{Key: "k", Recipient: "grp:g", From: i415, Texts: 1}, model.CodeInboundOnly, "POOL-INBOUND-1")
	})
	t.Run("a reply to the dedicated number does not unlock the inbound one", func(t *testing.T) {
		w := inboundWorld(t)
		require.Equal(t, a415, w.send("k", alice))
		w.ok(model.Inbound{Phone: a415, From: alice})
		w.fail(model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}, model.CodeInboundOnly, "POOL-INBOUND-1")
		w.ok(model.Inbound{Phone: i415, From: alice})
		require.Equal(t, i415, w.ok(model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}))
	})
	t.Run("prior inbound ends with the allocation", func(t *testing.T) {
		w := inboundWorld(t)
		w.ok(model.Inbound{Phone: i415, From: alice})
		w.ok(model.Unassign{Key: "k", Phone: i415})
		require.False(t, w.m.HasPriorInbound(i415, alice))
		w.ok(model.Assign{Key: "k", Phones: []string{i415}})
		w.fail(model.Send{Key: "k", Recipient: alice, From: i415, Texts: 1}, model.CodeInboundOnly, "POOL-INBOUND-1")
	})
}

func TestModel_POOL_INBOUND_4(t *testing.T) {
	w := inboundWorld(t)
	w.ok(model.RegisterNumber{Org: "o", Phone: b415, Provider: model.ProviderBlooio, PlanKind: model.PlanInbound, Weight: 1})
	w.ok(model.Inbound{Phone: i415, From: alice})
	require.True(t, w.m.HasPriorInbound(i415, alice))
	require.False(t, w.m.HasPriorInbound(a415, alice))

	// A number without allocation records nothing; an unknown one has no line.
	w.ok(model.Inbound{Phone: b415, From: bob})
	require.False(t, w.m.HasPriorInbound(b415, bob))
	require.False(t, w.m.HasPriorInbound("+19995550000", bob))
	w.fail(model.Inbound{Phone: "+19995550000", From: bob}, model.CodeLineNotFound, "POOL-INBOUND-4")
	w.fail(model.Inbound{Phone: i415, From: "bob"}, model.CodeInvalidRequest, "POOL-INBOUND-4")
}

func TestModel_groups(t *testing.T) {
	t.Run("pinned to the allocation it was heard on", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415)
		w.ok(model.Inbound{Phone: b415, From: alice, Group: "g"})
		op := model.Send{Key: "k", Recipient: "grp:g", Texts: 1}
		w.allowed(op, model.Allowed{From: []string{b415}, Exact: b415, Rule: model.RuleGroups})
		w.violation(op, model.Outcome{From: a415}, model.RuleGroups)
		w.fail(model.Send{Key: "k", Recipient: "grp:g", From: a415, Texts: 1}, model.CodeInvalidRequest, model.RuleGroups)
		// Stays pinned when the binding goes; a banned pinned number cannot move.
		w.ok(model.ResetBinding{Key: "k", Recipient: "grp:g"})
		require.Equal(t, b415, w.ok(op))
		w.ok(model.LineStatus{Phone: b415})
		w.fail(op, model.CodeSenderUnavailable, model.RuleGroups)
		w.ok(model.Ban{Phone: b415})
		w.fail(op, model.CodeNumberBanned, model.RuleGroups)
		// The same name heard on another allocation does not move it.
		w.ok(model.Inbound{Phone: a415, From: alice, Group: "g"})
		require.True(t, w.m.HasPriorInbound(a415, "grp:g"))
		w.fail(op, model.CodeNumberBanned, model.RuleGroups)
		// It ends with its allocation: the next send creates an ad-hoc group.
		w.ok(model.Unassign{Key: "k", Phone: b415})
		require.Equal(t, a415, w.ok(op))
	})
	t.Run("another key's group", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.ok(model.CreateKey{Org: "o", Key: "k2"})
		w.blooio("k2", b415)
		w.ok(model.Inbound{Phone: b415, From: alice, Group: "g"})
		op := model.Send{Key: "k", Recipient: "grp:g", Texts: 1}
		// chat_not_found is a request check: it comes before POOL-EMPTY-1.
		w.fail(op, model.CodeChatNotFound, model.RuleGroups)
		w.blooio("k", a415)
		w.fail(op, model.CodeChatNotFound, model.RuleGroups)
		w.fail(model.Send{Key: "k", Recipient: "grp:g", From: "bad", Texts: 1}, model.CodeInvalidFromNumber, "POOL-FROM-1")
	})
	t.Run("ad-hoc group", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.ok(model.CreateKey{Org: "o", Key: "k2"})
		w.blooio("k", a415, b415)
		w.blooio("k2", c212)
		op := model.Send{Key: "k", Recipient: "grp:team", Texts: 1}
		require.Equal(t, a415, w.ok(op))
		require.Equal(t, a415, w.ok(op), "later sends reuse it")
		w.fail(model.Send{Key: "k", Recipient: "grp:team", From: b415, Texts: 1}, model.CodeInvalidRequest, model.RuleGroups)
		require.Equal(t, a415, w.ok(model.Send{Key: "k", Recipient: "grp:team", From: a415, Texts: 1}))
		// Another key's ad-hoc group of the same name is its own.
		require.Equal(t, c212, w.ok(model.Send{Key: "k2", Recipient: "grp:team", Texts: 1}))
		// Ban drops it like a binding: re-created on the next selection.
		w.ok(model.Ban{Phone: a415})
		require.Equal(t, b415, w.ok(op))
	})
	t.Run("an inbound number cannot start one", func(t *testing.T) {
		w := inboundWorld(t)
		w.ok(model.Ban{Phone: a415})
		w.fail(model.Send{Key: "k", Recipient: "grp:new", Texts: 1}, model.CodeNoActiveNumber, "POOL-NEW-1")
		w.ok(model.Unassign{Key: "k", Phone: a415})
		w.fail(model.Send{Key: "k", Recipient: "grp:new", Texts: 1}, model.CodeInboundOnly, "POOL-NEW-1")
	})
	t.Run("twilio numbers have no groups", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.number("k", t1, model.ProviderTwilio, model.PlanDedicated, 1)
		w.fail(model.Inbound{Phone: t1, From: alice, Group: "g"}, model.CodeInvalidRequest, "POOL-INBOUND-4")
	})
}
