package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"poolkit/reference/api"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// A Target is where scenarios run: Open gives one scenario a deployment to provision.
// Open is called once per scenario and may be called concurrently.
type Target interface {
	Open(ctx context.Context) (*Deployment, error)
}

// Deployment is a poolkit API a scenario provisions through the admin API. The runner
// starts a fake Mac relay fleet of its own for the scenario's Blooio numbers and registers
// it, so the deployment must be able to reach loopback.
type Deployment struct {
	URL        string
	AdminToken string
	// Shared says other runs use the same deployment: relay ids and phone numbers are
	// then drawn at random instead of from a fixed block.
	Shared bool
	// Close releases the deployment (nil: nothing to release).
	Close func() error
}

// Embedded is the default target: every scenario gets a fresh engine over the in-memory
// store, with its API and its outbox dispatcher on loopback.
type Embedded struct{}

// Open starts a fresh embedded deployment.
func (Embedded) Open(ctx context.Context) (*Deployment, error) {
	var seed [32]byte
	rand.Read(seed[:])
	engine := pool.New(mem.New(), pool.WithClock(time.Now), pool.WithIDs(pool.NewRandom(seed)), pool.WithEntropy(rand.Reader))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	log := slog.New(slog.DiscardHandler)
	disp := delivery.New(engine, delivery.Config{PublicURL: url, Now: time.Now, Logger: log})
	srv := &http.Server{
		Handler:           api.New(engine, api.Options{AdminToken: token, Logger: log, Now: time.Now, PublicURL: url, Dispatcher: disp}),
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
	return &Deployment{URL: url, AdminToken: token, Close: closeAll}, nil
}

// Remote is a running poolkit reference (or anything serving the admin API) that many
// scenarios share.
type Remote struct {
	URL        string
	AdminToken string
}

// Open returns the shared deployment.
func (r Remote) Open(context.Context) (*Deployment, error) {
	return &Deployment{URL: strings.TrimRight(r.URL, "/"), AdminToken: r.AdminToken, Shared: true}, nil
}
