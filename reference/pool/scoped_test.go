package pool_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// countingStore counts the transactions the engine opens, by kind, and the scoped ones
// that commit.
type countingStore struct {
	*mem.Store
	exclusive, scoped, scopedCommits int
}

func (s *countingStore) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if writable {
		s.exclusive++
	}
	return s.Store.Begin(ctx, writable)
}

func (s *countingStore) BeginConversation(ctx context.Context, keyID, recipient string) (pool.Tx, error) {
	s.scoped++
	tx, err := s.Store.BeginConversation(ctx, keyID, recipient)
	return &countingTx{Tx: tx, s: s}, err
}

type countingTx struct {
	pool.Tx
	s *countingStore
}

func (t *countingTx) Commit() error {
	t.s.scopedCommits++
	return t.Tx.Commit()
}

// TestSendScopedToConversation: with a pool.ConversationStore, a send runs in a
// transaction scoped to its conversation — a sticky send and a new conversation alike —
// unless it writes outside it: a number's last_active or trial count, an idempotency
// record, a new group. Then it starts over in an exclusive transaction, with the same
// outcome.
func TestSendScopedToConversation(t *testing.T) {
	cs := &countingStore{Store: mem.New()}
	c := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	w := &world{tb: t, ctx: context.Background(), clock: c}
	w.e = pool.New(cs, pool.WithClock(c.Now))
	var err error
	w.org, err = w.e.CreateOrg(w.ctx, pool.OrgSpec{})
	require.NoError(t, err)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "s"})
	require.NoError(t, err)
	k := w.imessageKey("a", "+15551110001", "+15551110002")
	w.blooio(pool.PlanTrial, "+15551110003")

	type counts struct{ exclusive, scoped, scopedCommits int }
	step := func(what string, want counts, send func() (pool.SendResult, error)) pool.SendResult {
		t.Helper()
		before := *cs
		res, err := send()
		require.NoError(t, err, what)
		got := counts{cs.exclusive - before.exclusive, cs.scoped - before.scoped, cs.scopedCommits - before.scopedCommits}
		require.Equal(t, want, got, what)
		return res
	}
	send := func(chat string) func() (pool.SendResult, error) {
		return func() (pool.SendResult, error) { return w.send(k, chat, "") }
	}

	first := step("a new conversation whose number's last_active changes", counts{1, 1, 0}, send("+15557770001"))
	step("a new conversation on the other number", counts{1, 1, 0}, send("+15557770002"))
	step("a new conversation in the same second", counts{0, 1, 1}, send("+15557770005"))
	again := step("a sticky send", counts{0, 1, 1}, send("+15557770001"))
	require.Equal(t, first.From, again.From)
	step("an explicit from_number", counts{0, 1, 1}, func() (pool.SendResult, error) {
		return w.send(k, "+15557770003", first.From)
	})
	step("an idempotent send", counts{1, 0, 0}, func() (pool.SendResult, error) {
		return w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15557770001", Texts: []string{"x"}, IdempotencyKey: "i"})
	})
	group := step("an ad-hoc group", counts{1, 0, 0}, send("+15557770001,+15557770002"))
	step("a send to a group chat", counts{0, 1, 1}, send(group.GroupID))
	c.Advance(time.Second)
	step("a send to a group chat in the next second", counts{1, 1, 0}, send(group.GroupID))
	w.assign(k, "+15551110003")
	w.patch("+15551110001", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	w.patch("+15551110002", pool.NumberPatch{Health: ptr(pool.HealthBanned)})
	trial := step("a trial number's count", counts{1, 1, 0}, send("+15557770004"))
	require.Equal(t, "+15551110003", trial.From)
}
