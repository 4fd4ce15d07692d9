package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// logBuffer collects JSON log lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log records.
func (b *logBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(l, &m))
		out = append(out, m)
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// faultyStore is the in-memory store with a fault knob: while failing, every transaction
// fails to begin with an error whose text must never reach a client.
type faultyStore struct {
	*mem.Store
	failing atomic.Bool
}

const storeFault = "disk on fire at /var/secret/poolkit.db"

func (s *faultyStore) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if s.failing.Load() {
		return nil, errors.New(storeFault)
	}
	return s.Store.Begin(ctx, writable)
}

// handlerServer is the API over a store of the test's choosing, with its logs captured.
type handlerServer struct {
	URL    string
	Client *http.Client
	Engine *pool.Engine
	Logs   *logBuffer
}

func newHandler(t testing.TB, store pool.Store, adminToken string) *handlerServer {
	t.Helper()
	if store == nil {
		store = mem.New()
	}
	clock := &apitest.Clock{}
	clock.Advance(apitest.Epoch.Sub(time.Time{}))
	logs := &logBuffer{}
	e := pool.New(store, pool.WithClock(clock.Now))
	h := api.New(e, api.Options{AdminToken: adminToken, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: clock.Now})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &handlerServer{
		URL: ts.URL, Engine: e, Logs: logs,
		Client: &http.Client{Transport: apitest.ValidatingTransport(t, ts.Client().Transport)},
	}
}

func TestRoutes_UnknownRouteErrorShape(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/", 404, "not_found"},
		{"GET", "/v2/api/nope", 404, "not_found"},
		{"POST", "/v2/api/chats/%2B15557654321", 404, "not_found"},
		{"GET", "/v2/api/chats//messages", 404, "not_found"},
		{"GET", "/v2/api/chats/../me", 404, "not_found"},
		{"DELETE", "/v2/api/me", 405, "method_not_allowed"},
		{"PUT", "/v2/api/chats/%2B15557654321/messages", 405, "method_not_allowed"},
		{"GET", "/relay/v1/events", 405, "method_not_allowed"},
		{"POST", "/healthz", 405, "method_not_allowed"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := raw(t, f.a.Client, client.Request{Method: tc.method, Path: tc.path})
			require.Equal(t, tc.status, resp.Status)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			require.Equal(t, map[string]any{"error": "ApiError", "status": float64(tc.status), "code": tc.code, "message": body["message"]}, body)
			require.Empty(t, resp.Header.Get("Location"))
			if tc.status == 405 {
				require.NotEmpty(t, resp.Header.Get("Allow"))
			}
		})
	}
}

func TestRoutes_Health(t *testing.T) {
	store := &faultyStore{Store: mem.New()}
	h := newHandler(t, store, "")
	c := client.New(h.URL, client.WithHTTPClient(h.Client))
	ctx := t.Context()
	got, err := c.Healthz(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", got.Status)
	got, err = c.Readyz(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", got.Status)

	store.failing.Store(true)
	_, err = c.Healthz(ctx)
	require.NoError(t, err, "liveness does not depend on the store")
	_, err = c.Readyz(ctx)
	ae := requireCode(t, err, 503, api.CodeNotReady)
	require.Equal(t, "5", ae.RetryAfter)
	require.NotContains(t, string(ae.Body), "disk on fire")
}

func TestRoutes_InternalErrorsLeakNothing(t *testing.T) {
	store := &faultyStore{Store: mem.New()}
	h := newHandler(t, store, "admin")
	c := client.New(h.URL, client.WithHTTPClient(h.Client), client.WithAdminToken("admin"), client.WithAPIKey("bl_test_x"))
	ctx := t.Context()
	store.failing.Store(true)
	_, err := c.Send(ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	ae := requireCode(t, err, 500, pool.CodeInternal)
	require.Equal(t, "Internal server error", ae.Message)
	require.NotContains(t, string(ae.Body), "disk")
	_, err = c.CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	ae = requireCode(t, err, 500, pool.CodeInternal)
	require.NotContains(t, string(ae.Body), "disk")

	var logged bool
	for _, l := range h.Logs.lines(t) {
		if l["status"] == float64(500) {
			require.Equal(t, "ERROR", l["level"])
			require.Contains(t, l["error"], storeFault, "the cause is logged")
			logged = true
		}
	}
	require.True(t, logged)
}

func TestRoutes_RequestLogs(t *testing.T) {
	h := newHandler(t, nil, "the-admin-token")
	ctx := t.Context()
	admin := client.New(h.URL, client.WithHTTPClient(h.Client), client.WithAdminToken("the-admin-token"))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "secret-org-name"})
	require.NoError(t, err)
	key, err := admin.CreateKey(ctx, org.OrganizationID, "k")
	require.NoError(t, err)
	c := admin.ForKey(key.APIKey)
	_, err = c.Send(ctx, "+15557654321", client.SendBody{Text: "body text that must not be logged"}, client.SendOptions{})
	requireCode(t, err, 403, pool.CodeNoNumbersAssigned)
	resp, err := c.Do(ctx, client.Request{Method: "GET", Path: "/v2/api/me", Header: http.Header{"X-Request-Id": {"req-123"}}})
	require.NoError(t, err)
	require.Equal(t, "req-123", resp.Header.Get("X-Request-Id"))
	resp, err = c.Do(ctx, client.Request{Method: "GET", Path: "/v2/api/me", Header: http.Header{"X-Request-Id": {"bad id \"forged\""}}})
	require.NoError(t, err)
	require.NotEqual(t, "bad id \"forged\"", resp.Header.Get("X-Request-Id"))
	require.NotEmpty(t, resp.Header.Get("X-Request-Id"))

	all := h.Logs.String()
	for _, secret := range []string{key.APIKey, "the-admin-token", "Bearer", "body text", "secret-org-name", "forged"} {
		require.NotContains(t, all, secret)
	}
	lines := h.Logs.lines(t)
	require.Len(t, lines, 5)
	send := lines[2]
	require.Equal(t, "POST", send["method"])
	require.Equal(t, "POST /v2/api/chats/{chatId}/messages", send["route"])
	require.Equal(t, float64(403), send["status"])
	require.Equal(t, key.KeyID, send["key_id"])
	require.NotEmpty(t, send["request_id"])
	require.Contains(t, send, "duration")
	require.Equal(t, "req-123", lines[3]["request_id"])
	require.Nil(t, lines[0]["key_id"], "admin requests carry no key id")
}

func TestRoutes_ErrorStatusTable(t *testing.T) {
	// Every code the API answers with has a status, and the status of an error body is
	// the one of the table.
	for _, c := range api.Codes() {
		s := api.Status(c)
		require.GreaterOrEqual(t, s, 400, c)
		require.Less(t, s, 600, c)
	}
	require.Equal(t, 500, api.Status("no_such_code"))
	require.Equal(t, 402, api.Status(pool.CodeTrialLimitReached))
	require.Equal(t, 413, api.Status(pool.CodePayloadTooLarge))
	require.Equal(t, 503, api.Status(pool.CodeSenderUnavailable))
	require.True(t, strings.HasPrefix(string(pool.CodeInvalidSignature), "invalid_"))
}

// TestRoutes_EveryEngineCodeHasAStatus reads the engine's code constants from its source,
// so that a code added to the engine without a row in the status table fails here rather
// than surfacing as a 500.
func TestRoutes_EveryEngineCodeHasAStatus(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join("..", "pool", "errors.go"), nil, 0)
	require.NoError(t, err)
	known := map[pool.Code]bool{}
	for _, c := range api.Codes() {
		known[c] = true
	}
	found := 0
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		code, err := strconv.Unquote(lit.Value)
		require.NoError(t, err)
		found++
		require.True(t, known[pool.Code(code)], "engine code %q has no HTTP status in status.go", code)
		return true
	})
	require.Greater(t, found, 20)
}
