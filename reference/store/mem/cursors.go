package mem

import (
	"slices"

	"poolkit/reference/pool"
)

// schedOf returns the stripe of a key's cursors and weighted state, which a scoped
// transaction (of a conversation of that key only) locks until it ends.
func (t *tx) schedOf(keyID string) (*schedStripe, error) {
	i := stripeOf(t.s.hashOf(keyID))
	switch t.mode {
	case scoped:
		if keyID != t.key {
			return nil, pool.ErrOutOfScope
		}
		if t.sched < 0 {
			t.s.sched[i].mu.Lock()
			t.sched = i
		}
	case reading:
		t.readStripes()
	}
	return &t.s.sched[i], nil
}

func (t *tx) Cursor(keyID, scope string) (int, error) {
	st, err := t.schedOf(keyID)
	if err != nil {
		return 0, err
	}
	return found(st.cursors.get(pair{keyID, scope}))
}

func (t *tx) PutCursor(keyID, scope string, position int) error {
	if err := t.wConv(); err != nil {
		return err
	}
	st, err := t.schedOf(keyID)
	if err != nil {
		return err
	}
	st.cursors.put(t, pair{keyID, scope}, position)
	return nil
}

func (t *tx) WRR(keyID string) ([]pool.WRRSlot, error) {
	st, err := t.schedOf(keyID)
	if err != nil {
		return nil, err
	}
	s, err := found(st.wrr.get(keyID))
	return slices.Clone(s), err
}

func (t *tx) PutWRR(keyID string, slots []pool.WRRSlot) error {
	if err := t.wConv(); err != nil {
		return err
	}
	st, err := t.schedOf(keyID)
	if err != nil {
		return err
	}
	st.wrr.put(t, keyID, slots)
	return nil
}
