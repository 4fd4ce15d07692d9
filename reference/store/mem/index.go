package mem

// idIndex is a linear-probing hash table from keys (message ids, conversations) to slots.
// An entry keeps the top 32 bits of the key's hash (its tag) and the slot + 1 (0 marks an
// empty entry); an entry's home position is its tag's top bits, so the table grows
// without rehashing keys. Keys whose tags collide are told apart by comparing the keys
// in their records, which the users' probe loops do. It holds no pointers.
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

const idIndexMinBits = 6

func newIDIndex() idIndex {
	return idIndex{e: make([]idEntry, 1<<idIndexMinBits), mask: 1<<idIndexMinBits - 1, shift: 32 - idIndexMinBits}
}

// home returns the first position a tag is probed at.
func (x *idIndex) home(tag uint32) uint32 { return tag >> x.shift }

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

// posOf returns the position of the entry of slot, whose tag is tag.
func (x *idIndex) posOf(tag uint32, slot int32) (uint32, bool) {
	for i := x.home(tag); ; i = (i + 1) & x.mask {
		e := x.e[i]
		if e.slot1 == 0 {
			return 0, false
		}
		if e.slot1 == slot+1 {
			return i, true
		}
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

// chunked is an append-only sequence of records in chunks, so that growing it copies
// nothing but the first, short chunk: records are addressed by their index (a slot).
type chunked[T any] struct {
	chunks [][]T
	n      int32
}

// chunkSize is how many records one chunk holds; the first chunk starts at
// firstChunkSize and doubles up to it, so that a small store (a test, a fuzz input, a
// scenario) does not allocate a megabyte at once.
const (
	chunkSize      = 4096
	firstChunkSize = 32
)

func (c *chunked[T]) at(i int32) *T { return &c.chunks[i/chunkSize][i%chunkSize] }

// push appends a zero record and returns its slot.
func (c *chunked[T]) push() int32 {
	switch k, off := int(c.n)/chunkSize, int(c.n)%chunkSize; {
	case k == len(c.chunks):
		size := chunkSize
		if k == 0 {
			size = firstChunkSize
		}
		c.chunks = append(c.chunks, make([]T, size))
	case off == len(c.chunks[k]):
		grown := make([]T, min(2*off, chunkSize))
		copy(grown, c.chunks[k])
		c.chunks[k] = grown
	}
	c.n++
	return c.n - 1
}

// pop removes the last record.
func (c *chunked[T]) pop() {
	c.n--
	var zero T
	*c.at(c.n) = zero
}

// The message id index maps an id to a msgRef: the message's stripe and its slot in that
// stripe's log. It is split in stripes by id hash (Store.ids).
const (
	stripeBits = 6
	maxSlots   = 1<<(31-stripeBits) - 1 // per stripe
)

func msgRef(stripe int, slot int32) int32 { return slot<<stripeBits | int32(stripe) }
func refStripe(ref int32) int             { return int(ref & (1<<stripeBits - 1)) }
func refSlot(ref int32) int32             { return ref >> stripeBits }

// idHit is what a lookup in the message id index found.
type idHit int

const (
	idAbsent    idHit = iota
	idFound           // the id, in a stripe the caller may read
	idElsewhere       // maybe the id: an entry with its tag, in a stripe the caller may not read
)

// findID looks a message id up in its id stripe is: its ref when found, else the empty
// entry where it would go. own is the only stripe whose log the caller may read, or -1
// when it may read them all. The caller holds is, or excludes every scoped transaction.
func (s *Store) findID(is *idStripe, id string, h uint64, own int) (pos uint32, ref int32, hit idHit) {
	x := &is.x
	tag := uint32(h >> 32)
	for i := x.home(tag); ; i = (i + 1) & x.mask {
		e := x.e[i]
		if e.slot1 == 0 {
			return i, -1, idAbsent
		}
		if e.tag != tag {
			continue
		}
		ref := e.slot1 - 1
		st := refStripe(ref)
		if own >= 0 && st != own {
			return i, ref, idElsewhere // a tag collision, most likely: the id cannot be compared
		}
		l := s.convs[st].log
		if l.arena.str(l.msgs.at(refSlot(ref)).id) == id {
			return i, ref, idFound
		}
	}
}

// lookupID finds a message for a transaction: its log and slot.
func (t *tx) lookupID(id string) (*msgLog, int32, idHit) {
	s := t.s
	h := s.hashOf(id)
	is := &s.ids[stripeOf(h)]
	if t.mode == scoped {
		is.mu.Lock()
		defer is.mu.Unlock()
	}
	_, ref, hit := s.findID(is, id, h, t.own())
	if hit != idFound {
		return nil, 0, hit
	}
	return s.convs[refStripe(ref)].log, refSlot(ref), hit
}
