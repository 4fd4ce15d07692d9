package pool_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

func TestSend_POOL_EMPTY_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("empty")
	_, err := w.send(k, "+15551234567", "")
	pe := requireCode(t, err, pool.CodeNoNumbersAssigned)
	require.Equal(t, "No numbers assigned to this API key", pe.Message)

	// An explicit from_number on an empty key is still the empty-pool error.
	w.blooio(pool.PlanDedicated, "+15551110001")
	_, err = w.send(k, "+15551234567", "+15551110001")
	requireCode(t, err, pool.CodeNoNumbersAssigned)

	// Emptied again by unassigning: the same error.
	w.assign(k, "+15551110001")
	w.sent(k, "+15551234567", "")
	require.NoError(t, w.e.UnassignNumber(w.ctx, k.ID, "+15551110001"))
	_, err = w.send(k, "+15551234567", "")
	requireCode(t, err, pool.CodeNoNumbersAssigned)
}

func TestSend_POOL_FROM_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001")
	for _, bad := range []string{"15551110001", "+1555111000", "+1 555 111 0001", "+0123456789", "abc", "+15551110001x"} {
		_, err := w.send(k, "+15551234567", bad)
		requireCode(t, err, pool.CodeInvalidFromNumber, bad)
	}
	// An empty from_number counts as absent.
	require.Equal(t, "+15551110001", w.sent(k, "+15551234567", ""))
}

func TestSend_POOL_FROM_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	a := w.imessageKey("a", "+15551110001")
	b := w.imessageKey("b", "+15551110002")
	w.blooio(pool.PlanDedicated, "+15551110003") // registered, unassigned
	other := newWorld(t, pool.OrgSpec{})         // another org's number, same phone space
	other.imessageKey("x", "+15551110004")

	for _, from := range []string{"+15551110002", "+15551110003", "+15551110004", "+15559999999"} {
		_, err := w.send(a, "+15551234567", from)
		pe := requireCode(t, err, pool.CodeFromNumberNotInPool, from)
		require.Equal(t, "This API key does not own the specified from_number", pe.Message)
		require.NotContains(t, pe.Error(), b.ID, "the error never reveals the owner")
		require.Empty(t, pe.Fields)
	}
	msgs, err := w.e.Messages(w.ctx, a.ID, "+15551234567")
	require.NoError(t, err)
	require.Empty(t, msgs, "a rejected send stores nothing")
}

func TestSend_POOL_FROM_3(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002", "+15551110003")
	// The explicit number is used even though rotation would pick another.
	require.Equal(t, "+15551110003", w.sent(k, "+15551230001", "+15551110003"))
	require.Equal(t, "+15551110002", w.sent(k, "+15551230001", "+15551110002"))

	// Degraded numbers still send explicitly.
	w.degrade("+15551110002")
	require.Equal(t, "+15551110002", w.sent(k, "+15551230002", "+15551110002"))

	// Checks in order: banned → reply-only → offline → trial.
	w.blooio(pool.PlanInbound, "+15559990001")
	w.assign(k, "+15559990001")
	require.NoError(t, w.e.SetOffline(w.ctx, "+15559990001", true))
	w.patch("+15559990001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	_, err := w.send(k, "+15551230003", "+15559990001")
	requireCode(t, err, pool.CodeNumberBanned, "banned comes first")
	w.patch("+15559990001", pool.NumberPatch{Health: ptr(pool.HealthActive)})
	_, err = w.send(k, "+15551230003", "+15559990001")
	requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound, "reply-only before offline")
	w.inbound("+15559990001", "+15551230003")
	_, err = w.send(k, "+15551230003", "+15559990001")
	pe := requireCode(t, err, pool.CodeSenderUnavailable, "offline after reply-only")
	require.Equal(t, pool.RetryAfterSeconds, pe.RetryAfter)
	require.NoError(t, w.e.SetOffline(w.ctx, "+15559990001", false))
	require.Equal(t, "+15559990001", w.sent(k, "+15551230003", "+15559990001"))
}

func TestSend_TrialLimit(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("trial")
	w.blooio(pool.PlanTrial, "+15551110001")
	w.blooio(pool.PlanDedicated, "+15551110002")
	w.assign(k, "+15551110001")
	res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: make19()})
	require.NoError(t, err)
	require.Len(t, res.MessageIDs, 19, "each text of an array is one message")
	w.sent(k, "+15551230002", "") // the 20th message
	_, err = w.send(k, "+15551230001", "")
	requireCode(t, err, pool.CodeTrialLimitReached, "sticky conversation on an exhausted trial number")
	_, err = w.send(k, "+15551230003", "")
	requireCode(t, err, pool.CodeNoActiveNumber, "an exhausted trial number starts no new conversation")
	w.assign(k, "+15551110002")
	require.Equal(t, "+15551110002", w.sent(k, "+15551230003", ""))
	_, err = w.send(k, "+15551230003", "+15551110001")
	requireCode(t, err, pool.CodeTrialLimitReached, "explicit from an exhausted trial number")
}

func make19() []string {
	out := make([]string, 19)
	for i := range out {
		out[i] = "part"
	}
	return out
}

func TestSend_POOL_TWILIO_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{Strategy: pool.StrategyGeographic})
	k := w.key("sms")
	w.twilio("+15552220001", "+14155550002", "+15552220003")
	w.assign(k, "+15552220001", "+14155550002", "+15552220003")
	// Always the first assigned number, whatever the recipient or the org strategy.
	for _, r := range []string{"+14155551234", "+15551234567", "+442071838750"} {
		res, err := w.send(k, r, "")
		require.NoError(t, err)
		require.Equal(t, "+15552220001", res.From)
		require.Equal(t, pool.ProtocolSMS, res.Protocol)
	}
	// degraded does not change the pick.
	w.degrade("+15552220001")
	require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))
	// banned is skipped; so is an exhausted trial number.
	w.patch("+15552220001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	require.Equal(t, "+14155550002", w.sent(k, "+15551234567", ""))
	w.patch("+14155550002", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	w.patch("+15552220003", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	_, err := w.send(k, "+15551234567", "")
	pe := requireCode(t, err, pool.CodeNoActiveNumber)
	require.Equal(t, "No active number available", pe.Message)
	require.Equal(t, pool.RetryAfterSeconds, pe.RetryAfter)
	w.patch("+15552220001", pool.NumberPatch{Health: ptr(pool.HealthActive)})
	require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))

	// sms keys only message E.164 numbers.
	for _, chat := range []string{"someone@example.com", "grp_abc", "+15551234567,+15557654321"} {
		_, err := w.send(k, chat, "")
		requireCode(t, err, pool.CodeInvalidChatID, chat)
	}
}

func TestSend_POOL_TWILIO_1_SkipsExhaustedTrial(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("sms")
	w.twilio("+15552220001", "+15552220002")
	w.assign(k, "+15552220001", "+15552220002")
	w.patch("+15552220001", pool.NumberPatch{PlanKind: ptr(pool.PlanTrial)})
	for i := 0; i < pool.TrialLimit; i++ {
		require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))
	}
	require.Equal(t, "+15552220002", w.sent(k, "+15551234567", ""))
}

func TestSend_POOL_TWILIO_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("sms")
	w.twilio("+15552220001", "+15552220002")
	w.assign(k, "+15552220001", "+15552220002")
	// An explicit send from the second number does not stick.
	require.Equal(t, "+15552220002", w.sent(k, "+15551234567", "+15552220002"))
	require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))
	// Nor does an inbound message to the second number.
	res := w.inbound("+15552220002", "+15551234567")
	require.True(t, res.Recorded)
	require.Equal(t, "+15552220001", w.sent(k, "+15551234567", ""))
	_, err := w.e.Binding(w.ctx, k.ID, "+15551234567")
	requireCode(t, err, pool.CodeBindingNotFound, "sms keys keep no bindings")
	// The inbound message is recorded in the conversation.
	msgs, err := w.e.Messages(w.ctx, k.ID, "+15551234567")
	require.NoError(t, err)
	require.Len(t, msgs, 4)
	require.Equal(t, pool.Inbound, msgs[2].Direction)
}

func TestSend_POOL_STICKY_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002", "+15551110003")
	first := map[string]string{}
	for _, r := range contacts(6) {
		first[r] = w.sent(k, r, "")
	}
	for round := 0; round < 3; round++ {
		for _, r := range contacts(6) {
			require.Equal(t, first[r], w.sent(k, r, ""), "ongoing conversation with %s keeps its number", r)
		}
	}
	// Degraded: existing bindings stay.
	r := contacts(1)[0]
	w.degrade(first[r])
	require.Equal(t, first[r], w.sent(k, r, ""))

	// Offline: 503 with Retry-After, and the conversation is not moved.
	require.NoError(t, w.e.SetOffline(w.ctx, first[r], true))
	_, err := w.send(k, r, "")
	pe := requireCode(t, err, pool.CodeSenderUnavailable)
	require.Equal(t, pool.RetryAfterSeconds, pe.RetryAfter)
	b, err := w.e.Binding(w.ctx, k.ID, r)
	require.NoError(t, err)
	require.Equal(t, first[r], b.Phone)
	require.NoError(t, w.e.SetOffline(w.ctx, first[r], false))
	require.Equal(t, first[r], w.sent(k, r, ""))
}

func TestSend_POOL_STICKY_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002", "+15551110003")
	r := "+15551230001"
	require.Equal(t, "+15551110001", w.sent(k, r, ""))
	// An explicit send moves the binding.
	require.Equal(t, "+15551110003", w.sent(k, r, "+15551110003"))
	require.Equal(t, "+15551110003", w.sent(k, r, ""))
	// So does an inbound message to another number of the pool.
	w.inbound("+15551110002", r)
	require.Equal(t, "+15551110002", w.sent(k, r, ""))
	// A failed delivery does not undo it.
	res, err := w.send(k, r, "+15551110001")
	require.NoError(t, err)
	require.NoError(t, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusFailed, "E42"))
	require.Equal(t, "+15551110001", w.sent(k, r, ""))
	// An idempotent replay changes nothing.
	req := pool.SendRequest{KeyID: k.ID, ChatID: r, From: "+15551110003", Texts: []string{"x"}, IdempotencyKey: "idem-1"}
	_, err = w.e.Send(w.ctx, req)
	require.NoError(t, err)
	require.Equal(t, "+15551110002", w.sent(k, r, "+15551110002"))
	replay, err := w.e.Send(w.ctx, req)
	require.NoError(t, err)
	require.True(t, replay.Replayed)
	require.Equal(t, "+15551110002", w.sent(k, r, ""), "the replay did not move the binding back")
	// The binding is in the admin view with its time.
	b, err := w.e.Binding(w.ctx, k.ID, r)
	require.NoError(t, err)
	require.Equal(t, "+15551110002", b.Phone)
	require.Equal(t, w.clock.Now(), b.UpdatedAt)
}

func TestSend_POOL_STICKY_3(t *testing.T) {
	t.Run("unassign", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		require.NoError(t, w.e.UnassignNumber(w.ctx, k.ID, "+15551110001"))
		_, err := w.e.Binding(w.ctx, k.ID, r)
		requireCode(t, err, pool.CodeBindingNotFound)
		require.Equal(t, "+15551110002", w.sent(k, r, ""))
		// Re-assigning the number does not bring the old binding back.
		w.assign(k, "+15551110001")
		require.Equal(t, "+15551110002", w.sent(k, r, ""))
	})
	t.Run("ban", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		w.patch("+15551110001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
		require.Equal(t, "+15551110002", w.sent(k, r, ""), "re-selected")
		w.patch("+15551110001", pool.NumberPatch{Health: ptr(pool.HealthActive)})
		require.Equal(t, "+15551110002", w.sent(k, r, ""), "lifting the ban does not restore the binding")
	})
	t.Run("relay ban", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		require.NoError(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 1, Online: true, Banned: true}))
		require.Equal(t, "+15551110002", w.sent(k, r, ""))
	})
	t.Run("admin reset", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		require.NoError(t, w.e.ResetBinding(w.ctx, k.ID, r))
		requireCode(t, w.e.ResetBinding(w.ctx, k.ID, r), pool.CodeBindingNotFound)
		require.Equal(t, "+15551110002", w.sent(k, r, ""), "selected afresh: the cursor moved on")
	})
	t.Run("sticky ttl", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{StickyTTL: 8 * 24 * time.Hour})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		w.clock.Advance(8*24*time.Hour - time.Second)
		require.Equal(t, "+15551110001", w.sent(k, r, ""), "the TTL slides with each message")
		w.clock.Advance(8*24*time.Hour - time.Second)
		w.inbound("+15551110001", r) // inbound counts too
		w.clock.Advance(8*24*time.Hour - time.Second)
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		w.clock.Advance(8 * 24 * time.Hour)
		_, err := w.e.Binding(w.ctx, k.ID, r)
		require.NoError(t, err, "kept at exactly the TTL")
		w.clock.Advance(time.Nanosecond)
		_, err = w.e.Binding(w.ctx, k.ID, r)
		requireCode(t, err, pool.CodeBindingNotFound, "expired once more than the TTL has passed")
		require.Equal(t, "+15551110002", w.sent(k, r, ""))
	})
	t.Run("no ttl by default", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		r := "+15551230001"
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
		w.clock.Advance(10 * 365 * 24 * time.Hour)
		require.Equal(t, "+15551110001", w.sent(k, r, ""))
	})
}

func TestSend_POOL_STICKY_4(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002", "+15551110003", "+15551110004")
	const goroutines, recipients = 16, 40
	rs := contacts(recipients)
	got := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rs {
				r := rs[(i+g)%len(rs)] // every goroutine races on every recipient, in a different order
				res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: r, Texts: []string{"hi"}})
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], r+"="+res.From)
			}
		}()
	}
	wg.Wait()
	numberOf := map[string]string{}
	for g := range got {
		require.Len(t, got[g], recipients)
		for _, pair := range got[g] {
			r, from := pair[:12], pair[13:]
			if prev, ok := numberOf[r]; ok {
				require.Equal(t, prev, from, "recipient %s got two numbers", r)
			}
			numberOf[r] = from
		}
	}
	require.Len(t, numberOf, recipients)
	// And the recipients were spread by round-robin: 40 over 4 numbers, 10 each.
	counts := map[string]int{}
	for _, from := range numberOf {
		counts[from]++
	}
	require.Equal(t, map[string]int{"+15551110001": 10, "+15551110002": 10, "+15551110003": 10, "+15551110004": 10}, counts)
}

func TestSend_POOL_NEW_1(t *testing.T) {
	t.Run("eligible candidates only", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.key("a")
		w.blooio(pool.PlanDedicated, "+15551110001", "+15551110002", "+15551110003", "+15551110004")
		w.blooio(pool.PlanInbound, "+15559990001")
		w.blooio(pool.PlanShared, "+15551110005")
		w.assign(k, "+15559990001", "+15551110001", "+15551110002", "+15551110003", "+15551110004", "+15551110005")
		w.degrade("+15551110002")
		require.NoError(t, w.e.SetOffline(w.ctx, "+15551110003", true))
		w.patch("+15551110004", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
		for _, r := range contacts(10) {
			from := w.sent(k, r, "")
			require.Contains(t, []string{"+15551110001", "+15551110005"}, from, "only active, non-inbound numbers start conversations")
		}
	})
	t.Run("inbound fallback with prior inbound", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.key("a")
		w.blooio(pool.PlanDedicated, "+15551110001")
		w.blooio(pool.PlanInbound, "+15559990001", "+15559990002")
		w.assign(k, "+15551110001", "+15559990001", "+15559990002")
		r := "+15551230001"
		w.inbound("+15559990002", r)
		require.NoError(t, w.e.ResetBinding(w.ctx, k.ID, r))
		require.Equal(t, "+15551110001", w.sent(k, r, ""), "an eligible dedicated number comes first")
		require.NoError(t, w.e.SetOffline(w.ctx, "+15551110001", true))
		require.NoError(t, w.e.ResetBinding(w.ctx, k.ID, r))
		require.Equal(t, "+15559990002", w.sent(k, r, ""), "then the inbound number the recipient wrote to")
		// A recipient who never wrote cannot be reached: the pool is not all-inbound.
		_, err := w.send(k, "+15551230002", "")
		pe := requireCode(t, err, pool.CodeNoActiveNumber)
		require.Equal(t, pool.RetryAfterSeconds, pe.RetryAfter)
		// Degraded inbound numbers still take conversations they were written to.
		w.degrade("+15559990002")
		require.NoError(t, w.e.ResetBinding(w.ctx, k.ID, r))
		require.Equal(t, "+15559990002", w.sent(k, r, ""))
	})
	t.Run("all inbound, no prior inbound", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{})
		k := w.key("a")
		w.blooio(pool.PlanInbound, "+15559990001", "+15559990002")
		got := w.assign(k, "+15559990002", "+15559990001")
		_, err := w.send(k, "+15551230001", "")
		pe := requireCode(t, err, pool.CodeInboundOnlyNoPriorInbound)
		require.Equal(t, got[0].Allocation.ID, pe.Field("allocation_id"), "the lowest-position allocation")
		require.Equal(t, "+15551230001", pe.Field("external_id"))
		// Offline inbound numbers with prior inbound: no_active_number, not inbound_only.
		w.inbound("+15559990001", "+15551230001")
		require.NoError(t, w.e.ResetBinding(w.ctx, k.ID, "+15551230001"))
		require.NoError(t, w.e.SetOffline(w.ctx, "+15559990001", true))
		_, err = w.send(k, "+15551230001", "")
		requireCode(t, err, pool.CodeNoActiveNumber)
	})
	t.Run("weight zero under weighted", func(t *testing.T) {
		w := newWorld(t, pool.OrgSpec{Strategy: pool.StrategyWeighted})
		k := w.imessageKey("a", "+15551110001", "+15551110002")
		w.patch("+15551110001", pool.NumberPatch{Weight: ptr(0)})
		for _, r := range contacts(5) {
			require.Equal(t, "+15551110002", w.sent(k, r, ""))
		}
		require.Equal(t, "+15551110001", w.sent(k, "+15551239999", "+15551110001"), "weight 0 still sends explicitly")
		w.patch("+15551110002", pool.NumberPatch{Weight: ptr(0)})
		_, err := w.send(k, "+15551238888", "")
		requireCode(t, err, pool.CodeNoActiveNumber)
	})
}

func TestSend_POOL_NEW_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	res, err := w.send(k, "+15551230001", "")
	require.NoError(t, err)
	b, err := w.e.Binding(w.ctx, k.ID, "+15551230001")
	require.NoError(t, err)
	require.Equal(t, res.From, b.Phone, "the strategy's choice becomes the binding")
	require.Equal(t, res.AllocationID, b.AllocationID)
	// Stickiness beats strategy: a bound recipient never moves the cursor.
	require.Equal(t, "+15551110002", w.sent(k, "+15551230002", ""))
	for i := 0; i < 5; i++ {
		w.sent(k, "+15551230001", "")
	}
	require.Equal(t, "+15551110001", w.sent(k, "+15551230003", ""))
}

func TestSend_Validation(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001")
	cases := []struct {
		name string
		req  pool.SendRequest
		code pool.Code
	}{
		{"bad chat", pool.SendRequest{ChatID: "not a chat", Texts: []string{"x"}}, pool.CodeInvalidChatID},
		{"bad chat before bad text", pool.SendRequest{ChatID: "+1", Texts: []string{""}}, pool.CodeInvalidChatID},
		{"no text", pool.SendRequest{ChatID: "+15551234567"}, pool.CodeInvalidRequest},
		{"empty text element", pool.SendRequest{ChatID: "+15551234567", Texts: []string{"a", ""}}, pool.CodeInvalidRequest},
		{"bad text before bad from", pool.SendRequest{ChatID: "+15551234567", From: "x"}, pool.CodeInvalidRequest},
		{"bad from", pool.SendRequest{ChatID: "+15551234567", From: "5551110001", Texts: []string{"x"}}, pool.CodeInvalidFromNumber},
		{"unknown group", pool.SendRequest{ChatID: "grp_nope", Texts: []string{"x"}}, pool.CodeChatNotFound},
		{"one participant", pool.SendRequest{ChatID: "+15551234567,+15551234567", Texts: []string{"x"}}, pool.CodeInvalidChatID},
		{"bad email", pool.SendRequest{ChatID: "a@b", Texts: []string{"x"}}, pool.CodeInvalidChatID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.KeyID = k.ID
			_, err := w.e.Send(w.ctx, c.req)
			requireCode(t, err, c.code)
		})
	}
	_, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: "key_missing", ChatID: "+15551234567", Texts: []string{"x"}})
	requireCode(t, err, pool.CodeUnauthorized)
	// Attachments alone are a message.
	res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551234567", Attachments: []string{"https://x.example/a.png"}})
	require.NoError(t, err)
	m, err := w.e.Message(w.ctx, k.ID, res.MessageID)
	require.NoError(t, err)
	require.Equal(t, []string{"https://x.example/a.png"}, m.Attachments)
	// Emails are lower-cased: one conversation.
	require.Equal(t, res.From, w.sent(k, "Someone@Example.COM", ""))
	msgs, err := w.e.Messages(w.ctx, k.ID, "someone@example.com")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
}

func TestSend_Idempotency(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	req := pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x", "y"}, IdempotencyKey: "k1"}
	first, err := w.e.Send(w.ctx, req)
	require.NoError(t, err)
	require.False(t, first.Replayed)
	again, err := w.e.Send(w.ctx, req)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	again.Replayed = false
	require.Equal(t, first, again)
	msgs, err := w.e.Messages(w.ctx, k.ID, "+15551230001")
	require.NoError(t, err)
	require.Len(t, msgs, 2, "a replay creates no message")

	for name, other := range map[string]pool.SendRequest{
		"other chat": {KeyID: k.ID, ChatID: "+15551230002", Texts: []string{"x", "y"}, IdempotencyKey: "k1"},
		"other text": {KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x"}, IdempotencyKey: "k1"},
		"other from": {KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x", "y"}, From: "+15551110002", IdempotencyKey: "k1"},
	} {
		_, err := w.e.Send(w.ctx, other)
		requireCode(t, err, pool.CodeIdempotencyKeyReused, name)
	}
	// Keys are scoped to the API key.
	k2 := w.imessageKey("b", "+15551110003")
	_, err = w.e.Send(w.ctx, pool.SendRequest{KeyID: k2.ID, ChatID: "+15551230001", Texts: []string{"z"}, IdempotencyKey: "k1"})
	require.NoError(t, err)
	// Rejected requests are not recorded: a retry is evaluated afresh.
	bad := pool.SendRequest{KeyID: k.ID, ChatID: "+15551230003", Texts: []string{"x"}, From: "+15551110003", IdempotencyKey: "k2"}
	_, err = w.e.Send(w.ctx, bad)
	requireCode(t, err, pool.CodeFromNumberNotInPool)
	bad.From = ""
	_, err = w.e.Send(w.ctx, bad)
	require.NoError(t, err)
	// Records expire after 24 hours.
	w.clock.Advance(pool.IdempotencyTTL)
	fresh, err := w.e.Send(w.ctx, req)
	require.NoError(t, err)
	require.False(t, fresh.Replayed)
	require.NotEqual(t, first.MessageID, fresh.MessageID)
}

func TestSend_IdempotencyConcurrent(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	req := pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x"}, IdempotencyKey: "same"}
	ids := make(chan string, 20)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := w.e.Send(w.ctx, req)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- res.MessageID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	require.Len(t, seen, 1, "concurrent duplicates produce one message")
}

func TestSend_TrialLimitCountsTheWholeRequest(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("trial")
	w.blooio(pool.PlanTrial, "+15551110001")
	w.blooio(pool.PlanDedicated, "+15551110002")
	w.assign(k, "+15551110001", "+15551110002")
	_, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", From: "+15551110001", Texts: make19()})
	require.NoError(t, err)
	// 19 sent: a request of 2 would pass 20. It is refused whole when named...
	_, err = w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230002", From: "+15551110001", Texts: []string{"a", "b"}})
	requireCode(t, err, pool.CodeTrialLimitReached)
	// ...and the number is no candidate for it: the new conversation goes elsewhere.
	res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230003", Texts: []string{"a", "b"}})
	require.NoError(t, err)
	require.Equal(t, "+15551110002", res.From)
	// A single message still fits.
	require.Equal(t, "+15551110001", w.sent(k, "+15551230002", "+15551110001"))
	// Messages sent before the number became a trial number do not count.
	w.patch("+15551110002", pool.NumberPatch{PlanKind: ptr(pool.PlanTrial)})
	res, err = w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230004", From: "+15551110002", Texts: append(make19(), "x")})
	require.NoError(t, err)
	require.Len(t, res.MessageIDs, 20)
}
