package pool_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

func TestSend_POOL_INBOUND_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("a")
	w.blooio(pool.PlanDedicated, "+15551110001")
	w.blooio(pool.PlanInbound, "+15559990001")
	got := w.assign(k, "+15551110001", "+15559990001")
	inboundAlloc := got[1].Allocation.ID

	_, err := w.send(k, "+15551230001", "+15559990001")
	pe := requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)
	require.Equal(t, inboundAlloc, pe.Field("allocation_id"))
	require.Equal(t, "+15551230001", pe.Field("external_id"))
	msgs, err := w.e.Messages(w.ctx, k.ID, "+15551230001")
	require.NoError(t, err)
	require.Empty(t, msgs, "nothing is stored")

	// The seed's hand-off: the dedicated number reaches out first; a reply to the
	// dedicated number does not unlock the inbound one (per allocation, recipient).
	contact := "+15551230002"
	require.Equal(t, "+15551110001", w.sent(k, contact, "+15551110001"))
	w.inbound("+15551110001", contact)
	_, err = w.send(k, contact, "+15559990001")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)
	// Once the contact writes to the inbound number, the AI agent takes over.
	w.inbound("+15559990001", contact)
	require.Equal(t, "+15559990001", w.sent(k, contact, "+15559990001"))
	require.Equal(t, "+15559990001", w.sent(k, contact, ""), "and the conversation sticks to it")
}

func TestSend_POOL_INBOUND_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("a")
	w.blooio(pool.PlanInbound, "+15559990001")
	w.assign(k, "+15559990001")
	contact := "+15551230001"
	_, err := w.send(k, contact, "")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)
	res := w.inbound("+15559990001", contact)
	require.True(t, res.Recorded)
	// No warm-up: the very next send succeeds, with or without from_number.
	require.Equal(t, "+15559990001", w.sent(k, contact, ""))
	require.Equal(t, "+15559990001", w.sent(k, contact, "+15559990001"))
	// Email handles work the same way, case-insensitively.
	w.inbound("+15559990001", "Friend@Example.com")
	require.Equal(t, "+15559990001", w.sent(k, "friend@example.com", ""))
}

func TestSend_POOL_INBOUND_3(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("a")
	w.blooio(pool.PlanInbound, "+15559990001")
	w.assign(k, "+15559990001")
	participant := "+15551230001"
	res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 1, From: participant, Text: "hey all",
		Group: &pool.InboundGroup{ChatGUID: "chat-guid-1", Participants: []string{participant, "+15551230002"}, Name: "Team"}})
	require.NoError(t, err)
	require.NotEmpty(t, res.GroupID)
	require.Equal(t, res.GroupID, res.Recipient)

	// The group may be answered...
	gres, err := w.send(k, res.GroupID, "")
	require.NoError(t, err)
	require.Equal(t, "+15559990001", gres.From)
	require.Equal(t, res.GroupID, gres.GroupID)
	require.Equal(t, []string{"+15551230001", "+15551230002"}, gres.Participants)
	// ...but not the participant 1:1.
	_, err = w.send(k, participant, "+15559990001")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)
	_, err = w.send(k, participant, "")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)

	// Nor the reverse: a 1:1 writer does not unlock a group it is in.
	w.inbound("+15559990001", "+15551239999")
	_, err = w.send(k, "+15551239999,+15551238888", "+15559990001")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)

	// The same chat guid on the same line is the same group.
	again, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 1, From: "+15551230002",
		Group: &pool.InboundGroup{ChatGUID: "chat-guid-1"}})
	require.NoError(t, err)
	require.Equal(t, res.GroupID, again.GroupID)
}

func TestInbound_POOL_INBOUND_4(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("a")
	// Three inbound numbers on one Mac, slots 1..3.
	w.blooio(pool.PlanInbound, "+15559990001", "+15559990002", "+15559990003")
	w.assign(k, "+15559990001", "+15559990002", "+15559990003")
	contact := "+15551230001"
	res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 2, From: contact, Text: "hi"})
	require.NoError(t, err)
	require.True(t, res.Recorded)
	for phone, want := range map[string]bool{"+15559990001": false, "+15559990002": true, "+15559990003": false} {
		_, err := w.send(k, contact, phone)
		if want {
			require.NoError(t, err, "slot 2 is %s", phone)
		} else {
			requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound, phone)
		}
	}
	// An unknown slot is an error; a slot whose number has no allocation records nowhere.
	_, err = w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 9, From: contact})
	requireCode(t, err, pool.CodeLineNotFound)
	w.blooio(pool.PlanInbound, "+15559990004")
	res, err = w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 4, From: contact})
	require.NoError(t, err)
	require.False(t, res.Recorded)
	_, err = w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 2, From: "not a handle"})
	requireCode(t, err, pool.CodeInvalidRequest)
}

func TestSend_Groups(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	other := w.imessageKey("b", "+15551110003")

	// A participant list creates an ad-hoc group on the selected allocation...
	first, err := w.send(k, "+15551230002,+15551230001", "")
	require.NoError(t, err)
	require.True(t, first.GroupCreated)
	require.Equal(t, []string{"+15551230001", "+15551230002"}, first.Participants)
	require.Equal(t, "+15551230001,+15551230002", first.ChatID)
	// ...and the same set, in any order, reuses it and its number.
	again, err := w.send(k, "+15551230001,+15551230002", "")
	require.NoError(t, err)
	require.False(t, again.GroupCreated)
	require.Equal(t, first.GroupID, again.GroupID)
	require.Equal(t, first.From, again.From)
	// The grp_ id works as a chat too; it is pinned to its allocation.
	byID, err := w.send(k, first.GroupID, "")
	require.NoError(t, err)
	require.Equal(t, first.From, byID.From)
	otherOwn := "+15551110002"
	if first.From == otherOwn {
		otherOwn = "+15551110001"
	}
	_, err = w.send(k, first.GroupID, otherOwn)
	requireCode(t, err, pool.CodeInvalidRequest, "another number of the pool cannot write in the group")
	_, err = w.send(k, first.GroupID, "+15551110003")
	requireCode(t, err, pool.CodeFromNumberNotInPool, "POOL-FROM-2 comes before the group check")
	_, err = w.send(other, first.GroupID, "")
	requireCode(t, err, pool.CodeChatNotFound, "another key's group")
	msgs, err := w.e.Messages(w.ctx, k.ID, first.GroupID)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	msgs, err = w.e.Messages(w.ctx, k.ID, "+15551230001,+15551230002")
	require.NoError(t, err)
	require.Len(t, msgs, 3, "the participant list names the same conversation")

	// Banning the group's number drops its binding: the next send makes a new group.
	w.patch(first.From, pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	moved, err := w.send(k, "+15551230001,+15551230002", "")
	require.NoError(t, err)
	require.True(t, moved.GroupCreated)
	require.NotEqual(t, first.GroupID, moved.GroupID)
	require.NotEqual(t, first.From, moved.From)
	_, err = w.send(k, first.GroupID, "")
	requireCode(t, err, pool.CodeNumberBanned, "the old group lives on the banned line")
}
