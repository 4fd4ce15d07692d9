package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// fuzzWorld is a handler over a fresh engine: key A holds two dedicated numbers and an
// inbound one and has one conversation; key B holds one number. Ids are deterministic.
type fuzzWorld struct {
	e       *pool.Engine
	h       http.Handler
	clock   *apitest.Clock
	a, b    pool.Key
	aSecret string
	bSecret string
	msgID   string
}

func newFuzzWorld(t testing.TB) *fuzzWorld {
	t.Helper()
	ctx := context.Background()
	clock := &apitest.Clock{}
	clock.Advance(apitest.Epoch.Sub(time.Time{}))
	w := &fuzzWorld{clock: clock}
	w.e = pool.New(mem.New(), pool.WithClock(clock.Now))
	w.h = api.New(w.e, api.Options{AdminToken: "admin", Now: clock.Now})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	org, err := w.e.CreateOrg(ctx, pool.OrgSpec{Name: "fuzz"})
	must(err)
	_, err = w.e.RegisterRelay(ctx, pool.Relay{ID: relayID, URL: "http://127.0.0.1:9", Secret: relaySecret})
	must(err)
	for i, p := range []string{"+15551110001", "+15551110002", "+15551110003", "+15552220001", "+15553330001"} {
		kind := pool.PlanDedicated
		if i == 2 {
			kind = pool.PlanInbound
		}
		_, err := w.e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: relayID, LineSlot: i + 1, PlanKind: kind})
		must(err)
	}
	w.a, w.aSecret, err = w.e.CreateKey(ctx, org.ID, "a")
	must(err)
	w.b, w.bSecret, err = w.e.CreateKey(ctx, org.ID, "b")
	must(err)
	_, err = w.e.AssignNumbers(ctx, w.a.ID, pool.AssignRequest{Phones: []string{"+15551110001", "+15551110002", "+15551110003"}})
	must(err)
	_, err = w.e.AssignNumbers(ctx, w.b.ID, pool.AssignRequest{Phones: []string{"+15552220001"}})
	must(err)
	res, err := w.e.Send(ctx, pool.SendRequest{KeyID: w.a.ID, ChatID: "+15557654321", Texts: []string{"hi"}, IdempotencyKey: "seen"})
	must(err)
	w.msgID = res.MessageID
	_, err = w.e.Send(ctx, pool.SendRequest{KeyID: w.a.ID, ChatID: "+15557000001,+15557000002", Texts: []string{"group"}})
	must(err)
	return w
}

// state is everything a request could change, as JSON: each key's conversations with
// their messages, and every number.
func (w *fuzzWorld) state(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, k := range []string{w.a.ID, w.b.ID} {
		convs, err := w.e.Conversations(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, convs)
		for _, c := range convs {
			msgs, err := w.e.Messages(ctx, k, c.Recipient)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, msgs)
		}
	}
	for _, p := range []string{"+15551110001", "+15551110002", "+15551110003", "+15552220001", "+15553330001"} {
		n, err := w.e.Number(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serve runs one request through the handler and checks what every response must
// satisfy: no 500 (a panic or an internal error), the OpenAPI document, and for a non-2xx
// the error shape with a known code whose status is the table's.
func (w *fuzzWorld) serve(t testing.TB, req *http.Request, body []byte) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	status, respBody := rec.Code, rec.Body.Bytes()
	if status == http.StatusInternalServerError {
		t.Fatalf("500 for %s %q body %q: %s", req.Method, req.URL.RawPath, body, respBody)
	}
	if err := apitest.LoadOpenAPI(t).ValidateResponse(req, status, rec.Header(), respBody); err != nil {
		t.Fatalf("OpenAPI: %s %q body %q → %d: %v\n%s", req.Method, req.URL.EscapedPath(), body, status, err, respBody)
	}
	var m map[string]any
	if status >= 300 {
		if err := json.Unmarshal(respBody, &m); err != nil {
			t.Fatalf("error body is not JSON: %s", respBody)
		}
		code, _ := m["code"].(string)
		if !slices.Contains(api.Codes(), pool.Code(code)) || api.Status(pool.Code(code)) != status || m["error"] != "ApiError" {
			t.Fatalf("error body %s with status %d", respBody, status)
		}
		if status == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After")
		}
	}
	return status, m
}

// newRequest builds a request for path, escaping seg when it cannot be sent raw.
func newRequest(method, prefix, seg, suffix string, body []byte) *http.Request {
	path := prefix + seg + suffix
	u, err := url.ParseRequestURI(path)
	if err != nil || u.EscapedPath() != path || u.RawQuery != "" || u.Fragment != "" || bytes.ContainsAny([]byte(seg), "/?# \t\r\n") {
		path = prefix + client.PathEscape(seg) + suffix
		u, _ = url.ParseRequestURI(path)
	}
	return &http.Request{
		Method: method, URL: u, RequestURI: path, Host: "poolkit.test",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// FuzzSend sends arbitrary chatIds, headers and bodies: never a 500, every response in
// the OpenAPI document, every non-2xx in the error shape with a known code, and a
// non-2xx changes nothing.
func FuzzSend(f *testing.F) {
	for _, s := range []struct {
		auth             byte
		chat, idem, from string
		body             string
	}{
		{0, "%2B15557654321", "", "", `{"text":"hi"}`},
		{0, "+15557654321", "seen", "", `{"text":"hi"}`},
		{0, "+15557654321", "seen", "", `{"text":"other"}`},
		{0, "%2B15557654399", "", "+15552220001", `{"text":["a","b"]}`},
		{0, "%2B15557654399", "", "", `{"text":"a","from_number":"+15551110003"}`},
		{0, "alice@example.com", "", "", `{"attachments":["https://x/y.png"]}`},
		{0, "%2B15557000001,%2B15557000002", "", "", `{"text":"g"}`},
		{0, "grp_000016", "", "+15551110002", `{"text":"g"}`},
		{0, "grp_nope", "", "bad", `{"text":5}`},
		{0, "not-a-chat", "", "", `{"text":`},
		{0, "%2B1555", "", "", `{"text":"","from_number":7}`},
		{0, "+15557654321", "", "", `{"text":[]}`},
		{0, "+15557654321", "", "", `null`},
		{0, "..", "", "", `{"text":"x"}`},
		{1, "+15557654321", "", "", `{"text":"hi"}`},
		{2, "+15557654321", "", "", `{"text":"hi"}`},
		{3, "+15557654321", "", "+15551110001", `{"text":"hi"}`},
	} {
		f.Add(s.auth, s.chat, s.idem, s.from, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, auth byte, chat, idem, from string, body []byte) {
		w := newFuzzWorld(t)
		req := newRequest(http.MethodPost, "/v2/api/chats/", chat, "/messages", body)
		switch auth % 4 {
		case 0:
			req.Header.Set("Authorization", "Bearer "+w.aSecret)
		case 2:
			req.Header.Set("Authorization", "Bearer "+from)
		case 3:
			req.Header.Set("Authorization", "Bearer "+w.bSecret)
		}
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		if from != "" {
			req.Header.Set("X-From-Number", from)
		}
		before := w.state(t)
		status, _ := w.serve(t, req, body)
		if status >= 300 && w.state(t) != before {
			t.Fatalf("a %d changed the state", status)
		}
	})
}

// FuzzRelayEvents posts arbitrary bodies and signatures: never a 500, every response in
// the document, and an unsigned request (or one signed with the wrong secret) is a 401
// that changes nothing. Mode 1 signs the body properly, to reach the event parser.
func FuzzRelayEvents(f *testing.F) {
	for _, s := range []struct {
		mode      byte
		sig, body string
	}{
		{1, "", `{"type":"message.inbound","relay_id":"mac-1","line_slot":1,"from":"+15557000009","text":"hi"}`},
		{1, "", `{"type":"message.inbound","relay_id":"mac-1","line_slot":3,"from":"+15557000009","group":{"chat_guid":"g1","participants":["+15557000008"]}}`},
		{1, "", `{"type":"message.inbound","relay_id":"mac-1","line_slot":5,"from":"+15557000009"}`},
		{1, "", `{"type":"message.status","relay_id":"mac-1","message_id":"msg_000014","status":"delivered"}`},
		{1, "", `{"type":"message.status","relay_id":"mac-1","message_id":"msg_000014","status":"failed","error_code":"x"}`},
		{1, "", `{"type":"line.status","relay_id":"mac-1","line_slot":2,"online":false,"banned":true}`},
		{1, "", `{"type":"line.status","relay_id":"mac-1","line_slot":99,"online":true}`},
		{1, "", `{"type":"nope","relay_id":"mac-1"}`},
		{1, "", `{"type":"line.status","relay_id":"mac-1","line_slot":"2","online":1}`},
		{0, "", `{"type":"line.status","relay_id":"mac-1","line_slot":2,"online":false}`},
		{0, "t=1795694400,v1=00", `{"type":"line.status","relay_id":"mac-1","line_slot":2,"online":false}`},
		{2, "", `{"type":"message.status","relay_id":"mac-1","message_id":"msg_000014","status":"delivered"}`},
		{0, "t=x,v1=y,v1=z", `not json`},
	} {
		f.Add(s.mode, s.sig, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, mode byte, sig string, body []byte) {
		w := newFuzzWorld(t)
		req := newRequest(http.MethodPost, "/relay/v1/events", "", "", body)
		switch mode % 3 {
		case 0:
			if sig != "" {
				req.Header.Set(api.RelaySignatureHeader, sig)
			}
		case 1:
			req.Header.Set(api.RelaySignatureHeader, api.SignRelayBody(relaySecret, w.clock.Now(), body))
		case 2:
			req.Header.Set(api.RelaySignatureHeader, api.SignRelayBody(relaySecret+sig+"x", w.clock.Now(), body))
		}
		before := w.state(t)
		status, _ := w.serve(t, req, body)
		if mode%3 != 1 && status != http.StatusUnauthorized && !(status == http.StatusRequestEntityTooLarge && len(body) > api.MaxBodyBytes) {
			t.Fatalf("an unsigned event got %d", status)
		}
		if status >= 300 && w.state(t) != before {
			t.Fatalf("a %d changed the state", status)
		}
	})
}
