package pool_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

var errInjected = errors.New("injected store failure")

// faultyStore wraps a store and fails the n-th transaction call (Begin or any Tx method)
// after it is armed.
type faultyStore struct {
	inner  pool.Store
	armed  bool
	failAt int
	calls  int
}

func (s *faultyStore) hit() error {
	if !s.armed {
		return nil
	}
	s.calls++
	if s.calls == s.failAt {
		return errInjected
	}
	return nil
}

func (s *faultyStore) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if err := s.hit(); err != nil {
		return nil, err
	}
	tx, err := s.inner.Begin(ctx, writable)
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, s: s}, nil
}

// BeginConversation makes the wrapper a pool.ConversationStore, so that the failures
// reach the transactions scoped to a conversation too.
func (s *faultyStore) BeginConversation(ctx context.Context, keyID, recipient string) (pool.Tx, error) {
	if err := s.hit(); err != nil {
		return nil, err
	}
	tx, err := s.inner.(pool.ConversationStore).BeginConversation(ctx, keyID, recipient)
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, s: s}, nil
}

type faultyTx struct {
	pool.Tx
	s *faultyStore
}

// get passes a getter's results through unless a failure is injected.
func get[T any](t *faultyTx) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		if ferr := t.s.hit(); ferr != nil {
			var zero T
			return zero, ferr
		}
		return v, err
	}
}

func (t *faultyTx) Commit() error                   { return putFirst(t, t.Tx.Commit) }
func (t *faultyTx) Org(id string) (pool.Org, error) { return get[pool.Org](t)(t.Tx.Org(id)) }
func (t *faultyTx) PutOrg(o pool.Org) error {
	return putFirst(t, func() error { return t.Tx.PutOrg(o) })
}
func (t *faultyTx) Key(id string) (pool.Key, error) { return get[pool.Key](t)(t.Tx.Key(id)) }
func (t *faultyTx) KeyByHash(h [32]byte) (pool.Key, error) {
	return get[pool.Key](t)(t.Tx.KeyByHash(h))
}
func (t *faultyTx) PutKey(k pool.Key) error {
	return putFirst(t, func() error { return t.Tx.PutKey(k) })
}
func (t *faultyTx) Relay(id string) (pool.Relay, error) {
	return get[pool.Relay](t)(t.Tx.Relay(id))
}
func (t *faultyTx) PutRelay(r pool.Relay) error {
	return putFirst(t, func() error { return t.Tx.PutRelay(r) })
}
func (t *faultyTx) Number(p string) (pool.Number, error) { return get[pool.Number](t)(t.Tx.Number(p)) }
func (t *faultyTx) NumberBySlot(r string, s int) (pool.Number, error) {
	return get[pool.Number](t)(t.Tx.NumberBySlot(r, s))
}
func (t *faultyTx) PutNumber(n pool.Number) error {
	return putFirst(t, func() error { return t.Tx.PutNumber(n) })
}
func (t *faultyTx) Allocation(id string) (pool.Allocation, error) {
	return get[pool.Allocation](t)(t.Tx.Allocation(id))
}
func (t *faultyTx) AllocationByPhone(p string) (pool.Allocation, error) {
	return get[pool.Allocation](t)(t.Tx.AllocationByPhone(p))
}
func (t *faultyTx) Allocations(k string) ([]pool.Allocation, error) {
	return get[[]pool.Allocation](t)(t.Tx.Allocations(k))
}
func (t *faultyTx) Pool(k string) ([]pool.Allocation, []pool.Number, error) {
	allocs, nums, err := t.Tx.(pool.PoolTx).Pool(k)
	if ferr := t.s.hit(); ferr != nil {
		return nil, nil, ferr
	}
	return allocs, nums, err
}
func (t *faultyTx) PutAllocation(a pool.Allocation) error {
	return putFirst(t, func() error { return t.Tx.PutAllocation(a) })
}
func (t *faultyTx) DeleteAllocation(id string) error {
	return putFirst(t, func() error { return t.Tx.DeleteAllocation(id) })
}
func (t *faultyTx) Conversation(k, r string) (pool.Conversation, error) {
	return get[pool.Conversation](t)(t.Tx.Conversation(k, r))
}
func (t *faultyTx) PutConversation(c pool.Conversation) error {
	return putFirst(t, func() error { return t.Tx.PutConversation(c) })
}
func (t *faultyTx) Conversations(k string) ([]pool.Conversation, error) {
	return get[[]pool.Conversation](t)(t.Tx.Conversations(k))
}
func (t *faultyTx) Unbind(a string) error { return putFirst(t, func() error { return t.Tx.Unbind(a) }) }
func (t *faultyTx) PriorInbound(a, r string) (bool, error) {
	return get[bool](t)(t.Tx.PriorInbound(a, r))
}
func (t *faultyTx) PutPriorInbound(a, r string) error {
	return putFirst(t, func() error { return t.Tx.PutPriorInbound(a, r) })
}
func (t *faultyTx) DeletePriorInbound(a string) error {
	return putFirst(t, func() error { return t.Tx.DeletePriorInbound(a) })
}
func (t *faultyTx) Group(id string) (pool.Group, error) { return get[pool.Group](t)(t.Tx.Group(id)) }
func (t *faultyTx) GroupByParticipants(k, p string) (pool.Group, error) {
	return get[pool.Group](t)(t.Tx.GroupByParticipants(k, p))
}
func (t *faultyTx) GroupByChatGUID(a, g string) (pool.Group, error) {
	return get[pool.Group](t)(t.Tx.GroupByChatGUID(a, g))
}
func (t *faultyTx) PutGroup(g pool.Group) error {
	return putFirst(t, func() error { return t.Tx.PutGroup(g) })
}
func (t *faultyTx) Message(id string) (pool.Message, error) {
	return get[pool.Message](t)(t.Tx.Message(id))
}
func (t *faultyTx) PutMessage(m pool.Message) error {
	return putFirst(t, func() error { return t.Tx.PutMessage(m) })
}
func (t *faultyTx) Messages(k, r string) ([]pool.Message, error) {
	return get[[]pool.Message](t)(t.Tx.Messages(k, r))
}
func (t *faultyTx) Idempotency(k, i string) (pool.Idempotency, error) {
	return get[pool.Idempotency](t)(t.Tx.Idempotency(k, i))
}
func (t *faultyTx) PutIdempotency(r pool.Idempotency) error {
	return putFirst(t, func() error { return t.Tx.PutIdempotency(r) })
}
func (t *faultyTx) Cursor(k, s string) (int, error) { return get[int](t)(t.Tx.Cursor(k, s)) }
func (t *faultyTx) PutCursor(k, s string, p int) error {
	return putFirst(t, func() error { return t.Tx.PutCursor(k, s, p) })
}
func (t *faultyTx) WRR(k string) ([]pool.WRRSlot, error) { return get[[]pool.WRRSlot](t)(t.Tx.WRR(k)) }
func (t *faultyTx) PutWRR(k string, s []pool.WRRSlot) error {
	return putFirst(t, func() error { return t.Tx.PutWRR(k, s) })
}

// putFirst checks for an injected failure before the write happens.
func putFirst(t *faultyTx, write func() error) error {
	if err := t.s.hit(); err != nil {
		return err
	}
	return write()
}

// snapshot is everything a test can observe of a world through the engine.
func snapshot(tb TB, w *world) string {
	tb.Helper()
	var out string
	for _, id := range w.keys() {
		nums, err := w.e.KeyNumbers(w.ctx, id)
		require.NoError(tb, err)
		convs, err := w.e.Conversations(w.ctx, id)
		require.NoError(tb, err)
		out += fmt.Sprintf("key %s\n%+v\n%+v\n", id, nums, convs)
		for _, c := range convs {
			msgs, err := w.e.Messages(w.ctx, id, c.Recipient)
			require.NoError(tb, err)
			out += fmt.Sprintf("%+v\n", msgs)
		}
	}
	for _, p := range []string{"+15551110001", "+15551110002", "+15559990001", "+15552220001"} {
		n, err := w.e.Number(w.ctx, p)
		require.NoError(tb, err)
		out += fmt.Sprintf("%+v\n", n)
	}
	return out
}

// TestStoreFailures fails every store call of every operation in turn: the operation
// returns the store's error, and nothing of it is left behind.
func TestStoreFailures(t *testing.T) {
	ops := map[string]func(w *world, k, sms pool.Key) error{
		"send sticky":     func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230001", ""); return err },
		"send new":        func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230009", ""); return err },
		"send weighted":   func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230008", ""); return err },
		"send geographic": func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+14155550000", ""); return err },
		"send explicit":   func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230001", "+15551110002"); return err },
		"send inbound fallback": func(w *world, k, _ pool.Key) error {
			_, err := w.send(k, "+15551230005", "+15559990001")
			return err
		},
		"send idempotent": func(w *world, k, _ pool.Key) error {
			_, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"a", "b"}, IdempotencyKey: "i1"})
			return err
		},
		"send idempotent replay": func(w *world, k, _ pool.Key) error {
			_, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x"}, IdempotencyKey: "done"})
			return err
		},
		"send group":       func(w *world, k, _ pool.Key) error { _, err := w.send(k, w.group, ""); return err },
		"send adhoc":       func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230001,+15551230002", ""); return err },
		"send adhoc again": func(w *world, k, _ pool.Key) error { _, err := w.send(k, "+15551230003,+15551230004", ""); return err },
		"send adhoc explicit": func(w *world, k, _ pool.Key) error {
			_, err := w.send(k, "+15551230003,+15551230004", w.adhocFrom)
			return err
		},
		"send sms": func(w *world, _, s pool.Key) error { _, err := w.send(s, "+15551230001", ""); return err },
		"inbound": func(w *world, _, _ pool.Key) error {
			_, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{Phone: "+15559990001", From: "+15551230007"})
			return err
		},
		"inbound slot": func(w *world, _, _ pool.Key) error {
			_, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 1, From: "+15551230007"})
			return err
		},
		"inbound group": func(w *world, _, _ pool.Key) error {
			_, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{Phone: "+15559990001", From: "+15551230007", Group: &pool.InboundGroup{ChatGUID: "g2"}})
			return err
		},
		"status": func(w *world, _, _ pool.Key) error {
			return w.e.RecordStatus(w.ctx, w.queued, pool.StatusDelivered, "")
		},
		"line status": func(w *world, _, _ pool.Key) error {
			return w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 1})
		},
		"line ban": func(w *world, _, _ pool.Key) error {
			return w.e.RecordLineStatus(w.ctx, pool.LineStatus{RelayID: "mac-1", LineSlot: 1, Online: true, Banned: true})
		},
		"offline": func(w *world, _, _ pool.Key) error { return w.e.SetOffline(w.ctx, "+15551110001", true) },
		"assign": func(w *world, k, _ pool.Key) error {
			_, err := w.e.AssignNumbers(w.ctx, k.ID, pool.AssignRequest{Phones: []string{"+15551110003"}})
			return err
		},
		"unassign": func(w *world, k, _ pool.Key) error { return w.e.UnassignNumber(w.ctx, k.ID, "+15551110001") },
		"revoke":   func(w *world, k, _ pool.Key) error { return w.e.RevokeKey(w.ctx, k.ID) },
		"ban": func(w *world, _, _ pool.Key) error {
			_, err := w.e.UpdateNumber(w.ctx, "+15551110001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
			return err
		},
		"unban": func(w *world, _, _ pool.Key) error {
			_, err := w.e.UpdateNumber(w.ctx, "+15551110001", pool.NumberPatch{Health: ptr(pool.HealthActive), Weight: ptr(2)})
			return err
		},
		"reset binding": func(w *world, k, _ pool.Key) error { return w.e.ResetBinding(w.ctx, k.ID, "+15551230001") },
		"reset adhoc":   func(w *world, k, _ pool.Key) error { return w.e.ResetBinding(w.ctx, k.ID, "+15551230003,+15551230004") },
		"update org": func(w *world, _, _ pool.Key) error {
			_, err := w.e.UpdateOrg(w.ctx, w.org.ID, pool.OrgPatch{StickyTTL: ptr(time.Hour)})
			return err
		},
		"register number": func(w *world, _, _ pool.Key) error {
			_, err := w.e.RegisterNumber(w.ctx, pool.NumberSpec{OrgID: w.org.ID, Phone: "+15551110009", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 9})
			return err
		},
		"register relay": func(w *world, _, _ pool.Key) error {
			_, err := w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-2", URL: "http://x", Secret: "s"})
			return err
		},
		"create key": func(w *world, _, _ pool.Key) error { _, _, err := w.e.CreateKey(w.ctx, w.org.ID, "k"); return err },
		"create org": func(w *world, _, _ pool.Key) error { _, err := w.e.CreateOrg(w.ctx, pool.OrgSpec{}); return err },
	}
	reads := map[string]func(w *world, k pool.Key) error{
		"authenticate": func(w *world, _ pool.Key) error { _, err := w.e.Authenticate(w.ctx, w.secret); return err },
		"key numbers":  func(w *world, k pool.Key) error { _, err := w.e.KeyNumbers(w.ctx, k.ID); return err },
		"binding":      func(w *world, k pool.Key) error { _, err := w.e.Binding(w.ctx, k.ID, "+15551230001"); return err },
		"health":       func(w *world, _ pool.Key) error { _, err := w.e.NumberHealth(w.ctx, "+15551110001"); return err },
		"messages": func(w *world, k pool.Key) error {
			_, err := w.e.Messages(w.ctx, k.ID, "+15551230001,+15551230002")
			return err
		},
		"message": func(w *world, k pool.Key) error { _, err := w.e.Message(w.ctx, k.ID, w.queued); return err },
		"group":   func(w *world, k pool.Key) error { _, err := w.e.Group(w.ctx, k.ID, w.group); return err },
		"org":     func(w *world, _ pool.Key) error { _, err := w.e.Org(w.ctx, w.org.ID); return err },
		"relay":   func(w *world, _ pool.Key) error { _, err := w.e.Relay(w.ctx, "mac-1"); return err },
		"key":     func(w *world, k pool.Key) error { _, err := w.e.Key(w.ctx, k.ID); return err },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			for failAt := 1; ; failAt++ {
				w, fs, k, sms := faultWorld(t)
				if s, ok := strategyOf[name]; ok {
					w.setStrategy(s)
				}
				before := snapshot(t, w)
				fs.armed, fs.failAt = true, failAt
				err := op(w, k, sms)
				fs.armed = false
				if fs.calls < failAt {
					require.NoError(t, err, "the operation succeeds without faults")
					require.Greater(t, failAt, 1)
					return
				}
				require.ErrorIs(t, err, errInjected, "failure at call %d", failAt)
				if d := cmp.Diff(before, snapshot(t, w)); d != "" {
					t.Fatalf("failure at call %d left a trace (-before +after):\n%s", failAt, d)
				}
			}
		})
	}
	for name, op := range reads {
		t.Run(name, func(t *testing.T) {
			for failAt := 1; ; failAt++ {
				w, fs, k, _ := faultWorld(t)
				fs.armed, fs.failAt = true, failAt
				err := op(w, k)
				fs.armed = false
				if fs.calls < failAt {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, errInjected, "failure at call %d", failAt)
			}
		})
	}
}

// strategyOf names the operations that run under another strategy than round-robin.
var strategyOf = map[string]pool.Strategy{"send weighted": pool.StrategyWeighted, "send geographic": pool.StrategyGeographic}

type faultWorldExtra struct {
	group, queued, adhocFrom, secret string
}

// faultWorld is a world with a bit of everything: an iMessage key with dedicated and
// inbound numbers, conversations, a relay group, an ad-hoc group, an idempotency record
// and a queued message; and an sms key.
func faultWorld(t *testing.T) (*world, *faultyStore, pool.Key, pool.Key) {
	fs := &faultyStore{inner: mem.New()}
	c := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	w := &world{tb: t, ctx: context.Background(), clock: c}
	w.e = pool.New(fs, pool.WithClock(c.Now))
	var err error
	w.org, err = w.e.CreateOrg(w.ctx, pool.OrgSpec{})
	require.NoError(t, err)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "s"})
	require.NoError(t, err)
	k, secret, err := w.e.CreateKey(w.ctx, w.org.ID, "a")
	require.NoError(t, err)
	w.ids = append(w.ids, k.ID)
	w.secret = secret
	w.blooio(pool.PlanDedicated, "+15551110001", "+15551110002", "+15551110003")
	w.blooio(pool.PlanInbound, "+15559990001")
	w.assign(k, "+15551110001", "+15551110002", "+15559990001")
	w.sent(k, "+15551230001", "")
	w.inbound("+15559990001", "+15551230005")
	res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{Phone: "+15559990001", From: "+15551230006", Group: &pool.InboundGroup{ChatGUID: "g1"}})
	require.NoError(t, err)
	w.group = res.GroupID
	adhoc, err := w.send(k, "+15551230003,+15551230004", "")
	require.NoError(t, err)
	w.adhocFrom = adhoc.From
	done, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230001", Texts: []string{"x"}, IdempotencyKey: "done"})
	require.NoError(t, err)
	w.queued = done.MessageID
	sms := w.key("sms")
	w.twilio("+15552220001")
	w.assign(sms, "+15552220001")
	return w, fs, k, sms
}
