package mem

import (
	"hash/maphash"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// chunkSize is how many messages one chunk of the log holds.
const chunkSize = 4096

// msgLog stores messages in append-only chunks with an id → slot index and a
// conversation → slots index. Messages outnumber every other record by orders of
// magnitude, so they get a layout that keeps a send cheap: no large map values to copy
// on growth, a rollback that truncates instead of deleting record by record, and an id
// index keyed by a 64-bit hash of the id — no pointers for the garbage collector to scan,
// cheap to grow. The rare id whose hash collides with another's goes to overflow.
type msgLog struct {
	chunks   [][]pool.Message
	n        int32
	seed     maphash.Seed
	index    map[uint64]int32
	overflow map[string]int32
	convs    map[pair][]int32

	// pendingFrom is the outbox watermark: no slot below it is pending. A message
	// leaves the outbox for good (dispatched or final), so the watermark only moves
	// forward, over slots that left it; a send costs the outbox nothing.
	pendingFrom int32

	// The open transaction's undo state.
	dirty       bool
	base        int32     // n when the transaction first wrote
	basePending int32     // pendingFrom then
	updated     []msgUndo // previous values of updated messages
	grown       []pair    // conversations appended to, in order
}

type msgUndo struct {
	slot int32
	old  pool.Message
}

func newMsgLog() *msgLog {
	return &msgLog{seed: maphash.MakeSeed(), index: make(map[uint64]int32), overflow: make(map[string]int32), convs: make(map[pair][]int32)}
}

func (l *msgLog) at(slot int32) *pool.Message {
	return &l.chunks[slot/chunkSize][slot%chunkSize]
}

// slot finds the slot of a message id.
func (l *msgLog) slot(id string) (int32, bool) {
	slot, ok := l.index[maphash.String(l.seed, id)]
	if ok && l.at(slot).ID == id {
		return slot, true
	}
	slot, ok = l.overflow[id]
	return slot, ok
}

func (l *msgLog) deleteSlot(id string, slot int32) {
	h := maphash.String(l.seed, id)
	if s, ok := l.index[h]; ok && s == slot {
		delete(l.index, h)
		return
	}
	delete(l.overflow, id)
}

func (l *msgLog) get(id string) (pool.Message, bool) {
	slot, ok := l.slot(id)
	if !ok {
		return pool.Message{}, false
	}
	return *l.at(slot), true
}

func (l *msgLog) touch(s *Store) {
	if !l.dirty {
		l.dirty = true
		l.base = l.n
		l.basePending = l.pendingFrom
		s.dirty = append(s.dirty, l)
	}
}

func (l *msgLog) put(s *Store, m pool.Message) {
	l.touch(s)
	h := maphash.String(l.seed, m.ID)
	slot, hashed := l.index[h]
	if !hashed || l.at(slot).ID != m.ID {
		var ok bool
		if slot, ok = l.overflow[m.ID]; !ok {
			l.add(m, h, hashed)
			return
		}
	}
	p := l.at(slot)
	if slot < l.base {
		l.updated = append(l.updated, msgUndo{slot, *p})
	}
	*p = m
}

// add appends a new message; hashed says its id's hash is taken by another id.
func (l *msgLog) add(m pool.Message, h uint64, hashed bool) {
	if int(l.n)/chunkSize == len(l.chunks) {
		l.chunks = append(l.chunks, make([]pool.Message, chunkSize))
	}
	slot := l.n
	l.n++
	*l.at(slot) = m
	if hashed {
		l.overflow[m.ID] = slot
	} else {
		l.index[h] = slot
	}
	k := pair{m.KeyID, m.Recipient}
	l.convs[k] = append(l.convs[k], slot)
	l.grown = append(l.grown, k)
}

func (l *msgLog) conversation(keyID, recipient string) []pool.Message {
	slots := l.convs[pair{keyID, recipient}]
	out := make([]pool.Message, len(slots))
	for i, slot := range slots {
		out[i] = *l.at(slot)
	}
	return out
}

func (l *msgLog) commit() {
	clear(l.updated)
	l.updated = l.updated[:0]
	clear(l.grown)
	l.grown = l.grown[:0]
	l.dirty = false
}

func (l *msgLog) rollback() {
	for i := len(l.updated) - 1; i >= 0; i-- {
		*l.at(l.updated[i].slot) = l.updated[i].old
	}
	for i := len(l.grown) - 1; i >= 0; i-- {
		k := l.grown[i]
		slots := l.convs[k][:len(l.convs[k])-1]
		if len(slots) == 0 {
			delete(l.convs, k)
		} else {
			l.convs[k] = slots
		}
	}
	for slot := l.base; slot < l.n; slot++ {
		p := l.at(slot)
		l.deleteSlot(p.ID, slot)
		*p = pool.Message{}
	}
	l.n = l.base
	l.pendingFrom = min(l.basePending, l.n)
	l.commit()
}

// pending lists the outbox (see pool.Tx.PendingMessages), advancing the watermark over the
// slots at its front that left the outbox. The caller holds the write lock.
func (l *msgLog) pending(s *Store, due time.Time, limit int) []pool.Message {
	for l.pendingFrom < l.n && !l.at(l.pendingFrom).Pending() {
		l.touch(s)
		l.pendingFrom++
	}
	var out []pool.Message
	for slot := l.pendingFrom; slot < l.n; slot++ {
		if m := l.at(slot); m.Pending() && !m.NextAttemptAt.After(due) {
			out = append(out, *m)
		}
	}
	slices.SortStableFunc(out, func(a, b pool.Message) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
