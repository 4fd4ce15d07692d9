package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"poolkit/internal/testclock"
	"poolkit/reference/api"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// Embedded is the default target: a reference deployment started in-process — the engine
// over the in-memory store, its API with a movable clock and its outbox dispatcher —
// reached over real HTTP on loopback. It offers every capability.
type Embedded struct {
	// PoolOptions are added to the engine's options (the conformance mutants use them
	// to break one rule).
	PoolOptions []pool.Option
}

// Open starts a fresh embedded deployment; its Close stops it.
func (e Embedded) Open(ctx context.Context) (*Deployment, error) {
	var seed [32]byte
	rand.Read(seed[:])
	clock := new(testclock.Offset)
	opts := append([]pool.Option{pool.WithClock(clock.Now), pool.WithIDs(pool.NewRandom(seed)), pool.WithEntropy(rand.Reader)}, e.PoolOptions...)
	engine := pool.New(mem.New(), opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	log := slog.New(slog.DiscardHandler)
	disp := delivery.New(engine, delivery.Config{PublicURL: url, Now: clock.Now, Logger: log})
	srv := &http.Server{
		Handler:           api.New(engine, api.Options{AdminToken: token, Logger: log, PublicURL: url, Dispatcher: disp, Clock: clock}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	dctx, stop := context.WithCancel(context.Background())
	dispatched := make(chan error, 1)
	go func() { dispatched <- disp.Run(dctx) }()
	closeAll := func() error {
		stop()
		derr := <-dispatched
		if errors.Is(derr, context.Canceled) {
			derr = nil
		}
		serr := srv.Close()
		<-served
		return errors.Join(derr, serr)
	}
	d := &Deployment{URL: url, AdminToken: token, Close: closeAll}
	d.once.Do(func() { d.caps = CapabilitySet("", AllCapabilities...) }) // it offers everything
	return d, nil
}

// Remote is a running deployment that many runs share: a poolkit reference or adapter
// reached with an admin token (then runs provision their own orgs), or any Blooio-
// compatible deployment described by a fixture.
type Remote struct {
	URL        string
	AdminToken string
	Fixture    *Fixture
	HTTPClient *http.Client

	detected *detection // see Shared
}

// Open returns the shared deployment; it releases nothing when closed.
func (r Remote) Open(context.Context) (*Deployment, error) {
	if r.URL == "" {
		return nil, errors.New("target: a remote target needs a base URL")
	}
	det := r.detected
	if det == nil {
		det = new(detection)
	}
	return &Deployment{URL: trimSlash(r.URL), AdminToken: r.AdminToken, Fixture: r.Fixture, Shared: true, HTTPClient: r.HTTPClient,
		detected: det}, nil
}

// Shared returns r with one capability detection for every deployment it opens (a suite
// opens one per check): copies of it share the detection.
func (r Remote) Shared() Remote {
	r.detected = new(detection)
	return r
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
