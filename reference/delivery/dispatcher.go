// Package delivery dispatches the engine's outbox (SPEC §7): every accepted outbound
// message goes to its Mac relay (POST {relay}/v1/messages) or to Twilio (twilio-go
// CreateMessage), at least once, with capped exponential backoff between attempts. A relay
// that cannot be reached marks its number offline, and a poll of the relay's health brings
// the number back (POOL-HEALTH-2).
//
// The engine keeps the outbox; the Dispatcher keeps only which messages its workers hold,
// so that no message is dispatched twice at once, and the SIDs of Twilio messages accepted
// but not yet marked dispatched, so that a message Twilio accepted is never created again
// by this process.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"poolkit/reference/pool"
)

// DefaultTwilioURL is Twilio's REST API, the default Config.TwilioURL.
const DefaultTwilioURL = "https://api.twilio.com"

// Config configures a Dispatcher. Every zero field has a default.
type Config struct {
	// PublicURL is the engine's own base URL, used in Twilio's StatusCallback
	// ({PublicURL}/twilio/v1/status/{integration}/{token}?message_id=…). Empty: Twilio
	// messages are sent without a StatusCallback.
	PublicURL string
	// TwilioURL replaces Twilio's base URL (scheme, host and a path prefix) in every
	// Twilio request; default DefaultTwilioURL. Tests point it at the fake Twilio.
	TwilioURL string
	// HTTPClient sends to the relays; its Transport and Timeout also carry the Twilio
	// requests. Default: a client with a 10 s timeout that follows no redirects and keeps
	// enough idle connections per host for the workers.
	HTTPClient *http.Client
	// Now is the clock of retry times. It must be the engine's clock: the engine compares
	// a retry's time with its own now. Default time.Now.
	Now func() time.Time
	// Logger receives one line per dispatch attempt and health change; never a secret.
	// Default: discard.
	Logger *slog.Logger
	// Workers bounds the dispatches in progress at once; default 4.
	Workers int
	// PollInterval is how often Run reads the outbox when nothing wakes it; default 50 ms.
	PollInterval time.Duration
	// HealthInterval is how often Run polls the relays that have an offline line
	// (POOL-HEALTH-2); default 5 s.
	HealthInterval time.Duration
	// MaxAttempts bounds the attempts of one message, the first included; after the last
	// retryable failure the message is failed with that failure's code. Default 10.
	MaxAttempts int
	// Backoff returns the wait after the attempt-th failed attempt (1 for the first).
	// Default ExponentialBackoff(200ms, 30s, Seed).
	Backoff func(attempt int) time.Duration
	// Seed seeds the default Backoff's jitter.
	Seed int64
}

// Dispatcher sends the engine's outbox to the Mac relays and to Twilio. Build it with
// New; it is safe for concurrent use.
type Dispatcher struct {
	engine   *pool.Engine
	cfg      Config
	log      *slog.Logger
	twilio   *url.URL
	cfgErr   error
	capacity int // most messages held by workers at once: the size of one claim
	kick     chan struct{}

	// claimMu serialises claims, so that a message released while an Outbox read was under
	// way is recognised when that read's result is filtered (see claim).
	claimMu sync.Mutex

	mu       sync.Mutex
	inflight map[string]struct{} // messages a worker holds
	released map[string]struct{} // messages released since the current claim began
	accepted map[string]string   // Twilio messages accepted but not marked dispatched → SID
	running  bool
}

// New returns a Dispatcher of e's outbox. A TwilioURL that is not an absolute URL makes
// Run and DispatchOnce return an error.
func New(e *pool.Engine, cfg Config) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.TwilioURL == "" {
		cfg.TwilioURL = DefaultTwilioURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient(cfg.Workers)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff(200*time.Millisecond, 30*time.Second, cfg.Seed)
	}
	d := &Dispatcher{
		engine:   e,
		cfg:      cfg,
		log:      cfg.Logger,
		capacity: 4 * cfg.Workers,
		kick:     make(chan struct{}, 1),
		inflight: map[string]struct{}{},
		released: map[string]struct{}{},
		accepted: map[string]string{},
	}
	u, err := url.Parse(cfg.TwilioURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		d.cfgErr = errors.New("delivery: TwilioURL " + cfg.TwilioURL + " is not an absolute URL")
	}
	d.twilio = u
	return d
}

// defaultHTTPClient keeps an idle connection per worker and host, so that the workers do
// not open a connection per message.
func defaultHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(2*workers, 8)
	return &http.Client{Transport: t, Timeout: 10 * time.Second, CheckRedirect: noRedirect}
}

// noRedirect makes a client answer a redirect as it is: neither a relay nor Twilio
// redirects a send, and following one would resend it elsewhere.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Kick wakes Run to read the outbox now, as the HTTP layer does right after a send
// commits. It never blocks; kicks while one is pending merge.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run dispatches the outbox until ctx is done. It reads the due messages every
// PollInterval, on Kick, and, after a read that filled the workers' queue, as soon as
// they have room for Workers more; Workers workers dispatch them. Beside it the health
// poller runs every HealthInterval. When ctx is done Run starts no new dispatch, waits for
// those under way (each bounded by the HTTP client's timeout, its outcome recorded even
// though ctx is done) and returns nil. It returns an error at once for an invalid Config
// or when Run is already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.cfgErr != nil {
		return d.cfgErr
	}
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("delivery: Run is already running")
	}
	d.running = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()

	jobs := make(chan pool.Dispatch, d.capacity) // never full: at most capacity are claimed
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() {
			for job := range jobs {
				if ctx.Err() == nil {
					d.dispatch(context.WithoutCancel(ctx), job)
				}
				d.release(job.Message.ID)
				select {
				case freed <- struct{}{}:
				default:
				}
			}
		})
	}
	wg.Go(func() { d.pollHealthEvery(ctx) })

	poll := time.NewTicker(d.cfg.PollInterval)
	defer poll.Stop()
	full := d.fill(ctx, jobs)
	for {
		select {
		case <-ctx.Done():
			close(jobs)
			wg.Wait()
			return nil
		case <-poll.C:
		case <-d.kick:
		case <-freed:
			if !full || d.room() < d.cfg.Workers {
				// Nothing more was due at the last read; or the workers still hold enough
				// for now, and a read per freed slot would only cost outbox scans.
				continue
			}
		}
		full = d.fill(ctx, jobs)
	}
}

// fill claims as many due messages as the workers have room for and queues them. It
// reports whether it took all the room, so that more may be due.
func (d *Dispatcher) fill(ctx context.Context, jobs chan<- pool.Dispatch) bool {
	room := d.room()
	if room <= 0 {
		return true
	}
	batch, err := d.claim(ctx, room, nil)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("delivery: read the outbox", "error", err)
		}
		return false
	}
	for _, job := range batch {
		jobs <- job
	}
	return len(batch) == room
}

// room is how many more messages the workers can take.
func (d *Dispatcher) room() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.capacity - len(d.inflight)
}

// DispatchOnce dispatches every message due now, each at most once, with up to Workers
// at a time, and returns how many it attempted. A message it retries with no wait is not
// attempted again by the same call. Outcomes are recorded even if ctx ends meanwhile.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	if d.cfgErr != nil {
		return 0, d.cfgErr
	}
	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return len(seen), err
		}
		batch, err := d.claim(ctx, d.capacity, seen)
		if err != nil || len(batch) == 0 {
			return len(seen), err
		}
		sem := make(chan struct{}, d.cfg.Workers)
		var wg sync.WaitGroup
		for _, job := range batch {
			seen[job.Message.ID] = true
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				d.dispatch(context.WithoutCancel(ctx), job)
				d.release(job.Message.ID)
			})
		}
		wg.Wait()
	}
}

// claim reads the outbox and takes up to most due messages that no worker holds, skip
// excepted, marking them in flight.
//
// A worker releases a message only after its outcome is committed, but a read that began
// before that commit still lists it. So a claim ignores what was released since it began;
// whatever was released before had its outcome committed before the read.
func (d *Dispatcher) claim(ctx context.Context, most int, skip map[string]bool) ([]pool.Dispatch, error) {
	d.claimMu.Lock()
	defer d.claimMu.Unlock()
	d.mu.Lock()
	clear(d.released)
	limit := most + len(d.inflight) + len(skip) // the earliest due include most others
	d.mu.Unlock()

	due, err := d.engine.Outbox(ctx, limit)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []pool.Dispatch
	for _, job := range due {
		id := job.Message.ID
		_, held := d.inflight[id]
		_, released := d.released[id]
		if held || released || skip[id] {
			continue
		}
		d.inflight[id] = struct{}{}
		out = append(out, job)
		if len(out) == most {
			break
		}
	}
	return out, nil
}

// release ends a worker's hold on a message once its outcome is recorded.
func (d *Dispatcher) release(id string) {
	d.mu.Lock()
	delete(d.inflight, id)
	d.released[id] = struct{}{}
	d.mu.Unlock()
}
