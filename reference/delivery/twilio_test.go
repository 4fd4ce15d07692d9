package delivery_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	twilio "poolkit/fakes/twilio"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// The fake Twilio account of every test.
const (
	accountSID = "AC00000000000000000000000000000001"
	authToken  = "token0000000000000000000000000001"
	apiKeySID  = "SK00000000000000000000000000000001"
	apiSecret  = "secret000000000000000000000000001"
	smsFrom    = "+15550009001"
	smsTo      = "+15559990001"
)

// twilioWorld is a world with a fake Twilio, an integration of its account, and an SMS
// key holding the account's number.
type twilioWorld struct {
	*world
	fake *twilio.Server
	in   pool.Integration
	sms  pool.Key
}

func newTwilioWorld(tb testing.TB, w *world) *twilioWorld {
	tb.Helper()
	ctx := context.Background()
	tw := &twilioWorld{world: w, fake: twilio.New(twilio.Config{Seed: 1})}
	tb.Cleanup(tw.fake.Close)
	if err := tw.fake.Start(); err != nil {
		tb.Fatal(err)
	}
	a := tw.fake.AddAccount(accountSID, authToken)
	a.AddAPIKey(apiKeySID, apiSecret)
	a.AddNumber(smsFrom, "main line", "")
	tb.Cleanup(func() {
		if un := tw.fake.Unexpected(); len(un) > 0 {
			tb.Errorf("the fake Twilio got requests it does not model: %+v", un)
		}
	})

	var err error
	tw.in, err = w.engine.CreateIntegration(ctx, pool.IntegrationSpec{OrgID: w.org.ID, AccountSID: accountSID,
		APIKeySID: apiKeySID, APIKeySecret: apiSecret, AuthToken: authToken})
	if err != nil {
		tb.Fatalf("create integration: %v", err)
	}
	if _, err := w.engine.ImportNumbers(ctx, tw.in.ID, []string{smsFrom}); err != nil {
		tb.Fatalf("import numbers: %v", err)
	}
	if tw.sms, _, err = w.engine.CreateKey(ctx, w.org.ID, "sms"); err != nil {
		tb.Fatalf("create key: %v", err)
	}
	w.assign(tw.sms.ID, smsFrom)
	return tw
}

func (tw *twilioWorld) dispatcher(cfg delivery.Config) *delivery.Dispatcher {
	cfg.TwilioURL = tw.fake.URL()
	return tw.world.dispatcher(cfg)
}

// TestDispatch_Twilio_Sent: a send to an SMS key is created with Twilio from the number,
// to the contact, with the text and the engine's status callback, and marked dispatched
// with Twilio's SID.
func TestDispatch_Twilio_Sent(t *testing.T) {
	tw := newTwilioWorld(t, newWorld(t))
	d := tw.dispatcher(delivery.Config{})
	id := tw.send(tw.sms.ID, smsTo, "", "hello by SMS")

	if n := tw.dispatchOnce(d); n != 1 {
		t.Fatalf("DispatchOnce attempted %d, want 1", n)
	}
	sent := tw.fake.Messages()
	if len(sent) != 1 {
		t.Fatalf("Twilio has %d messages, want 1: %+v", len(sent), sent)
	}
	got := sent[0]
	callback := tw.url + "/twilio/v1/status/" + tw.in.ID + "/" + tw.in.Token + "?message_id=" + url.QueryEscape(id)
	if got.From != smsFrom || got.To != smsTo || got.Body != "hello by SMS" || got.StatusCallback != callback {
		t.Errorf("Twilio got From=%s To=%s Body=%q StatusCallback=%s; want %s %s %q %s",
			got.From, got.To, got.Body, got.StatusCallback, smsFrom, smsTo, "hello by SMS", callback)
	}
	m := tw.message(tw.sms.ID, id)
	if !m.Dispatched || m.ExternalRef != got.Sid || !strings.HasPrefix(got.Sid, "SM") {
		t.Errorf("message dispatched=%v external_ref=%q, want dispatched with %s", m.Dispatched, m.ExternalRef, got.Sid)
	}
	if n := tw.dispatchOnce(d); n != 0 || tw.creates.Load() != 1 {
		t.Errorf("second DispatchOnce attempted %d, %d creates in all; want 0 and 1", n, tw.creates.Load())
	}
}

// TestDispatch_Twilio_InvalidTo: Twilio's 21211 (a To the engine accepts but Twilio does
// not) fails the message at once, without a retry.
func TestDispatch_Twilio_InvalidTo(t *testing.T) {
	tw := newTwilioWorld(t, newWorld(t))
	d := tw.dispatcher(delivery.Config{})
	id := tw.send(tw.sms.ID, "+430001", "", "hello") // a 4-digit Austrian number: E.164 for the engine

	tw.dispatchOnce(d)
	m := tw.message(tw.sms.ID, id)
	if m.Status != pool.StatusFailed || m.ErrorCode != "twilio_21211" || m.Attempts != 0 {
		t.Errorf("message %s %q after %d retries, want failed twilio_21211 with none", m.Status, m.ErrorCode, m.Attempts)
	}
	if n := tw.dispatchOnce(d); n != 0 || tw.creates.Load() != 1 || len(tw.fake.Messages()) != 0 {
		t.Errorf("second DispatchOnce attempted %d; %d creates, %d messages at Twilio; want 0, 1, 0",
			n, tw.creates.Load(), len(tw.fake.Messages()))
	}
}

// TestDispatch_Twilio_Throttled: 429 (20429) is retried, and the message is created
// exactly once.
func TestDispatch_Twilio_Throttled(t *testing.T) {
	tw := newTwilioWorld(t, newWorld(t))
	if err := tw.fake.SetFaults(twilio.Faults{Throttle: 2}); err != nil {
		t.Fatal(err)
	}
	d := tw.dispatcher(delivery.Config{})
	id := tw.send(tw.sms.ID, smsTo, "", "hello")

	for i := range 3 {
		if n := tw.dispatchOnce(d); n != 1 {
			t.Fatalf("DispatchOnce #%d attempted %d, want 1", i+1, n)
		}
	}
	m := tw.message(tw.sms.ID, id)
	sent := tw.fake.Messages()
	if !m.Dispatched || m.Attempts != 2 || len(sent) != 1 || m.ExternalRef != sent[0].Sid {
		t.Errorf("message dispatched=%v after %d retries, Twilio has %+v; want one message after 2 retries", m.Dispatched, m.Attempts, sent)
	}
	if n := tw.dispatchOnce(d); n != 0 || tw.creates.Load() != 3 {
		t.Errorf("DispatchOnce attempted %d after, %d creates in all; want 0 and 3", n, tw.creates.Load())
	}
}

// TestDispatch_Twilio_NoIntegration: a Twilio number registered without an integration
// cannot send: its message fails.
func TestDispatch_Twilio_NoIntegration(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.number(pool.NumberSpec{OrgID: w.org.ID, Phone: smsFrom, Provider: pool.ProviderTwilio})
	sms, _, err := w.engine.CreateKey(ctx, w.org.ID, "sms")
	if err != nil {
		t.Fatal(err)
	}
	w.assign(sms.ID, smsFrom)
	id := w.send(sms.ID, smsTo, "", "hello")

	w.dispatchOnce(w.dispatcher(delivery.Config{}))
	if m := w.message(sms.ID, id); m.Status != pool.StatusFailed || m.ErrorCode != "no_integration" {
		t.Errorf("message %s %q, want failed no_integration", m.Status, m.ErrorCode)
	}
}

// TestDispatch_Twilio_NoSecondCreate: when the engine cannot record that Twilio accepted
// a message, the next attempt records it again and never creates a second message.
func TestDispatch_Twilio_NoSecondCreate(t *testing.T) {
	store := &faultStore{Store: mem.New()}
	tw := newTwilioWorld(t, newWorldOn(t, store))
	// Twilio's status callbacks go nowhere here: a "sent" callback reaching the engine
	// would take the message out of the outbox before the second attempt records it.
	d := tw.dispatcher(delivery.Config{PublicURL: "http://127.0.0.1:1"})
	id := tw.send(tw.sms.ID, smsTo, "", "hello")

	store.failDispatch.Store(1)
	tw.dispatchOnce(d)
	if m := tw.message(tw.sms.ID, id); m.Dispatched {
		t.Fatal("the message is dispatched although the store failed")
	}
	tw.dispatchOnce(d)
	m := tw.message(tw.sms.ID, id)
	sent := tw.fake.Messages()
	if !m.Dispatched || len(sent) != 1 || m.ExternalRef != sent[0].Sid || tw.creates.Load() != 1 {
		t.Errorf("message dispatched=%v ref=%q; Twilio has %d messages after %d creates; want dispatched, one create",
			m.Dispatched, m.ExternalRef, len(sent), tw.creates.Load())
	}
	if !strings.Contains(tw.logs.String(), "will not be created again") {
		t.Errorf("the log does not say loudly that Twilio accepted an unrecorded message:\n%s", tw.logs)
	}
}

// TestDispatch_LogsNoSecrets: the log names messages, relays and integrations, and never
// a relay secret, an API key secret, a Twilio credential or a callback token.
func TestDispatch_LogsNoSecrets(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	tw := newTwilioWorld(t, w)
	if err := w.fleet.DropAcks("mac-1", 1); err != nil {
		t.Fatal(err)
	}
	d := tw.dispatcher(delivery.Config{})
	relayID := w.send(w.key.ID, contact, "", "hello")
	smsID := w.send(tw.sms.ID, smsTo, "", "hello")
	w.dispatchOnce(d)
	w.dispatchOnce(d)

	logs := w.logs.String()
	for _, want := range []string{relayID, smsID, "mac-1", tw.in.ID, "outcome=retry", "outcome=dispatched"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not mention %q", want)
		}
	}
	for _, secret := range []string{w.macs["mac-1"].Secret, w.secret, apiSecret, authToken, tw.in.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the secret %q", secret)
		}
	}
}

// faultStore fails the next failDispatch writes of a message marked dispatched.
type faultStore struct {
	pool.Store
	failDispatch atomic.Int32
}

func (s *faultStore) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	tx, err := s.Store.Begin(ctx, writable)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, s: s}, nil
}

type faultTx struct {
	pool.Tx
	s *faultStore
}

func (t *faultTx) PutMessage(m pool.Message) error {
	if m.Dispatched && t.s.failDispatch.Add(-1) >= 0 {
		return errors.New("injected store fault")
	}
	return t.Tx.PutMessage(m)
}
