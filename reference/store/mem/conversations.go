package mem

import (
	"cmp"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// convRec is a pool.Conversation without pointers, with the heads of its lists.
type convRec struct {
	key                  uint32 // interned key id
	rcpt                 sref
	alloc                uint32 // interned allocation id; 0: no binding
	group                uint32 // interned group id
	bound, last, created ptime
	// has is set once the conversation was put: a record made by a message alone is not
	// a conversation of Conversations.
	has bool
	// lastMsg is the conversation's latest message, -1 for none; keyPrev the key's
	// previous conversation, -1 for none.
	lastMsg int32
	keyPrev int32
	// phone is the interned phone of the latest message put: the next one's, most
	// likely (a hint, not restored by a rollback).
	phone uint32
}

// findConv returns the conversation of (key, recipient), or -1 and the empty index
// entry where it would go.
func (l *msgLog) findConv(key, rcpt string, h uint64) (pos uint32, ci int32) {
	x := &l.chats
	tag := uint32(h >> 32)
	for i := x.home(tag); ; i = (i + 1) & x.mask {
		e := x.e[i]
		if e.slot1 == 0 {
			return i, -1
		}
		if e.tag == tag {
			if c := l.convs.at(e.slot1 - 1); l.arena.str(c.rcpt) == rcpt && l.strs.str(c.key) == key {
				return i, e.slot1 - 1
			}
		}
	}
}

// addConv appends the conversation record of (key, recipient), whose index entry goes
// at pos.
func (l *msgLog) addConv(t *tx, key, rcpt string, h uint64, pos uint32) int32 {
	l.touch(t)
	kid := l.strs.id(key)
	ci := l.convs.push()
	*l.convs.at(ci) = convRec{key: kid, rcpt: l.arena.put(rcpt), lastMsg: -1, keyPrev: -1}
	if last, ok := l.keyLast[kid]; ok {
		l.convs.at(ci).keyPrev = last
	}
	if l.keyLast == nil {
		l.keyLast = make(map[uint32]int32)
	}
	l.keyLast[kid] = ci
	l.chats.insertAt(pos, uint32(h>>32), ci)
	l.undo = append(l.undo, logUndo{kind: undoAddConv, i: ci})
	return ci
}

// dropConv removes the last conversation record (a rollback of addConv).
func (l *msgLog) dropConv(ci int32) {
	c := l.convs.at(ci)
	if c.keyPrev < 0 {
		delete(l.keyLast, c.key)
	} else {
		l.keyLast[c.key] = c.keyPrev
	}
	h := l.s.convHash(l.strs.str(c.key), l.arena.str(c.rcpt))
	if pos, ok := l.chats.posOf(uint32(h>>32), ci); ok {
		l.chats.deleteAt(pos)
	}
	l.convs.pop()
}

// convCache remembers a transaction's last conversation lookup, so that a send, which
// reads its conversation, appends a message to it and puts it back, looks it up once.
// Records are never removed while a transaction is open, so what it found stays true.
type convCache struct {
	key, rcpt string
	h         uint64
	stripe    int
	ci        int32
	hashed    bool // h and stripe are the conversation's
	looked    bool // ci is its record, or -1
}

// conv returns the log and the record of a conversation, -1 if there is none and create
// is false.
func (t *tx) conv(key, rcpt string, create bool) (*msgLog, int32, error) {
	switch t.mode {
	case scoped:
		if key != t.key || rcpt != t.rcpt {
			return nil, -1, pool.ErrOutOfScope
		}
	case reading:
		t.readStripes()
	}
	cc := &t.cc
	if !cc.hashed || key != cc.key || rcpt != cc.rcpt {
		h := t.s.convHash(key, rcpt)
		*cc = convCache{key: key, rcpt: rcpt, h: h, stripe: stripeOf(h), hashed: true}
	}
	l := t.s.convs[cc.stripe].log
	if !cc.looked {
		_, cc.ci = l.findConv(key, rcpt, cc.h)
		cc.looked = true
	}
	if cc.ci < 0 && create {
		pos, _ := l.findConv(key, rcpt, cc.h) // the index may have grown since
		cc.ci = l.addConv(t, key, rcpt, cc.h, pos)
	}
	return l, cc.ci, nil
}

// conversation decodes a conversation record.
func (l *msgLog) conversation(ci int32) pool.Conversation {
	c := l.convs.at(ci)
	return pool.Conversation{
		KeyID: l.strs.str(c.key), Recipient: l.arena.str(c.rcpt), AllocationID: l.strs.str(c.alloc),
		BoundAt: l.locs.unpack(c.bound), GroupID: l.strs.str(c.group),
		LastMessageAt: l.locs.unpack(c.last), CreatedAt: l.locs.unpack(c.created),
	}
}

func (l *msgLog) putConversation(t *tx, ci int32, conv *pool.Conversation) {
	l.touch(t)
	l.saveConv(ci)
	c := l.convs.at(ci)
	c.has = true
	c.alloc, c.group = l.strs.id(conv.AllocationID), l.strs.id(conv.GroupID)
	c.bound, c.last, c.created = l.locs.pack(conv.BoundAt), l.locs.pack(conv.LastMessageAt), l.locs.pack(conv.CreatedAt)
}

// conversations adds a key's conversations in this stripe to out.
func (l *msgLog) conversations(out []pool.Conversation, key string) []pool.Conversation {
	kid, ok := l.strs.lookup(key)
	if !ok {
		return out
	}
	last, ok := l.keyLast[kid]
	if !ok {
		return out
	}
	for ci := last; ci >= 0; ci = l.convs.at(ci).keyPrev {
		if l.convs.at(ci).has {
			out = append(out, l.conversation(ci))
		}
	}
	return out
}

// sortConversations sorts conversations the most recent message first.
func sortConversations(cs []pool.Conversation) {
	slices.SortFunc(cs, func(a, b pool.Conversation) int {
		if c := b.LastMessageAt.Compare(a.LastMessageAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Recipient, b.Recipient)
	})
}

// unbind removes the binding of every conversation of key in this stripe to the
// allocation.
func (l *msgLog) unbind(t *tx, key, allocationID string) {
	kid, ok := l.strs.lookup(key)
	aid, ok2 := l.strs.lookup(allocationID)
	if !ok || !ok2 || aid == 0 {
		return
	}
	last, ok := l.keyLast[kid]
	if !ok {
		return
	}
	zero := l.locs.pack(time.Time{})
	for ci := last; ci >= 0; ci = l.convs.at(ci).keyPrev {
		if c := l.convs.at(ci); c.has && c.alloc == aid {
			l.touch(t)
			l.saveConv(ci)
			c.alloc, c.bound = 0, zero
		}
	}
}

func (t *tx) Conversation(keyID, recipient string) (pool.Conversation, error) {
	l, ci, err := t.conv(keyID, recipient, false)
	if err != nil {
		return pool.Conversation{}, err
	}
	if ci < 0 || !l.convs.at(ci).has {
		return pool.Conversation{}, pool.ErrNotFound
	}
	return l.conversation(ci), nil
}

func (t *tx) PutConversation(c pool.Conversation) error {
	if err := t.wConv(); err != nil {
		return err
	}
	l, ci, err := t.conv(c.KeyID, c.Recipient, true)
	if err != nil {
		return err
	}
	l.putConversation(t, ci, &c)
	return nil
}

func (t *tx) Conversations(keyID string) ([]pool.Conversation, error) {
	if t.own() >= 0 {
		return nil, pool.ErrOutOfScope
	}
	out := []pool.Conversation{}
	for i := range t.s.convs {
		out = t.s.convs[i].log.conversations(out, keyID)
	}
	sortConversations(out)
	return out, nil
}

func (t *tx) Unbind(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	if a, ok := t.s.allocs.get(allocationID); ok {
		for i := range t.s.convs {
			t.s.convs[i].log.unbind(t, a.KeyID, allocationID)
		}
	}
	return nil
}
