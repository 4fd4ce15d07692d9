// Package apitest starts poolkit's HTTP API for tests: an engine over the in-memory store
// with a manual clock, served on loopback by httptest, and clients whose every response is
// validated against the OpenAPI document.
package apitest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"poolkit/internal/testclock"
	"poolkit/reference/api"
	"poolkit/reference/client"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// AdminToken is the admin token of a test server.
const AdminToken = "test-admin-token"

// Epoch is where a test server's clock starts.
var Epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// Clock is a manual clock, safe for concurrent use.
type Clock = testclock.Clock

// Server is a running test API.
type Server struct {
	tb     testing.TB
	URL    string
	Engine *pool.Engine
	Store  *mem.Store
	Clock  *Clock
	// HTTP is the validating HTTP client every client of the server uses.
	HTTP *http.Client
	// Admin is a client with the admin token.
	Admin *client.Client

	seq atomic.Int64
}

// Start serves a fresh engine on loopback until the test ends.
func Start(tb testing.TB) *Server { return StartWith(tb, nil) }

// StartWith is Start with options of one's own: configure, when not nil, changes the
// Options the API is built with; url is the server's base URL.
func StartWith(tb testing.TB, configure func(o *api.Options, url string)) *Server {
	tb.Helper()
	s := &Server{tb: tb, Store: mem.New(), Clock: testclock.New(Epoch)}
	s.Engine = pool.New(s.Store, pool.WithClock(s.Clock.Now))
	ts := httptest.NewUnstartedServer(nil)
	o := api.Options{AdminToken: AdminToken, Logger: slog.New(slog.DiscardHandler), Now: s.Clock.Now}
	if configure != nil {
		configure(&o, "http://"+ts.Listener.Addr().String())
	}
	ts.Config.Handler = api.New(s.Engine, o)
	ts.Start()
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	s.HTTP = &http.Client{Transport: ValidatingTransport(tb, ts.Client().Transport), Timeout: 30 * time.Second}
	s.Admin = client.New(s.URL, client.WithHTTPClient(s.HTTP), client.WithAdminToken(AdminToken))
	return s
}

// Client returns a client that authenticates with an API key secret.
func (s *Server) Client(secret string) *client.Client {
	return client.New(s.URL, client.WithHTTPClient(s.HTTP), client.WithAPIKey(secret), client.WithAdminToken(AdminToken))
}

// Org creates an organization with strategy ("" for the default).
func (s *Server) Org(strategy string) client.Org {
	s.tb.Helper()
	org, err := s.Admin.CreateOrg(context.Background(), client.CreateOrgRequest{Name: "org", Strategy: strategy})
	if err != nil {
		s.tb.Fatalf("create org: %v", err)
	}
	return org
}

// Relay registers a relay with secret.
func (s *Server) Relay(id, secret string) {
	s.tb.Helper()
	if _, err := s.Admin.RegisterRelay(context.Background(), client.RegisterRelayRequest{RelayID: id, URL: "http://127.0.0.1:9/" + id, Secret: secret}); err != nil {
		s.tb.Fatalf("register relay: %v", err)
	}
}

// Key is an API key with its client.
type Key struct {
	ID     string
	Secret string
	*client.Client
}

// Key creates an API key in org.
func (s *Server) Key(orgID string) Key {
	s.tb.Helper()
	k, err := s.Admin.CreateKey(context.Background(), orgID, fmt.Sprintf("key-%d", s.seq.Add(1)))
	if err != nil {
		s.tb.Fatalf("create key: %v", err)
	}
	return Key{ID: k.KeyID, Secret: k.APIKey, Client: s.Client(k.APIKey)}
}

// Blooio registers phone on the next free slot of relayID with planKind ("" for the
// default) and returns the slot.
func (s *Server) Blooio(orgID, relayID, phone, planKind string) int {
	s.tb.Helper()
	slot := int(s.seq.Add(1))
	_, err := s.Admin.RegisterNumber(context.Background(), orgID, client.RegisterNumberRequest{
		PhoneNumber: phone, RelayID: relayID, LineSlot: &slot, PlanKind: planKind,
	})
	if err != nil {
		s.tb.Fatalf("register %s: %v", phone, err)
	}
	return slot
}

// Twilio registers a Twilio number.
func (s *Server) Twilio(orgID, phone string) {
	s.tb.Helper()
	if _, err := s.Admin.RegisterNumber(context.Background(), orgID, client.RegisterNumberRequest{PhoneNumber: phone, Provider: "twilio"}); err != nil {
		s.tb.Fatalf("register %s: %v", phone, err)
	}
}

// Assign assigns phones to a key.
func (s *Server) Assign(keyID string, phones ...string) client.Allocations {
	s.tb.Helper()
	a, err := s.Admin.AssignNumbers(context.Background(), keyID, client.AssignRequest{PhoneNumbers: phones})
	if err != nil {
		s.tb.Fatalf("assign %v: %v", phones, err)
	}
	return a
}
