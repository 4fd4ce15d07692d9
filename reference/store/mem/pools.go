package mem

import (
	"slices"

	"poolkit/reference/pool"
)

// poolView is a key's pool as pool.PoolTx.Pool returns it. A view never changes: a write
// to the key's allocations or to one of their numbers drops it, and the next Pool builds
// a new one. Sends read the pool of a key far more often than its allocations or their
// numbers change (a number's last_active changes at most once a second), so a new
// conversation reads it without a lookup per number and without copying it.
//
// Views are kept only when they show committed records: built by a reading or scoped
// transaction (which cannot write them), and dropped by an exclusive transaction as soon
// as it writes (a rollback then leaves no view of what it undid).
type poolView struct {
	allocs []pool.Allocation
	nums   []pool.Number
}

// Pool implements pool.PoolTx.
func (t *tx) Pool(keyID string) ([]pool.Allocation, []pool.Number, error) {
	if v, ok := t.s.views.Load(keyID); ok {
		v := v.(*poolView)
		return v.allocs, v.nums, nil
	}
	ids, _ := t.s.keyAllocs.get(keyID)
	v := &poolView{allocs: make([]pool.Allocation, len(ids)), nums: make([]pool.Number, len(ids))}
	for i, id := range ids {
		v.allocs[i], _ = t.s.allocs.get(id)
		v.nums[i], _ = t.s.numbers.get(v.allocs[i].Phone)
		v.nums[i].Outcomes = slices.Clip(v.nums[i].Outcomes)
	}
	if t.mode != exclusive {
		t.s.views.Store(keyID, v)
	}
	return v.allocs, v.nums, nil
}

// dropView forgets the pool view of a key, whose allocations or numbers change.
func (t *tx) dropView(keyID string) { t.s.views.Delete(keyID) }

// dropViewOf forgets the pool view of the key a number is allocated to, if any.
func (t *tx) dropViewOf(phone string) {
	if id, ok := t.s.allocByNum.get(phone); ok {
		if a, ok := t.s.allocs.get(id); ok {
			t.dropView(a.KeyID)
		}
	}
}
