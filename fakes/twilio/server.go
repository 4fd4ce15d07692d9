// Package twilio is a fake Twilio REST API (SPEC §8): a real HTTP server that the real
// github.com/twilio/twilio-go client talks to unchanged but for its base URL.
//
// It models accounts (Account SID, auth token, API keys), IncomingPhoneNumbers paged as
// Twilio pages, Messages (create, fetch, list) with Twilio's JSON and error codes, signed
// status callbacks, signed incoming-message webhooks, and a control API (Go methods and
// JSON endpoints under /control/) for faults and for inspecting what was sent. State is
// in memory; random choices come from a seeded generator, so a run repeats exactly.
//
// Any route it does not implement answers 404 with code 20404 and is recorded in
// Unexpected, so a test can assert that its code used nothing the fake does not model.
package twilio

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config configures a Server. Its zero value is usable.
type Config struct {
	// Seed seeds every random choice (SIDs, error ratio, delivery failures).
	Seed int64
	// Now is the clock for the resources' dates; nil means time.Now.
	Now func() time.Time
	// CallbackAttempts bounds the deliveries of one status callback, the first included,
	// made while the receiver answers 5xx or cannot be reached; 0 means 3.
	CallbackAttempts int
	// CallbackBackoff is the wait before the first retry of a status callback, doubled
	// for each further retry; 0 means 20ms.
	CallbackBackoff time.Duration
	// WebhookTimeout bounds one status callback or incoming-message webhook request;
	// 0 means 10s.
	WebhookTimeout time.Duration
}

// Server is a fake Twilio REST API. Its zero value is usable; New sets its Config.
// All methods are safe for concurrent use.
type Server struct {
	cfg      Config
	initOnce sync.Once
	handler  http.Handler
	client   *http.Client
	ctx      context.Context // cancelled by Close: ends pending deliveries
	cancel   context.CancelFunc
	work     sync.WaitGroup // delivery goroutines

	mu         sync.Mutex
	rng        *rand.Rand
	accounts   map[string]*Account // by Account SID
	order      []*Account          // in the order they were added
	messages   []*message          // every message, in the order it was created
	bySid      map[string]*message
	faults     Faults
	unexpected []UnexpectedRequest
	callbacks  []CallbackRecord
	pending    int           // deliveries not yet finished
	idle       chan struct{} // closed and replaced whenever pending drops to 0
	gen        int           // incremented by Reset
	closed     bool          // set by Close: no delivery starts after

	httpSrv *http.Server
	url     string
}

// New returns a Server with cfg. It does not listen until Start or StartAt.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg}
	s.init()
	return s
}

// init completes the Server once; every exported method calls it, so that the zero
// value is usable.
func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.cfg.Now == nil {
			s.cfg.Now = time.Now
		}
		if s.cfg.CallbackAttempts <= 0 {
			s.cfg.CallbackAttempts = 3
		}
		if s.cfg.CallbackBackoff <= 0 {
			s.cfg.CallbackBackoff = 20 * time.Millisecond
		}
		if s.cfg.WebhookTimeout <= 0 {
			s.cfg.WebhookTimeout = 10 * time.Second
		}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.client = &http.Client{
			Timeout: s.cfg.WebhookTimeout,
			// Twilio does not follow redirects of webhooks.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		s.rng = newRand(s.cfg.Seed)
		s.accounts = map[string]*Account{}
		s.bySid = map[string]*message{}
		s.idle = make(chan struct{})
		mux := http.NewServeMux()
		s.addRoutes(mux)
		s.handler = mux
	})
}

func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x7477696c696f)) // "twilio"
}

// Handler returns the fake's HTTP handler, for serving it from a server of one's own.
func (s *Server) Handler() http.Handler {
	s.init()
	return s.handler
}

// Start serves the fake on a fresh port of 127.0.0.1.
func (s *Server) Start() error { return s.StartAt("127.0.0.1:0") }

// StartAt serves the fake on addr (host:port). It fails if the Server already serves.
func (s *Server) StartAt(addr string) error {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv != nil {
		return errors.New("fake twilio: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.httpSrv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go s.httpSrv.Serve(ln)
	return nil
}

// URL returns the base URL the fake serves on ("http://127.0.0.1:port"), or "" before
// Start.
func (s *Server) URL() string {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops serving, abandons pending status callbacks and waits for their goroutines.
func (s *Server) Close() {
	s.init()
	s.mu.Lock()
	srv := s.httpSrv
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	if srv != nil {
		srv.Close()
	}
	s.work.Wait()
}

// WaitIdle waits until every message's delivery, status callbacks included, has
// finished, or until ctx is done.
func (s *Server) WaitIdle(ctx context.Context) error {
	s.init()
	for {
		s.mu.Lock()
		if s.pending == 0 {
			s.mu.Unlock()
			return nil
		}
		idle := s.idle
		s.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Reset forgets every message, status callback and unexpected request, clears the faults
// and re-seeds the random generator. Accounts, API keys and numbers stay. Deliveries in
// flight finish but are no longer listed.
func (s *Server) Reset() {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.bySid = map[string]*message{}
	for _, a := range s.order {
		a.messages = nil
	}
	s.faults = Faults{}
	s.unexpected = nil
	s.callbacks = nil
	s.rng = newRand(s.cfg.Seed)
	s.gen++
}

// now returns the fake's clock in UTC, the zone of Twilio's dates.
func (s *Server) now() time.Time { return s.cfg.Now().UTC() }
