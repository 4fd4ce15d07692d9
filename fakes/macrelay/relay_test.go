package macrelay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
)

var ctx = context.Background()

func TestSend_AcceptedThenSentThenDelivered(t *testing.T) {
	e, f := setup(t)
	status, out := send(t, f, "mac-1", "s1", sendBody("m1", 1, "+15550001"))
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, map[string]any{"message_id": "m1", "status": "accepted", "duplicate": false}, out)
	waitIdle(t, f)

	_, bodies, _ := e.snapshot()
	require.Equal(t, []string{
		`{"type":"message.status","relay_id":"mac-1","message_id":"m1","status":"sent"}`,
		`{"type":"message.status","relay_id":"mac-1","message_id":"m1","status":"delivered"}`,
	}, bodies) // each verified with relaysig.Verify by the engine
	recs := f.Events()
	require.Len(t, recs, 2)
	for _, r := range recs {
		require.True(t, r.Done)
		require.False(t, r.GaveUp)
		require.Equal(t, 1, r.Attempts)
		require.Equal(t, http.StatusOK, r.EngineStatus)
	}
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "m1", msgs[0].MessageID)
	require.Equal(t, 1, msgs[0].LineSlot)
	require.Equal(t, []string{"+15550001"}, msgs[0].To)
	require.Equal(t, "hello m1", msgs[0].Text)
	require.Equal(t, macrelay.StatusDelivered, msgs[0].Status)
	require.False(t, msgs[0].ReceivedAt.IsZero())
}

func TestSend_GroupAndAttachments(t *testing.T) {
	e, f := setup(t)
	status, _ := send(t, f, "mac-2", "s2", map[string]any{"message_id": "g1", "line_slot": 0,
		"chat_guid": "iMessage;+;chat42", "text": "", "attachments": []string{"https://x/a.png"}})
	require.Equal(t, http.StatusAccepted, status)
	waitIdle(t, f)
	require.Equal(t, []string{"sent", "delivered"}, e.statuses("g1"))
	msgs, err := f.Messages("mac-2")
	require.NoError(t, err)
	require.Equal(t, "iMessage;+;chat42", msgs[0].ChatGUID)
	require.Equal(t, []string{"https://x/a.png"}, msgs[0].Attachments)
}

func TestSend_DuplicateIsAcceptedOnceAndDeliveredOnce(t *testing.T) {
	e, f := setup(t)
	status, _ := send(t, f, "mac-1", "s1", sendBody("m1", 0, "+15550001"))
	require.Equal(t, http.StatusAccepted, status)
	status, out := send(t, f, "mac-1", "s1", sendBody("m1", 0, "+15550001"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, out["duplicate"])
	waitIdle(t, f)
	status, _ = send(t, f, "mac-1", "s1", sendBody("m1", 0, "+15550001"))
	require.Equal(t, http.StatusOK, status, "a repeat after delivery is still a repeat")
	waitIdle(t, f)

	require.Equal(t, []string{"sent", "delivered"}, e.statuses("m1"))
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, 2, msgs[0].Duplicates)

	other := sendBody("m1", 0, "+15550001")
	other["text"] = "different"
	status, out = send(t, f, "mac-1", "s1", other)
	require.Equal(t, http.StatusConflict, status, "same id, other content is an engine bug")
	require.Equal(t, "message_id_conflict", out["error"])
}

func TestSend_Rejections(t *testing.T) {
	_, f := setup(t)
	for name, c := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"bad json":      {`{"message_id":`, 400, "invalid_request"},
		"unknown field": {`{"message_id":"x","line_slot":0,"to":["+1"],"text":"t","from":"+2"}`, 400, "invalid_request"},
		"trailing data": {`{"message_id":"x","line_slot":0,"to":["+1"],"text":"t"} {}`, 400, "invalid_request"},
		"no message_id": {map[string]any{"line_slot": 0, "to": []string{"+1"}, "text": "t"}, 400, "invalid_request"},
		"no line_slot":  {map[string]any{"message_id": "x", "to": []string{"+1"}, "text": "t"}, 400, "invalid_request"},
		"to and chat":   {map[string]any{"message_id": "x", "line_slot": 0, "to": []string{"+1"}, "chat_guid": "c", "text": "t"}, 400, "invalid_request"},
		"no recipient":  {map[string]any{"message_id": "x", "line_slot": 0, "text": "t"}, 400, "invalid_request"},
		"empty handle":  {map[string]any{"message_id": "x", "line_slot": 0, "to": []string{""}, "text": "t"}, 400, "invalid_request"},
		"no content":    {map[string]any{"message_id": "x", "line_slot": 0, "to": []string{"+1"}}, 400, "invalid_request"},
		"unknown slot":  {sendBody("x", 9, "+1"), 404, "line_not_found"},
	} {
		status, out := send(t, f, "mac-1", "s1", c.body)
		require.Equal(t, c.status, status, name)
		require.Equal(t, c.code, out["error"], name)
		require.NotEmpty(t, out["message"], name)
	}
	status, out := send(t, f, "mac-2", "s2", sendBody("x", 1, "+1"))
	require.Equal(t, http.StatusNotFound, status, "mac-2 has no slot 1")
	require.Equal(t, "line_not_found", out["error"])
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Empty(t, msgs, "a rejected send is not a message")
	require.Empty(t, f.Events())
}

func TestAuth_WrongOrMissingBearerIs401(t *testing.T) {
	_, f := setup(t)
	url := macURL(t, f, "mac-1")
	for _, bearer := range []string{"", "s2", "s1x", "S1"} {
		status, _, out := call(t, http.MethodPost, url+"/v1/messages", bearer, sendBody("m", 0, "+1"))
		require.Equal(t, http.StatusUnauthorized, status, bearer)
		require.Equal(t, "unauthorized", out["error"])
		status, _, _ = call(t, http.MethodGet, url+"/v1/health", bearer, nil)
		require.Equal(t, http.StatusUnauthorized, status, bearer)
	}
	req, err := http.NewRequest(http.MethodGet, url+"/v1/health", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Basic czE=")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Empty(t, msgs)
}

func TestHealth_ListsEveryLine(t *testing.T) {
	_, f := setup(t)
	status, _, out := call(t, http.MethodGet, macURL(t, f, "mac-1")+"/v1/health", "s1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"relay_id": "mac-1", "lines": []any{
		map[string]any{"line_slot": 0.0, "phone_number": "+14155550100", "online": true},
		map[string]any{"line_slot": 1.0, "phone_number": "+14155550101", "online": true},
	}}, out)
}

func TestUnknownRoutes_AreLoudAndRecorded(t *testing.T) {
	_, f := setup(t)
	url := macURL(t, f, "mac-1")
	status, hdr, out := call(t, http.MethodGet, url+"/v1/messages", "s1", nil)
	require.Equal(t, http.StatusMethodNotAllowed, status)
	require.Equal(t, "POST", hdr.Get("Allow"))
	require.Equal(t, "unknown route", out["error"])
	status, _, out = call(t, http.MethodPost, url+"/v2/messages", "", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, map[string]any{"error": "unknown route", "method": "POST", "path": "/v2/messages",
		"message": "macrelay: this fake does not implement POST /v2/messages"}, out)
	require.NoError(t, f.SetMacOnline("mac-1", false))
	status, _, _ = call(t, http.MethodDelete, url+"/v1/lines", "s1", nil)
	require.Equal(t, http.StatusNotFound, status, "an unknown route stays loud on a locked Mac")
	status, _, _ = call(t, http.MethodGet, f.URL()+"/control/nothing", "", nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = call(t, http.MethodGet, f.URL()+"/mac-9/v1/health", "", nil)
	require.Equal(t, http.StatusNotFound, status)

	got := f.Unexpected()
	require.Len(t, got, 5)
	for i, want := range []macrelay.Request{
		{Mac: "mac-1", Method: "GET", Path: "/v1/messages", Status: 405},
		{Mac: "mac-1", Method: "POST", Path: "/v2/messages", Status: 404},
		{Mac: "mac-1", Method: "DELETE", Path: "/v1/lines", Status: 404},
		{Method: "GET", Path: "/control/nothing", Status: 404},
		{Method: "GET", Path: "/mac-9/v1/health", Status: 404},
	} {
		want.At = got[i].At
		require.Equal(t, want, got[i])
	}
	f.Reset() // the cleanup check wants none left
}

func TestHandler_ServesEveryMacUnderItsID(t *testing.T) {
	e := newEngine(t, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	cfg := testConfig()
	cfg.EngineURL = e.srv.URL
	f, err := macrelay.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)

	status, _, out := call(t, http.MethodPost, srv.URL+"/mac-2/v1/messages", "s2", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusAccepted, status, out)
	status, _, out = call(t, http.MethodGet, srv.URL+"/mac-1/v1/health", "s1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "mac-1", out["relay_id"])
	status, _, _ = call(t, http.MethodGet, srv.URL+"/control/macs/mac-2", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, f.WaitIdle(ctx))
	require.Equal(t, []string{"sent", "delivered"}, e.statuses("m1"))
	require.Empty(t, f.Unexpected())
}
