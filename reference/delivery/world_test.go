package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/api"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

const adminToken = "test-admin-token"

// world is an engine behind the real HTTP API on loopback, a fleet of fake Macs whose
// events reach that API, and one organization with an API key that holds every line.
type world struct {
	tb     testing.TB
	engine *pool.Engine
	// url is the API's base URL: the engine as the relays (and Twilio) reach it.
	url    string
	org    pool.Org
	key    pool.Key
	secret string // the key's API secret
	fleet  *macrelay.Fleet
	macs   map[string]macrelay.MacConfig
	// events stands between the fleet and the API: closed, it holds the relay's events.
	events *gate
	logs   *logBuffer
	// posts counts the relay sends (POST …/v1/messages) and creates the Twilio creates
	// (POST …/Messages.json) made through world.httpClient.
	posts, creates atomic.Int64
}

// mac describes a fake Mac with one line per phone, in slots 0, 1, ….
func mac(id string, phones ...string) macrelay.MacConfig {
	m := macrelay.MacConfig{ID: id, Secret: "relay-secret-" + id}
	for i, p := range phones {
		m.Lines = append(m.Lines, macrelay.LineConfig{Slot: i, Phone: p})
	}
	return m
}

// newWorld starts the API and the fleet, registers every Mac as a relay and every line
// as a Blooio number, and assigns them all to the world's key.
func newWorld(tb testing.TB, macs ...macrelay.MacConfig) *world {
	tb.Helper()
	return newWorldOn(tb, mem.New(), macs...)
}

// newWorldOn is newWorld with the engine over store.
func newWorldOn(tb testing.TB, store pool.Store, macs ...macrelay.MacConfig) *world {
	tb.Helper()
	ctx := context.Background()
	w := &world{tb: tb, macs: map[string]macrelay.MacConfig{}, logs: &logBuffer{}}
	w.engine = pool.New(store, pool.WithClock(time.Now))
	srv := httptest.NewServer(api.New(w.engine, api.Options{AdminToken: adminToken}))
	tb.Cleanup(srv.Close)
	w.url = srv.URL
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("dispatcher log:\n%s", w.logs)
		}
	})

	var err error
	if w.org, err = w.engine.CreateOrg(ctx, pool.OrgSpec{Name: "org"}); err != nil {
		tb.Fatalf("create org: %v", err)
	}
	if w.key, w.secret, err = w.engine.CreateKey(ctx, w.org.ID, "key"); err != nil {
		tb.Fatalf("create key: %v", err)
	}
	if len(macs) == 0 {
		return w
	}
	w.events = newGate(w.url)
	events := httptest.NewServer(w.events)
	tb.Cleanup(events.Close)
	tb.Cleanup(w.events.open) // before events.Close, which waits for the requests held
	w.fleet, err = macrelay.New(macrelay.Config{EngineURL: events.URL, Macs: macs, Seed: 1, EventBackoff: 5 * time.Millisecond})
	if err != nil {
		tb.Fatalf("fleet: %v", err)
	}
	tb.Cleanup(func() { w.fleet.Close() })
	if err := w.fleet.Start(); err != nil {
		tb.Fatalf("start fleet: %v", err)
	}
	var phones []string
	for _, m := range macs {
		w.macs[m.ID] = m
		snap, err := w.fleet.Mac(m.ID)
		if err != nil {
			tb.Fatalf("fleet mac: %v", err)
		}
		w.relay(m.ID, snap.URL, m.Secret)
		for _, l := range m.Lines {
			w.number(pool.NumberSpec{OrgID: w.org.ID, Phone: l.Phone, Provider: pool.ProviderBlooio, RelayID: m.ID, LineSlot: l.Slot})
			phones = append(phones, l.Phone)
		}
	}
	w.assign(w.key.ID, phones...)
	tb.Cleanup(func() {
		if un := w.fleet.Unexpected(); len(un) > 0 {
			tb.Errorf("the fake relay got requests it does not implement: %+v", un)
		}
	})
	return w
}

func (w *world) relay(id, url, secret string) {
	w.tb.Helper()
	if _, err := w.engine.RegisterRelay(context.Background(), pool.Relay{ID: id, URL: url, Secret: secret}); err != nil {
		w.tb.Fatalf("register relay %s: %v", id, err)
	}
}

func (w *world) number(s pool.NumberSpec) {
	w.tb.Helper()
	if _, err := w.engine.RegisterNumber(context.Background(), s); err != nil {
		w.tb.Fatalf("register %s: %v", s.Phone, err)
	}
}

func (w *world) assign(keyID string, phones ...string) {
	w.tb.Helper()
	if _, err := w.engine.AssignNumbers(context.Background(), keyID, pool.AssignRequest{Phones: phones}); err != nil {
		w.tb.Fatalf("assign %v: %v", phones, err)
	}
}

// send sends text from the world's key (from "" lets the engine select) and returns the
// message id.
func (w *world) send(keyID, chatID, from string, text string, attachments ...string) string {
	w.tb.Helper()
	res, err := w.engine.Send(context.Background(), pool.SendRequest{KeyID: keyID, ChatID: chatID, From: from,
		Texts: []string{text}, Attachments: attachments})
	if err != nil {
		w.tb.Fatalf("send to %s: %v", chatID, err)
	}
	return res.MessageID
}

// httpClient is an HTTP client that counts the relay sends and the Twilio creates.
func (w *world) httpClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.Method != http.MethodPost:
		case strings.HasSuffix(r.URL.Path, "/v1/messages"):
			w.posts.Add(1)
		case strings.HasSuffix(r.URL.Path, "/Messages.json"):
			w.creates.Add(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// dispatcher returns a Dispatcher of the world's engine: quick polls, no wait between
// attempts unless cfg says otherwise, logging into the world's log.
func (w *world) dispatcher(cfg delivery.Config) *delivery.Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = w.httpClient()
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return 0 }
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Millisecond
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = w.url
	}
	return delivery.New(w.engine, cfg)
}

// run starts d.Run until the test ends.
func (w *world) run(d *delivery.Dispatcher) {
	w.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	w.tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			w.tb.Errorf("Run: %v", err)
		}
	})
}

// dispatchOnce runs d.DispatchOnce and returns how many messages it attempted.
func (w *world) dispatchOnce(d *delivery.Dispatcher) int {
	w.tb.Helper()
	n, err := d.DispatchOnce(context.Background())
	if err != nil {
		w.tb.Fatalf("DispatchOnce: %v", err)
	}
	return n
}

// message returns a message of keyID as the engine has it.
func (w *world) message(keyID, id string) pool.Message {
	w.tb.Helper()
	m, err := w.engine.Message(context.Background(), keyID, id)
	if err != nil {
		w.tb.Fatalf("message %s: %v", id, err)
	}
	return m
}

// waitStatus waits, with a deadline, until the message has status want.
func (w *world) waitStatus(keyID, id string, want pool.Status) pool.Message {
	w.tb.Helper()
	var m pool.Message
	waitFor(w.tb, fmt.Sprintf("message %s %s", id, want), func() bool {
		m = w.message(keyID, id)
		return m.Status == want
	})
	return m
}

// health returns a number's health status.
func (w *world) health(phone string) pool.Health {
	w.tb.Helper()
	rep, err := w.engine.NumberHealth(context.Background(), phone)
	if err != nil {
		w.tb.Fatalf("health of %s: %v", phone, err)
	}
	return rep.Status
}

// received returns what a fake Mac received.
func (w *world) received(macID string) []macrelay.Message {
	w.tb.Helper()
	msgs, err := w.fleet.Messages(macID)
	if err != nil {
		w.tb.Fatalf("messages of %s: %v", macID, err)
	}
	return msgs
}

// waitFor waits until cond holds, checking every 2 ms, for at most 10 s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after 10s waiting for %s", what)
		}
		<-tick.C
	}
}

// gate forwards requests to a server while open and holds them while closed.
type gate struct {
	proxy  *httputil.ReverseProxy
	mu     sync.Mutex
	opened chan struct{} // closed while the gate is open
}

func newGate(target string) *gate {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	g := &gate{proxy: httputil.NewSingleHostReverseProxy(u), opened: make(chan struct{})}
	close(g.opened)
	return g
}

// close holds the requests from now on until open.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.opened:
		g.opened = make(chan struct{})
	default:
	}
}

// open forwards the requests held and those to come.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.opened:
	default:
		close(g.opened)
	}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	opened := g.opened
	g.mu.Unlock()
	select {
	case <-opened:
		g.proxy.ServeHTTP(w, r)
	case <-r.Context().Done():
	}
}

// logBuffer collects the dispatcher's log; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
