package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
	"poolkit/fakes/twilio"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

// demo is a `poolkit serve --demo` running in a goroutine, with its fakes.
type demo struct {
	*server
	env             *demoEnv
	admin, im, sms  *client.Client
	iMessageKey     string // parsed from the printed output
	twilioKeySecret string
}

// startDemo runs `poolkit serve --demo --addr 127.0.0.1:0` and waits until it is
// provisioned. The demo's fakes are reached through the demo hook.
func startDemo(t *testing.T) *demo {
	t.Helper()
	envs := make(chan *demoEnv, 1)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), demoHookKey{}, func(d *demoEnv) { envs <- d }))
	pr, pw := io.Pipe()
	s := &server{Stderr: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = run(ctx, []string{"poolkit", "serve", "--demo", "--addr", "127.0.0.1:0"}, func(string) string { return "" }, strings.NewReader(""), pw, s.Stderr)
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	d := &demo{server: s}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for d.env == nil || d.twilioKeySecret == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "poolkit serve --demo ended early: %s", s.Stderr)
			if v, ok := strings.CutPrefix(l, "poolkit: admin token: "); ok {
				s.AdminToken = v
			}
			if v, ok := strings.CutPrefix(l, "poolkit: listening on "); ok {
				s.URL = v
			}
			if v, ok := strings.CutPrefix(l, "poolkit demo: iMessage API key: "); ok {
				d.iMessageKey = v
			}
			if v, ok := strings.CutPrefix(l, "poolkit demo: Twilio API key: "); ok {
				d.twilioKeySecret = v
			}
		case env := <-envs:
			d.env = env
		case <-deadline:
			t.Fatalf("the demo did not start; stderr: %s", s.Stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	require.Equal(t, d.env.iMessageKey.APIKey, d.iMessageKey, "the printed key is the provisioned one")
	hc := validating(t)
	d.admin = client.New(s.URL, client.WithHTTPClient(hc), client.WithAdminToken(s.AdminToken))
	d.im = d.admin.ForKey(d.iMessageKey)
	d.sms = d.admin.ForKey(d.twilioKeySecret)
	return d
}

const wait, tick = 20 * time.Second, 20 * time.Millisecond

func (d *demo) send(t *testing.T, c *client.Client, to string, body client.SendBody) client.SendResponse {
	t.Helper()
	res, err := c.Send(t.Context(), to, body, client.SendOptions{})
	require.NoError(t, err)
	return res
}

func (d *demo) status(t *testing.T, c *client.Client, res client.SendResponse) string {
	t.Helper()
	st, err := c.MessageStatus(t.Context(), res.ChatID, res.MessageID)
	require.NoError(t, err)
	return st.Status
}

func (d *demo) requireStatus(t *testing.T, c *client.Client, res client.SendResponse, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return d.status(t, c, res) == want }, wait, tick, "message %s never %s", res.MessageID, want)
}

// relayMessage returns what a Mac received with a message id.
func (d *demo) relayMessage(t *testing.T, mac, id string) (macrelay.Message, bool) {
	t.Helper()
	ms, err := d.env.fleet.Messages(mac)
	require.NoError(t, err)
	for _, m := range ms {
		if m.MessageID == id {
			return m, true
		}
	}
	return macrelay.Message{}, false
}

func (d *demo) health(t *testing.T, phone string) client.NumberHealth {
	t.Helper()
	h, err := d.admin.NumberHealth(t.Context(), phone)
	require.NoError(t, err)
	return h
}

func TestE2E_RelaySendDelivered(t *testing.T) {
	d := startDemo(t)
	res := d.send(t, d.im, "+15551234567", client.SendBody{Text: "Hello!"})
	slot := slices.Index(demoDedicated, res.FromNumber) + 1
	require.Positive(t, slot, "a new conversation goes out from a dedicated line, not %s", res.FromNumber)
	d.requireStatus(t, d.im, res, "delivered")
	m, ok := d.relayMessage(t, "mac-a", res.MessageID)
	require.True(t, ok)
	require.Equal(t, slot, m.LineSlot)
	require.Equal(t, []string{"+15551234567"}, m.To)
	require.Equal(t, "Hello!", m.Text)
	require.Zero(t, m.Duplicates)
	_, onB := d.relayMessage(t, "mac-b", res.MessageID)
	require.False(t, onB)

	// Explicit from_number goes out from that line.
	res = d.send(t, d.im, "+15551234567", client.SendBody{Text: "Hello!", FromNumber: "+15551110002"})
	d.requireStatus(t, d.im, res, "delivered")
	m, ok = d.relayMessage(t, "mac-a", res.MessageID)
	require.True(t, ok)
	require.Equal(t, 2, m.LineSlot)
	require.Empty(t, d.env.fleet.Unexpected())
}

func TestE2E_TwilioSendDelivered(t *testing.T) {
	d := startDemo(t)
	res := d.send(t, d.sms, "+15551234567", client.SendBody{Text: "Hello via SMS!", FromNumber: "+15552220002"})
	require.Equal(t, "+15552220002", res.FromNumber)
	d.requireStatus(t, d.sms, res, "delivered")
	sent := d.env.twilio.Messages()
	require.Len(t, sent, 1)
	require.Equal(t, "+15552220002", sent[0].From)
	require.Equal(t, "+15551234567", sent[0].To)
	require.Equal(t, "Hello via SMS!", sent[0].Body)
	require.True(t, strings.HasPrefix(sent[0].StatusCallback, d.URL+"/twilio/v1/status/"))
	for _, cb := range d.env.twilio.Callbacks() {
		require.Equal(t, http.StatusOK, cb.StatusCode, "callback %s", cb.Status)
	}
	h := d.health(t, "+15552220002")
	require.Equal(t, 1, h.Samples)
	require.Empty(t, d.env.twilio.Unexpected())
}

func TestE2E_TwilioForgedCallbackRejected(t *testing.T) {
	d := startDemo(t)
	d.env.twilio.SetDeliveryDelay(time.Hour) // Twilio accepts but reports nothing
	res := d.send(t, d.sms, "+15551234567", client.SendBody{Text: "Hello via SMS!"})
	var cb string
	require.Eventually(t, func() bool {
		if ms := d.env.twilio.Messages(); len(ms) == 1 {
			cb = ms[0].StatusCallback
		}
		return cb != ""
	}, wait, tick)
	post := func(target string, form url.Values, sig string) int {
		req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		resp, err := validating(t).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	form := url.Values{"MessageSid": {"SMforged"}, "MessageStatus": {"failed"}, "ErrorCode": {"30003"}}
	require.Equal(t, 403, post(cb, form, twilio.Signature("notthetoken", cb, form)), "forged signature")
	require.Equal(t, 403, post(cb, form, ""), "no signature")
	u, err := url.Parse(cb)
	require.NoError(t, err)
	parts := strings.Split(u.Path, "/") // /twilio/v1/status/{integration}/{token}
	parts[len(parts)-1] = strings.Repeat("0", len(parts[len(parts)-1]))
	u.Path = strings.Join(parts, "/")
	wrong := u.String()
	require.Equal(t, 403, post(wrong, form, twilio.Signature(demoAuthToken, wrong, form)), "wrong URL token")
	require.Equal(t, "queued", d.status(t, d.sms, res), "a rejected callback applies nothing")
	require.Zero(t, d.health(t, res.FromNumber).Samples)

	good := url.Values{"MessageSid": {"SMgood"}, "MessageStatus": {"delivered"}}
	require.Equal(t, 200, post(cb, good, twilio.Signature(demoAuthToken, cb, good)))
	require.Equal(t, "delivered", d.status(t, d.sms, res))
}

func TestE2E_DegradedLineKeepsItsConversations(t *testing.T) {
	d := startDemo(t)
	ctx := t.Context()
	window, minSamples, below, recover := 10, 6, 0.8, 0.9
	_, err := d.admin.UpdateOrg(ctx, d.env.orgID, client.UpdateOrgRequest{Health: &client.HealthPatch{
		Window: &window, MinSamples: &minSamples, DegradeBelow: &below, RecoverAt: &recover}})
	require.NoError(t, err)
	const bad = "+15551110003"
	// An existing conversation on the line, delivered before the failures start.
	existing := d.send(t, d.im, "+15550000001", client.SendBody{Text: "first", FromNumber: bad})
	d.requireStatus(t, d.im, existing, "delivered")
	require.NoError(t, d.env.fleet.SetFailureRatio("mac-a", 3, 0.5))

	// New conversations on the line until its delivered ratio falls below 0.8.
	for i := 0; d.health(t, bad).Status != "degraded"; i++ {
		require.Less(t, i, 200, "the line never became degraded: %+v", d.health(t, bad))
		res := d.send(t, d.im, fmt.Sprintf("+1555001%04d", i), client.SendBody{Text: "x", FromNumber: bad})
		require.Eventually(t, func() bool { s := d.status(t, d.im, res); return s == "delivered" || s == "failed" }, wait, tick)
	}
	h := d.health(t, bad)
	require.NotNil(t, h.DeliveredRatio)
	require.Less(t, *h.DeliveredRatio, 0.8)

	// New conversations avoid it; its existing conversation stays on it.
	for i := range 12 {
		res := d.send(t, d.im, fmt.Sprintf("+1555002%04d", i), client.SendBody{Text: "new"})
		require.NotEqual(t, bad, res.FromNumber, "a new conversation went to the degraded line")
	}
	res := d.send(t, d.im, "+15550000001", client.SendBody{Text: "again"})
	require.Equal(t, bad, res.FromNumber, "the existing conversation stays on the degraded line")
	var me client.PoolNumbers
	me, err = d.im.MyNumbers(ctx)
	require.NoError(t, err)
	for _, n := range me.Numbers {
		if n.PhoneNumber == bad {
			require.Equal(t, "degraded", n.Health)
		}
	}
}

func TestE2E_MacOfflineAndRecovery(t *testing.T) {
	d := startDemo(t)
	ctx := t.Context()
	// A conversation on each line of mac-a.
	var convs []client.SendResponse
	for i, phone := range demoDedicated {
		res := d.send(t, d.im, fmt.Sprintf("+155500100%02d", i), client.SendBody{Text: "hi", FromNumber: phone})
		d.requireStatus(t, d.im, res, "delivered")
		convs = append(convs, res)
	}
	require.NoError(t, d.env.fleet.SetMacOnline("mac-a", false))
	// The next dispatch to each line gets 503: the engine marks the lines offline.
	var pending []client.SendResponse
	for _, c := range convs {
		pending = append(pending, d.send(t, d.im, c.ChatID, client.SendBody{Text: "while locked"}))
	}
	for _, phone := range demoDedicated {
		require.Eventually(t, func() bool { return d.health(t, phone).Status == "offline" }, wait, tick, phone)
	}
	for _, c := range convs {
		_, err := d.im.Send(ctx, c.ChatID, client.SendBody{Text: "again"}, client.SendOptions{})
		require.Equal(t, pool.CodeSenderUnavailable, client.CodeOf(err))
		require.Equal(t, http.StatusServiceUnavailable, client.StatusOf(err))
	}
	res, err := d.im.Send(ctx, "+15550019999", client.SendBody{Text: "new"}, client.SendOptions{})
	if err == nil {
		require.NotContains(t, demoDedicated, res.FromNumber, "no new conversation on an offline Mac")
	}

	// The Mac comes back: the engine's health poll finds its lines online.
	require.NoError(t, d.env.fleet.SetMacOnline("mac-a", true))
	for _, phone := range demoDedicated {
		require.Eventually(t, func() bool { return d.health(t, phone).Status == "active" }, wait, 50*time.Millisecond, phone)
	}
	again := d.send(t, d.im, convs[0].ChatID, client.SendBody{Text: "back"})
	require.Equal(t, convs[0].FromNumber, again.FromNumber)
	d.requireStatus(t, d.im, again, "delivered")
	for _, p := range pending {
		d.requireStatus(t, d.im, p, "delivered") // the messages accepted while locked go out after
	}
}

func TestE2E_DroppedAcksDeliverOnce(t *testing.T) {
	d := startDemo(t)
	require.NoError(t, d.env.fleet.DropAcks("mac-a", 3))
	var sent []client.SendResponse
	for i := range 3 {
		sent = append(sent, d.send(t, d.im, fmt.Sprintf("+155500200%02d", i), client.SendBody{Text: fmt.Sprintf("m%d", i)}))
	}
	for _, res := range sent {
		d.requireStatus(t, d.im, res, "delivered")
		m, ok := d.relayMessage(t, "mac-a", res.MessageID)
		require.True(t, ok)
		require.Equal(t, "delivered", m.Status)
	}
	// Exactly one delivery per message: one entry each on the Mac, one delivered event
	// each. Every send's ack was dropped, so the engine scheduled a retry of each; the
	// relay's "sent" event usually takes the message out of the outbox before the retry
	// is due, and a retry that does go out is answered 200 (a duplicate, not delivered).
	ms, err := d.env.fleet.Messages("mac-a")
	require.NoError(t, err)
	require.Len(t, ms, 3)
	require.Eventually(t, func() bool {
		return strings.Count(d.Stderr.String(), "attempt failed, will retry") >= 3
	}, wait, tick, "the dropped acks forced retries: %s", d.Stderr)
	delivered := map[string]int{}
	for _, ev := range d.env.fleet.Events() {
		if ev.Event.Type == "message.status" && ev.Event.Status == "delivered" {
			delivered[ev.Event.MessageID]++
		}
	}
	for _, res := range sent {
		require.Equal(t, 1, delivered[res.MessageID], res.MessageID)
	}
}

func TestE2E_InboundEnablesReply(t *testing.T) {
	d := startDemo(t)
	const contact = "+15557770000"
	rec, err := d.env.fleet.Inject(t.Context(), "mac-b", 1, macrelay.Inbound{From: contact, Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.EngineStatus)
	res := d.send(t, d.im, contact, client.SendBody{Text: "hello back"})
	require.Equal(t, demoInbound[0], res.FromNumber, "the reply goes out from the inbound line at once")
	d.requireStatus(t, d.im, res, "delivered")
	m, ok := d.relayMessage(t, "mac-b", res.MessageID)
	require.True(t, ok)
	require.Equal(t, 1, m.LineSlot)
}

func TestE2E_TwilioInbound(t *testing.T) {
	d := startDemo(t)
	code, err := d.env.account.SendInbound(t.Context(), "+15557770001", demoTwilio[1], "sms in")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	ms, err := d.sms.Messages(t.Context(), "+15557770001", client.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, ms.Messages, 1)
	require.Equal(t, "sms in", ms.Messages[0].Text)
}
