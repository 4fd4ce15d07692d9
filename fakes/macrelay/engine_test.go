package macrelay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
	"poolkit/internal/relaysig"
)

// engine stands in for the engine's relay endpoint: it verifies every signature with
// relaysig.Verify and records the events it accepts.
type engine struct {
	srv     *httptest.Server
	secrets map[string]string

	mu       sync.Mutex
	events   []macrelay.Event
	bodies   []string
	rejected []string // why a post was refused: bad signature, unknown relay, bad route
	fail     int      // answer 503 to this many posts before recording
	status   int      // answer to a recorded event; default 200
	changed  chan struct{}
}

func newEngine(tb testing.TB, secrets map[string]string) *engine {
	tb.Helper()
	e := &engine{secrets: secrets, changed: make(chan struct{})}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	tb.Cleanup(e.srv.Close)
	return e
}

func (e *engine) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/relay/v1/events" {
		e.rejected = append(e.rejected, "route "+r.Method+" "+r.URL.Path)
		http.Error(w, "unknown route", http.StatusNotFound)
		return
	}
	if e.fail > 0 {
		e.fail--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var ev macrelay.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		e.rejected = append(e.rejected, "body "+err.Error())
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	secret, ok := e.secrets[ev.RelayID]
	if err := relaysig.Verify(secret, r.Header.Get(relaysig.Header), body, time.Now()); !ok || err != nil {
		e.rejected = append(e.rejected, "signature of "+string(body))
		http.Error(w, `{"error":"invalid_signature"}`, http.StatusUnauthorized)
		return
	}
	e.events = append(e.events, ev)
	e.bodies = append(e.bodies, string(body))
	close(e.changed)
	e.changed = make(chan struct{})
	status := e.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write([]byte(`{"ok":true}`))
}

func (e *engine) setFail(n int) { e.mu.Lock(); e.fail = n; e.mu.Unlock() }

func (e *engine) setStatus(s int) { e.mu.Lock(); e.status = s; e.mu.Unlock() }

func (e *engine) snapshot() ([]macrelay.Event, []string, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]macrelay.Event(nil), e.events...), append([]string(nil), e.bodies...),
		append([]string(nil), e.rejected...)
}

// waitFor waits, with a deadline, until cond holds for the recorded events.
func (e *engine) waitFor(tb testing.TB, cond func([]macrelay.Event) bool) {
	tb.Helper()
	deadline := time.After(5 * time.Second)
	for {
		e.mu.Lock()
		ok, ch := cond(e.events), e.changed
		e.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			events, _, _ := e.snapshot()
			tb.Fatalf("condition not met within 5s; events: %+v", events)
		}
	}
}

// statuses lists the message.status values recorded for one message, in arrival order.
func (e *engine) statuses(id string) []string {
	events, _, _ := e.snapshot()
	var out []string
	for _, ev := range events {
		if ev.Type == macrelay.TypeMessageStatus && ev.MessageID == id {
			out = append(out, ev.Status+ev.ErrorCode)
		}
	}
	return out
}

func testConfig() macrelay.Config {
	return macrelay.Config{
		Seed:         1,
		EventBackoff: time.Millisecond,
		Macs: []macrelay.MacConfig{
			{ID: "mac-1", Secret: "s1", Lines: []macrelay.LineConfig{
				{Slot: 0, Phone: "+14155550100"},
				{Slot: 1, Phone: "+14155550101"},
			}},
			{ID: "mac-2", Secret: "s2", Lines: []macrelay.LineConfig{
				{Slot: 0, Phone: "+14155550200"},
			}},
		},
	}
}

// start builds and starts a fleet that posts to e, and closes both at the end.
func start(tb testing.TB, e *engine, cfg macrelay.Config) *macrelay.Fleet {
	tb.Helper()
	if e != nil {
		cfg.EngineURL = e.srv.URL
	}
	f, err := macrelay.New(cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { f.Close() })
	require.NoError(tb, f.Start())
	return f
}

// setup is the usual test world: an engine, the test fleet, and a check at the end that
// neither saw anything unexpected.
func setup(tb testing.TB) (*engine, *macrelay.Fleet) {
	tb.Helper()
	e := newEngine(tb, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	f := start(tb, e, testConfig())
	tb.Cleanup(func() {
		require.Empty(tb, f.Unexpected(), "requests the fake did not expect")
		_, _, rejected := e.snapshot()
		require.Empty(tb, rejected, "posts the engine refused")
	})
	return e, f
}

func waitIdle(tb testing.TB, f *macrelay.Fleet) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(tb, f.WaitIdle(ctx))
}

func macURL(tb testing.TB, f *macrelay.Fleet, id string) string {
	tb.Helper()
	m, err := f.Mac(id)
	require.NoError(tb, err)
	return m.URL
}

// call makes one JSON request and decodes a JSON answer (nil for none).
func call(tb testing.TB, method, url, bearer string, body any) (int, http.Header, map[string]any) {
	tb.Helper()
	var r io.Reader
	if s, ok := body.(string); ok {
		r = bytes.NewBufferString(s)
	} else if body != nil {
		b, err := json.Marshal(body)
		require.NoError(tb, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(tb, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(tb, json.Unmarshal(raw, &out), "answer %s", raw)
		require.Equal(tb, "application/json", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, resp.Header, out
}

func sendBody(id string, slot int, to ...string) map[string]any {
	return map[string]any{"message_id": id, "line_slot": slot, "to": to, "text": "hello " + id}
}

func send(tb testing.TB, f *macrelay.Fleet, mac, secret string, body any) (int, map[string]any) {
	tb.Helper()
	status, _, out := call(tb, http.MethodPost, macURL(tb, f, mac)+"/v1/messages", secret, body)
	return status, out
}
