package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"poolkit/internal/testclock"
	"poolkit/internal/twilioclient"
	"poolkit/reference/api"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
	"poolkit/reference/store/sqlite"
)

// shutdownTimeout bounds how long a shutdown waits for in-flight requests.
const shutdownTimeout = 15 * time.Second

// serveConfig is what `poolkit serve` is told by flags and environment; flags win.
type serveConfig struct {
	addr, dataDir, store, adminToken, logFormat string
	publicURL, twilioURL                        string
	demo, testClock                             bool
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c serveConfig
	fs := flag.NewFlagSet("poolkit serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("POOLKIT_ADDR", "127.0.0.1:8080"), "listen address (env POOLKIT_ADDR)")
	fs.StringVar(&c.dataDir, "data-dir", env("POOLKIT_DATA_DIR", "./poolkit-data"), "directory of the SQLite database (env POOLKIT_DATA_DIR)")
	fs.StringVar(&c.store, "store", env("POOLKIT_STORE", "sqlite"), "store: sqlite or mem (env POOLKIT_STORE)")
	fs.StringVar(&c.adminToken, "admin-token", env("POOLKIT_ADMIN_TOKEN", ""), "admin API token; generated and printed when empty (env POOLKIT_ADMIN_TOKEN)")
	fs.StringVar(&c.logFormat, "log-format", env("POOLKIT_LOG_FORMAT", "text"), "log format: text or json (env POOLKIT_LOG_FORMAT)")
	fs.StringVar(&c.publicURL, "public-url", env("POOLKIT_PUBLIC_URL", ""), "the server's base URL as Twilio reaches it, for status callbacks and inbound webhooks; default http://<listen address> (env POOLKIT_PUBLIC_URL)")
	fs.StringVar(&c.twilioURL, "twilio-url", env("POOLKIT_TWILIO_URL", twilioclient.DefaultBaseURL), "base URL of the Twilio REST API (env POOLKIT_TWILIO_URL)")
	fs.BoolVar(&c.demo, "demo", false, "run the demo deployment: fake Mac relays and a fake Twilio in-process, an org with an iMessage and a Twilio key; the store defaults to mem")
	fs.BoolVar(&c.testClock, "test-clock", false, "give the engine a clock that GET/POST /admin/v1/clock can move forward, for conformance runs (sticky TTL expiry); never in production")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	storeSet := getenv("POOLKIT_STORE") != ""
	fs.Visit(func(f *flag.Flag) { storeSet = storeSet || f.Name == "store" })
	if c.demo && !storeSet {
		c.store = "mem"
	}
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return c, fmt.Errorf("--public-url must be an absolute http or https URL, not %q", c.publicURL)
		}
		c.publicURL = strings.TrimSuffix(c.publicURL, "/")
	}
	if _, err := twilioclient.ParseBaseURL(c.twilioURL); err != nil {
		return c, fmt.Errorf("--twilio-url: %w", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if c.store != "sqlite" && c.store != "mem" {
		return c, fmt.Errorf("--store must be sqlite or mem, not %q", c.store)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}
	return c, nil
}

// serve runs the reference server until ctx ends, then drains in-flight requests and
// closes the store.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)

	var store pool.Store
	switch c.store {
	case "mem":
		store = mem.New()
	case "sqlite":
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			return err
		}
		db, err := sqlite.Open(ctx, filepath.Join(c.dataDir, "poolkit.db"))
		if err != nil {
			return err
		}
		defer db.Close()
		store = db
	}

	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return err
	}
	now := time.Now
	var clock api.Clock
	if c.testClock {
		off := new(testclock.Offset)
		now, clock = off.Now, off
	}
	engine := pool.New(store, pool.WithClock(now), pool.WithIDs(pool.NewRandom(seed)), pool.WithEntropy(rand.Reader))

	if c.adminToken == "" {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		c.adminToken = hex.EncodeToString(raw[:])
		fmt.Fprintf(stdout, "poolkit: admin token: %s\n", c.adminToken)
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	localURL := "http://" + ln.Addr().String()
	if c.publicURL == "" {
		c.publicURL = localURL
	}
	var dem *demoEnv
	if c.demo {
		// The fake Twilio must exist before the server: the server's Twilio URL is its.
		if dem, err = startDemoFakes(localURL); err != nil {
			ln.Close()
			return err
		}
		defer dem.close()
		c.twilioURL = dem.twilio.URL()
	}
	dispatcher := delivery.New(engine, delivery.Config{PublicURL: c.publicURL, TwilioURL: c.twilioURL, Now: now, Logger: log})
	srv := &http.Server{
		Handler: api.New(engine, api.Options{AdminToken: c.adminToken, Logger: log,
			TwilioURL: c.twilioURL, PublicURL: c.publicURL, Dispatcher: dispatcher, Clock: clock}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h, slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "poolkit: listening on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "store", c.store)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatched := make(chan error, 1)
	go func() { dispatched <- dispatcher.Run(dctx) }()
	// stopDispatcher ends the dispatcher and waits for the dispatches under way.
	stopDispatcher := func() error {
		stopDispatch()
		return <-dispatched
	}

	if dem != nil {
		if err := dem.provision(ctx, localURL, c.adminToken, stdout); err != nil {
			srv.Close()
			<-served
			stopDispatcher()
			return fmt.Errorf("demo: %w", err)
		}
		if hook, ok := ctx.Value(demoHookKey{}).(func(*demoEnv)); ok {
			hook(dem)
		}
	}

	select {
	case err := <-served:
		stopDispatcher()
		return err
	case err := <-dispatched:
		srv.Close()
		<-served
		return fmt.Errorf("delivery: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		stopDispatcher()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		stopDispatcher()
		return err
	}
	if err := stopDispatcher(); err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	log.Info("stopped")
	return nil
}
