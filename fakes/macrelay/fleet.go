package macrelay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Errors returned by the control methods; the control HTTP API maps them to statuses.
var (
	ErrInvalid      = errors.New("macrelay: invalid request")  // 400
	ErrMacNotFound  = errors.New("macrelay: mac not found")    // 404
	ErrLineNotFound = errors.New("macrelay: line not found")   // 404
	ErrMacOffline   = errors.New("macrelay: mac is offline")   // 409
	ErrLineOffline  = errors.New("macrelay: line is offline")  // 409
	ErrEngine       = errors.New("macrelay: event not posted") // 502: no 2xx–4xx from the engine
)

// Fleet is a set of fake Mac relays sharing one clock, one seeded generator, one event
// log and one control API. Build it with New; it is safe for concurrent use.
type Fleet struct {
	cfg      Config
	now      func() time.Time
	client   *http.Client
	attempts int
	backoff  time.Duration
	handler  http.Handler

	macs  map[string]*mac // fixed after New; the fields of each mac are guarded by mu
	order []string

	mu         sync.Mutex
	rng        *rand.Rand
	events     []EventRecord
	unexpected []Request
	gen        int // bumped by Reset; work of an older generation records nothing
	genCtx     context.Context
	genCancel  context.CancelFunc
	pending    int           // deliveries and event posts in flight
	idle       chan struct{} // closed while pending == 0
	started    bool
	closed     bool
	servers    []*http.Server
	controlURL string

	baseCtx    context.Context
	baseCancel context.CancelFunc
	wg         sync.WaitGroup // delivery goroutines
}

type mac struct {
	cfg      MacConfig
	handler  http.Handler
	url      string
	online   bool
	lines    map[int]*line
	messages []*Message
	byID     map[string]*Message
	ackDrops int
	ackReset bool
}

type line struct {
	slot         int
	phone        string
	online       bool
	banned       bool
	failureRatio float64
	latency      time.Duration
}

// Mac is a snapshot of one Mac relay. URL is its base URL once the fleet is started
// (register it with the engine as {relay_id: ID, url: URL, secret: Secret}).
type Mac struct {
	ID     string       `json:"id"`
	Secret string       `json:"secret"`
	URL    string       `json:"url"`
	Online bool         `json:"online"`
	Lines  map[int]Line `json:"lines"`
}

// Line is a snapshot of one line slot.
type Line struct {
	Slot         int           `json:"slot"`
	Phone        string        `json:"phone"`
	Online       bool          `json:"online"`
	Banned       bool          `json:"banned"`
	FailureRatio float64       `json:"failure_ratio"`
	Latency      time.Duration `json:"-"`
}

type lineJSON struct {
	Slot         int     `json:"slot"`
	Phone        string  `json:"phone"`
	Online       bool    `json:"online"`
	Banned       bool    `json:"banned"`
	FailureRatio float64 `json:"failure_ratio"`
	Latency      string  `json:"latency"`
}

// MarshalJSON writes Latency as a Go duration string ("250ms").
func (l Line) MarshalJSON() ([]byte, error) {
	return json.Marshal(lineJSON{l.Slot, l.Phone, l.Online, l.Banned, l.FailureRatio, l.Latency.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Line) UnmarshalJSON(b []byte) error {
	var j lineJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	d, err := parseDuration(j.Latency)
	if err != nil {
		return err
	}
	*l = Line{j.Slot, j.Phone, j.Online, j.Banned, j.FailureRatio, d}
	return nil
}

// New builds a fleet from cfg. It binds nothing: call Start, or serve Handler.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, now: cfg.Now, client: cfg.HTTPClient, attempts: cfg.EventAttempts,
		backoff: cfg.EventBackoff, macs: map[string]*mac{}}
	if f.now == nil {
		f.now = time.Now
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: 10 * time.Second}
	}
	if f.attempts == 0 {
		f.attempts = 5
	}
	if f.backoff == 0 {
		f.backoff = 20 * time.Millisecond
	}
	f.baseCtx, f.baseCancel = context.WithCancel(context.Background())
	for _, mc := range cfg.Macs {
		m := &mac{cfg: mc}
		m.handler = f.macHandler(m)
		f.macs[mc.ID] = m
		f.order = append(f.order, mc.ID)
	}
	f.idle = make(chan struct{})
	close(f.idle)
	f.resetLocked()
	f.handler = f.fleetHandler()
	return f, nil
}

// resetLocked puts every Mac, line, log and the generator back to the configured start.
func (f *Fleet) resetLocked() {
	if f.genCancel != nil {
		f.genCancel()
	}
	f.gen++
	f.genCtx, f.genCancel = context.WithCancel(f.baseCtx)
	f.rng = rand.New(rand.NewPCG(uint64(f.cfg.Seed), 0x6d61_6372_656c_6179))
	f.events, f.unexpected = nil, nil
	for _, m := range f.macs {
		m.online = !m.cfg.Offline
		m.lines = map[int]*line{}
		for _, lc := range m.cfg.Lines {
			m.lines[lc.Slot] = &line{slot: lc.Slot, phone: lc.Phone, online: !lc.Offline, banned: lc.Banned,
				failureRatio: lc.FailureRatio, latency: lc.Latency}
		}
		m.messages, m.byID = nil, map[string]*Message{}
		m.ackDrops, m.ackReset = 0, false
	}
}

// Handler serves the whole fleet for embedding: the control API under /control/ and each
// Mac's relay API under /{mac_id}/ (so a Mac's base URL is <server>/<mac_id>).
func (f *Fleet) Handler() http.Handler { return f.handler }

// Start binds a listener per Mac (MacConfig.Addr) and one for the control API
// (Config.ControlAddr), by default on 127.0.0.1:0, and serves them until Close.
func (f *Fleet) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started || f.closed {
		return errors.New("macrelay: Start called twice or after Close")
	}
	f.started = true
	serve := func(addr string, h http.Handler) (string, error) {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return "", err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		f.servers = append(f.servers, srv)
		go srv.Serve(l) //nolint:errcheck // ends with ErrServerClosed on Close
		return "http://" + l.Addr().String(), nil
	}
	var err error
	if f.controlURL, err = serve(f.cfg.ControlAddr, f.handler); err != nil {
		f.closeServersLocked()
		return fmt.Errorf("macrelay: control listener: %w", err)
	}
	for _, id := range f.order {
		m := f.macs[id]
		if m.url, err = serve(m.cfg.Addr, m.handler); err != nil {
			f.closeServersLocked()
			return fmt.Errorf("macrelay: mac %q listener: %w", id, err)
		}
	}
	return nil
}

func (f *Fleet) closeServersLocked() {
	for _, s := range f.servers {
		s.Close()
	}
	f.servers = nil
}

// URL is the base URL of the control API (and of Handler) once started.
func (f *Fleet) URL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.controlURL
}

// Close stops the listeners and abandons pending deliveries. It is idempotent.
func (f *Fleet) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.closeServersLocked()
	f.mu.Unlock()
	f.baseCancel()
	f.wg.Wait()
	return nil
}

// Macs returns a snapshot of every Mac, in configured order.
func (f *Fleet) Macs() []Mac {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Mac, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, f.macs[id].snapshot())
	}
	return out
}

// Mac returns a snapshot of one Mac, or ErrMacNotFound.
func (f *Fleet) Mac(id string) (Mac, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.lookup(id)
	if err != nil {
		return Mac{}, err
	}
	return m.snapshot(), nil
}

func (m *mac) snapshot() Mac {
	s := Mac{ID: m.cfg.ID, Secret: m.cfg.Secret, URL: m.url, Online: m.online, Lines: map[int]Line{}}
	for slot, l := range m.lines {
		s.Lines[slot] = l.snapshot()
	}
	return s
}

func (l *line) snapshot() Line {
	return Line{Slot: l.slot, Phone: l.phone, Online: l.online, Banned: l.banned,
		FailureRatio: l.failureRatio, Latency: l.latency}
}

func (f *Fleet) lookup(id string) (*mac, error) {
	m := f.macs[id]
	if m == nil {
		return nil, fmt.Errorf("%w: %q", ErrMacNotFound, id)
	}
	return m, nil
}

func (f *Fleet) lookupLine(id string, slot int) (*mac, *line, error) {
	m, err := f.lookup(id)
	if err != nil {
		return nil, nil, err
	}
	l := m.lines[slot]
	if l == nil {
		return nil, nil, fmt.Errorf("%w: mac %q slot %d", ErrLineNotFound, id, slot)
	}
	return m, l, nil
}

// begin and end count work in flight for WaitIdle; both need mu held.
func (f *Fleet) beginLocked() {
	if f.pending == 0 {
		f.idle = make(chan struct{})
	}
	f.pending++
}

func (f *Fleet) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending--
	if f.pending == 0 {
		close(f.idle)
	}
}

// WaitIdle blocks until no delivery or event post is in flight, or ctx is done. After it
// returns nil every accepted message has had its status events posted (or given up).
func (f *Fleet) WaitIdle(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.pending == 0 {
			f.mu.Unlock()
			return nil
		}
		idle := f.idle
		f.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("macrelay: still busy: %w", ctx.Err())
		}
	}
}
