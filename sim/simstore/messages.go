package simstore

import "poolkit/reference/pool"

// msgTable keeps the messages waiting for a final status. A map holds large values out of
// line, one allocation per insert, so the records live in a slab of reused slots and the
// map holds only their slot numbers.
type msgTable struct {
	index map[string]int32
	slab  []pool.Message
	free  []int32
	// freed are slots released by the open transaction, reused only after it commits.
	freed []int32
	undo  []msgUndo
	dirty bool
}

type msgUndo struct {
	id   string
	slot int32
	old  pool.Message
	had  bool // the id had a record before the change
}

func newMsgTable() *msgTable { return &msgTable{index: map[string]int32{}} }

func (t *msgTable) get(id string) (pool.Message, bool) {
	i, ok := t.index[id]
	if !ok {
		return pool.Message{}, false
	}
	return t.slab[i], true
}

func (t *msgTable) touch(s *Store) {
	if !t.dirty {
		t.dirty = true
		s.dirty = append(s.dirty, t)
	}
}

func (t *msgTable) put(s *Store, m pool.Message) {
	t.touch(s)
	if i, ok := t.index[m.ID]; ok {
		t.undo = append(t.undo, msgUndo{id: m.ID, slot: i, old: t.slab[i], had: true})
		t.slab[i] = m
		return
	}
	var i int32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
		t.slab[i] = m
	} else {
		i = int32(len(t.slab))
		t.slab = append(t.slab, m)
	}
	t.index[m.ID] = i
	t.undo = append(t.undo, msgUndo{id: m.ID, slot: i})
}

func (t *msgTable) del(s *Store, id string) {
	i, ok := t.index[id]
	if !ok {
		return
	}
	t.touch(s)
	t.undo = append(t.undo, msgUndo{id: id, slot: i, old: t.slab[i], had: true})
	delete(t.index, id) // the slot keeps its record until it is reused
	t.freed = append(t.freed, i)
}

func (t *msgTable) commit() {
	t.free = append(t.free, t.freed...)
	t.freed = t.freed[:0]
	t.undo = t.undo[:0] // truncated, not cleared: see table.commit
	t.dirty = false
}

func (t *msgTable) rollback() {
	for k := len(t.undo) - 1; k >= 0; k-- {
		u := t.undo[k]
		if u.had {
			t.slab[u.slot] = u.old
			t.index[u.id] = u.slot
			continue
		}
		delete(t.index, u.id) // an insert: its slot is free again
		t.slab[u.slot] = pool.Message{}
		t.free = append(t.free, u.slot)
	}
	t.freed = t.freed[:0]
	clear(t.undo)
	t.undo = t.undo[:0]
	t.dirty = false
}
