package mem

import (
	"hash/maphash"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// chunkSize is how many messages one chunk of the log holds; the first chunk starts at
// firstChunkSize and doubles up to it.
const (
	chunkSize      = 4096
	firstChunkSize = 32
)

// msgLog stores messages in append-only chunks with an id → slot index and a
// conversation → slots index. Messages outnumber every other record by orders of
// magnitude, so they get a layout that keeps a send cheap: no large map values to copy
// on growth, a rollback that truncates instead of deleting record by record, an id index
// that is a flat open-addressing table of (hash tag, slot) pairs — no pointers for the
// garbage collector to scan, one probe sequence for a lookup-then-insert — and a
// conversation index that is a linked list threaded through the log: the map holds each
// conversation's latest slot, and prev links every message to the one before it.
type msgLog struct {
	chunks [][]pool.Message
	prev   [][]int32 // parallel to chunks: the conversation's previous slot, or -1
	n      int32
	seed   maphash.Seed
	index  idIndex
	convs  map[pair]int32 // (key, recipient) → latest slot

	// hash replaces maphash in tests that force collisions.
	hash func(string) uint64

	// pendingFrom is the outbox watermark: no slot below it is pending. A message
	// leaves the outbox for good (dispatched or final), so the watermark only moves
	// forward, over slots that left it; a send costs the outbox nothing.
	pendingFrom int32

	// The open transaction's undo state.
	dirty       bool
	base        int32     // n when the transaction first wrote
	basePending int32     // pendingFrom then
	updated     []msgUndo // previous values of updated messages
}

type msgUndo struct {
	slot int32
	old  pool.Message
}

func newMsgLog() *msgLog {
	return &msgLog{seed: maphash.MakeSeed(), index: newIDIndex(), convs: make(map[pair]int32)}
}

func (l *msgLog) at(slot int32) *pool.Message {
	return &l.chunks[slot/chunkSize][slot%chunkSize]
}

func (l *msgLog) prevOf(slot int32) *int32 {
	return &l.prev[slot/chunkSize][slot%chunkSize]
}

func (l *msgLog) hashOf(id string) uint64 {
	if l.hash != nil {
		return l.hash(id)
	}
	return maphash.String(l.seed, id)
}

// find returns the index position of a message id: its entry when found, else the empty
// entry where it would go.
func (l *msgLog) find(id string, h uint64) (pos uint32, found bool) {
	x := &l.index
	tag := uint32(h >> 32)
	for i := tag >> x.shift; ; i = (i + 1) & x.mask {
		e := x.e[i]
		if e.slot1 == 0 {
			return i, false
		}
		if e.tag == tag && l.at(e.slot1-1).ID == id {
			return i, true
		}
	}
}

// slot finds the slot of a message id.
func (l *msgLog) slot(id string) (int32, bool) {
	i, ok := l.find(id, l.hashOf(id))
	if !ok {
		return 0, false
	}
	return l.index.e[i].slot1 - 1, true
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
	h := l.hashOf(m.ID)
	i, ok := l.find(m.ID, h)
	if !ok {
		l.add(m, h, i)
		return
	}
	slot := l.index.e[i].slot1 - 1
	p := l.at(slot)
	// A message of this transaction needs no undo, unless it moves to another
	// conversation: rollback unthreads it from the one it was added to.
	if slot < l.base || p.KeyID != m.KeyID || p.Recipient != m.Recipient {
		l.updated = append(l.updated, msgUndo{slot, *p})
	}
	*p = m
}

// add appends a new message whose id's index entry goes at position pos.
func (l *msgLog) add(m pool.Message, h uint64, pos uint32) {
	switch c, off := int(l.n)/chunkSize, int(l.n)%chunkSize; {
	case c == len(l.chunks):
		size := chunkSize
		if c == 0 {
			size = firstChunkSize
		}
		l.chunks = append(l.chunks, make([]pool.Message, size))
		l.prev = append(l.prev, make([]int32, size))
	case off == len(l.chunks[c]):
		// Only the first chunk is ever short: it doubles up to chunkSize, so that a small
		// store (a test, a fuzz input, a scenario) does not allocate a megabyte at once.
		l.chunks[c] = append(make([]pool.Message, 0, min(2*off, chunkSize)), l.chunks[c]...)[:min(2*off, chunkSize)]
		l.prev[c] = append(make([]int32, 0, min(2*off, chunkSize)), l.prev[c]...)[:min(2*off, chunkSize)]
	}
	slot := l.n
	l.n++
	*l.at(slot) = m
	l.index.insertAt(pos, uint32(h>>32), slot)
	k := pair{m.KeyID, m.Recipient}
	last, ok := l.convs[k]
	if !ok {
		last = -1
	}
	*l.prevOf(slot) = last
	l.convs[k] = slot
}

func (l *msgLog) conversation(keyID, recipient string) []pool.Message {
	last, ok := l.convs[pair{keyID, recipient}]
	if !ok {
		return []pool.Message{}
	}
	n := 0
	for s := last; s >= 0; s = *l.prevOf(s) {
		n++
	}
	out := make([]pool.Message, n)
	for s := last; s >= 0; s = *l.prevOf(s) {
		n--
		out[n] = *l.at(s)
	}
	return out
}

func (l *msgLog) commit() {
	clear(l.updated)
	l.updated = l.updated[:0]
	l.dirty = false
}

func (l *msgLog) rollback() {
	for i := len(l.updated) - 1; i >= 0; i-- {
		*l.at(l.updated[i].slot) = l.updated[i].old
	}
	for slot := l.n - 1; slot >= l.base; slot-- {
		p := l.at(slot)
		k := pair{p.KeyID, p.Recipient}
		if prev := *l.prevOf(slot); prev < 0 {
			delete(l.convs, k)
		} else {
			l.convs[k] = prev
		}
		if i, ok := l.find(p.ID, l.hashOf(p.ID)); ok {
			l.index.deleteAt(i)
		}
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

// idIndex is a linear-probing hash table from message ids to slots. An entry keeps the
// top 32 bits of the id's hash (its tag) and the slot + 1 (0 marks an empty entry); an
// entry's home position is its tag's top bits, so the table grows without rehashing ids.
// Ids whose tags collide are told apart by comparing the id in the log.
type idIndex struct {
	e     []idEntry // a power of two long
	mask  uint32
	shift uint32 // 32 - log2(len(e))
	n     int
}

type idEntry struct {
	tag   uint32
	slot1 int32
}

const idIndexMinBits = 10

func newIDIndex() idIndex {
	return idIndex{e: make([]idEntry, 1<<idIndexMinBits), mask: 1<<idIndexMinBits - 1, shift: 32 - idIndexMinBits}
}

// insertAt fills the empty entry at pos, which a lookup of the tag returned.
func (x *idIndex) insertAt(pos, tag uint32, slot int32) {
	x.e[pos] = idEntry{tag, slot + 1}
	x.n++
	if uint32(x.n) > x.mask/2 && x.shift > 0 {
		x.grow()
	}
}

func (x *idIndex) grow() {
	old := x.e
	x.e = make([]idEntry, 2*len(old))
	x.mask = uint32(len(x.e) - 1)
	x.shift--
	for _, e := range old {
		if e.slot1 == 0 {
			continue
		}
		i := e.tag >> x.shift
		for x.e[i].slot1 != 0 {
			i = (i + 1) & x.mask
		}
		x.e[i] = e
	}
}

// deleteAt empties the entry at pos, shifting back the entries of its probe run that
// would no longer be found (Knuth's Algorithm R).
func (x *idIndex) deleteAt(pos uint32) {
	i := pos
	for j := (i + 1) & x.mask; x.e[j].slot1 != 0; j = (j + 1) & x.mask {
		home := x.e[j].tag >> x.shift
		// The entry at j stays when its home lies cyclically in (i, j].
		if (j-home)&x.mask < (j-i)&x.mask {
			continue
		}
		x.e[i] = x.e[j]
		i = j
	}
	x.e[i] = idEntry{}
	x.n--
}
