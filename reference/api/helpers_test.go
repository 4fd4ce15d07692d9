package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

const (
	relayID     = "mac-1"
	relaySecret = "relay-secret-1"
)

// fixture is a server with one organization, one relay and two keys: A holds three
// dedicated Blooio numbers, B one.
type fixture struct {
	*apitest.Server
	ctx    context.Context
	org    client.Org
	a, b   apitest.Key
	aNums  []string
	bNum   string
	slotOf map[string]int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := apitest.Start(t)
	f := &fixture{Server: s, ctx: context.Background(), slotOf: map[string]int{}}
	f.org = s.Org("")
	s.Relay(relayID, relaySecret)
	f.a, f.b = s.Key(f.org.OrganizationID), s.Key(f.org.OrganizationID)
	f.aNums = []string{"+15551110001", "+15551110002", "+15551110003"}
	f.bNum = "+15552220001"
	for _, p := range append(append([]string(nil), f.aNums...), f.bNum) {
		f.slotOf[p] = s.Blooio(f.org.OrganizationID, relayID, p, "")
	}
	s.Assign(f.a.ID, f.aNums...)
	s.Assign(f.b.ID, f.bNum)
	return f
}

// requireCode fails unless err is an API error with code and the status of the table.
func requireCode(t testing.TB, err error, status int, code pool.Code) *client.Error {
	t.Helper()
	require.Error(t, err)
	var ae *client.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, code, ae.Code, "message: %s", ae.Message)
	require.Equal(t, status, ae.Status)
	return ae
}

// raw sends a raw request and decodes the error body of a non-2xx response.
func raw(t testing.TB, c *client.Client, req client.Request) (*client.Response, map[string]any) {
	t.Helper()
	resp, err := c.Do(context.Background(), req)
	require.NoError(t, err)
	var body map[string]any
	if len(resp.Body) > 0 {
		require.NoError(t, json.Unmarshal(resp.Body, &body), "body: %s", resp.Body)
	}
	return resp, body
}

// messages returns key k's messages with chatID.
func messages(t testing.TB, k apitest.Key, chatID string) []client.Message {
	t.Helper()
	m, err := k.Messages(context.Background(), chatID, client.Page{Limit: 200})
	require.NoError(t, err)
	return m.Messages
}

// chats returns key k's conversations.
func chats(t testing.TB, k apitest.Key) []client.Chat {
	t.Helper()
	c, err := k.Chats(context.Background(), client.Page{Limit: 200})
	require.NoError(t, err)
	return c.Chats
}

func post(path string, body string, h http.Header) client.Request {
	return client.Request{Method: http.MethodPost, Path: path, Body: []byte(body), Header: h}
}
