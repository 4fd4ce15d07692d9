package pool_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// clock is a manual clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TB is what the helpers need of a test: *testing.T, *testing.B and *rapid.T all have it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
}

// world is an engine with one organization and a relay, and helpers to populate it.
type world struct {
	tb    TB
	ctx   context.Context
	e     *pool.Engine
	clock *clock
	org   pool.Org
	slot  int
	ids   []string // the keys made by key()
	faultWorldExtra
}

func (w *world) keys() []string { return w.ids }

func newWorld(tb TB, spec pool.OrgSpec) *world {
	tb.Helper()
	c := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	w := &world{tb: tb, ctx: context.Background(), clock: c}
	w.e = pool.New(mem.New(), pool.WithClock(c.Now))
	var err error
	w.org, err = w.e.CreateOrg(w.ctx, spec)
	require.NoError(tb, err)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "relay-secret"})
	require.NoError(tb, err)
	return w
}

// key creates an API key in the world's org.
func (w *world) key(name string) pool.Key {
	w.tb.Helper()
	k, secret, err := w.e.CreateKey(w.ctx, w.org.ID, name)
	require.NoError(w.tb, err)
	require.NotEmpty(w.tb, secret)
	w.ids = append(w.ids, k.ID)
	return k
}

// blooio registers iMessage numbers on the next line slots of relay mac-1.
func (w *world) blooio(kind pool.PlanKind, phones ...string) {
	w.tb.Helper()
	for _, p := range phones {
		w.slot++
		_, err := w.e.RegisterNumber(w.ctx, pool.NumberSpec{OrgID: w.org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: w.slot, PlanKind: kind})
		require.NoError(w.tb, err)
	}
}

// twilio registers Twilio numbers.
func (w *world) twilio(phones ...string) {
	w.tb.Helper()
	for _, p := range phones {
		_, err := w.e.RegisterNumber(w.ctx, pool.NumberSpec{OrgID: w.org.ID, Phone: p, Provider: pool.ProviderTwilio, IntegrationID: "int_1"})
		require.NoError(w.tb, err)
	}
}

func (w *world) assign(k pool.Key, phones ...string) []pool.PoolNumber {
	w.tb.Helper()
	got, err := w.e.AssignNumbers(w.ctx, k.ID, pool.AssignRequest{Phones: phones})
	require.NoError(w.tb, err)
	return got
}

// imessageKey makes a key holding new dedicated Blooio numbers.
func (w *world) imessageKey(name string, phones ...string) pool.Key {
	w.tb.Helper()
	k := w.key(name)
	w.blooio(pool.PlanDedicated, phones...)
	w.assign(k, phones...)
	return k
}

func (w *world) send(k pool.Key, chat, from string) (pool.SendResult, error) {
	return w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: chat, From: from, Texts: []string{"hello"}})
}

// sent sends and requires success; it returns the from_number.
func (w *world) sent(k pool.Key, chat, from string) string {
	w.tb.Helper()
	res, err := w.send(k, chat, from)
	require.NoError(w.tb, err, "send to %s from %q", chat, from)
	require.NotEmpty(w.tb, res.MessageID)
	return res.From
}

// inbound records a 1:1 message from a contact to one of our numbers.
func (w *world) inbound(phone, from string) pool.InboundResult {
	w.tb.Helper()
	res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{Phone: phone, From: from, Text: "hi there"})
	require.NoError(w.tb, err)
	return res
}

func (w *world) patch(phone string, p pool.NumberPatch) {
	w.tb.Helper()
	_, err := w.e.UpdateNumber(w.ctx, phone, p)
	require.NoError(w.tb, err)
}

func (w *world) setStrategy(s pool.Strategy) {
	w.tb.Helper()
	_, err := w.e.UpdateOrg(w.ctx, w.org.ID, pool.OrgPatch{Strategy: &s})
	require.NoError(w.tb, err)
}

func ptr[T any](v T) *T { return &v }

// requireCode checks that err is an *pool.Error with code.
func requireCode(tb TB, err error, code pool.Code, msgAndArgs ...any) *pool.Error {
	tb.Helper()
	require.Error(tb, err, msgAndArgs...)
	var pe *pool.Error
	require.True(tb, errors.As(err, &pe), "not a *pool.Error: %v", err)
	require.Equal(tb, code, pe.Code, msgAndArgs...)
	return pe
}

// contacts returns n distinct recipients.
func contacts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+1555700%04d", i)
	}
	return out
}

// degradeRecipient is the contact that degrade sends to.
const degradeRecipient = "+15550009999"

// degrade makes a number degraded (POOL-HEALTH-1) by failing enough explicit sends from it.
func (w *world) degrade(phone string) {
	w.tb.Helper()
	num, err := w.e.Number(w.ctx, phone)
	require.NoError(w.tb, err)
	if num.PlanKind == pool.PlanInbound {
		w.inbound(phone, degradeRecipient)
	}
	a, err := w.allocation(phone)
	require.NoError(w.tb, err)
	for i := 0; i < pool.DefaultHealth.MinSamples; i++ {
		res, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: a.KeyID, ChatID: degradeRecipient, From: phone, Texts: []string{"x"}})
		require.NoError(w.tb, err)
		require.NoError(w.tb, w.e.RecordStatus(w.ctx, res.MessageID, pool.StatusFailed, "30003"))
	}
	rep, err := w.e.NumberHealth(w.ctx, phone)
	require.NoError(w.tb, err)
	require.Equal(w.tb, pool.HealthDegraded, rep.Status)
}

// allocation finds the allocation of a number through its key's pool.
func (w *world) allocation(phone string) (pool.Allocation, error) {
	for _, id := range w.keys() {
		nums, err := w.e.KeyNumbers(w.ctx, id)
		if err != nil {
			return pool.Allocation{}, err
		}
		for _, n := range nums {
			if n.Number.Phone == phone {
				return n.Allocation, nil
			}
		}
	}
	return pool.Allocation{}, fmt.Errorf("%s is not allocated", phone)
}
