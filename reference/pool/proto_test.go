package pool_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

func TestAssign_POOL_PROTO_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	w.blooio(pool.PlanDedicated, "+15551110001", "+15551110002")
	w.twilio("+15552220001", "+15552220002")

	blooioKey := w.key("imessage")
	w.assign(blooioKey, "+15551110001")
	_, err := w.e.AssignNumbers(w.ctx, blooioKey.ID, pool.AssignRequest{Phones: []string{"+15552220001"}})
	pe := requireCode(t, err, pool.CodeKeyProtocolConflict)
	require.Equal(t, "API key already owns Blooio numbers", pe.Message)

	twilioKey := w.key("sms")
	w.assign(twilioKey, "+15552220001")
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15551110002"}})
	pe = requireCode(t, err, pool.CodeKeyProtocolConflict)
	require.Equal(t, "API key already owns Twilio numbers", pe.Message)

	fresh := w.key("fresh")
	_, err = w.e.AssignNumbers(w.ctx, fresh.ID, pool.AssignRequest{Phones: []string{"+15551110002", "+15552220002"}})
	requireCode(t, err, pool.CodeMixedProtocols)
	nums, err := w.e.KeyNumbers(w.ctx, fresh.ID)
	require.NoError(t, err)
	require.Empty(t, nums, "atomic: nothing assigned")

	// Error order: number_not_found → mixed_protocols → number_already_allocated → key_protocol_conflict.
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15551110001", "+15552220002", "+15559999999"}})
	requireCode(t, err, pool.CodeNumberNotFound)
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15551110001", "+15552220002"}})
	requireCode(t, err, pool.CodeMixedProtocols)
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15551110001", "+15551110002"}})
	requireCode(t, err, pool.CodeNumberAlreadyAllocated)
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15551110002"}})
	requireCode(t, err, pool.CodeKeyProtocolConflict)

	// Atomic: a request with one bad number assigns none of the good ones.
	_, err = w.e.AssignNumbers(w.ctx, fresh.ID, pool.AssignRequest{Phones: []string{"+15551110002", "+15551110001"}})
	requireCode(t, err, pool.CodeNumberAlreadyAllocated)
	nums, err = w.e.KeyNumbers(w.ctx, fresh.ID)
	require.NoError(t, err)
	require.Empty(t, nums)

	// Assigning a number already in the pool is a no-op.
	before := w.assign(blooioKey, "+15551110001")
	after := w.assign(blooioKey, "+15551110001")
	require.Equal(t, before, after)
	nums, err = w.e.KeyNumbers(w.ctx, blooioKey.ID)
	require.NoError(t, err)
	require.Len(t, nums, 1)

	// Twilio numbers cannot be inbound.
	_, err = w.e.AssignNumbers(w.ctx, twilioKey.ID, pool.AssignRequest{Phones: []string{"+15552220002"}, PlanKind: ptr(pool.PlanInbound)})
	requireCode(t, err, pool.CodeInvalidRequest)
	_, err = w.e.RegisterNumber(w.ctx, pool.NumberSpec{OrgID: w.org.ID, Phone: "+15552220009", Provider: pool.ProviderTwilio, PlanKind: pool.PlanInbound})
	requireCode(t, err, pool.CodeInvalidRequest)
}

func TestAssign_POOL_PROTO_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	a := w.imessageKey("a", "+15551110001")
	b := w.key("b")
	_, err := w.e.AssignNumbers(w.ctx, b.ID, pool.AssignRequest{Phones: []string{"+15551110001"}})
	requireCode(t, err, pool.CodeNumberAlreadyAllocated)
	require.NoError(t, w.e.UnassignNumber(w.ctx, a.ID, "+15551110001"))
	w.assign(b, "+15551110001")
	nums, err := w.e.KeyNumbers(w.ctx, a.ID)
	require.NoError(t, err)
	require.Empty(t, nums)
	// Another org's number is not found, whoever holds it.
	other := newWorld(t, pool.OrgSpec{})
	other.blooio(pool.PlanDedicated, "+15551110009")
	_, err = w.e.AssignNumbers(w.ctx, b.ID, pool.AssignRequest{Phones: []string{"+15551110009"}})
	requireCode(t, err, pool.CodeNumberNotFound)
}

func TestAssign_POOL_PROTO_3(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001")
	w.twilio("+15552220001")
	key, err := w.e.Key(w.ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, pool.ProtocolIMessage, key.Protocol)
	require.NoError(t, w.e.UnassignNumber(w.ctx, k.ID, "+15551110001"))
	key, err = w.e.Key(w.ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, pool.ProtocolNone, key.Protocol)
	w.assign(k, "+15552220001")
	require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))
	key, err = w.e.Key(w.ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, pool.ProtocolSMS, key.Protocol)
}

func TestPositions(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002", "+15551110003")
	require.NoError(t, w.e.UnassignNumber(w.ctx, k.ID, "+15551110003"))
	require.NoError(t, w.e.UnassignNumber(w.ctx, k.ID, "+15551110001"))
	w.assign(k, "+15551110001")
	nums, err := w.e.KeyNumbers(w.ctx, k.ID)
	require.NoError(t, err)
	var got []int
	var phones []string
	for _, n := range nums {
		got = append(got, n.Allocation.Position)
		phones = append(phones, n.Number.Phone)
	}
	require.Equal(t, []int{2, 4}, got, "one more than the highest ever; gaps are never renumbered")
	require.Equal(t, []string{"+15551110002", "+15551110001"}, phones)
}

func TestKeyNumbers_POOL_ISO_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	a := w.imessageKey("a", "+15551110001", "+15551110002")
	w.imessageKey("b", "+15551110003")
	nums, err := w.e.KeyNumbers(w.ctx, a.ID)
	require.NoError(t, err)
	var phones []string
	for _, n := range nums {
		phones = append(phones, n.Number.Phone)
		require.Equal(t, a.ID, n.Allocation.KeyID)
	}
	require.Equal(t, []string{"+15551110001", "+15551110002"}, phones)
}

func TestSend_POOL_ISO_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	a := w.imessageKey("a", "+15551110001", "+15551110002")
	b := w.imessageKey("b", "+15551110003", "+15551110004")
	pools := map[string][]string{a.ID: {"+15551110001", "+15551110002"}, b.ID: {"+15551110003", "+15551110004"}}
	for i, r := range contacts(20) {
		k := a
		if i%2 == 1 {
			k = b
		}
		require.Contains(t, pools[k.ID], w.sent(k, r, ""))
	}
	// After a number moves between keys, sends follow the new pools.
	require.NoError(t, w.e.UnassignNumber(w.ctx, a.ID, "+15551110001"))
	w.assign(b, "+15551110001")
	pools[a.ID], pools[b.ID] = []string{"+15551110002"}, append(pools[b.ID], "+15551110001")
	for i, r := range contacts(20) {
		k := a
		if i%2 == 1 {
			k = b
		}
		require.Contains(t, pools[k.ID], w.sent(k, r, ""), "recipient %s", r)
	}
}

func TestRevokeKey(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k, secret, err := w.e.CreateKey(w.ctx, w.org.ID, "a")
	require.NoError(t, err)
	w.blooio(pool.PlanDedicated, "+15551110001")
	w.assign(k, "+15551110001")
	got, err := w.e.Authenticate(w.ctx, secret)
	require.NoError(t, err)
	require.Equal(t, k.ID, got.ID)
	_, err = w.e.Authenticate(w.ctx, secret+"x")
	requireCode(t, err, pool.CodeUnauthorized)
	_, err = w.e.Authenticate(w.ctx, "")
	requireCode(t, err, pool.CodeUnauthorized)
	require.NoError(t, w.e.RevokeKey(w.ctx, k.ID))
	_, err = w.e.Authenticate(w.ctx, secret)
	requireCode(t, err, pool.CodeUnauthorized)
	_, err = w.send(k, "+15551234567", "")
	requireCode(t, err, pool.CodeUnauthorized)
	// Its numbers are free again.
	w.assign(w.key("b"), "+15551110001")
	requireCode(t, w.e.RevokeKey(w.ctx, k.ID), pool.CodeKeyNotFound)
}
