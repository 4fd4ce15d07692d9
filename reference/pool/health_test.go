package pool_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

func TestHealth_POOL_HEALTH_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{Health: &pool.HealthSettings{Window: 10, MinSamples: 5, DegradeBelow: 0.8, RecoverAt: 0.9}})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	phone := "+15551110001"
	outcome := func(delivered bool) {
		t.Helper()
		res, err := w.send(k, "+15551230001", phone)
		require.NoError(t, err)
		st := pool.StatusFailed
		if delivered {
			st = pool.StatusDelivered
		}
		require.NoError(t, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusSent, ""))
		require.NoError(t, w.e.RecordStatus(w.ctx, res.MessageID, st, ""))
		// Repeats and late reports are ignored.
		require.NoError(t, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusDelivered, ""))
		require.NoError(t, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusFailed, ""))
	}
	status := func() pool.HealthReport {
		t.Helper()
		rep, err := w.e.NumberHealth(w.ctx, phone)
		require.NoError(t, err)
		return rep
	}
	rep := status()
	require.Nil(t, rep.DeliveredRatio, "no samples yet")
	require.Equal(t, 10, rep.Window)

	for i := 0; i < 3; i++ {
		outcome(false)
	}
	require.Equal(t, pool.HealthActive, status().Status, "fewer than min_samples")
	outcome(true)
	outcome(true) // 2/5 = 0.4
	rep = status()
	require.Equal(t, pool.HealthDegraded, rep.Status)
	require.Equal(t, 5, rep.Samples)
	require.InDelta(t, 0.4, *rep.DeliveredRatio, 1e-9)

	// Degraded: no new conversations, existing ones stay.
	for _, r := range contacts(4) {
		require.Equal(t, "+15551110002", w.sent(k, r, ""))
	}
	require.Equal(t, phone, w.sent(k, "+15551230001", ""), "its conversation stays")

	// Recovery needs recover_at (0.9), not just degrade_below (hysteresis).
	for i := 0; i < 7; i++ {
		outcome(true)
	}
	rep = status() // the last 10 of FFFTT+7T: F + 9T
	require.Equal(t, 10, rep.Samples, "the window keeps the last 10 outcomes")
	require.InDelta(t, 0.9, *rep.DeliveredRatio, 1e-9)
	require.Equal(t, pool.HealthActive, rep.Status)
	outcome(false) // 9T F: 0.9
	outcome(false) // 8T FF: 0.8, not below degrade_below
	require.Equal(t, pool.HealthActive, status().Status)
	outcome(false) // 7T FFF: 0.7
	require.Equal(t, pool.HealthDegraded, status().Status)
	for i := 0; i < 8; i++ {
		outcome(true) // the Fs slide out only after 7 Ts: FF + 8T = 0.8 at the end
	}
	rep = status()
	require.InDelta(t, 0.8, *rep.DeliveredRatio, 1e-9)
	require.Equal(t, pool.HealthDegraded, rep.Status, "between the thresholds a degraded number stays degraded")
	outcome(true) // 0.9 = recover_at
	require.Equal(t, pool.HealthActive, status().Status)

	// Outcomes only count for outbound messages; unknown messages are errors.
	requireCode(t, w.e.RecordStatus(w.ctx, "msg_nope", pool.StatusDelivered, ""), pool.CodeMessageNotFound)
	in := w.inbound(phone, "+15551230001")
	requireCode(t, w.e.RecordStatus(w.ctx, in.MessageID, pool.StatusDelivered, ""), pool.CodeMessageNotFound)
	requireCode(t, w.e.RecordStatus(w.ctx, in.MessageID, "bogus", ""), pool.CodeInvalidRequest)
}

func TestHealth_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	r := "+15551230001"
	require.Equal(t, "+15551110001", w.sent(k, r, ""))
	// The relay reports slot 1 offline.
	require.NoError(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 1, Online: false}))
	rep, err := w.e.NumberHealth(w.ctx, "+15551110001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthOffline, rep.Status)
	_, err = w.send(k, r, "")
	requireCode(t, err, pool.CodeSenderUnavailable)
	_, err = w.send(k, "+15551230002", "+15551110001")
	requireCode(t, err, pool.CodeSenderUnavailable)
	for _, c := range contacts(3) {
		require.Equal(t, "+15551110002", w.sent(k, c, ""), "no new conversations on an offline number")
	}
	require.NoError(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 1, Online: true}))
	require.Equal(t, "+15551110001", w.sent(k, r, ""))
	requireCode(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 7, Online: true}), pool.CodeLineNotFound)

	// Twilio numbers are never offline.
	w.twilio("+15552220001")
	require.NoError(t, w.e.SetOffline(w.ctx, "+15552220001", true))
	rep, err = w.e.NumberHealth(w.ctx, "+15552220001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthActive, rep.Status)
}

func TestHealth_POOL_HEALTH_3(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	// banned > offline > degraded.
	w.degrade("+15551110001")
	require.NoError(t, w.e.SetOffline(w.ctx, "+15551110001", true))
	w.patch("+15551110001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	rep, err := w.e.NumberHealth(w.ctx, "+15551110001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthBanned, rep.Status)
	_, err = w.send(k, "+15551230001", "+15551110001")
	requireCode(t, err, pool.CodeNumberBanned)
	// "active" lifts only the ban.
	w.patch("+15551110001", pool.NumberPatch{Health: ptr(pool.HealthActive)})
	rep, err = w.e.NumberHealth(w.ctx, "+15551110001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthOffline, rep.Status)
	require.NoError(t, w.e.SetOffline(w.ctx, "+15551110001", false))
	rep, err = w.e.NumberHealth(w.ctx, "+15551110001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthDegraded, rep.Status)
	// Only "active" and "banned" are accepted from an admin.
	_, err = w.e.UpdateNumber(w.ctx, "+15551110001", pool.NumberPatch{Health: ptr(pool.HealthOffline)})
	requireCode(t, err, pool.CodeInvalidRequest)
	// Relay bans; a relay report without banned does not lift it.
	require.NoError(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 2, Online: true, Banned: true}))
	require.NoError(t, w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 2, Online: true}))
	rep, err = w.e.NumberHealth(w.ctx, "+15551110002")
	require.NoError(t, err)
	require.Equal(t, pool.HealthBanned, rep.Status)
	// Twilio numbers can be banned by an admin.
	w.twilio("+15552220001")
	w.patch("+15552220001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	rep, err = w.e.NumberHealth(w.ctx, "+15552220001")
	require.NoError(t, err)
	require.Equal(t, pool.HealthBanned, rep.Status)
}
