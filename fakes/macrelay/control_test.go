package macrelay_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
)

// TestControlHTTP_MirrorsTheGoMethods drives every control endpoint and checks the effect
// through the Go methods and the relay API.
func TestControlHTTP_MirrorsTheGoMethods(t *testing.T) {
	e, f := setup(t)
	ctl := f.URL() + "/control"
	relay := macURL(t, f, "mac-1")

	status, _, out := call(t, http.MethodGet, ctl+"/macs", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, out["macs"], 2)
	status, _, out = call(t, http.MethodGet, ctl+"/macs/mac-1", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, relay, out["url"])
	require.Equal(t, "s1", out["secret"])

	// Line faults.
	status, _, out = call(t, http.MethodPatch, ctl+"/macs/mac-1/lines/0", "", map[string]any{"failure_ratio": 1, "latency": "5ms"})
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, map[string]any{"slot": 0.0, "phone": "+14155550100", "online": true, "banned": false,
		"failure_ratio": 1.0, "latency": "5ms"}, out)
	m, err := f.Mac("mac-1")
	require.NoError(t, err)
	require.Equal(t, macrelay.Line{Slot: 0, Phone: "+14155550100", Online: true, FailureRatio: 1, Latency: 5 * time.Millisecond}, m.Lines[0])

	// A send, its messages and its events.
	status, _ = send(t, f, "mac-1", "s1", sendBody("m1", 0, "+15550001"))
	require.Equal(t, http.StatusAccepted, status)
	status, _, _ = call(t, http.MethodPost, ctl+"/wait-idle?timeout=5s", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Equal(t, []string{"sent", "failed" + macrelay.ErrorCodeFailed}, e.statuses("m1"))
	status, _, out = call(t, http.MethodGet, ctl+"/macs/mac-1/messages", "", nil)
	require.Equal(t, http.StatusOK, status)
	msgs := out["messages"].([]any)
	require.Len(t, msgs, 1)
	require.Equal(t, "m1", msgs[0].(map[string]any)["message_id"])
	require.Equal(t, "failed", msgs[0].(map[string]any)["status"])
	status, _, out = call(t, http.MethodGet, ctl+"/events", "", nil)
	require.Equal(t, http.StatusOK, status)
	events := out["events"].([]any)
	require.Len(t, events, 2)
	last := events[1].(map[string]any)
	require.Equal(t, map[string]any{"type": "message.status", "relay_id": "mac-1", "message_id": "m1",
		"status": "failed", "error_code": "delivery_failed"}, last["event"])
	require.Equal(t, 200.0, last["engine_status"])

	// Inbound, line online/banned: each answers the event record with the engine's status.
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-1/lines/1/inbound", "",
		map[string]any{"from": "+15550009", "text": "hey", "group": map[string]any{"chat_guid": "g", "participants": []string{"+15550009"}, "name": ""}})
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, 200.0, out["engine_status"])
	require.Equal(t, "message.inbound", out["event"].(map[string]any)["type"])
	require.Equal(t, 1.0, out["event"].(map[string]any)["line_slot"])
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-1/lines/1/online", "", map[string]any{"online": false})
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, map[string]any{"type": "line.status", "relay_id": "mac-1", "line_slot": 1.0, "online": false, "banned": false}, out["event"])
	status, _ = send(t, f, "mac-1", "s1", sendBody("m2", 1, "+1"))
	require.Equal(t, http.StatusServiceUnavailable, status)
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-1/lines/1/inbound", "", map[string]any{"from": "+1", "text": "x"})
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "line_offline", out["error"])
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-1/lines/0/banned", "", map[string]any{"banned": true})
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, true, out["event"].(map[string]any)["banned"])
	status, _ = send(t, f, "mac-1", "s1", sendBody("m3", 0, "+1"))
	require.Equal(t, http.StatusForbidden, status)

	// Ack drops.
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-2/drop-acks", "", map[string]any{"n": 1})
	require.Equal(t, http.StatusOK, status, out)
	status, _ = send(t, f, "mac-2", "s2", sendBody("m4", 0, "+1"))
	require.Equal(t, http.StatusInternalServerError, status)
	status, _ = send(t, f, "mac-2", "s2", sendBody("m4", 0, "+1"))
	require.Equal(t, http.StatusOK, status)

	// Mac offline.
	status, _, out = call(t, http.MethodPost, ctl+"/macs/mac-2/online", "", map[string]any{"online": false})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, out["online"])
	status, _ = send(t, f, "mac-2", "s2", sendBody("m5", 0, "+1"))
	require.Equal(t, http.StatusServiceUnavailable, status)

	// Reset puts everything back and empties the logs.
	status, _, _ = call(t, http.MethodPost, ctl+"/reset", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, f.Events())
	after, err := f.Mac("mac-1")
	require.NoError(t, err)
	require.Equal(t, macrelay.Line{Slot: 1, Phone: "+14155550101", Online: true}, after.Lines[1])
	require.Equal(t, macrelay.Line{Slot: 0, Phone: "+14155550100", Online: true}, after.Lines[0])
	mac2, err := f.Mac("mac-2")
	require.NoError(t, err)
	require.True(t, mac2.Online)
	status, _, out = call(t, http.MethodGet, ctl+"/macs/mac-1/messages", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, out["messages"])
	status, _, out = call(t, http.MethodGet, ctl+"/unexpected", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, out["requests"])
}

func TestControlHTTP_Errors(t *testing.T) {
	_, f := setup(t)
	ctl := f.URL() + "/control"
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{http.MethodGet, "/macs/mac-9", nil, 404, "mac_not_found"},
		{http.MethodPost, "/macs/mac-9/online", map[string]any{"online": true}, 404, "mac_not_found"},
		{http.MethodPost, "/macs/mac-1/online", map[string]any{}, 400, "invalid_request"},
		{http.MethodPost, "/macs/mac-1/online", map[string]any{"online": true, "extra": 1}, 400, "invalid_request"},
		{http.MethodPatch, "/macs/mac-1/lines/7", map[string]any{"failure_ratio": 0.1}, 404, "line_not_found"},
		{http.MethodPatch, "/macs/mac-1/lines/x", map[string]any{"failure_ratio": 0.1}, 400, "invalid_request"},
		{http.MethodPatch, "/macs/mac-1/lines/0", map[string]any{"failure_ratio": 1.5}, 400, "invalid_request"},
		{http.MethodPatch, "/macs/mac-1/lines/0", map[string]any{"latency": "soon"}, 400, "invalid_request"},
		{http.MethodPatch, "/macs/mac-1/lines/0", map[string]any{"latency": "-1s"}, 400, "invalid_request"},
		{http.MethodPost, "/macs/mac-1/lines/0/inbound", map[string]any{"text": "no sender"}, 400, "invalid_request"},
		{http.MethodPost, "/macs/mac-1/drop-acks", map[string]any{"n": 1, "mode": "sometimes"}, 400, "invalid_request"},
		{http.MethodPost, "/macs/mac-1/drop-acks", map[string]any{"n": -1}, 400, "invalid_request"},
		{http.MethodPost, "/wait-idle?timeout=never", nil, 400, "invalid_request"},
	} {
		status, _, out := call(t, c.method, ctl+c.path, "", c.body)
		require.Equal(t, c.status, status, "%s %s", c.method, c.path)
		require.Equal(t, c.code, out["error"], "%s %s", c.method, c.path)
	}
	m, err := f.Mac("mac-1")
	require.NoError(t, err)
	require.Zero(t, m.Lines[0].FailureRatio, "a rejected PATCH changes nothing")
}

func TestControlHTTP_EngineDownIs502WithTheRecord(t *testing.T) {
	e := newEngine(t, map[string]string{"mac-1": "s1"})
	cfg := testConfig()
	cfg.EventAttempts = 2
	f := start(t, e, cfg)
	e.srv.Close()
	status, _, out := call(t, http.MethodPost, f.URL()+"/control/macs/mac-1/lines/0/inbound", "", map[string]any{"from": "+1", "text": "x"})
	require.Equal(t, http.StatusBadGateway, status)
	require.Equal(t, "engine_unreachable", out["error"])
	var rec macrelay.EventRecord
	b, err := json.Marshal(out["record"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rec))
	require.Equal(t, 2, rec.Attempts)
	require.True(t, rec.GaveUp)
}
