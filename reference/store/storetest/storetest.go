// Package storetest checks that a pool.Store implementation keeps the contract the
// engine relies on: values in, values out; ErrNotFound for missing records; every index
// consistent with its records; rollback undoing everything; serializable transactions.
// Use it from a store's tests:
//
//	func TestStore(t *testing.T) { storetest.Run(t, func(t *testing.T) pool.Store { return mem.New() }) }
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

// NewStore returns a fresh, empty store for one test.
type NewStore func(t *testing.T) pool.Store

// Run runs every check against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, pool.Store)
	}{
		{"MissingRecords", testMissing},
		{"RoundTrip", testRoundTrip},
		{"Indexes", testIndexes},
		{"AllocationsInPositionOrder", testAllocationOrder},
		{"DeleteAllocation", testDeleteAllocation},
		{"Unbind", testUnbind},
		{"PriorInbound", testPriorInbound},
		{"ConversationsMostRecentFirst", testConversations},
		{"MessagesOldestFirst", testMessages},
		{"IdempotencyExpiry", testIdempotency},
		{"CursorsAndWRR", testCursors},
		{"RollbackUndoesEverything", testRollback},
		{"CommitPersists", testCommit},
		{"ReadOnlyRefusesWrites", testReadOnly},
		{"RecordsAreValues", testValues},
		{"SerializableWriters", testSerializable},
		{"Outbox", testOutbox},
		{"OutboxSurvivesRollback", testOutboxRollback},
		{"RelaysAndLines", testRelays},
		{"PoolAgreesWithAllocationsAndNumbers", testPool},
		{"ConversationScope", testScope},
		{"ConversationScopeRollback", testScopeRollback},
		{"ConversationScopeSerializable", testScopeSerializable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// write runs fn in a writable transaction and commits it.
func write(tb testing.TB, s pool.Store, fn func(tx pool.Tx)) {
	tb.Helper()
	tx, err := s.Begin(context.Background(), true)
	require.NoError(tb, err)
	defer tx.Rollback()
	fn(tx)
	require.NoError(tb, tx.Commit())
}

// read runs fn in a read-only transaction.
func read(tb testing.TB, s pool.Store, fn func(tx pool.Tx)) {
	tb.Helper()
	tx, err := s.Begin(context.Background(), false)
	require.NoError(tb, err)
	defer tx.Rollback()
	fn(tx)
}

func must(tb testing.TB, err error) {
	tb.Helper()
	require.NoError(tb, err)
}

func equal(tb testing.TB, want, got any, why ...string) {
	tb.Helper()
	if d := cmp.Diff(want, got); d != "" {
		tb.Fatalf("mismatch %v (-want +got):\n%s", why, d)
	}
}

// fixture is a small consistent data set.
type fixture struct {
	org    pool.Org
	key    pool.Key
	relay  pool.Relay
	blooio pool.Number
	twilio pool.Number
	alloc  pool.Allocation
	conv   pool.Conversation
	group  pool.Group
	msg    pool.Message
	idem   pool.Idempotency
	integ  pool.Integration
}

func newFixture() fixture {
	f := fixture{
		org: pool.Org{ID: "org_1", Name: "Acme", Strategy: pool.StrategyWeighted, StickyTTL: time.Hour, Health: pool.DefaultHealth, CreatedAt: t0},
		key: pool.Key{ID: "key_1", OrgID: "org_1", Name: "sales", SecretHash: pool.HashSecret("bl_test_x"),
			Protocol: pool.ProtocolIMessage, Allocations: 1, LastPosition: 3, CreatedAt: t0},
		relay: pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:9", Secret: "s3cret"},
		blooio: pool.Number{Phone: "+15551110001", OrgID: "org_1", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 2,
			PlanKind: pool.PlanInbound, Weight: 3, Degraded: true, Outcomes: []bool{true, false, true}, Sent: 7, LastActive: t0, CreatedAt: t0},
		twilio: pool.Number{Phone: "+15552220001", OrgID: "org_1", Provider: pool.ProviderTwilio, IntegrationID: "int_1",
			PlanKind: pool.PlanDedicated, Weight: 1, Banned: true, CreatedAt: t0},
		alloc: pool.Allocation{ID: "alloc_1", KeyID: "key_1", Phone: "+15551110001", Position: 3, CreatedAt: t0},
		conv: pool.Conversation{KeyID: "key_1", Recipient: "+15557654321", AllocationID: "alloc_1", BoundAt: t0,
			LastMessageAt: t0.Add(time.Minute), CreatedAt: t0},
		group: pool.Group{ID: "grp_1", KeyID: "key_1", AllocationID: "alloc_1", Participants: []string{"+15550000001", "a@b.co"},
			ParticipantsKey: "+15550000001,a@b.co", ChatGUID: "chat-guid-1", Name: "Friends", CreatedAt: t0},
		msg: pool.Message{ID: "msg_1", KeyID: "key_1", Recipient: "+15557654321", ChatID: "+15557654321", AllocationID: "alloc_1",
			Phone: "+15551110001", Direction: pool.Outbound, Protocol: pool.ProtocolIMessage, Text: "hi",
			Attachments: []string{"https://x.example/a.png"}, Status: pool.StatusDelivered, ErrorCode: "E1",
			TimeSent: t0, TimeDelivered: t0.Add(time.Second), ExternalRef: "SM1",
			Dispatched: true, Attempts: 2, NextAttemptAt: t0.Add(5 * time.Second)},
		integ: pool.Integration{ID: "int_1", OrgID: "org_1", AccountSID: "AC1", APIKeySID: "SK1", APIKeySecret: "shh",
			AuthToken: "tok", Token: "url-token", CreatedAt: t0},
	}
	f.idem = pool.Idempotency{KeyID: "key_1", Key: "idem-1", Fingerprint: pool.HashSecret("fp"), CreatedAt: t0,
		Result: pool.SendResult{MessageID: "msg_1", MessageIDs: []string{"msg_1", "msg_2"}, Status: pool.StatusQueued,
			From: "+15551110001", AllocationID: "alloc_1", Protocol: pool.ProtocolIMessage, ChatID: "+15557654321",
			GroupID: "grp_1", GroupCreated: true, Participants: []string{"+15550000001"}}}
	return f
}

func (f fixture) put(tb testing.TB, tx pool.Tx) {
	tb.Helper()
	must(tb, tx.PutOrg(f.org))
	must(tb, tx.PutKey(f.key))
	must(tb, tx.PutRelay(f.relay))
	must(tb, tx.PutNumber(f.blooio))
	must(tb, tx.PutNumber(f.twilio))
	must(tb, tx.PutAllocation(f.alloc))
	must(tb, tx.PutConversation(f.conv))
	must(tb, tx.PutGroup(f.group))
	must(tb, tx.PutMessage(f.msg))
	must(tb, tx.PutIdempotency(f.idem))
	must(tb, tx.PutIntegration(f.integ))
	must(tb, tx.PutPriorInbound("alloc_1", "+15557654321"))
	must(tb, tx.PutCursor("key_1", "", 3))
	must(tb, tx.PutWRR("key_1", []pool.WRRSlot{{AllocationID: "alloc_1", Weight: 3, Current: -2}}))
}

// missing checks that every getter reports ErrNotFound for the fixture's records.
func missing(tb testing.TB, tx pool.Tx) {
	tb.Helper()
	nf := func(what string, err error) {
		tb.Helper()
		require.ErrorIs(tb, err, pool.ErrNotFound, what)
	}
	_, err := tx.Org("org_1")
	nf("Org", err)
	_, err = tx.Key("key_1")
	nf("Key", err)
	_, err = tx.KeyByHash(pool.HashSecret("bl_test_x"))
	nf("KeyByHash", err)
	_, err = tx.Relay("mac-1")
	nf("Relay", err)
	_, err = tx.Number("+15551110001")
	nf("Number", err)
	_, err = tx.NumberBySlot("mac-1", 2)
	nf("NumberBySlot", err)
	_, err = tx.Allocation("alloc_1")
	nf("Allocation", err)
	_, err = tx.AllocationByPhone("+15551110001")
	nf("AllocationByPhone", err)
	_, err = tx.Conversation("key_1", "+15557654321")
	nf("Conversation", err)
	_, err = tx.Group("grp_1")
	nf("Group", err)
	_, err = tx.GroupByParticipants("key_1", "+15550000001,a@b.co")
	nf("GroupByParticipants", err)
	_, err = tx.GroupByChatGUID("alloc_1", "chat-guid-1")
	nf("GroupByChatGUID", err)
	_, err = tx.Message("msg_1")
	nf("Message", err)
	_, err = tx.Idempotency("key_1", "idem-1")
	nf("Idempotency", err)
	_, err = tx.Cursor("key_1", "")
	nf("Cursor", err)
	_, err = tx.WRR("key_1")
	nf("WRR", err)
	_, err = tx.Integration("int_1")
	nf("Integration", err)
	relays, err := tx.Relays()
	must(tb, err)
	require.Empty(tb, relays)
	lines, err := tx.NumbersOnRelay("mac-1")
	must(tb, err)
	require.Empty(tb, lines)

	allocs, err := tx.Allocations("key_1")
	must(tb, err)
	require.Empty(tb, allocs)
	convs, err := tx.Conversations("key_1")
	must(tb, err)
	require.Empty(tb, convs)
	msgs, err := tx.Messages("key_1", "+15557654321")
	must(tb, err)
	require.Empty(tb, msgs)
	prior, err := tx.PriorInbound("alloc_1", "+15557654321")
	must(tb, err)
	require.False(tb, prior)
}

// present checks that every getter returns the fixture's records.
func (f fixture) present(tb testing.TB, tx pool.Tx) {
	tb.Helper()
	get := func(v any, err error) any {
		tb.Helper()
		must(tb, err)
		return v
	}
	equal(tb, f.org, get(tx.Org("org_1")))
	equal(tb, f.key, get(tx.Key("key_1")))
	equal(tb, f.key, get(tx.KeyByHash(f.key.SecretHash)))
	equal(tb, f.relay, get(tx.Relay("mac-1")))
	equal(tb, f.blooio, get(tx.Number("+15551110001")))
	equal(tb, f.twilio, get(tx.Number("+15552220001")))
	equal(tb, f.blooio, get(tx.NumberBySlot("mac-1", 2)))
	equal(tb, f.alloc, get(tx.Allocation("alloc_1")))
	equal(tb, f.alloc, get(tx.AllocationByPhone("+15551110001")))
	equal(tb, []pool.Allocation{f.alloc}, get(tx.Allocations("key_1")))
	equal(tb, f.conv, get(tx.Conversation("key_1", "+15557654321")))
	equal(tb, []pool.Conversation{f.conv}, get(tx.Conversations("key_1")))
	equal(tb, f.group, get(tx.Group("grp_1")))
	equal(tb, f.group, get(tx.GroupByParticipants("key_1", f.group.ParticipantsKey)))
	equal(tb, f.group, get(tx.GroupByChatGUID("alloc_1", "chat-guid-1")))
	equal(tb, f.msg, get(tx.Message("msg_1")))
	equal(tb, []pool.Message{f.msg}, get(tx.Messages("key_1", "+15557654321")))
	equal(tb, f.idem, get(tx.Idempotency("key_1", "idem-1")))
	equal(tb, true, get(tx.PriorInbound("alloc_1", "+15557654321")))
	equal(tb, 3, get(tx.Cursor("key_1", "")))
	equal(tb, []pool.WRRSlot{{AllocationID: "alloc_1", Weight: 3, Current: -2}}, get(tx.WRR("key_1")))
	equal(tb, f.integ, get(tx.Integration("int_1")))
	equal(tb, []pool.Relay{f.relay}, get(tx.Relays()))
	equal(tb, []pool.Number{f.blooio}, get(tx.NumbersOnRelay("mac-1")))
	_, err := tx.NumberBySlot("mac-1", 3)
	require.ErrorIs(tb, err, pool.ErrNotFound, "a Twilio number or another slot is not on a line")
}

func testMissing(t *testing.T, s pool.Store) { read(t, s, func(tx pool.Tx) { missing(t, tx) }) }

func testRoundTrip(t *testing.T, s pool.Store) {
	f := newFixture()
	write(t, s, func(tx pool.Tx) {
		f.put(t, tx)
		f.present(t, tx) // a transaction sees its own writes
	})
	read(t, s, func(tx pool.Tx) { f.present(t, tx) })
}

func testIndexes(t *testing.T, s pool.Store) {
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	write(t, s, func(tx pool.Tx) {
		// Moving a number to another slot frees the old one.
		n := f.blooio
		n.LineSlot = 5
		must(t, tx.PutNumber(n))
		_, err := tx.NumberBySlot("mac-1", 2)
		require.ErrorIs(t, err, pool.ErrNotFound)
		got, err := tx.NumberBySlot("mac-1", 5)
		must(t, err)
		equal(t, n, got)
		// A key's new secret hash replaces the old one in the index.
		k := f.key
		k.SecretHash = pool.HashSecret("bl_test_y")
		must(t, tx.PutKey(k))
		_, err = tx.KeyByHash(f.key.SecretHash)
		require.ErrorIs(t, err, pool.ErrNotFound)
		gotKey, err := tx.KeyByHash(k.SecretHash)
		must(t, err)
		equal(t, k, gotKey)
		// Updating a message does not list it twice.
		m := f.msg
		m.Status = pool.StatusFailed
		must(t, tx.PutMessage(m))
		msgs, err := tx.Messages("key_1", m.Recipient)
		must(t, err)
		equal(t, []pool.Message{m}, msgs)
		// Updating a conversation does not list it twice.
		c := f.conv
		c.AllocationID = ""
		must(t, tx.PutConversation(c))
		convs, err := tx.Conversations("key_1")
		must(t, err)
		equal(t, []pool.Conversation{c}, convs)
	})
}

func testAllocationOrder(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		for _, pos := range []int{5, 2, 9, 1} {
			a := pool.Allocation{ID: "alloc_" + string(rune('a'+pos)), KeyID: "key_1", Phone: "+1555111000" + string(rune('0'+pos)), Position: pos}
			must(t, tx.PutAllocation(a))
		}
		must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_other", KeyID: "key_2", Phone: "+15552220009", Position: 3}))
	})
	read(t, s, func(tx pool.Tx) {
		allocs, err := tx.Allocations("key_1")
		must(t, err)
		var got []int
		for _, a := range allocs {
			got = append(got, a.Position)
			require.Equal(t, "key_1", a.KeyID)
		}
		equal(t, []int{1, 2, 5, 9}, got)
	})
}

func testDeleteAllocation(t *testing.T, s pool.Store) {
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	write(t, s, func(tx pool.Tx) { must(t, tx.DeleteAllocation("alloc_1")) })
	read(t, s, func(tx pool.Tx) {
		_, err := tx.Allocation("alloc_1")
		require.ErrorIs(t, err, pool.ErrNotFound)
		_, err = tx.AllocationByPhone(f.alloc.Phone)
		require.ErrorIs(t, err, pool.ErrNotFound)
		allocs, err := tx.Allocations("key_1")
		must(t, err)
		require.Empty(t, allocs)
	})
	// The number can be allocated again, with a new allocation.
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_2", KeyID: "key_1", Phone: f.alloc.Phone, Position: 4}))
		a, err := tx.AllocationByPhone(f.alloc.Phone)
		must(t, err)
		require.Equal(t, "alloc_2", a.ID)
	})
}

func testUnbind(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_a", KeyID: "key_1", Phone: "+15551110001", Position: 1}))
		must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_b", KeyID: "key_1", Phone: "+15551110002", Position: 2}))
		for i, r := range []string{"+15550000001", "+15550000002", "+15550000003"} {
			a := "alloc_a"
			if i == 1 {
				a = "alloc_b"
			}
			must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: r, AllocationID: a, BoundAt: t0, LastMessageAt: t0}))
		}
	})
	write(t, s, func(tx pool.Tx) { must(t, tx.Unbind("alloc_a")) })
	read(t, s, func(tx pool.Tx) {
		for r, want := range map[string]string{"+15550000001": "", "+15550000002": "alloc_b", "+15550000003": ""} {
			c, err := tx.Conversation("key_1", r)
			must(t, err)
			require.Equal(t, want, c.AllocationID, r)
			require.Equal(t, t0, c.LastMessageAt, "unbinding keeps the conversation")
		}
	})
}

func testPriorInbound(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutPriorInbound("alloc_a", "+15550000001"))
		must(t, tx.PutPriorInbound("alloc_a", "+15550000001")) // idempotent
		must(t, tx.PutPriorInbound("alloc_a", "grp_1"))
		must(t, tx.PutPriorInbound("alloc_b", "+15550000001"))
	})
	write(t, s, func(tx pool.Tx) { must(t, tx.DeletePriorInbound("alloc_a")) })
	read(t, s, func(tx pool.Tx) {
		for _, c := range []struct {
			alloc, r string
			want     bool
		}{{"alloc_a", "+15550000001", false}, {"alloc_a", "grp_1", false}, {"alloc_b", "+15550000001", true}, {"alloc_b", "grp_1", false}} {
			got, err := tx.PriorInbound(c.alloc, c.r)
			must(t, err)
			require.Equal(t, c.want, got, "%s %s", c.alloc, c.r)
		}
	})
}

func testConversations(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		for i, r := range []string{"+15550000001", "+15550000002", "+15550000003"} {
			must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: r, LastMessageAt: t0.Add(time.Duration((i*2)%3) * time.Minute)}))
		}
		must(t, tx.PutConversation(pool.Conversation{KeyID: "key_2", Recipient: "+15550000009", LastMessageAt: t0}))
	})
	read(t, s, func(tx pool.Tx) {
		convs, err := tx.Conversations("key_1")
		must(t, err)
		var got []string
		for _, c := range convs {
			got = append(got, c.Recipient)
		}
		equal(t, []string{"+15550000002", "+15550000003", "+15550000001"}, got)
	})
}

func testMessages(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		for i, id := range []string{"msg_c", "msg_a", "msg_b"} {
			must(t, tx.PutMessage(pool.Message{ID: id, KeyID: "key_1", Recipient: "+15550000001", TimeSent: t0.Add(time.Duration(i) * time.Second)}))
		}
		must(t, tx.PutMessage(pool.Message{ID: "msg_x", KeyID: "key_1", Recipient: "+15550000002", TimeSent: t0}))
		must(t, tx.PutMessage(pool.Message{ID: "msg_y", KeyID: "key_2", Recipient: "+15550000001", TimeSent: t0}))
	})
	read(t, s, func(tx pool.Tx) {
		msgs, err := tx.Messages("key_1", "+15550000001")
		must(t, err)
		var got []string
		for _, m := range msgs {
			got = append(got, m.ID)
		}
		equal(t, []string{"msg_c", "msg_a", "msg_b"}, got)
	})
}

func testIdempotency(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutIdempotency(pool.Idempotency{KeyID: "key_1", Key: "old", CreatedAt: t0}))
		must(t, tx.PutIdempotency(pool.Idempotency{KeyID: "key_1", Key: "new", CreatedAt: t0.Add(time.Hour)}))
		must(t, tx.PutIdempotency(pool.Idempotency{KeyID: "key_2", Key: "old", CreatedAt: t0.Add(2 * time.Hour)}))
	})
	write(t, s, func(tx pool.Tx) { must(t, tx.DeleteIdempotencyBefore(t0.Add(time.Minute))) })
	read(t, s, func(tx pool.Tx) {
		_, err := tx.Idempotency("key_1", "old")
		require.ErrorIs(t, err, pool.ErrNotFound)
		_, err = tx.Idempotency("key_1", "new")
		must(t, err)
		_, err = tx.Idempotency("key_2", "old")
		require.NoError(t, err, "records are scoped to their API key")
	})
}

func testCursors(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutCursor("key_1", "", 1))
		must(t, tx.PutCursor("key_1", "415", 7))
		must(t, tx.PutCursor("key_1", "US-CA", 9))
		must(t, tx.PutCursor("key_1", "", 2))
	})
	read(t, s, func(tx pool.Tx) {
		for scope, want := range map[string]int{"": 2, "415": 7, "US-CA": 9} {
			got, err := tx.Cursor("key_1", scope)
			must(t, err)
			require.Equal(t, want, got, scope)
		}
		_, err := tx.Cursor("key_2", "")
		require.ErrorIs(t, err, pool.ErrNotFound)
	})
}

func testRollback(t *testing.T, s pool.Store) {
	f := newFixture()
	tx, err := s.Begin(context.Background(), true)
	must(t, err)
	f.put(t, tx)
	must(t, tx.Unbind("alloc_1"))
	must(t, tx.Rollback())
	require.NoError(t, tx.Rollback(), "a second rollback is a no-op")
	read(t, s, func(tx pool.Tx) { missing(t, tx) })

	// A rollback after committed data restores the committed values and indexes.
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	tx, err = s.Begin(context.Background(), true)
	must(t, err)
	n := f.blooio
	n.LineSlot, n.Banned = 9, true
	must(t, tx.PutNumber(n))
	must(t, tx.Unbind("alloc_1"))
	must(t, tx.DeletePriorInbound("alloc_1"))
	must(t, tx.DeleteAllocation("alloc_1"))
	must(t, tx.PutMessage(pool.Message{ID: "msg_2", KeyID: "key_1", Recipient: "+15557654321"}))
	must(t, tx.DeleteIdempotencyBefore(t0.Add(time.Hour)))
	must(t, tx.PutCursor("key_1", "", 99))
	must(t, tx.Rollback())
	read(t, s, func(tx pool.Tx) { newFixture().present(t, tx) })
}

func testCommit(t *testing.T, s pool.Store) {
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	tx, err := s.Begin(context.Background(), true)
	must(t, err)
	must(t, tx.PutCursor("key_1", "", 4))
	must(t, tx.Commit())
	require.NoError(t, tx.Rollback(), "rollback after commit is a no-op")
	read(t, s, func(tx pool.Tx) {
		got, err := tx.Cursor("key_1", "")
		must(t, err)
		require.Equal(t, 4, got)
	})
}

func testReadOnly(t *testing.T, s pool.Store) {
	read(t, s, func(tx pool.Tx) {
		require.Error(t, tx.PutOrg(pool.Org{ID: "org_1"}))
		require.Error(t, tx.PutCursor("key_1", "", 1))
	})
	read(t, s, func(tx pool.Tx) { missing(t, tx) })
}

func testValues(t *testing.T, s pool.Store) {
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	write(t, s, func(tx pool.Tx) {
		n, err := tx.Number(f.blooio.Phone)
		must(t, err)
		n.Sent = 1000
		_ = append(n.Outcomes, false, false)
		g, err := tx.Group("grp_1")
		must(t, err)
		_ = append(g.Participants, "appended")
		w, err := tx.WRR("key_1")
		must(t, err)
		w[0].Current = 100 // WRR slots are the caller's to change
		allocs, err := tx.Allocations("key_1")
		must(t, err)
		allocs[0].Position = 100
	})
	read(t, s, func(tx pool.Tx) { newFixture().present(t, tx) })
}

func testSerializable(t *testing.T, s pool.Store) {
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				tx, err := s.Begin(context.Background(), true)
				if err != nil {
					t.Error(err)
					return
				}
				n, err := tx.Cursor("key_1", "")
				if err != nil && err != pool.ErrNotFound {
					t.Error(err)
				}
				if err := tx.PutCursor("key_1", "", n+1); err != nil {
					t.Error(err)
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	read(t, s, func(tx pool.Tx) {
		n, err := tx.Cursor("key_1", "")
		must(t, err)
		require.Equal(t, workers*rounds, n, "read-modify-write in writable transactions must not lose updates")
	})
}

// outboxMessage is an outbound message of key_1 to recipient, queued for dispatch.
func outboxMessage(id string, next time.Time) pool.Message {
	return pool.Message{ID: id, KeyID: "key_1", Recipient: "+15550000001", Direction: pool.Outbound,
		Status: pool.StatusQueued, TimeSent: t0, NextAttemptAt: next}
}

func pendingIDs(tb testing.TB, tx pool.Tx, due time.Time, limit int) []string {
	tb.Helper()
	msgs, err := tx.PendingMessages(due, limit)
	must(tb, err)
	var ids []string
	for _, m := range msgs {
		require.True(tb, m.Pending(), m.ID)
		ids = append(ids, m.ID)
	}
	return ids
}

func testOutbox(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutMessage(outboxMessage("msg_a", time.Time{})))
		must(t, tx.PutMessage(outboxMessage("msg_b", t0.Add(time.Minute)))) // a retry, due later
		must(t, tx.PutMessage(outboxMessage("msg_c", time.Time{})))
		in := outboxMessage("msg_in", time.Time{})
		in.Direction, in.Status = pool.Inbound, pool.StatusReceived
		must(t, tx.PutMessage(in))
		done := outboxMessage("msg_done", time.Time{})
		done.Dispatched = true
		must(t, tx.PutMessage(done))
		failed := outboxMessage("msg_failed", time.Time{})
		failed.Status = pool.StatusFailed
		must(t, tx.PutMessage(failed))
	})
	write(t, s, func(tx pool.Tx) {
		equal(t, []string{"msg_a", "msg_c"}, pendingIDs(t, tx, t0, 10))
		equal(t, []string{"msg_a", "msg_c", "msg_b"}, pendingIDs(t, tx, t0.Add(time.Minute), 10), "due first, then oldest")
		equal(t, []string{"msg_a"}, pendingIDs(t, tx, t0.Add(time.Hour), 1))
		// Dispatching msg_a takes it out; a failed attempt that reschedules keeps msg_c in.
		a, err := tx.Message("msg_a")
		must(t, err)
		a.Dispatched, a.ExternalRef = true, "SMa"
		must(t, tx.PutMessage(a))
		c, err := tx.Message("msg_c")
		must(t, err)
		c.Attempts, c.NextAttemptAt = 1, t0.Add(2*time.Minute)
		must(t, tx.PutMessage(c))
		equal(t, []string{"msg_b", "msg_c"}, pendingIDs(t, tx, t0.Add(time.Hour), 10))
	})
	write(t, s, func(tx pool.Tx) {
		equal(t, []string{"msg_b"}, pendingIDs(t, tx, t0.Add(time.Minute), 10))
		// A message added later joins the outbox.
		must(t, tx.PutMessage(outboxMessage("msg_d", time.Time{})))
		equal(t, []string{"msg_d", "msg_b", "msg_c"}, pendingIDs(t, tx, t0.Add(time.Hour), 10))
	})
}

func testOutboxRollback(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutMessage(outboxMessage("msg_a", time.Time{})))
		must(t, tx.PutMessage(outboxMessage("msg_b", time.Time{})))
	})
	// Dispatch msg_a, list the outbox (which may move an index past msg_a), roll back.
	tx, err := s.Begin(context.Background(), true)
	must(t, err)
	a, err := tx.Message("msg_a")
	must(t, err)
	a.Dispatched = true
	must(t, tx.PutMessage(a))
	equal(t, []string{"msg_b"}, pendingIDs(t, tx, t0, 10))
	must(t, tx.PutMessage(outboxMessage("msg_c", time.Time{})))
	must(t, tx.Rollback())
	write(t, s, func(tx pool.Tx) {
		equal(t, []string{"msg_a", "msg_b"}, pendingIDs(t, tx, t0, 10), "the rollback put msg_a back in the outbox")
	})
}

func testRelays(t *testing.T, s pool.Store) {
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutRelay(pool.Relay{ID: "mac-2", URL: "http://b", Secret: "2"}))
		must(t, tx.PutRelay(pool.Relay{ID: "mac-1", URL: "http://a", Secret: "1"}))
		for i, slot := range []int{3, 1, 2} {
			relay := "mac-1"
			if i == 2 {
				relay = "mac-2"
			}
			must(t, tx.PutNumber(pool.Number{Phone: "+1555111000" + string(rune('1'+i)), OrgID: "org_1", Provider: pool.ProviderBlooio, RelayID: relay, LineSlot: slot}))
		}
		must(t, tx.PutNumber(pool.Number{Phone: "+15552220001", OrgID: "org_1", Provider: pool.ProviderTwilio}))
	})
	read(t, s, func(tx pool.Tx) {
		relays, err := tx.Relays()
		must(t, err)
		require.Len(t, relays, 2)
		require.Equal(t, "mac-1", relays[0].ID)
		lines, err := tx.NumbersOnRelay("mac-1")
		must(t, err)
		var got []string
		for _, n := range lines {
			got = append(got, n.Phone)
		}
		equal(t, []string{"+15551110002", "+15551110001"}, got, "by line slot")
	})
}

// testPool checks pool.PoolTx, for stores whose transactions have it: Pool is Allocations
// with each allocation's Number, in every transaction state; what it returned does not
// change.
func testPool(t *testing.T, s pool.Store) {
	probe, err := s.Begin(context.Background(), false)
	must(t, err)
	_, ok := probe.(pool.PoolTx)
	must(t, probe.Rollback())
	if !ok {
		t.Skip("the store's transactions are not pool.PoolTx")
	}
	agree := func(tb testing.TB, tx pool.Tx, keyID string) ([]pool.Allocation, []pool.Number) {
		tb.Helper()
		allocs, nums, err := tx.(pool.PoolTx).Pool(keyID)
		must(tb, err)
		want, err := tx.Allocations(keyID)
		must(tb, err)
		equal(tb, want, allocs, "allocations")
		require.Len(tb, nums, len(allocs))
		for i, a := range allocs {
			n, err := tx.Number(a.Phone)
			must(tb, err)
			equal(tb, n, nums[i], "number of "+a.ID)
		}
		return allocs, nums
	}
	f := newFixture()
	write(t, s, func(tx pool.Tx) {
		agree(t, tx, "key_1")
		f.put(t, tx)
		agree(t, tx, "key_1")
	})
	read(t, s, func(tx pool.Tx) { agree(t, tx, "key_1") })

	tx, err := s.Begin(context.Background(), true)
	must(t, err)
	before, beforeNums := agree(t, tx, "key_1")
	n := f.blooio
	n.Weight, n.Offline = 9, true
	must(t, tx.PutNumber(n))
	_, nums := agree(t, tx, "key_1")
	require.Equal(t, 9, nums[0].Weight)
	must(t, tx.PutAllocation(pool.Allocation{ID: "alloc_2", KeyID: "key_1", Phone: f.twilio.Phone, Position: 1}))
	allocs, _ := agree(t, tx, "key_1")
	require.Len(t, allocs, 2)
	must(t, tx.DeleteAllocation("alloc_1"))
	agree(t, tx, "key_1")
	equal(t, []pool.Allocation{f.alloc}, before, "a returned pool does not change")
	equal(t, []pool.Number{f.blooio}, beforeNums, "a returned pool does not change")
	must(t, tx.Rollback())
	read(t, s, func(tx pool.Tx) {
		allocs, nums := agree(t, tx, "key_1")
		equal(t, []pool.Allocation{f.alloc}, allocs)
		equal(t, []pool.Number{f.blooio}, nums)
	})
	write(t, s, func(tx pool.Tx) {
		agree(t, tx, "key_1")
		must(t, tx.DeleteAllocation("alloc_1"))
		allocs, _ := agree(t, tx, "key_1")
		require.Empty(t, allocs)
	})
	read(t, s, func(tx pool.Tx) { agree(t, tx, "key_2") })
}

// conversationStore returns s as a pool.ConversationStore, or skips the test.
func conversationStore(t *testing.T, s pool.Store) pool.ConversationStore {
	t.Helper()
	cs, ok := s.(pool.ConversationStore)
	if !ok {
		t.Skip("the store is not a pool.ConversationStore")
	}
	return cs
}

// scopedWrite runs fn in a transaction scoped to (key, recipient) and commits it.
func scopedWrite(tb testing.TB, cs pool.ConversationStore, key, recipient string, fn func(tx pool.Tx)) {
	tb.Helper()
	tx, err := cs.BeginConversation(context.Background(), key, recipient)
	require.NoError(tb, err)
	defer tx.Rollback()
	fn(tx)
	require.NoError(tb, tx.Commit())
}

func outOfScope(tb testing.TB, err error, what string) {
	tb.Helper()
	require.ErrorIs(tb, err, pool.ErrOutOfScope, what)
}

// testScope checks what a transaction scoped to a conversation may do: read every record
// but other conversations and their messages, write its conversation, messages to it and
// its key's cursors, and nothing else.
func testScope(t *testing.T, s pool.Store) {
	cs := conversationStore(t, s)
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	c := f.conv
	scopedWrite(t, cs, c.KeyID, c.Recipient, func(tx pool.Tx) {
		equal(t, f.org, get(t)(tx.Org("org_1")))
		equal(t, f.key, get(t)(tx.Key("key_1")))
		equal(t, f.blooio, get(t)(tx.Number(f.blooio.Phone)))
		equal(t, f.alloc, get(t)(tx.Allocation("alloc_1")))
		equal(t, f.group, get(t)(tx.Group("grp_1")))
		equal(t, f.idem, get(t)(tx.Idempotency("key_1", "idem-1")))
		equal(t, f.conv, get(t)(tx.Conversation(c.KeyID, c.Recipient)))
		equal(t, []pool.Message{f.msg}, get(t)(tx.Messages(c.KeyID, c.Recipient)))
		equal(t, f.msg, get(t)(tx.Message("msg_1")))
		equal(t, 3, get(t)(tx.Cursor("key_1", "")))

		_, err := tx.Conversation(c.KeyID, "+15550000000")
		outOfScope(t, err, "another conversation")
		_, err = tx.Conversation("key_2", c.Recipient)
		outOfScope(t, err, "another key's conversation")
		_, err = tx.Messages(c.KeyID, "+15550000000")
		outOfScope(t, err, "another conversation's messages")
		_, err = tx.Conversations(c.KeyID)
		outOfScope(t, err, "the key's conversations")
		_, err = tx.Cursor("key_2", "")
		outOfScope(t, err, "another key's cursor")
		outOfScope(t, tx.PutNumber(f.blooio), "a number")
		outOfScope(t, tx.PutKey(f.key), "a key")
		outOfScope(t, tx.PutGroup(f.group), "a group")
		outOfScope(t, tx.PutIdempotency(f.idem), "an idempotency record")
		outOfScope(t, tx.PutPriorInbound("alloc_1", "x"), "prior inbound")
		outOfScope(t, tx.Unbind("alloc_1"), "unbinding")
		outOfScope(t, tx.PutConversation(pool.Conversation{KeyID: c.KeyID, Recipient: "+15550000000"}), "another conversation")
		outOfScope(t, tx.PutMessage(pool.Message{ID: "msg_9", KeyID: c.KeyID, Recipient: "+15550000000"}), "a message to another conversation")
		outOfScope(t, tx.PutCursor("key_2", "", 1), "another key's cursor")
		_, err = tx.PendingMessages(t0, 10)
		outOfScope(t, err, "the outbox")

		c.LastMessageAt = t0.Add(time.Hour)
		must(t, tx.PutConversation(c))
		must(t, tx.PutMessage(pool.Message{ID: "msg_2", KeyID: c.KeyID, Recipient: c.Recipient, Text: "in scope"}))
		must(t, tx.PutCursor("key_1", "", 4))
		must(t, tx.PutWRR("key_1", nil))
	})
	read(t, s, func(tx pool.Tx) {
		equal(t, c, get(t)(tx.Conversation(c.KeyID, c.Recipient)))
		msgs, err := tx.Messages(c.KeyID, c.Recipient)
		must(t, err)
		require.Len(t, msgs, 2)
		equal(t, "in scope", msgs[1].Text)
		equal(t, 4, get(t)(tx.Cursor("key_1", "")))
	})
	// A message id of another conversation is not this transaction's.
	write(t, s, func(tx pool.Tx) {
		must(t, tx.PutMessage(pool.Message{ID: "msg_3", KeyID: c.KeyID, Recipient: "+15550000000"}))
	})
	scopedWrite(t, cs, c.KeyID, c.Recipient, func(tx pool.Tx) {
		_, err := tx.Message("msg_3")
		outOfScope(t, err, "another conversation's message")
		outOfScope(t, tx.PutMessage(pool.Message{ID: "msg_3", KeyID: c.KeyID, Recipient: c.Recipient}), "moving a message in")
		_, err = tx.Message("msg_404")
		require.ErrorIs(t, err, pool.ErrNotFound)
	})
}

// get returns a getter's value after checking its error.
func get(tb testing.TB) func(v any, err error) any {
	return func(v any, err error) any {
		tb.Helper()
		must(tb, err)
		return v
	}
}

// testScopeRollback checks that a rollback of a scoped transaction undoes it, a new
// conversation included.
func testScopeRollback(t *testing.T, s pool.Store) {
	cs := conversationStore(t, s)
	f := newFixture()
	write(t, s, func(tx pool.Tx) { f.put(t, tx) })
	for _, r := range []string{f.conv.Recipient, "+15550000001"} {
		tx, err := cs.BeginConversation(context.Background(), "key_1", r)
		must(t, err)
		must(t, tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: r, AllocationID: "alloc_9"}))
		must(t, tx.PutMessage(pool.Message{ID: "msg_new", KeyID: "key_1", Recipient: r, Direction: pool.Outbound, Status: pool.StatusQueued}))
		must(t, tx.PutCursor("key_1", "", 9))
		must(t, tx.Rollback())
		require.NoError(t, tx.Rollback(), "a second rollback is a no-op")
		read(t, s, func(tx pool.Tx) { f.present(t, tx) })
		write(t, s, func(tx pool.Tx) {
			_, err := tx.Message("msg_new")
			require.ErrorIs(t, err, pool.ErrNotFound)
			require.Empty(t, pendingIDs(t, tx, t0, 10))
		})
	}
}

// testScopeSerializable runs scoped transactions on several conversations of one key,
// and on one conversation, with exclusive and read-only transactions among them: no
// update is lost, and every transaction sees a consistent state.
func testScopeSerializable(t *testing.T, s pool.Store) {
	cs := conversationStore(t, s)
	const workers, rounds = 8, 25
	counter := func(tx pool.Tx, r string) int {
		c, err := tx.Conversation("key_1", r)
		if errors.Is(err, pool.ErrNotFound) {
			return 0
		}
		if err != nil {
			t.Error(err)
		}
		var n int
		fmt.Sscan(c.AllocationID, &n)
		return n
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				r := fmt.Sprint("+1555000000", w%3) // three conversations, several workers each
				var tx pool.Tx
				var err error
				if i%5 == 4 {
					tx, err = s.Begin(context.Background(), true)
				} else {
					tx, err = cs.BeginConversation(context.Background(), "key_1", r)
				}
				if err != nil {
					t.Error(err)
					return
				}
				n := counter(tx, r)
				pos, err := tx.Cursor("key_1", "")
				if err != nil && !errors.Is(err, pool.ErrNotFound) {
					t.Error(err)
				}
				for _, err := range []error{
					tx.PutConversation(pool.Conversation{KeyID: "key_1", Recipient: r, AllocationID: fmt.Sprint(n + 1)}),
					tx.PutMessage(pool.Message{ID: fmt.Sprint("msg_", w, "_", i), KeyID: "key_1", Recipient: r}),
					tx.PutCursor("key_1", "", pos+1),
					tx.Commit(),
				} {
					if err != nil {
						t.Error(err)
					}
				}
				if i%7 == 0 {
					read(t, s, func(tx pool.Tx) {
						total := 0
						for c := range 3 {
							total += counter(tx, fmt.Sprint("+1555000000", c))
						}
						pos, err := tx.Cursor("key_1", "")
						if err != nil {
							t.Error(err)
						}
						if pos != total {
							t.Errorf("a reader sees cursor %d and %d sends: not one state", pos, total)
						}
					})
				}
			}
		}()
	}
	wg.Wait()
	read(t, s, func(tx pool.Tx) {
		total, msgs := 0, 0
		for c := range 3 {
			r := fmt.Sprint("+1555000000", c)
			total += counter(tx, r)
			ms, err := tx.Messages("key_1", r)
			must(t, err)
			msgs += len(ms)
		}
		require.Equal(t, workers*rounds, total, "read-modify-write of a conversation must not lose updates")
		require.Equal(t, workers*rounds, msgs)
		pos, err := tx.Cursor("key_1", "")
		must(t, err)
		require.Equal(t, workers*rounds, pos, "read-modify-write of a key's cursor must not lose updates")
	})
}
