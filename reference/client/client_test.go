package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

func TestPathEscape(t *testing.T) {
	for in, want := range map[string]string{
		"+15551234567":               "%2B15551234567",
		"alice@example.com":          "alice@example.com",
		"+15551234567,bob@x.com":     "%2B15551234567,bob@x.com",
		"grp_abc-DEF_1":              "grp_abc-DEF_1",
		"a/b?c#d e%":                 "a%2Fb%3Fc%23d%20e%25",
		"..":                         "%2E%2E",
		".":                          "%2E",
		"a.b~c":                      "a.b~c",
		"caf\u00e9":                  "caf%C3%A9",
		"+1 (555) 123":               "%2B1%20%28555%29%20123",
		"+15551234567,+15551234568,": "%2B15551234567,%2B15551234568,",
	} {
		got := client.PathEscape(in)
		require.Equal(t, want, got, in)
		back, err := url.PathUnescape(got)
		require.NoError(t, err)
		require.Equal(t, in, back)
	}
}

func TestClient_AgainstTheReference(t *testing.T) {
	s := apitest.Start(t)
	ctx := t.Context()
	org := s.Org("")
	s.Relay("mac-1", "secret")
	k := s.Key(org.OrganizationID)
	s.Blooio(org.OrganizationID, "mac-1", "+15551110001", "")
	s.Assign(k.ID, "+15551110001")

	var mu sync.Mutex
	var seen []client.Exchange
	c := client.New(s.URL+"/", client.WithHTTPClient(s.HTTP), client.WithAPIKey(k.Secret), client.WithObserver(func(e client.Exchange) {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
	}))
	res, err := c.Send(ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, res.Status)
	ex := c.LastExchange()
	require.Equal(t, "POST", ex.Method)
	require.Equal(t, s.URL+"/v2/api/chats/%2B15557654321/messages", ex.URL)
	require.Equal(t, "REDACTED", ex.RequestHeader.Get("Authorization"))
	require.Equal(t, "k1", ex.RequestHeader.Get("Idempotency-Key"))
	require.JSONEq(t, `{"text":"hi"}`, string(ex.RequestBody))
	require.Equal(t, http.StatusAccepted, ex.Status)
	require.Contains(t, string(ex.Body), res.MessageID)

	replay, err := c.Send(ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, replay.Status)
	require.Equal(t, res.MessageID, replay.MessageID)

	_, err = c.Send(ctx, "+15557654321", client.SendBody{Text: "hi", FromNumber: "+15559999999"}, client.SendOptions{})
	var ae *client.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, pool.CodeFromNumberNotInPool, client.CodeOf(err))
	require.Equal(t, http.StatusForbidden, client.StatusOf(err))
	require.Equal(t, "This API key does not own the specified from_number", ae.Message)
	require.Contains(t, err.Error(), "from_number_not_in_pool")
	require.Equal(t, 403, c.LastExchange().Status)

	other := c.ForKey("bl_test_nope")
	_, err = other.Me(ctx)
	require.Equal(t, pool.CodeUnauthorized, client.CodeOf(err))
	require.Equal(t, 401, other.LastExchange().Status)
	require.Equal(t, 403, c.LastExchange().Status, "ForKey has its own LastExchange")

	mu.Lock()
	require.Len(t, seen, 4, "the observer sees every exchange, ForKey's too")
	mu.Unlock()

	doc, err := c.OpenAPI(ctx)
	require.NoError(t, err)
	require.Contains(t, string(doc), `"openapi": "3.1.0"`)
	h, err := c.Healthz(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", h.Status)
}

func TestClient_ErrorsFromOtherServers(t *testing.T) {
	// A deployment behind a proxy may answer in plain text: the client still gives an
	// *Error with the status, and no code.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "upstream is down", http.StatusBadGateway)
	}))
	t.Cleanup(ts.Close)
	c := client.New(ts.URL)
	_, err := c.Me(t.Context())
	var ae *client.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusBadGateway, ae.Status)
	require.Equal(t, pool.Code(""), ae.Code)
	require.Equal(t, "upstream is down", ae.Message)
	require.Equal(t, "30", ae.RetryAfter)

	ts.Close()
	_, err = c.Me(t.Context())
	require.Error(t, err)
	require.Equal(t, pool.Code(""), client.CodeOf(err), "a transport error has no code")
	require.Equal(t, 0, client.StatusOf(err))
	require.Error(t, c.LastExchange().Err)
	require.Equal(t, pool.Code(""), client.CodeOf(nil))
	require.Equal(t, pool.Code(""), client.CodeOf(errors.New("x")))
}

func TestClient_ContextCanceled(t *testing.T) {
	s := apitest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "x"})
	require.ErrorIs(t, err, context.Canceled)
}
