package mem

import (
	"slices"

	"poolkit/reference/pool"
)

// table is a map that remembers, for the open transaction, the previous value of every
// key it changes, so that a rollback can restore them. The undo log is reused across
// transactions: a write costs no allocation once it has grown. One transaction at a time
// writes a table (see the package comment); it journals the table on its first write.
type table[K comparable, V any] struct {
	m     map[K]V
	undo  []undo[K, V]
	dirty bool
}

type undo[K comparable, V any] struct {
	key K
	old V
	had bool
}

// journal is what the store needs of a table at commit and rollback.
type journal interface {
	commit()
	rollback()
}

func newTable[K comparable, V any]() *table[K, V] { return &table[K, V]{m: make(map[K]V)} }

func (t *table[K, V]) get(k K) (V, bool) {
	v, ok := t.m[k]
	return v, ok
}

// put sets the key's value and reports whether the key had one.
func (t *table[K, V]) put(x *tx, k K, v V) bool {
	old, had := t.m[k]
	t.remember(x, k, old, had)
	t.m[k] = v
	return had
}

func (t *table[K, V]) del(x *tx, k K) {
	old, had := t.m[k]
	if !had {
		return
	}
	t.remember(x, k, old, had)
	delete(t.m, k)
}

func (t *table[K, V]) remember(x *tx, k K, old V, had bool) {
	if !t.dirty {
		t.dirty = true
		x.dirty = append(x.dirty, t)
	}
	t.undo = append(t.undo, undo[K, V]{k, old, had})
}

func (t *table[K, V]) commit() {
	clear(t.undo) // drop references to old values
	t.undo = t.undo[:0]
	t.dirty = false
}

func (t *table[K, V]) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		if u.had {
			t.m[u.key] = u.old
		} else {
			delete(t.m, u.key)
		}
	}
	t.commit()
}

// wrrTable holds the weighted round-robin state. A put of as many slots as the key
// holds copies them into its slice, so a pick costs no allocation; the undo log then
// keeps the previous contents in an arena reused across transactions.
type wrrTable struct {
	m     map[string][]pool.WRRSlot
	undo  []wrrUndo
	arena []pool.WRRSlot
	dirty bool
}

type wrrUndo struct {
	key string
	old []pool.WRRSlot // the slice the key held, whose contents are arena[off:off+len(old)]
	off int
	had bool
}

func newWRRTable() *wrrTable { return &wrrTable{m: make(map[string][]pool.WRRSlot)} }

// get returns the key's slots, shared with the table.
func (t *wrrTable) get(k string) ([]pool.WRRSlot, bool) {
	v, ok := t.m[k]
	return v, ok
}

func (t *wrrTable) put(x *tx, k string, slots []pool.WRRSlot) {
	old, had := t.m[k]
	if !t.dirty {
		t.dirty = true
		x.dirty = append(x.dirty, t)
	}
	t.undo = append(t.undo, wrrUndo{key: k, old: old, off: len(t.arena), had: had})
	t.arena = append(t.arena, old...)
	if had && len(old) == len(slots) && len(slots) > 0 {
		copy(old, slots)
		return
	}
	t.m[k] = slices.Clone(slots)
}

func (t *wrrTable) commit() {
	clear(t.undo)
	t.undo = t.undo[:0]
	clear(t.arena)
	t.arena = t.arena[:0]
	t.dirty = false
}

func (t *wrrTable) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		if !u.had {
			delete(t.m, u.key)
			continue
		}
		copy(u.old, t.arena[u.off:u.off+len(u.old)])
		t.m[u.key] = u.old
	}
	t.commit()
}
