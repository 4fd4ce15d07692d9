// Package mem is an in-memory pool.Store, safe for concurrent use. Transactions are
// serializable, and a rollback restores every record the transaction changed.
//
// Locking. A writable transaction from Begin holds the store's lock exclusively: it runs
// alone. A read-only transaction, and a send's transaction scoped to one conversation
// (pool.ConversationStore), hold it shared, so the records they may not write (orgs, keys,
// numbers, allocations, groups, idempotency records, …) do not change under them.
//
// The conversations and their messages are in stripes by (key, recipient), each with its
// own lock and its own log (msgLog): a scoped transaction holds the stripe of its
// conversation exclusively, so scoped transactions on different conversations — sends
// to different recipients, even of one key — run concurrently, and two on one
// conversation one after the other (which makes creating a binding atomic,
// POOL-STICKY-4). A read-only transaction that reads conversations, messages or cursors
// holds every stripe shared, so no scoped transaction runs meanwhile. A key's round-robin
// cursors and weighted state are in stripes by key, which a scoped transaction locks
// from its first use of them to its end; the message id index is in stripes by id, each
// locked for one lookup or insert of a scoped transaction.
package mem

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"poolkit/reference/pool"
)

type pair struct{ a, b string }

type slot struct {
	relay string
	slot  int
}

// nStripes is how many stripes the conversations, the cursors and the message id index
// are each split into: enough that two sends rarely meet in one (a reader of
// conversations locks them all).
const nStripes = 1 << stripeBits

// Store is an in-memory pool.Store. Its zero value is not usable; call New.
type Store struct {
	// mu and nextSeq, which every send writes, have cache lines of their own: the
	// records next to them are read by every send.
	mu      sync.RWMutex
	_       [128 - 24]byte
	nextSeq atomic.Int64 // the order of messages across stripes (the outbox's)
	_       [128 - 8]byte

	// excl is the state of the exclusive transactions, one at a time; scoped holds
	// states of scoped transactions, which a transaction takes and gives back.
	excl   *tx
	scoped sync.Pool

	orgs       *table[string, pool.Org]
	keys       *table[string, pool.Key]
	keyByHash  *table[[32]byte, string]
	relays     *table[string, pool.Relay]
	numbers    *table[string, pool.Number]
	bySlot     *table[slot, string]
	allocs     *table[string, pool.Allocation]
	allocByNum *table[string, string]
	keyAllocs  *table[string, []string] // key → allocation ids in position order
	prior      *table[pair, bool]       // (allocation, recipient)
	allocPrior *table[string, []string] // allocation → recipients
	groups     *table[string, pool.Group]
	groupByPK  *table[pair, string] // (key, participants key) → group
	groupByCG  *table[pair, string] // (allocation, chat guid) → group
	idem       *table[pair, pool.Idempotency]
	integs     *table[string, pool.Integration]

	convs [nStripes]convStripe  // conversations and messages, by (key, recipient)
	sched [nStripes]schedStripe // cursors and weighted state, by key
	ids   [nStripes]idStripe    // message id → (stripe, slot), by id
	views sync.Map              // key → *poolView

	seed maphash.Seed
	// hash replaces maphash in tests that force collisions.
	hash func(string) uint64
}

// The stripes are padded to their own cache lines: sends on two cores each take one.
type convStripe struct {
	mu  sync.RWMutex
	log *msgLog
	_   [128 - 32]byte
}

type schedStripe struct {
	mu      sync.Mutex
	cursors *table[pair, int]
	wrr     *wrrTable
	_       [128 - 24]byte
}

type idStripe struct {
	mu sync.Mutex
	x  idIndex
	_  [128 - 56]byte
}

// New returns an empty store.
func New() *Store {
	s := &Store{
		orgs: newTable[string, pool.Org](), keys: newTable[string, pool.Key](),
		keyByHash: newTable[[32]byte, string](), relays: newTable[string, pool.Relay](),
		numbers: newTable[string, pool.Number](), bySlot: newTable[slot, string](),
		allocs: newTable[string, pool.Allocation](), allocByNum: newTable[string, string](),
		keyAllocs: newTable[string, []string](), prior: newTable[pair, bool](),
		allocPrior: newTable[string, []string](), groups: newTable[string, pool.Group](),
		groupByPK: newTable[pair, string](), groupByCG: newTable[pair, string](),
		idem: newTable[pair, pool.Idempotency](), integs: newTable[string, pool.Integration](),
		seed: maphash.MakeSeed(),
	}
	s.excl = &tx{s: s, mode: exclusive}
	s.scoped.New = func() any { return &tx{s: s, mode: scoped} }
	for i := range nStripes {
		s.convs[i].log = newMsgLog(s, i)
		s.sched[i].cursors, s.sched[i].wrr = newTable[pair, int](), newWRRTable()
		s.ids[i].x = newIDIndex()
	}
	return s
}

var (
	_ pool.ConversationStore = (*Store)(nil)
	_ pool.PoolTx            = (*txRef)(nil)
)

// Begin implements pool.Store.
func (s *Store) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !writable {
		s.mu.RLock()
		r := &readTx{state: tx{s: s, mode: reading}}
		r.tx = s.newTx(&r.state)
		return &r.txRef, nil
	}
	s.mu.Lock()
	return &txRef{tx: s.newTx(s.excl)}, nil
}

// BeginConversation implements pool.ConversationStore.
func (s *Store) BeginConversation(ctx context.Context, keyID, recipient string) (pool.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := s.convHash(keyID, recipient)
	st := &s.convs[stripeOf(h)]
	s.mu.RLock()
	st.mu.Lock()
	t := s.newTx(s.scoped.Get().(*tx))
	t.key, t.rcpt, t.stripe = keyID, recipient, stripeOf(h)
	t.cc = convCache{key: keyID, rcpt: recipient, h: h, stripe: t.stripe, hashed: true}
	return &txRef{tx: t}, nil
}

// readTx is a reading transaction and its state, in one allocation: reading transactions
// run concurrently, each with its own state.
type readTx struct {
	txRef
	state tx
}

// newTx readies the state of a transaction whose locks are taken: a fresh one, the
// exclusive transactions' (which the store's lock gives to one at a time), or one from
// the pool of scoped transactions' states (a per-processor cache: a send on one core
// does not take a state that the other core just wrote).
func (s *Store) newTx(t *tx) *tx {
	t.done, t.allStripes, t.sched = false, false, -1
	t.key, t.rcpt, t.cc = "", "", convCache{}
	t.dirty = t.dirtyBuf[:0]
	return t
}

func (s *Store) hashOf(str string) uint64 {
	if s.hash != nil {
		return s.hash(str)
	}
	return maphash.String(s.seed, str)
}

// convHash is the hash of a conversation (key, recipient).
func (s *Store) convHash(key, rcpt string) uint64 {
	h := s.hashOf(key)*0x9e3779b97f4a7c15 ^ s.hashOf(rcpt)
	return h ^ h>>29
}

// stripeOf returns the stripe of a hash. The indexes use its top 32 bits.
func stripeOf(h uint64) int { return int(h % nStripes) }
