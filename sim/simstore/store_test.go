package simstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"poolkit/reference/pool"
	"poolkit/sim/simstore"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func begin(tb testing.TB, s *simstore.Store, writable bool) pool.Tx {
	tb.Helper()
	tx, err := s.Begin(context.Background(), writable)
	if err != nil {
		tb.Fatal(err)
	}
	return tx
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func TestRollbackUndoesEverything(t *testing.T) {
	s := simstore.New()
	tx := begin(t, s, true)
	must(t, tx.PutNumber(pool.Number{Phone: "+14155550001", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 1}))
	must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_1", KeyID: "key_1", Phone: "+14155550001", Position: 1}))
	must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: "+12125550000", AllocationID: "alloc_1", LastMessageAt: t0}))
	must(t, tx.Commit())

	tx = begin(t, s, true)
	must(t, tx.PutNumber(pool.Number{Phone: "+14155550001", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 2, Degraded: true}))
	must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: "+12125550000", AllocationID: "", LastMessageAt: t0.Add(time.Hour)}))
	must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: "+12125550001", AllocationID: "alloc_1"}))
	must(t, tx.PutMessage(pool.Message{ID: "msg_1", Direction: pool.Outbound, Status: pool.StatusQueued}))
	must(t, tx.DeleteAllocation("alloc_1"))
	must(t, tx.Rollback())

	tx = begin(t, s, false)
	defer tx.Rollback()
	n, err := tx.NumberBySlot("mac-1", 1)
	if err != nil || n.Degraded {
		t.Errorf("number after rollback: %+v, %v", n, err)
	}
	if _, err := tx.NumberBySlot("mac-1", 2); !errors.Is(err, pool.ErrNotFound) {
		t.Errorf("slot 2 after rollback: %v", err)
	}
	c, err := tx.Conversation("key_1", "+12125550000")
	want := pool.Conversation{KeyID: "key_1", Recipient: "+12125550000", AllocationID: "alloc_1", LastMessageAt: t0}
	if diff := cmp.Diff(want, c); err != nil || diff != "" {
		t.Errorf("conversation after rollback (-want +got):\n%s %v", diff, err)
	}
	if _, err := tx.Conversation("key_1", "+12125550001"); !errors.Is(err, pool.ErrNotFound) {
		t.Errorf("a conversation created in the rolled-back transaction: %v", err)
	}
	if _, err := tx.Message("msg_1"); !errors.Is(err, pool.ErrNotFound) {
		t.Errorf("a message of the rolled-back transaction: %v", err)
	}
	if a, err := tx.AllocationByPhone("+14155550001"); err != nil || a.ID != "alloc_1" {
		t.Errorf("allocation after rollback: %+v, %v", a, err)
	}
	if as, _ := tx.Allocations("key_1"); len(as) != 1 {
		t.Errorf("the key's allocations after rollback: %+v", as)
	}
}

// TestMessages_KeptUntilFinal: an outbound message is kept, without its text, until it
// is delivered or failed; inbound messages and history are not kept.
func TestMessages_KeptUntilFinal(t *testing.T) {
	s := simstore.New()
	tx := begin(t, s, true)
	must(t, tx.PutMessage(pool.Message{ID: "msg_1", Direction: pool.Outbound, Status: pool.StatusQueued, Text: "hello", Phone: "+14155550001"}))
	must(t, tx.PutMessage(pool.Message{ID: "msg_2", Direction: pool.Inbound, Status: pool.StatusReceived, Text: "hi"}))
	must(t, tx.Commit())
	if s.PendingMessages() != 1 {
		t.Errorf("%d messages kept, want 1", s.PendingMessages())
	}
	tx = begin(t, s, true)
	m, err := tx.Message("msg_1")
	if err != nil || m.Text != "" || m.Phone != "+14155550001" || m.Status != pool.StatusQueued {
		t.Errorf("msg_1 = %+v, %v", m, err)
	}
	if _, err := tx.Message("msg_2"); !errors.Is(err, pool.ErrNotFound) {
		t.Errorf("an inbound message was kept: %v", err)
	}
	m.Status = pool.StatusDelivered
	must(t, tx.PutMessage(m))
	must(t, tx.Commit())
	tx = begin(t, s, false)
	defer tx.Rollback()
	if _, err := tx.Message("msg_1"); !errors.Is(err, pool.ErrNotFound) {
		t.Errorf("a delivered message was kept: %v", err)
	}
	if _, err := tx.Messages("key_1", "+12125550000"); !errors.Is(err, simstore.ErrUnsupported) {
		t.Errorf("Messages: %v", err)
	}
	if _, err := tx.PendingMessages(t0, 10); !errors.Is(err, simstore.ErrUnsupported) {
		t.Errorf("PendingMessages: %v", err)
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	s := simstore.New()
	tx := begin(t, s, false)
	defer tx.Rollback()
	if err := tx.PutOrg(pool.Org{ID: "org_1"}); err == nil {
		t.Error("a read-only transaction wrote")
	}
}

func TestUnbind(t *testing.T) {
	s := simstore.New()
	tx := begin(t, s, true)
	must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_1", KeyID: "key_1", Phone: "+14155550001", Position: 1}))
	must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_2", KeyID: "key_1", Phone: "+14155550002", Position: 2}))
	must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: "a@example.com", AllocationID: "alloc_1", BoundAt: t0}))
	must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: "b@example.com", AllocationID: "alloc_2", BoundAt: t0}))
	must(t, tx.Unbind("alloc_1"))
	must(t, tx.Commit())
	tx = begin(t, s, false)
	defer tx.Rollback()
	a, _ := tx.Conversation("key_1", "a@example.com")
	b, _ := tx.Conversation("key_1", "b@example.com")
	if a.AllocationID != "" || !a.BoundAt.IsZero() || b.AllocationID != "alloc_2" {
		t.Errorf("after Unbind(alloc_1): a %+v, b %+v", a, b)
	}
}
