package mem

import (
	"errors"

	"poolkit/reference/pool"
)

// txRef is the pool.Tx that Begin and BeginConversation return. The state of an exclusive
// or a scoped transaction (tx) is reused once it ended, by another transaction: that
// saves a send an allocation. The reference is the caller's, so that its Rollback after
// Commit (or a second Rollback) stays a no-op; like any pool.Tx, it must not be used
// otherwise once it ended.
type txRef struct {
	*tx
	ended bool
}

// Commit implements pool.Tx.
func (r *txRef) Commit() error {
	if r.ended {
		return errDone
	}
	r.ended = true
	return r.tx.commit()
}

// Rollback implements pool.Tx.
func (r *txRef) Rollback() error {
	if r.ended {
		return nil
	}
	r.ended = true
	return r.tx.rollback()
}

// tx is the state of one transaction over the store.
type tx struct {
	s    *Store
	mode txMode
	done bool
	// allStripes is set once a reading transaction holds every conversation stripe.
	allStripes bool
	// A scoped transaction's conversation and its stripe; the cursor stripe it holds,
	// or -1.
	key, rcpt string
	stripe    int
	sched     int
	// dirty lists what the transaction changed (see journal), in order.
	dirty    []journal
	dirtyBuf [4]journal
	cc       convCache
}

// txMode is what a transaction may do, and so which locks it holds (see the package
// comment).
type txMode uint8

const (
	reading   txMode = iota // Begin(ctx, false): the store's lock shared
	exclusive               // Begin(ctx, true): the store's lock
	scoped                  // BeginConversation: the store's lock shared, its stripe
)

var (
	errReadOnly = errors.New("mem: write in a read-only transaction")
	errDone     = errors.New("mem: transaction already ended")
)

func (t *tx) commit() error {
	if t.done {
		return errDone
	}
	for _, j := range t.dirty {
		j.commit()
	}
	t.end()
	return nil
}

func (t *tx) rollback() error {
	if t.done {
		return nil
	}
	for i := len(t.dirty) - 1; i >= 0; i-- {
		t.dirty[i].rollback()
	}
	t.end()
	return nil
}

// end releases the transaction's locks.
func (t *tx) end() {
	t.done = true
	clear(t.dirty)
	s := t.s
	switch t.mode {
	case exclusive:
		s.mu.Unlock()
	case reading:
		if t.allStripes {
			for i := range s.convs {
				s.convs[i].mu.RUnlock()
			}
		}
		s.mu.RUnlock()
	case scoped:
		if t.sched >= 0 {
			s.sched[t.sched].mu.Unlock()
		}
		s.convs[t.stripe].mu.Unlock()
		s.mu.RUnlock()
		t.key, t.rcpt, t.cc = "", "", convCache{} // no references kept in the pool
		s.scoped.Put(t)
	}
}

// readStripes makes a reading transaction hold every conversation stripe, before it
// reads conversations, messages or cursors: no scoped transaction then runs.
func (t *tx) readStripes() {
	if t.mode == reading && !t.allStripes {
		for i := range t.s.convs {
			t.s.convs[i].mu.RLock()
		}
		t.allStripes = true
	}
}

// own returns the only conversation stripe whose log the transaction may read, or -1
// when it may read them all.
func (t *tx) own() int {
	if t.mode == scoped {
		return t.stripe
	}
	t.readStripes()
	return -1
}

// w checks that the transaction may write records other than its conversation's.
func (t *tx) w() error {
	switch {
	case t.done:
		return errDone
	case t.mode == reading:
		return errReadOnly
	case t.mode == scoped:
		return pool.ErrOutOfScope
	}
	return nil
}

// wConv checks that the transaction may write conversations, messages and cursors (in
// its scope, which the caller checks).
func (t *tx) wConv() error {
	switch {
	case t.done:
		return errDone
	case t.mode == reading:
		return errReadOnly
	}
	return nil
}

func found[V any](v V, ok bool) (V, error) {
	if !ok {
		return v, pool.ErrNotFound
	}
	return v, nil
}
