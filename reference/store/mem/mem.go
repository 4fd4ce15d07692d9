// Package mem is an in-memory pool.Store, safe for concurrent use. Transactions are
// serialized by one lock (a writable transaction excludes everything else; read-only
// transactions share), which makes every transaction serializable and creating a binding
// atomic (POOL-STICKY-4). A rollback restores every record the transaction changed.
package mem

import (
	"context"
	"sync"

	"poolkit/reference/pool"
)

type pair struct{ a, b string }

type slot struct {
	relay string
	slot  int
}

// Store is an in-memory pool.Store. Its zero value is not usable; call New.
type Store struct {
	mu    sync.RWMutex
	dirty []journal

	orgs       *table[string, pool.Org]
	keys       *table[string, pool.Key]
	keyByHash  *table[[32]byte, string]
	relays     *table[string, pool.Relay]
	numbers    *table[string, pool.Number]
	bySlot     *table[slot, string]
	allocs     *table[string, pool.Allocation]
	allocByNum *table[string, string]
	keyAllocs  *table[string, []string] // key → allocation ids in position order
	convs      *table[pair, pool.Conversation]
	keyConvs   *table[string, []string] // key → recipients
	prior      *table[pair, bool]       // (allocation, recipient)
	allocPrior *table[string, []string] // allocation → recipients
	groups     *table[string, pool.Group]
	groupByPK  *table[pair, string] // (key, participants key) → group
	groupByCG  *table[pair, string] // (allocation, chat guid) → group
	msgs       *msgLog
	idem       *table[pair, pool.Idempotency]
	cursors    *table[pair, int]
	wrr        *wrrTable
	integs     *table[string, pool.Integration]
}

// New returns an empty store.
func New() *Store {
	return &Store{
		orgs: newTable[string, pool.Org](), keys: newTable[string, pool.Key](),
		keyByHash: newTable[[32]byte, string](), relays: newTable[string, pool.Relay](),
		numbers: newTable[string, pool.Number](), bySlot: newTable[slot, string](),
		allocs: newTable[string, pool.Allocation](), allocByNum: newTable[string, string](),
		keyAllocs: newTable[string, []string](), convs: newTable[pair, pool.Conversation](),
		keyConvs: newTable[string, []string](), prior: newTable[pair, bool](),
		allocPrior: newTable[string, []string](), groups: newTable[string, pool.Group](),
		groupByPK: newTable[pair, string](), groupByCG: newTable[pair, string](),
		msgs: newMsgLog(),
		idem: newTable[pair, pool.Idempotency](), cursors: newTable[pair, int](),
		wrr: newWRRTable(), integs: newTable[string, pool.Integration](),
	}
}

// Begin implements pool.Store.
func (s *Store) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if writable {
		s.mu.Lock()
	} else {
		s.mu.RLock()
	}
	return &tx{s: s, writable: writable}, nil
}
