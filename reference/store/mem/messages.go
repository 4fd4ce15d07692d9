package mem

import (
	"cmp"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// msgLog is one stripe of the conversations and their messages, the records that
// outnumber all the others, in a layout that keeps a send cheap and the garbage collector
// out:
//
//   - records without pointers (msgRec, convRec; see arena.go) in append-only chunks;
//   - a (key, recipient) → conversation index that is a flat open-addressing table
//     (idIndex), as is the store's message id index: one probe sequence for a
//     lookup-then-insert;
//   - a conversation's messages are a list threaded through the log (each message links
//     to the conversation's previous one; the conversation holds its latest), and a key's
//     conversations a list threaded through the conversations: a message is one record
//     and one index entry, a new conversation the same;
//   - one undo log, replayed backwards by a rollback: appends are undone by truncating,
//     updates by restoring the saved record.
//
// A conversation record exists as soon as a message or a pool.Conversation names it; only
// the latter (has) is listed by Conversations. One transaction at a time uses a log.
type msgLog struct {
	s      *Store
	stripe int

	msgs  chunked[msgRec]
	convs chunked[convRec]
	chats idIndex // (key, recipient) → conversation
	// keyLast is each key's latest conversation (by interned key id).
	keyLast map[uint32]int32
	// attachments holds the messages' attachment lists (msgRec.attach - 1).
	attachments [][]string

	arena arena
	strs  interner
	locs  locations

	// pendingFrom is the outbox watermark: no slot below it is pending. A message
	// leaves the outbox for good (dispatched or final), so the watermark only moves
	// forward, over slots that left it; a send costs the outbox nothing.
	pendingFrom int32

	// The open transaction's undo log; oldMsgs and oldConvs hold the saved records.
	// lockIDs is set when that transaction is scoped: it locks the id stripes it uses.
	dirty    bool
	lockIDs  bool
	undo     []logUndo
	oldMsgs  []msgRec
	oldConvs []convRec
}

// msgRec is a pool.Message without pointers. Its key and recipient are its
// conversation's; a message that moved to another stripe leaves a dead record (conv -1).
type msgRec struct {
	id, text, chat, extRef sref
	conv                   int32
	prev                   int32 // the conversation's previous message, or -1
	alloc, phone           uint32
	dir, proto, status     uint32
	errCode                uint32
	attach                 int32 // 0: nil; else attachments[attach-1]
	chatIsRecipient        bool
	dispatched             bool
	attempts               int
	seq                    int64 // the store's order of messages
	sent, delivered, next  ptime
}

type logUndo struct {
	kind undoKind
	i    int32 // the slot, the conversation, or the old watermark
	old  int32 // the saved record's index in oldMsgs or oldConvs; a moved message's old ref
}

type undoKind uint8

const (
	undoAddMsg undoKind = iota
	undoAddMovedMsg
	undoSetMsg
	undoAddConv
	undoSetConv
	undoWatermark
)

func newMsgLog(s *Store, stripe int) *msgLog {
	return &msgLog{s: s, stripe: stripe, chats: newIDIndex(),
		strs: newInterner(), locs: newLocations()}
}

func (l *msgLog) touch(t *tx) {
	if !l.dirty {
		l.dirty = true
		l.lockIDs = t.mode == scoped
		t.dirty = append(t.dirty, l)
	}
}

// message decodes the message in slot.
func (l *msgLog) message(slot int32) pool.Message {
	r := l.msgs.at(slot)
	c := l.convs.at(r.conv)
	m := pool.Message{
		ID: l.arena.str(r.id), KeyID: l.strs.str(c.key), Recipient: l.arena.str(c.rcpt),
		AllocationID: l.strs.str(r.alloc), Phone: l.strs.str(r.phone),
		Direction: pool.Direction(l.strs.str(r.dir)), Protocol: pool.Protocol(l.strs.str(r.proto)),
		Text: l.arena.str(r.text), Status: pool.Status(l.strs.str(r.status)), ErrorCode: l.strs.str(r.errCode),
		TimeSent: l.locs.unpack(r.sent), TimeDelivered: l.locs.unpack(r.delivered),
		ExternalRef: l.arena.str(r.extRef), Dispatched: r.dispatched, Attempts: r.attempts,
		NextAttemptAt: l.locs.unpack(r.next),
	}
	if r.chatIsRecipient {
		m.ChatID = m.Recipient
	} else {
		m.ChatID = l.arena.str(r.chat)
	}
	if r.attach > 0 {
		m.Attachments = slices.Clip(l.attachments[r.attach-1])
	}
	return m
}

// put adds or updates a message of this stripe's conversation ci; t is the transaction.
func (l *msgLog) put(t *tx, ci int32, m *pool.Message) error {
	l.touch(t)
	s := l.s
	h := s.hashOf(m.ID)
	is := &s.ids[stripeOf(h)]
	if l.lockIDs {
		is.mu.Lock()
	}
	pos, ref, hit := s.findID(is, m.ID, h, t.own())
	switch {
	case hit == idElsewhere:
		if l.lockIDs {
			is.mu.Unlock()
		}
		return pool.ErrOutOfScope
	case hit == idAbsent:
		slot := l.add(ci, m, s.nextSeq.Add(1))
		is.x.insertAt(pos, uint32(h>>32), msgRef(l.stripe, slot))
		if l.lockIDs {
			is.mu.Unlock()
		}
		l.undo = append(l.undo, logUndo{kind: undoAddMsg, i: slot})
		return nil
	}
	if l.lockIDs {
		is.mu.Unlock()
	}
	from, slot := refStripe(ref), refSlot(ref)
	if from != l.stripe {
		// Another conversation, in another stripe: rare, never done by the engine, and
		// only in an exclusive transaction (a scoped one cannot see other stripes).
		return l.moveIn(t, ci, m, s.convs[from].log, slot, is, pos)
	}
	if t.mode == scoped && l.msgs.at(slot).conv != ci {
		return pool.ErrOutOfScope
	}
	l.saveMsg(slot)
	if r := l.msgs.at(slot); r.conv != ci {
		l.move(slot, ci) // another conversation of this stripe
	}
	l.encode(l.msgs.at(slot), m, l.convs.at(ci))
	return nil
}

// add appends a new message to conversation ci and returns its slot.
func (l *msgLog) add(ci int32, m *pool.Message, seq int64) int32 {
	slot := l.msgs.push()
	if slot >= maxSlots {
		panic("mem: too many messages in one stripe")
	}
	r := l.msgs.at(slot)
	r.id = l.arena.put(m.ID)
	c := l.convs.at(ci)
	l.encode(r, m, c)
	r.conv, r.seq = ci, seq
	r.prev, c.lastMsg = c.lastMsg, slot
	return slot
}

// moveIn moves the message in slot of log from to conversation ci of this log: it leaves
// a dead record there, and its index entry, at pos of is, names the new one.
func (l *msgLog) moveIn(t *tx, ci int32, m *pool.Message, from *msgLog, slot int32, is *idStripe, pos uint32) error {
	from.touch(t)
	from.saveMsg(slot)
	from.unthread(slot)
	seq := from.msgs.at(slot).seq
	from.msgs.at(slot).conv = -1
	to := l.msgs.push()
	if to >= maxSlots {
		panic("mem: too many messages in one stripe")
	}
	r := l.msgs.at(to)
	r.id = l.arena.put(m.ID)
	l.encode(r, m, l.convs.at(ci))
	r.conv, r.prev, r.seq = -1, -1, seq
	l.undo = append(l.undo, logUndo{kind: undoAddMovedMsg, i: to, old: is.x.e[pos].slot1 - 1})
	is.x.e[pos].slot1 = msgRef(l.stripe, to) + 1
	l.saveMsg(to)
	l.threadIn(to, ci)
	return nil
}

// encode writes m's fields into r, except its id, conversation, link and order; c is
// the conversation it goes to. A string that does not change keeps its place in the
// arena: updates (status reports) cost no arena space.
func (l *msgLog) encode(r *msgRec, m *pool.Message, c *convRec) {
	if l.arena.str(r.text) != m.Text {
		r.text = l.arena.put(m.Text)
	}
	r.chatIsRecipient = m.ChatID == m.Recipient
	if r.chatIsRecipient {
		r.chat = sref{}
	} else if l.arena.str(r.chat) != m.ChatID {
		r.chat = l.arena.put(m.ChatID)
	}
	if l.arena.str(r.extRef) != m.ExternalRef {
		r.extRef = l.arena.put(m.ExternalRef)
	}
	r.alloc, r.phone = l.strs.idOr(c.alloc, m.AllocationID), l.strs.idOr(c.phone, m.Phone)
	c.phone = r.phone
	r.dir, r.proto, r.status = l.strs.id(string(m.Direction)), l.strs.id(string(m.Protocol)), l.strs.id(string(m.Status))
	r.errCode = l.strs.id(m.ErrorCode)
	switch {
	case m.Attachments == nil:
		r.attach = 0
	case r.attach > 0 && sameSlice(l.attachments[r.attach-1], m.Attachments):
	default:
		l.attachments = append(l.attachments, slices.Clip(m.Attachments))
		r.attach = int32(len(l.attachments))
	}
	r.dispatched, r.attempts = m.Dispatched, m.Attempts
	r.sent, r.delivered, r.next = l.locs.pack(m.TimeSent), l.locs.pack(m.TimeDelivered), l.locs.pack(m.NextAttemptAt)
}

// sameSlice reports whether a and b are the same slice (an update passing back the
// attachments it read).
func sameSlice(a, b []string) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

// move takes the message in slot out of its conversation's list and threads it into
// the list of conversation ci. The caller saved the message.
func (l *msgLog) move(slot, ci int32) {
	l.unthread(slot)
	l.threadIn(slot, ci)
}

// threadIn inserts the message in slot into the list of conversation ci, in the store's
// order of messages. The caller saved the message.
func (l *msgLog) threadIn(slot, ci int32) {
	r := l.msgs.at(slot)
	r.conv = ci
	c := l.convs.at(ci)
	if c.lastMsg < 0 || l.msgs.at(c.lastMsg).seq < r.seq {
		l.saveConv(ci)
		r.prev, c.lastMsg = c.lastMsg, slot
		return
	}
	n := c.lastMsg
	for p := l.msgs.at(n).prev; p >= 0 && l.msgs.at(p).seq > r.seq; p = l.msgs.at(n).prev {
		n = p
	}
	l.saveMsg(n)
	r.prev, l.msgs.at(n).prev = l.msgs.at(n).prev, slot
}

// unthread takes the message in slot out of its conversation's list.
func (l *msgLog) unthread(slot int32) {
	r := l.msgs.at(slot)
	if c := l.convs.at(r.conv); c.lastMsg == slot {
		l.saveConv(r.conv)
		c.lastMsg = r.prev
		return
	}
	n := l.convs.at(r.conv).lastMsg
	for l.msgs.at(n).prev != slot {
		n = l.msgs.at(n).prev
	}
	l.saveMsg(n)
	l.msgs.at(n).prev = r.prev
}

func (l *msgLog) saveMsg(slot int32) {
	l.undo = append(l.undo, logUndo{kind: undoSetMsg, i: slot, old: int32(len(l.oldMsgs))})
	l.oldMsgs = append(l.oldMsgs, *l.msgs.at(slot))
}

func (l *msgLog) saveConv(i int32) {
	l.undo = append(l.undo, logUndo{kind: undoSetConv, i: i, old: int32(len(l.oldConvs))})
	l.oldConvs = append(l.oldConvs, *l.convs.at(i))
}

// thread lists the messages of a conversation, oldest first.
func (l *msgLog) thread(ci int32) []pool.Message {
	if ci < 0 {
		return []pool.Message{}
	}
	last := l.convs.at(ci).lastMsg
	n := 0
	for s := last; s >= 0; s = l.msgs.at(s).prev {
		n++
	}
	out := make([]pool.Message, n)
	for s := last; s >= 0; s = l.msgs.at(s).prev {
		n--
		out[n] = l.message(s)
	}
	return out
}

func (l *msgLog) commit() {
	l.undo = l.undo[:0]
	l.oldMsgs = l.oldMsgs[:0]
	l.oldConvs = l.oldConvs[:0]
	l.dirty = false
}

// rollback replays the undo log backwards: each step finds the log as it was right
// after the change it undoes.
func (l *msgLog) rollback() {
	for i := len(l.undo) - 1; i >= 0; i-- {
		switch u := l.undo[i]; u.kind {
		case undoAddMsg, undoAddMovedMsg: // u.i is the last slot
			r := l.msgs.at(u.i)
			if r.conv >= 0 { // a moved message is not threaded yet at this point
				l.convs.at(r.conv).lastMsg = r.prev
			}
			l.unindex(l.arena.str(r.id), u.i, u.kind == undoAddMovedMsg, u.old)
			l.msgs.pop()
		case undoSetMsg:
			*l.msgs.at(u.i) = l.oldMsgs[u.old]
		case undoAddConv: // u.i is the last conversation
			l.dropConv(u.i)
		case undoSetConv:
			*l.convs.at(u.i) = l.oldConvs[u.old]
		case undoWatermark:
			l.pendingFrom = u.i
		}
	}
	l.commit()
}

// unindex removes the index entry of the message id in slot, or names the message's
// previous record again (moved).
func (l *msgLog) unindex(id string, slot int32, moved bool, old int32) {
	h := l.s.hashOf(id)
	is := &l.s.ids[stripeOf(h)]
	if l.lockIDs {
		is.mu.Lock()
		defer is.mu.Unlock()
	}
	pos, ok := is.x.posOf(uint32(h>>32), msgRef(l.stripe, slot))
	switch {
	case !ok:
		// A later move (into another stripe) re-pointed the entry; undoing that move
		// deletes it or points it back (stripes roll back in any order).
	case moved && refSlot(old) < l.s.convs[refStripe(old)].log.msgs.n:
		is.x.e[pos].slot1 = old + 1
	default:
		// Not moved, or moved from a record this transaction added and another stripe's
		// rollback already removed: the id did not exist before the transaction.
		is.x.deleteAt(pos)
	}
}

// pending adds the outbox messages of the stripe due at d to out (see
// pool.Tx.PendingMessages), advancing the watermark over the slots at its front that left
// the outbox.
func (l *msgLog) pending(t *tx, out []pending, d ptime) []pending {
	if from := l.pendingFrom; from < l.msgs.n && !l.msgs.at(from).pending() {
		l.touch(t)
		l.undo = append(l.undo, logUndo{kind: undoWatermark, i: from})
		for l.pendingFrom < l.msgs.n && !l.msgs.at(l.pendingFrom).pending() {
			l.pendingFrom++
		}
	}
	for slot := l.pendingFrom; slot < l.msgs.n; slot++ {
		if r := l.msgs.at(slot); r.pending() && !r.next.after(d) {
			out = append(out, pending{l.message(slot), r.seq})
		}
	}
	return out
}

// pending is an outbox message with its order.
type pending struct {
	m   pool.Message
	seq int64
}

// pendingMessages lists the outbox of every stripe: the earliest due first, then oldest
// first.
func pendingMessages(t *tx, due time.Time, limit int) []pool.Message {
	var ps []pending
	for i := range t.s.convs {
		l := t.s.convs[i].log
		ps = l.pending(t, ps, l.locs.pack(due))
	}
	slices.SortFunc(ps, func(a, b pending) int {
		if c := a.m.NextAttemptAt.Compare(b.m.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	out := make([]pool.Message, 0, min(len(ps), limit))
	for i := 0; i < len(ps) && i < limit; i++ {
		out = append(out, ps[i].m)
	}
	return out
}

// pending is pool.Message.Pending on the record; a dead record is not pending.
func (r *msgRec) pending() bool {
	return r.dir == idOutbound && r.status == idQueued && !r.dispatched && r.conv >= 0
}

func (t *tx) Message(id string) (pool.Message, error) {
	l, slot, hit := t.lookupID(id)
	switch {
	case hit == idElsewhere:
		return pool.Message{}, pool.ErrOutOfScope
	case hit == idAbsent:
		return pool.Message{}, pool.ErrNotFound
	}
	if t.mode == scoped {
		if _, ci, _ := t.conv(t.key, t.rcpt, false); l.msgs.at(slot).conv != ci {
			return pool.Message{}, pool.ErrOutOfScope // another conversation of the stripe
		}
	}
	return l.message(slot), nil
}

func (t *tx) PutMessage(m pool.Message) error {
	if err := t.wConv(); err != nil {
		return err
	}
	l, ci, err := t.conv(m.KeyID, m.Recipient, true)
	if err != nil {
		return err
	}
	return l.put(t, ci, &m)
}

func (t *tx) Messages(keyID, recipient string) ([]pool.Message, error) {
	l, ci, err := t.conv(keyID, recipient, false)
	if err != nil {
		return nil, err
	}
	return l.thread(ci), nil
}

func (t *tx) PendingMessages(due time.Time, limit int) ([]pool.Message, error) {
	if err := t.w(); err != nil {
		return nil, err // the outbox watermarks move: an exclusive transaction
	}
	return pendingMessages(t, due, limit), nil
}
