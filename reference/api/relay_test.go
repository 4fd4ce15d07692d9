package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

// snapshot is everything relay events can change that the API shows: both keys'
// conversations and messages, and every number's health.
func (f *fixture) snapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, k := range []struct {
		name string
		c    *client.Client
	}{{"a", f.a.Client}, {"b", f.b.Client}} {
		cs, err := k.c.Chats(f.ctx, client.Page{Limit: 200})
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s chats %s\n", k.name, jsonOf(t, cs))
		for _, c := range cs.Chats {
			ms, err := k.c.Messages(f.ctx, c.ChatID, client.Page{Limit: 200})
			require.NoError(t, err)
			fmt.Fprintf(&b, "%s %s %s\n", k.name, c.ChatID, jsonOf(t, ms))
		}
		nums, err := k.c.MyNumbers(f.ctx)
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s numbers %s\n", k.name, jsonOf(t, nums))
	}
	return b.String()
}

func jsonOf(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func (f *fixture) event(t testing.TB, ev client.RelayEvent) (client.RelayEventResult, error) {
	t.Helper()
	return f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), ev)
}

func TestRelay_Inbound(t *testing.T) {
	f := newFixture(t)
	p := f.aNums[2]
	res, err := f.event(t, client.RelayEvent{Type: "message.inbound", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), From: "+15557654321", Text: "hello"})
	require.NoError(t, err)
	require.True(t, res.OK)
	require.Equal(t, ptr(true), res.Recorded)
	require.NotEmpty(t, res.MessageID)

	msgs := messages(t, f.a, "+15557654321")
	require.Len(t, msgs, 1)
	require.Equal(t, client.Message{MessageID: res.MessageID, Direction: "inbound", InternalID: p, ExternalID: "+15557654321",
		Text: "hello", Status: "received", Protocol: "imessage", TimeSent: f.Clock.Now().UnixMilli()}, msgs[0])
	// POOL-STICKY-2: the reply goes out from the number the contact wrote to.
	sent, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi back"}, client.SendOptions{})
	require.NoError(t, err)
	require.Equal(t, p, sent.FromNumber)

	t.Run("group", func(t *testing.T) {
		f.Clock.Advance(time.Second)
		res, err := f.event(t, client.RelayEvent{Type: "message.inbound", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), From: "+15557654321", Text: "in a group",
			Group: &client.InboundGroup{ChatGUID: "chat-guid-1", Participants: []string{"+15557654322"}, Name: "friends"}})
		require.NoError(t, err)
		require.True(t, *res.Recorded)
		cs := chats(t, f.a)
		require.True(t, cs[0].IsGroup)
		require.Equal(t, []string{"+15557654321", "+15557654322"}, cs[0].Participants)
		require.Equal(t, &p, cs[0].InternalID)
	})
	t.Run("unallocated number records nowhere", func(t *testing.T) {
		slot := f.Blooio(f.org.OrganizationID, relayID, "+15558880001", "")
		before := f.snapshot(t)
		res, err := f.event(t, client.RelayEvent{Type: "message.inbound", RelayID: relayID, LineSlot: ptr(slot), From: "+15557654321", Text: "x"})
		require.NoError(t, err)
		require.Equal(t, ptr(false), res.Recorded)
		require.Empty(t, res.MessageID)
		require.Equal(t, before, f.snapshot(t))
	})
}

func TestRelay_Status(t *testing.T) {
	f := newFixture(t)
	sent, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	for _, st := range []string{"sent", "delivered"} {
		_, err := f.event(t, client.RelayEvent{Type: "message.status", RelayID: relayID, MessageID: sent.MessageID, Status: st})
		require.NoError(t, err)
		got, err := f.a.MessageStatus(f.ctx, "+15557654321", sent.MessageID)
		require.NoError(t, err)
		require.Equal(t, st, got.Status)
	}
	_, err = f.event(t, client.RelayEvent{Type: "message.status", RelayID: relayID, MessageID: "msg_nope", Status: "sent"})
	requireCode(t, err, 404, pool.CodeMessageNotFound)
}

// TestRelay_StatusOfAnotherRelaysMessage: a correctly signed report from one relay cannot
// change a message sent from another relay's line.
func TestRelay_StatusOfAnotherRelaysMessage(t *testing.T) {
	f := newFixture(t)
	_, err := f.Admin.RegisterRelay(f.ctx, client.RegisterRelayRequest{RelayID: "mac-other", URL: "http://127.0.0.1:9", Secret: "other-secret"})
	require.NoError(t, err)
	sent, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	before := f.snapshot(t)
	_, err = f.Admin.PostRelayEvent(f.ctx, "other-secret", f.Clock.Now(),
		client.RelayEvent{Type: "message.status", RelayID: "mac-other", MessageID: sent.MessageID, Status: "failed"})
	requireCode(t, err, 404, pool.CodeMessageNotFound)
	require.Equal(t, before, f.snapshot(t), "nothing applied")
	got, err := f.a.MessageStatus(f.ctx, "+15557654321", sent.MessageID)
	require.NoError(t, err)
	require.Equal(t, "queued", got.Status)
}

func TestRelay_LineStatus(t *testing.T) {
	f := newFixture(t)
	p := f.aNums[1]
	health := func() string {
		h, err := f.Admin.NumberHealth(f.ctx, p)
		require.NoError(t, err)
		return h.Status
	}
	_, err := f.event(t, client.RelayEvent{Type: "line.status", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), Online: ptr(false)})
	require.NoError(t, err)
	require.Equal(t, "offline", health())
	_, err = f.event(t, client.RelayEvent{Type: "line.status", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), Online: ptr(true)})
	require.NoError(t, err)
	require.Equal(t, "active", health())
	_, err = f.event(t, client.RelayEvent{Type: "line.status", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), Online: ptr(true), Banned: true})
	require.NoError(t, err)
	require.Equal(t, "banned", health())

	_, err = f.event(t, client.RelayEvent{Type: "line.status", RelayID: relayID, LineSlot: ptr(9999), Online: ptr(false)})
	requireCode(t, err, 404, pool.CodeLineNotFound)
	_, err = f.event(t, client.RelayEvent{Type: "message.inbound", RelayID: relayID, LineSlot: ptr(9999), From: "+15557654321"})
	requireCode(t, err, 404, pool.CodeLineNotFound)
}

// TestRelay_SignatureRejected sends events that would change state with every kind of bad
// signature: each is 401 invalid_signature and nothing is applied.
func TestRelay_SignatureRejected(t *testing.T) {
	f := newFixture(t)
	sent, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	f.Relay("mac-2", "other-secret")
	before := f.snapshot(t)

	now := f.Clock.Now()
	events := map[string][]byte{}
	for name, ev := range map[string]client.RelayEvent{
		"inbound": {Type: "message.inbound", RelayID: relayID, LineSlot: ptr(f.slotOf[f.aNums[0]]), From: "+15557000001", Text: "x"},
		"status":  {Type: "message.status", RelayID: relayID, MessageID: sent.MessageID, Status: "failed"},
		"line":    {Type: "line.status", RelayID: relayID, LineSlot: ptr(f.slotOf[f.aNums[0]]), Online: ptr(false), Banned: true},
	} {
		events[name], err = json.Marshal(ev)
		require.NoError(t, err)
	}
	for name, body := range events {
		other := strings.Replace(string(body), relayID, "mac-9", 1)
		cases := map[string]struct {
			body []byte
			sig  string
		}{
			"missing":          {body, ""},
			"garbage":          {body, "nonsense"},
			"no v1":            {body, fmt.Sprintf("t=%d", now.Unix())},
			"no t":             {body, "v1=" + strings.Split(api.SignRelayBody(relaySecret, now, body), "v1=")[1]},
			"wrong secret":     {body, api.SignRelayBody("wrong", now, body)},
			"other relay's":    {body, api.SignRelayBody("other-secret", now, body)},
			"another body":     {body, api.SignRelayBody(relaySecret, now, []byte(`{}`))},
			"stale":            {body, api.SignRelayBody(relaySecret, now.Add(-301*time.Second), body)},
			"future":           {body, api.SignRelayBody(relaySecret, now.Add(301*time.Second), body)},
			"unknown relay":    {[]byte(other), api.SignRelayBody(relaySecret, now, []byte(other))},
			"tampered":         {append([]byte(" "), body...), api.SignRelayBody(relaySecret, now, body)},
			"not hex":          {body, fmt.Sprintf("t=%d,v1=zz", now.Unix())},
			"not json, signed": {[]byte("hello"), api.SignRelayBody(relaySecret, now, []byte("hello"))},
		}
		for cname, tc := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				_, err := f.Admin.PostRelayBody(f.ctx, tc.body, tc.sig)
				requireCode(t, err, 401, pool.CodeInvalidSignature)
			})
		}
	}
	require.Equal(t, before, f.snapshot(t), "nothing applied")

	t.Run("within the skew", func(t *testing.T) {
		body := events["status"]
		_, err := f.Admin.PostRelayBody(f.ctx, body, api.SignRelayBody(relaySecret, now.Add(-300*time.Second), body))
		require.NoError(t, err)
		_, err = f.Admin.PostRelayBody(f.ctx, body, api.SignRelayBody(relaySecret, now.Add(300*time.Second), body))
		require.NoError(t, err)
	})
	t.Run("one of several v1 signatures", func(t *testing.T) {
		body := events["line"]
		good := api.SignRelayBody(relaySecret, now, body)
		sig := fmt.Sprintf("t=%d,v1=%s,%s", now.Unix(), strings.Repeat("00", 32), strings.Split(good, ",")[1])
		_, err := f.Admin.PostRelayBody(f.ctx, body, sig)
		require.NoError(t, err)
	})
}

func TestRelay_InvalidEvents(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(t)
	slot := f.slotOf[f.aNums[0]]
	for name, body := range map[string]string{
		"unknown type":        `{"type":"message.deleted","relay_id":"mac-1"}`,
		"no type":             `{"relay_id":"mac-1"}`,
		"inbound no slot":     `{"type":"message.inbound","relay_id":"mac-1","from":"+15557000001"}`,
		"inbound no from":     fmt.Sprintf(`{"type":"message.inbound","relay_id":"mac-1","line_slot":%d}`, slot),
		"inbound bad from":    fmt.Sprintf(`{"type":"message.inbound","relay_id":"mac-1","line_slot":%d,"from":"nobody"}`, slot),
		"inbound slot string": `{"type":"message.inbound","relay_id":"mac-1","line_slot":"1","from":"+15557000001"}`,
		"inbound group guid":  fmt.Sprintf(`{"type":"message.inbound","relay_id":"mac-1","line_slot":%d,"from":"+15557000001","group":{}}`, slot),
		"status no id":        `{"type":"message.status","relay_id":"mac-1","status":"sent"}`,
		"status bogus":        `{"type":"message.status","relay_id":"mac-1","message_id":"m","status":"read"}`,
		"line no online":      fmt.Sprintf(`{"type":"line.status","relay_id":"mac-1","line_slot":%d}`, slot),
		"line online string":  fmt.Sprintf(`{"type":"line.status","relay_id":"mac-1","line_slot":%d,"online":"no"}`, slot),
		"array":               `[{"relay_id":"mac-1"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Admin.PostRelayBody(f.ctx, []byte(body), api.SignRelayBody(relaySecret, f.Clock.Now(), []byte(body)))
			if name == "array" {
				requireCode(t, err, 401, pool.CodeInvalidSignature) // names no relay
				return
			}
			requireCode(t, err, 400, pool.CodeInvalidRequest)
		})
	}
	require.Equal(t, before, f.snapshot(t))
}

func TestRelay_SignRelayBody(t *testing.T) {
	at := time.Unix(1764158400, 0)
	body := []byte(`{"type":"line.status"}`)
	sig := api.SignRelayBody("s3cret", at, body)
	require.Equal(t, client.SignRelayBody("s3cret", at, body), sig, "the client signs as the server checks")
	require.True(t, strings.HasPrefix(sig, "t=1764158400,v1="))
	require.Len(t, strings.TrimPrefix(sig, "t=1764158400,v1="), 64)
}
