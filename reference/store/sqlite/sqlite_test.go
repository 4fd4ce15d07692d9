package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"poolkit/internal/testclock"
	"poolkit/reference/pool"
	"poolkit/reference/store/sqlite"
	"poolkit/reference/store/storetest"
)

// open opens a store on path and closes it when the test ends.
func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	tb.Cleanup(func() {
		if s != nil {
			s.Close()
		}
	})
	require.NoError(tb, err)
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pool.Store { return open(t, filepath.Join(t.TempDir(), "p.db")) })
}

// world is an org with one key holding n Blooio numbers, made through the engine.
type world struct {
	e      *pool.Engine
	key    pool.Key
	phones []string
}

func newWorld(tb testing.TB, s pool.Store, n int, opts ...pool.Option) world {
	tb.Helper()
	ctx := context.Background()
	e := pool.New(s, opts...)
	org, err := e.CreateOrg(ctx, pool.OrgSpec{Name: "Acme"})
	require.NoError(tb, err)
	_, err = e.RegisterRelay(ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "s"})
	require.NoError(tb, err)
	k, _, err := e.CreateKey(ctx, org.ID, "sales")
	require.NoError(tb, err)
	w := world{e: e, key: k}
	for i := range n {
		p := fmt.Sprintf("+1415555%04d", i)
		_, err := e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: i})
		require.NoError(tb, err)
		w.phones = append(w.phones, p)
	}
	_, err = e.AssignNumbers(ctx, k.ID, pool.AssignRequest{Phones: w.phones})
	require.NoError(tb, err)
	return w
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	c := testclock.New(time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC))
	s := open(t, path)
	w := newWorld(t, s, 3, pool.WithClock(c.Now))

	send := func(e *pool.Engine, r, text, idem string) pool.SendResult {
		t.Helper()
		res, err := e.Send(ctx, pool.SendRequest{KeyID: w.key.ID, ChatID: r, Texts: []string{text}, IdempotencyKey: idem})
		require.NoError(t, err)
		return res
	}
	first := send(w.e, "+15557654321", "hello", "idem-1")
	c.Advance(time.Second)
	second := send(w.e, "+15557654321", "again", "")
	c.Advance(time.Second)
	other := send(w.e, "+15557654322", "hi", "")
	require.Equal(t, first.AllocationID, second.AllocationID, "sticky")
	require.NotEqual(t, first.AllocationID, other.AllocationID, "round robin")
	before, err := w.e.Messages(ctx, w.key.ID, "+15557654321")
	require.NoError(t, err)
	require.Len(t, before, 2)
	require.NoError(t, s.Close())

	// A new engine over the reopened file sees everything.
	s2 := open(t, path)
	// A durable store needs ids that do not repeat across restarts (a new Sequence would).
	e2 := pool.New(s2, pool.WithClock(c.Now), pool.WithIDs(pool.NewRandom([32]byte{1})))
	b, err := e2.Binding(ctx, w.key.ID, "+15557654321")
	require.NoError(t, err)
	require.Equal(t, pool.Binding{Recipient: "+15557654321", AllocationID: first.AllocationID, Phone: first.From,
		UpdatedAt: time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)}, b)
	after, err := e2.Messages(ctx, w.key.ID, "+15557654321")
	require.NoError(t, err)
	if d := cmp.Diff(before, after); d != "" {
		t.Fatalf("messages after reopen (-before +after):\n%s", d)
	}
	tx, err := s2.Begin(ctx, false)
	require.NoError(t, err)
	rec, err := tx.Idempotency(w.key.ID, "idem-1")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	require.Equal(t, first, rec.Result)

	replay := send(e2, "+15557654321", "hello", "idem-1")
	require.True(t, replay.Replayed)
	require.Equal(t, first.MessageID, replay.MessageID)
	next := send(e2, "+15557654322", "still sticky", "")
	require.Equal(t, other.AllocationID, next.AllocationID)
}

// TestSend_POOL_STICKY_4 races 64 senders on the same 50 new recipients: each recipient
// ends with one number, and no send fails (no SQLITE_BUSY).
func TestSend_POOL_STICKY_4(t *testing.T) {
	const senders, recipients = 64, 50
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	w := newWorld(t, s, 8)
	ctx := context.Background()
	var (
		mu   sync.Mutex
		from = map[string]map[string]bool{} // recipient → numbers it was sent from
		wg   sync.WaitGroup
	)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range recipients {
				r := fmt.Sprintf("+1212555%04d", (i+g)%recipients) // start at a different recipient each
				res, err := w.e.Send(ctx, pool.SendRequest{KeyID: w.key.ID, ChatID: r, Texts: []string{"hi"}})
				if err != nil {
					t.Errorf("send to %s: %v", r, err)
					return
				}
				mu.Lock()
				if from[r] == nil {
					from[r] = map[string]bool{}
				}
				from[r][res.From] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, from, recipients)
	for r, numbers := range from {
		require.Len(t, numbers, 1, "POOL-STICKY-4: %s was sent from %v", r, numbers)
		msgs, err := w.e.Messages(ctx, w.key.ID, r)
		require.NoError(t, err)
		require.Len(t, msgs, senders)
		for _, m := range msgs {
			require.True(t, numbers[m.Phone], "stored message from %s", m.Phone)
		}
	}
}

// TestValues checks the encodings the shared suite does not reach: empty slices stay
// empty and nil ones nil, times come back equal, in UTC and without a monotonic reading,
// and a time the column cannot hold is refused.
func TestValues(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	now := time.Now().In(paris) // a location and a monotonic reading
	nums := []pool.Number{
		{Phone: "+15551110001", Provider: pool.ProviderTwilio, Outcomes: []bool{}, LastActive: now},
		{Phone: "+15551110002", Provider: pool.ProviderTwilio, Outcomes: []bool{false, true, true, false}},
	}
	groups := []pool.Group{
		{ID: "grp_empty", Participants: []string{}, CreatedAt: now},
		{ID: "grp_nil"},
		{ID: "grp_odd", Participants: []string{"", "a\"b\\c", "é\x00"}},
	}
	msgs := []pool.Message{
		{ID: "msg_empty", KeyID: "key_1", Recipient: "r", Attachments: []string{}, TimeSent: now},
		{ID: "msg_nil", KeyID: "key_1", Recipient: "r"},
	}
	idem := []pool.Idempotency{
		{KeyID: "key_1", Key: "empty", Result: pool.SendResult{MessageIDs: []string{}, Participants: []string{}}},
		{KeyID: "key_1", Key: "nil", CreatedAt: now},
	}
	tx, err := s.Begin(ctx, true)
	require.NoError(t, err)
	defer tx.Rollback()
	for _, n := range nums {
		require.NoError(t, tx.PutNumber(n))
	}
	for _, g := range groups {
		require.NoError(t, tx.PutGroup(g))
	}
	for _, m := range msgs {
		require.NoError(t, tx.PutMessage(m))
	}
	for _, r := range idem {
		require.NoError(t, tx.PutIdempotency(r))
	}
	require.NoError(t, tx.PutWRR("key_empty", []pool.WRRSlot{}))
	require.NoError(t, tx.PutWRR("key_nil", nil))
	require.Error(t, tx.PutMessage(pool.Message{ID: "msg_far", TimeSent: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}),
		"a time past 2262 does not fit in int64 nanoseconds")
	require.NoError(t, tx.Commit())

	tx, err = s.Begin(ctx, false)
	require.NoError(t, err)
	defer tx.Rollback()
	equal := func(want, got any, err error) {
		t.Helper()
		require.NoError(t, err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("mismatch (-want +got):\n%s", d)
		}
	}
	for _, want := range nums {
		got, err := tx.Number(want.Phone)
		equal(want, got, err)
	}
	for _, want := range groups {
		got, err := tx.Group(want.ID)
		equal(want, got, err)
	}
	for _, want := range msgs {
		got, err := tx.Message(want.ID)
		equal(want, got, err)
	}
	for _, want := range idem {
		got, err := tx.Idempotency(want.KeyID, want.Key)
		equal(want, got, err)
	}
	empty, err := tx.WRR("key_empty")
	equal([]pool.WRRSlot{}, empty, err)
	none, err := tx.WRR("key_nil")
	equal([]pool.WRRSlot(nil), none, err)

	m, err := tx.Message("msg_empty")
	require.NoError(t, err)
	require.Equal(t, time.UTC, m.TimeSent.Location())
	require.True(t, m.TimeSent == m.TimeSent.Round(0), "no monotonic reading")
	require.True(t, m.TimeSent.Equal(now))
	_, err = tx.Message("msg_far")
	require.ErrorIs(t, err, pool.ErrNotFound)
}

// TestReadsDoNotWaitForWriters checks that a read-only transaction begins while a
// writable one is open, reads a snapshot without its writes, and that a second writer
// waits for the first one until its context ends.
func TestReadsDoNotWaitForWriters(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := context.Background()
	w, err := s.Begin(ctx, true)
	require.NoError(t, err)
	defer w.Rollback()
	require.NoError(t, w.PutCursor("key_1", "", 1))

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := s.Begin(rctx, false)
	require.NoError(t, err)
	defer r.Rollback()
	_, err = r.Cursor("key_1", "")
	require.ErrorIs(t, err, pool.ErrNotFound, "uncommitted writes are invisible")

	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = s.Begin(wctx, true)
	require.ErrorIs(t, err, context.DeadlineExceeded, "one writer at a time")

	require.NoError(t, w.Commit())
	_, err = r.Cursor("key_1", "")
	require.ErrorIs(t, err, pool.ErrNotFound, "a read transaction keeps its snapshot")
	require.NoError(t, r.Commit())
	require.Error(t, r.PutCursor("key_1", "", 2))
	_, err = r.Cursor("key_1", "")
	require.Error(t, err, "an ended transaction does nothing")

	r, err = s.Begin(ctx, false)
	require.NoError(t, err)
	defer r.Rollback()
	got, err := r.Cursor("key_1", "")
	require.NoError(t, err)
	require.Equal(t, 1, got)
}

func TestClose(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close does nothing")
	_, err = s.Begin(context.Background(), false)
	require.ErrorIs(t, err, sqlite.ErrClosed)
	_, err = s.Begin(context.Background(), true)
	require.ErrorIs(t, err, sqlite.ErrClosed)
}

// TestSchemaVersion checks that reopening applies no migration twice and that a
// database from a newer build is refused rather than misread.
func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	require.NoError(t, open(t, path).Close())
	require.NoError(t, open(t, path).Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var n, version int
	require.NoError(t, db.QueryRow("SELECT count(*), max(version) FROM schema_version").Scan(&n, &version))
	require.Equal(t, []int{1, 1}, []int{n, version})
	_, err = db.Exec("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = sqlite.Open(context.Background(), path)
	require.ErrorContains(t, err, "schema version 99")
}
