package mem

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

// idCount and convCount count the entries of the message id and conversation indexes.
func idCount(s *Store) (n int) {
	for i := range s.ids {
		n += s.ids[i].x.n
	}
	return n
}

func convCount(s *Store) (n int) {
	for i := range s.convs {
		n += s.convs[i].log.chats.n
	}
	return n
}

func begin(t *testing.T, s *Store) pool.Tx {
	t.Helper()
	tx, err := s.Begin(context.Background(), true)
	require.NoError(t, err)
	return tx
}

// TestMsgLogCollisions forces every id and every conversation onto one hash: lookups,
// updates and rollbacks must still find each record by its own key.
func TestMsgLogCollisions(t *testing.T) {
	s := New()
	s.hash = func(string) uint64 { return 42 << 32 }
	put := func(tx pool.Tx, id, r string) {
		require.NoError(t, tx.PutMessage(pool.Message{ID: id, KeyID: "k", Recipient: r}))
		require.NoError(t, tx.PutConversation(pool.Conversation{KeyID: "k", Recipient: r, AllocationID: "a_" + id}))
	}
	tx := begin(t, s)
	put(tx, "msg_a", "r1")
	require.NoError(t, tx.Commit())
	tx = begin(t, s)
	put(tx, "msg_b", "r2")
	put(tx, "msg_c", "r1")
	for id, r := range map[string]string{"msg_a": "r1", "msg_b": "r2", "msg_c": "r1"} {
		m, err := tx.Message(id)
		require.NoError(t, err, id)
		require.Equal(t, id, m.ID)
		require.Equal(t, r, m.Recipient)
	}
	c, err := tx.Conversation("k", "r2")
	require.NoError(t, err)
	require.Equal(t, "a_msg_b", c.AllocationID)
	require.Equal(t, 3, idCount(s))
	require.Equal(t, 2, convCount(s))
	require.NoError(t, tx.Rollback())

	tx = begin(t, s)
	defer tx.Rollback()
	_, err = tx.Message("msg_b")
	require.ErrorIs(t, err, pool.ErrNotFound)
	_, err = tx.Conversation("k", "r2")
	require.ErrorIs(t, err, pool.ErrNotFound)
	require.Equal(t, 1, idCount(s))
	require.Equal(t, 1, convCount(s))
	m, err := tx.Message("msg_a")
	require.NoError(t, err)
	require.Equal(t, "msg_a", m.ID)
	c, err = tx.Conversation("k", "r1")
	require.NoError(t, err)
	require.Equal(t, "a_msg_a", c.AllocationID)
}

// TestIDIndex grows the indexes past several doublings, with hashes crowded into a few
// home positions, and rolls back inserts in the middle of probe runs, and a message
// moved to another conversation.
func TestIDIndex(t *testing.T) {
	for _, crowd := range []bool{false, true} {
		s := New()
		if crowd {
			s.hash = func(id string) uint64 {
				var h uint64 = 14695981039346656037
				for i := 0; i < len(id); i++ {
					h = (h ^ uint64(id[i])) * 1099511628211
				}
				return (h & 7) << 61 // eight tags: long probe runs
			}
		}
		id := func(i int) string { return fmt.Sprintf("msg_%d", i) }
		rcpt := func(i int) string { return fmt.Sprint(i % 7) }
		const n = 5000
		tx := begin(t, s)
		for i := 0; i < n; i++ {
			require.NoError(t, tx.PutMessage(pool.Message{ID: id(i), KeyID: "k", Recipient: rcpt(i)}))
			if i%500 == 0 {
				require.NoError(t, tx.Commit())
				tx = begin(t, s)
			}
		}
		require.NoError(t, tx.Commit())
		tx = begin(t, s)
		for i := n; i < n+300; i++ {
			require.NoError(t, tx.PutMessage(pool.Message{ID: id(i), KeyID: "k", Recipient: fmt.Sprint("new", i%11)}))
		}
		require.NoError(t, tx.PutMessage(pool.Message{ID: id(n + 1), KeyID: "k", Recipient: "moved"}))
		require.NoError(t, tx.PutMessage(pool.Message{ID: id(3), KeyID: "k", Recipient: "moved"}))
		require.NoError(t, tx.PutMessage(pool.Message{ID: id(10), KeyID: "k2", Recipient: "moved", Text: "x"}))
		ms, err := tx.Messages("k", "moved")
		require.NoError(t, err)
		require.Len(t, ms, 2)
		require.Equal(t, []string{id(3), id(n + 1)}, []string{ms[0].ID, ms[1].ID}, "oldest first")
		require.NoError(t, tx.Rollback())

		tx = begin(t, s)
		require.Equal(t, n, idCount(s))
		require.Equal(t, 7, convCount(s))
		for i := 0; i < n+300; i++ {
			m, err := tx.Message(id(i))
			require.Equal(t, i < n, err == nil, i)
			if err == nil {
				require.Equal(t, id(i), m.ID)
				require.Equal(t, rcpt(i), m.Recipient)
				require.Equal(t, "k", m.KeyID)
			}
		}
		total := 0
		for r := 0; r < 7; r++ {
			ms, err := tx.Messages("k", fmt.Sprint(r))
			require.NoError(t, err)
			last := -1
			for _, m := range ms {
				require.Equal(t, fmt.Sprint(r), m.Recipient)
				var i int
				_, err := fmt.Sscanf(m.ID, "msg_%d", &i)
				require.NoError(t, err)
				require.Greater(t, i, last) // oldest first
				last = i
			}
			total += len(ms)
		}
		require.Equal(t, n, total)
		ms, err = tx.Messages("k", "moved")
		require.NoError(t, err)
		require.Empty(t, ms)
		require.NoError(t, tx.Rollback())
	}
}

// TestMessageMoves: an update that changes a message's conversation moves it, in order,
// and the move commits.
func TestMessageMoves(t *testing.T) {
	s := New()
	tx := begin(t, s)
	for i, r := range []string{"a", "b", "a", "b", "a"} {
		require.NoError(t, tx.PutMessage(pool.Message{ID: fmt.Sprint(i), KeyID: "k", Recipient: r}))
	}
	require.NoError(t, tx.PutMessage(pool.Message{ID: "2", KeyID: "k", Recipient: "b"}))
	require.NoError(t, tx.PutMessage(pool.Message{ID: "4", KeyID: "k", Recipient: "b"}))
	require.NoError(t, tx.Commit())
	tx = begin(t, s)
	defer tx.Rollback()
	ids := func(r string) []string {
		ms, err := tx.Messages("k", r)
		require.NoError(t, err)
		var out []string
		for _, m := range ms {
			require.Equal(t, r, m.Recipient)
			out = append(out, m.ID)
		}
		return out
	}
	require.Equal(t, []string{"0"}, ids("a"))
	require.Equal(t, []string{"1", "2", "3", "4"}, ids("b"))
}

// TestValuesRoundTrip: the packed records give back what was put: times in their
// location, nil and empty slices, a chat id other than the recipient.
func TestValuesRoundTrip(t *testing.T) {
	s := New()
	in := newInterner()
	for id, str := range map[uint32]string{idOutbound: "outbound", idInbound: "inbound", idIMessage: "imessage",
		idSMS: "sms", idQueued: "queued", idSent: "sent", idDelivered: "delivered", idFailed: "failed", idReceived: "received"} {
		require.Equal(t, str, in.str(id))
		require.Equal(t, id, in.id(str))
	}
	paris := time.FixedZone("CET", 3600)
	now := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	msgs := []pool.Message{
		{ID: "m1", KeyID: "k", Recipient: "r", ChatID: "other", Attachments: []string{}, TimeSent: now.In(paris),
			TimeDelivered: now.In(time.Local), Status: "custom", Direction: pool.Inbound, Protocol: pool.ProtocolSMS},
		{ID: "m2", KeyID: "k", Recipient: "r", ChatID: "r", Attachments: []string{"u"}, Text: "hello", ErrorCode: "E",
			ExternalRef: "SM", Dispatched: true, Attempts: 3, NextAttemptAt: now},
		{ID: "m3", KeyID: "k2", Recipient: "r"},
	}
	tx := begin(t, s)
	for _, m := range msgs {
		require.NoError(t, tx.PutMessage(m))
	}
	c := pool.Conversation{KeyID: "k", Recipient: "r", AllocationID: "a", BoundAt: now.In(paris), GroupID: "g", LastMessageAt: now}
	require.NoError(t, tx.PutConversation(c))
	require.NoError(t, tx.Commit())
	tx = begin(t, s)
	defer tx.Rollback()
	for _, want := range msgs {
		got, err := tx.Message(want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	got, err := tx.Conversation("k", "r")
	require.NoError(t, err)
	require.Equal(t, c, got)
	_, err = tx.Conversation("k2", "r")
	require.ErrorIs(t, err, pool.ErrNotFound, "a message alone makes no conversation")
	convs, err := tx.Conversations("k2")
	require.NoError(t, err)
	require.Empty(t, convs)
}

// TestStaleReference: the state of a scoped or exclusive transaction is reused by the
// next one; a Rollback through the reference of an ended transaction must leave the next
// one alone.
func TestStaleReference(t *testing.T) {
	s := New()
	ctx := context.Background()
	msg := func(id string) pool.Message { return pool.Message{ID: id, KeyID: "k", Recipient: "r"} }
	for _, scopedTx := range []bool{true, false} {
		begin := func() pool.Tx {
			var tx pool.Tx
			var err error
			if scopedTx {
				tx, err = s.BeginConversation(ctx, "k", "r")
			} else {
				tx, err = s.Begin(ctx, true)
			}
			require.NoError(t, err)
			return tx
		}
		first := begin()
		require.NoError(t, first.PutMessage(msg(fmt.Sprint("a", scopedTx))))
		require.NoError(t, first.Commit())
		next := begin()
		require.NoError(t, next.PutMessage(msg(fmt.Sprint("b", scopedTx))))
		require.NoError(t, first.Rollback(), "a rollback after commit is a no-op")
		require.ErrorIs(t, first.Commit(), errDone)
		require.NoError(t, next.Commit())
	}
	tx, err := s.Begin(ctx, false)
	require.NoError(t, err)
	defer tx.Rollback()
	ms, err := tx.Messages("k", "r")
	require.NoError(t, err)
	require.Len(t, ms, 4)
}

// TestMoveRollback_StripeOrder pins a bug: a message added and then moved to a
// conversation of a stripe the transaction had touched first was left in the id index by
// a rollback (the stripes roll back in reverse order of first touch, so the move was undone
// after the add, pointing the entry back at a record already gone).
func TestMoveRollback_StripeOrder(t *testing.T) {
	s := New()
	stripe := func(rcpt string) int { return stripeOf(s.convHash("k", rcpt)) }
	// Two recipients in different stripes.
	a, b := "a0", ""
	for i := 1; b == ""; i++ {
		if r := fmt.Sprint("b", i); stripe(r) != stripe(a) {
			b = r
		}
	}
	tx := begin(t, s)
	require.NoError(t, tx.PutMessage(pool.Message{ID: "msg_first", KeyID: "k", Recipient: b})) // touches b's stripe first
	require.NoError(t, tx.PutMessage(pool.Message{ID: "msg_x", KeyID: "k", Recipient: a}))
	require.NoError(t, tx.PutMessage(pool.Message{ID: "msg_x", KeyID: "k", Recipient: b})) // moved into b's stripe
	require.NoError(t, tx.Rollback())
	require.Equal(t, 0, idCount(s), "the rollback leaves no id behind")
	tx = begin(t, s)
	defer tx.Rollback()
	_, err := tx.Message("msg_x")
	require.ErrorIs(t, err, pool.ErrNotFound)
}
