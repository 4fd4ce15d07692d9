package simstore

// table is a map that remembers, for the open transaction, the previous value of every
// key it changes, so that a rollback can restore them. The undo log is reused across
// transactions: once it has grown, a write costs no allocation.
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
func (t *table[K, V]) put(s *Store, k K, v V) bool {
	old, had := t.m[k]
	t.remember(s, k, old, had)
	t.m[k] = v
	return had
}

func (t *table[K, V]) del(s *Store, k K) {
	old, had := t.m[k]
	if !had {
		return
	}
	t.remember(s, k, old, had)
	delete(t.m, k)
}

func (t *table[K, V]) remember(s *Store, k K, old V, had bool) {
	if !t.dirty {
		t.dirty = true
		s.dirty = append(s.dirty, t)
	}
	t.undo = append(t.undo, undo[K, V]{k, old, had})
}

// commit forgets the undo log. It is truncated, not cleared: the old values it still
// references are few (one transaction's worth) and overwritten by the next writes, and
// clearing them costs every transaction a zeroing with write barriers.
func (t *table[K, V]) commit() {
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
