package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// validating is an HTTP client whose every response is checked against the OpenAPI
// document.
func validating(t *testing.T) *http.Client {
	return &http.Client{Transport: apitest.ValidatingTransport(t, nil), Timeout: 30 * time.Second}
}

// server is a `poolkit serve` running in a goroutine.
type server struct {
	URL, AdminToken string
	Stderr          *syncBuffer
	cancel          context.CancelFunc
	done            chan struct{} // closed when run returns
	err             error         // run's error, once done is closed
}

// startServe runs `poolkit serve args…` with env and waits for its listening line.
func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{Stderr: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = run(ctx, append([]string{"poolkit", "serve"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), pw, s.Stderr)
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "poolkit serve ended before listening: %s", s.Stderr)
			if tok, ok := strings.CutPrefix(l, "poolkit: admin token: "); ok {
				s.AdminToken = tok
			}
			if u, ok := strings.CutPrefix(l, "poolkit: listening on "); ok {
				s.URL = u
				go func() {
					for range lines {
					}
				}()
				return s
			}
		case <-deadline:
			t.Fatalf("no listening line; stderr: %s", s.Stderr)
		}
	}
}

// stop cancels the server's context, as SIGTERM does, and returns run's error.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
		return s.err
	case <-time.After(30 * time.Second):
		t.Fatal("poolkit serve did not stop")
		return nil
	}
}

func TestServe_MemLifecycle(t *testing.T) {
	s := startServe(t, nil, "--store", "mem", "--addr", "127.0.0.1:0", "--log-format", "json")
	require.Len(t, s.AdminToken, 64, "a generated admin token is printed once")
	require.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"))

	ctx := t.Context()
	admin := client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken(s.AdminToken))
	h, err := admin.Healthz(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", h.Status)
	_, err = admin.Readyz(ctx)
	require.NoError(t, err)
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "acme"})
	require.NoError(t, err)
	key, err := admin.CreateKey(ctx, org.OrganizationID, "k")
	require.NoError(t, err)
	require.NotContains(t, key.KeyID, "00000", "ids are random, not a sequence")
	_, err = admin.ForKey(key.APIKey).Send(ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.Equal(t, pool.CodeNoNumbersAssigned, client.CodeOf(err))
	_, err = client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("wrong")).CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	require.Equal(t, pool.CodeUnauthorized, client.CodeOf(err))

	require.NoError(t, s.stop(t))
	_, err = admin.Healthz(ctx)
	require.Error(t, err, "the listener is closed")

	var routes []string
	for _, l := range strings.Split(strings.TrimSpace(s.Stderr.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "a JSON log line: %s", l)
		if r, ok := m["route"].(string); ok {
			routes = append(routes, r)
		}
	}
	require.Contains(t, routes, "POST /admin/v1/orgs")
	require.NotContains(t, s.Stderr.String(), s.AdminToken)
	require.NotContains(t, s.Stderr.String(), key.APIKey)
}

func TestServe_SQLitePersists(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"POOLKIT_ADMIN_TOKEN": "env-token", "POOLKIT_DATA_DIR": dir, "POOLKIT_STORE": "sqlite", "POOLKIT_ADDR": "127.0.0.1:0"}
	s := startServe(t, env)
	require.Empty(t, s.AdminToken, "a given token is not printed")
	ctx := t.Context()
	admin := client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("env-token"))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "durable"})
	require.NoError(t, err)
	require.NoError(t, s.stop(t))

	s = startServe(t, env)
	admin = client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("env-token"))
	got, err := admin.Org(ctx, org.OrganizationID)
	require.NoError(t, err)
	require.Equal(t, org, got)
	require.NoError(t, s.stop(t))
}

func TestServe_FlagsWinOverEnv(t *testing.T) {
	env := map[string]string{"POOLKIT_ADDR": "256.0.0.1:99999", "POOLKIT_STORE": "bogus", "POOLKIT_ADMIN_TOKEN": "env-token", "POOLKIT_LOG_FORMAT": "xml"}
	s := startServe(t, env, "--addr", "127.0.0.1:0", "--store", "mem", "--admin-token", "flag-token", "--log-format", "text")
	ctx := t.Context()
	_, err := client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("flag-token")).CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	require.NoError(t, err)
	_, err = client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("env-token")).CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	require.Equal(t, pool.CodeUnauthorized, client.CodeOf(err))
	require.NoError(t, s.stop(t))
}

// TestServe_DrainsInFlightRequests starts a send whose body is still arriving, shuts the
// server down, and checks that the send completes before run returns.
func TestServe_DrainsInFlightRequests(t *testing.T) {
	s := startServe(t, nil, "--store", "mem", "--addr", "127.0.0.1:0", "--admin-token", "t")
	ctx := t.Context()
	admin := client.New(s.URL, client.WithHTTPClient(validating(t)), client.WithAdminToken("t"))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	require.NoError(t, err)
	key, err := admin.CreateKey(ctx, org.OrganizationID, "k")
	require.NoError(t, err)

	// A raw connection with "Expect: 100-continue": the server's "100 Continue" proves that
	// the handler runs and waits for the body.
	addr := strings.TrimPrefix(s.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := `{"text":"hi"}`
	_, err = fmt.Fprintf(conn, "POST /v2/api/chats/%%2B15557654321/messages HTTP/1.1\r\nHost: poolkit\r\n"+
		"Authorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		key.APIKey, len(body))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v2/api/chats/%2B15557654321/messages", nil)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusContinue, cont.StatusCode)

	s.cancel()
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "the listener closes when shutdown begins")
	select {
	case <-s.done:
		t.Fatalf("run returned before the in-flight request finished: %v", s.err)
	default:
	}

	_, err = conn.Write([]byte(body))
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, req)
	require.NoError(t, err)
	respBody, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, apitest.LoadOpenAPI(t).ValidateResponse(req, resp.StatusCode, resp.Header, respBody))
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "the request ran to the end (no numbers assigned)")
	require.NoError(t, s.stop(t))
}

func TestRun_Usage(t *testing.T) {
	ctx := t.Context()
	getenv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"poolkit", "help"}, getenv, nil, &out, &errOut))
	require.Contains(t, out.String(), "Usage: poolkit")
	require.Contains(t, out.String(), "serve")

	for _, args := range [][]string{{"poolkit"}, {"poolkit", "frobnicate"}} {
		out.Reset()
		errOut.Reset()
		require.Error(t, run(ctx, args, getenv, nil, &out, &errOut))
		require.Contains(t, errOut.String(), "Usage: poolkit")
	}
	for _, args := range [][]string{
		{"poolkit", "serve", "--store", "postgres"},
		{"poolkit", "serve", "--log-format", "xml"},
		{"poolkit", "serve", "--no-such-flag"},
		{"poolkit", "serve", "extra"},
		{"poolkit", "serve", "--store", "mem", "--addr", "256.0.0.1:99999", "--admin-token", "x"},
	} {
		require.Error(t, run(ctx, args, getenv, nil, io.Discard, io.Discard), args)
	}
	errOut.Reset()
	require.NoError(t, run(ctx, []string{"poolkit", "serve", "-h"}, getenv, nil, io.Discard, &errOut))
	require.Contains(t, errOut.String(), "POOLKIT_DATA_DIR")
}
