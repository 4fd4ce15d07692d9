package mem

import "poolkit/reference/pool"

// chunkSize is how many messages one chunk of the log holds.
const chunkSize = 4096

// msgLog stores messages in append-only chunks with an id → slot index and a
// conversation → slots index. Messages outnumber every other record by orders of
// magnitude, so they get a layout that keeps a send cheap: no large map values to copy
// on growth, and a rollback that truncates instead of deleting record by record.
type msgLog struct {
	chunks [][]pool.Message
	n      int32
	index  map[string]int32
	convs  map[pair][]int32

	// The open transaction's undo state.
	dirty   bool
	base    int32     // n when the transaction first wrote
	updated []msgUndo // previous values of updated messages
	grown   []pair    // conversations appended to, in order
}

type msgUndo struct {
	slot int32
	old  pool.Message
}

func newMsgLog() *msgLog {
	return &msgLog{index: make(map[string]int32), convs: make(map[pair][]int32)}
}

func (l *msgLog) at(slot int32) *pool.Message {
	return &l.chunks[slot/chunkSize][slot%chunkSize]
}

func (l *msgLog) get(id string) (pool.Message, bool) {
	slot, ok := l.index[id]
	if !ok {
		return pool.Message{}, false
	}
	return *l.at(slot), true
}

func (l *msgLog) touch(s *Store) {
	if !l.dirty {
		l.dirty = true
		l.base = l.n
		s.dirty = append(s.dirty, l)
	}
}

func (l *msgLog) put(s *Store, m pool.Message) {
	l.touch(s)
	if slot, ok := l.index[m.ID]; ok {
		p := l.at(slot)
		if slot < l.base {
			l.updated = append(l.updated, msgUndo{slot, *p})
		}
		*p = m
		return
	}
	if int(l.n)/chunkSize == len(l.chunks) {
		l.chunks = append(l.chunks, make([]pool.Message, chunkSize))
	}
	slot := l.n
	l.n++
	*l.at(slot) = m
	l.index[m.ID] = slot
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
		delete(l.index, p.ID)
		*p = pool.Message{}
	}
	l.n = l.base
	l.commit()
}
