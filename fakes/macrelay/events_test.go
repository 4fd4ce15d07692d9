package macrelay_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
)

func TestInject_POOL_INBOUND_4_EachSlotIsItsOwnNumber(t *testing.T) {
	e, f := setup(t)
	rec, err := f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+15550001", Text: "hi zero"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.EngineStatus)
	group := &macrelay.Group{ChatGUID: "iMessage;+;chat7", Participants: []string{"+15550001", "+15550002"}, Name: "team"}
	rec, err = f.Inject(ctx, "mac-1", 1, macrelay.Inbound{From: "+15550002", Text: "hi one", Group: group})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.EngineStatus)

	_, bodies, _ := e.snapshot()
	require.Equal(t, []string{
		`{"type":"message.inbound","relay_id":"mac-1","line_slot":0,"from":"+15550001","text":"hi zero"}`,
		`{"type":"message.inbound","relay_id":"mac-1","line_slot":1,"from":"+15550002","text":"hi one",` +
			`"group":{"chat_guid":"iMessage;+;chat7","participants":["+15550001","+15550002"],"name":"team"}}`,
	}, bodies)

	// The engine's answer is handed back, 4xx included (not retried).
	e.setStatus(http.StatusNotFound)
	rec, err = f.Inject(ctx, "mac-2", 0, macrelay.Inbound{From: "+15550003", Text: "x"})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, rec.EngineStatus)
	require.Equal(t, 1, rec.Attempts)

	// A banned line still receives.
	e.setStatus(0)
	_, err = f.SetLineBanned(ctx, "mac-2", 0, true)
	require.NoError(t, err)
	_, err = f.Inject(ctx, "mac-2", 0, macrelay.Inbound{From: "+15550003", Text: "x"})
	require.NoError(t, err)

	for _, c := range []struct {
		mac  string
		slot int
		in   macrelay.Inbound
		err  error
	}{
		{"mac-9", 0, macrelay.Inbound{From: "+1", Text: "x"}, macrelay.ErrMacNotFound},
		{"mac-1", 5, macrelay.Inbound{From: "+1", Text: "x"}, macrelay.ErrLineNotFound},
		{"mac-1", 0, macrelay.Inbound{Text: "x"}, macrelay.ErrInvalid},
		{"mac-1", 0, macrelay.Inbound{From: "+1"}, macrelay.ErrInvalid},
		{"mac-1", 0, macrelay.Inbound{From: "+1", Text: "x", Group: &macrelay.Group{Name: "n"}}, macrelay.ErrInvalid},
	} {
		_, err := f.Inject(ctx, c.mac, c.slot, c.in)
		require.ErrorIs(t, err, c.err)
	}
}

func TestEvents_RetriedOn5xxThenGivenUp(t *testing.T) {
	e := newEngine(t, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	cfg := testConfig()
	cfg.EventAttempts = 3
	f := start(t, e, cfg)

	e.setFail(2)
	rec, err := f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+1", Text: "x"})
	require.NoError(t, err)
	require.Equal(t, 3, rec.Attempts)
	require.Equal(t, http.StatusOK, rec.EngineStatus)

	e.setFail(3)
	rec, err = f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+1", Text: "y"})
	require.ErrorIs(t, err, macrelay.ErrEngine)
	require.True(t, rec.GaveUp)
	require.Equal(t, 3, rec.Attempts)
	require.Equal(t, http.StatusServiceUnavailable, rec.EngineStatus)

	e.srv.Close() // connection refused
	status, _ := send(t, f, "mac-1", "s1", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusAccepted, status)
	waitIdle(t, f)
	recs := f.Events()
	require.Len(t, recs, 4)
	for _, r := range recs[2:] {
		require.True(t, r.GaveUp)
		require.Equal(t, 3, r.Attempts)
		require.NotEmpty(t, r.Err)
		require.Zero(t, r.EngineStatus)
	}
	msgs, _ := f.Messages("mac-1")
	require.Equal(t, macrelay.StatusDelivered, msgs[0].Status, "the Mac delivered; only its report was lost")
}

func TestEvents_SignedWithTheInjectedClock(t *testing.T) {
	e := newEngine(t, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	cfg := testConfig()
	cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	f := start(t, e, cfg)
	rec, err := f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+1", Text: "x"})
	require.NoError(t, err, "a 4xx is an answer, not a transport failure")
	require.Equal(t, http.StatusUnauthorized, rec.EngineStatus, "a stale signature is refused")
	require.Equal(t, 1, rec.Attempts, "4xx is not retried")
}

func TestEvents_WithoutEngineAreRecorded(t *testing.T) {
	f := start(t, nil, testConfig())
	status, _ := send(t, f, "mac-1", "s1", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusAccepted, status)
	waitIdle(t, f)
	recs := f.Events()
	require.Len(t, recs, 2)
	require.Equal(t, "no engine URL configured", recs[0].Err)
	require.True(t, recs[0].GaveUp)
}
