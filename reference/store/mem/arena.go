package mem

import (
	"time"
	"unsafe"

	"poolkit/reference/pool"
)

// Messages and conversations outnumber every other record by orders of magnitude, so
// they are kept in records without pointers: the garbage collector never scans them, a
// message record is half the size of a pool.Message, and its strings are no allocations
// of their own. The strings live in an arena (unique strings: ids, texts, recipients) or
// in an interner (strings that repeat: key and allocation ids, phones, statuses); the
// times are packed.

// sref is a string in an arena: off and n within chunk c.
type sref struct{ c, off, n uint32 }

const (
	arenaFirstChunk = 1 << 10
	arenaChunk      = 1 << 18
)

// arena holds strings without pointers. Its bytes are written once and never change:
// a chunk only grows within its capacity and is never truncated (a rollback leaves its
// strings behind, unused), so the strings it hands out can point into it.
type arena struct {
	chunks [][]byte
}

func (a *arena) put(s string) sref {
	if s == "" {
		return sref{}
	}
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(s) > cap(a.chunks[last]) {
		size := arenaChunk
		if last < 0 {
			size = arenaFirstChunk
		} else if c := 2 * cap(a.chunks[last]); c < size {
			size = c // small stores (tests, scenarios) start small
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(s))))
		last++
	}
	c := a.chunks[last]
	off := len(c)
	a.chunks[last] = append(c, s...) // within capacity: no byte handed out moves
	return sref{uint32(last), uint32(off), uint32(len(s))}
}

// str returns the string r refers to, without copying it.
func (a *arena) str(r sref) string {
	if r.n == 0 {
		return ""
	}
	return unsafe.String(&a.chunks[r.c][r.off], int(r.n))
}

// interner numbers the strings that repeat across records. 0 is "". Strings are never
// forgotten: they are bounded by the records that create them (keys, allocations,
// numbers, groups, error codes).
type interner struct {
	ids  map[string]uint32
	strs []string
}

// The interned ids of the statuses, directions and protocols, fixed so that the hot
// path of a send and the outbox scan need no lookup.
const (
	idOutbound uint32 = iota + 1
	idInbound
	idIMessage
	idSMS
	idQueued
	idSent
	idDelivered
	idFailed
	idReceived
)

// fixedStrs are the strings of the fixed ids, in order. Every interner starts with them;
// its first append copies them (a slice literal has no spare capacity).
var fixedStrs = []string{"",
	string(pool.Outbound), string(pool.Inbound), string(pool.ProtocolIMessage), string(pool.ProtocolSMS),
	string(pool.StatusQueued), string(pool.StatusSent), string(pool.StatusDelivered), string(pool.StatusFailed),
	string(pool.StatusReceived)}

func newInterner() interner { return interner{strs: fixedStrs} }

// fixed returns the fixed id of s, or 0.
func fixed(s string) uint32 {
	switch s {
	case string(pool.Outbound):
		return idOutbound
	case string(pool.Inbound):
		return idInbound
	case string(pool.ProtocolIMessage):
		return idIMessage
	case string(pool.ProtocolSMS):
		return idSMS
	case string(pool.StatusQueued):
		return idQueued
	case string(pool.StatusSent):
		return idSent
	case string(pool.StatusDelivered):
		return idDelivered
	case string(pool.StatusFailed):
		return idFailed
	case string(pool.StatusReceived):
		return idReceived
	}
	return 0
}

// id returns the number of s, giving it one if it has none.
func (in *interner) id(s string) uint32 {
	if s == "" {
		return 0
	}
	if id := fixed(s); id != 0 {
		return id
	}
	if id, ok := in.ids[s]; ok {
		return id
	}
	if in.ids == nil {
		in.ids = make(map[string]uint32)
	}
	id := uint32(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

// idOr returns the number of s, which is hint's when hint is s's number: a record
// passes the number it expects (a message's allocation is usually its conversation's).
func (in *interner) idOr(hint uint32, s string) uint32 {
	if in.strs[hint] == s {
		return hint
	}
	return in.id(s)
}

// lookup returns the number of s if it has one.
func (in *interner) lookup(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	if id := fixed(s); id != 0 {
		return id, true
	}
	id, ok := in.ids[s]
	return id, ok
}

func (in *interner) str(id uint32) string { return in.strs[id] }

// ptime is a time.Time without pointers: Unix seconds and nanoseconds, and the index of
// its location in the store's list of locations. The monotonic clock reading is not
// kept (as in any durable store): times come back Equal, in their location.
type ptime struct {
	sec  int64
	nsec int32
	loc  int32
}

// locations numbers the time zones of the times kept: 0 is UTC, 1 is Local.
type locations []*time.Location

// baseLocations are UTC and Local, where every list of locations starts; its first
// append copies them.
var baseLocations = locations{time.UTC, time.Local}

func newLocations() locations { return baseLocations }

// zeroTime is time.Time{} packed.
var zeroTime = ptime{sec: time.Time{}.Unix()}

func (ls *locations) pack(t time.Time) ptime {
	if t == (time.Time{}) {
		return zeroTime // unset times are common: the fast way
	}
	p := ptime{sec: t.Unix(), nsec: int32(t.Nanosecond())}
	switch l := t.Location(); l {
	case time.UTC:
	case time.Local:
		p.loc = 1
	default:
		p.loc = -1
		for i, x := range *ls {
			if x == l {
				p.loc = int32(i)
				break
			}
		}
		if p.loc < 0 {
			p.loc = int32(len(*ls))
			*ls = append(*ls, l)
		}
	}
	return p
}

func (ls locations) unpack(p ptime) time.Time {
	t := time.Unix(p.sec, int64(p.nsec))
	if p.loc == 0 {
		return t.UTC()
	}
	return t.In(ls[p.loc])
}

// after reports whether p is after t.
func (p ptime) after(t ptime) bool {
	return p.sec > t.sec || p.sec == t.sec && p.nsec > t.nsec
}
