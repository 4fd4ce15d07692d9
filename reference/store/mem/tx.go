package mem

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// tx is one transaction over the store.
type tx struct {
	s        *Store
	writable bool
	done     bool
}

var errReadOnly = errors.New("mem: write in a read-only transaction")
var errDone = errors.New("mem: transaction already ended")

// Commit implements pool.Tx.
func (t *tx) Commit() error {
	if t.done {
		return errDone
	}
	t.done = true
	if !t.writable {
		t.s.mu.RUnlock()
		return nil
	}
	for _, j := range t.s.dirty {
		j.commit()
	}
	clear(t.s.dirty)
	t.s.dirty = t.s.dirty[:0]
	t.s.mu.Unlock()
	return nil
}

// Rollback implements pool.Tx.
func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	if !t.writable {
		t.s.mu.RUnlock()
		return nil
	}
	for i := len(t.s.dirty) - 1; i >= 0; i-- {
		t.s.dirty[i].rollback()
	}
	clear(t.s.dirty)
	t.s.dirty = t.s.dirty[:0]
	t.s.mu.Unlock()
	return nil
}

// w checks that the transaction may write.
func (t *tx) w() error {
	if t.done {
		return errDone
	}
	if !t.writable {
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

func (t *tx) Org(id string) (pool.Org, error) { return found(t.s.orgs.get(id)) }

func (t *tx) PutOrg(o pool.Org) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.orgs.put(t.s, o.ID, o)
	return nil
}

func (t *tx) Key(id string) (pool.Key, error) { return found(t.s.keys.get(id)) }

func (t *tx) KeyByHash(h [32]byte) (pool.Key, error) {
	id, ok := t.s.keyByHash.get(h)
	if !ok {
		return pool.Key{}, pool.ErrNotFound
	}
	return t.Key(id)
}

func (t *tx) PutKey(k pool.Key) error {
	if err := t.w(); err != nil {
		return err
	}
	if old, ok := t.s.keys.get(k.ID); ok && old.SecretHash != k.SecretHash {
		t.s.keyByHash.del(t.s, old.SecretHash)
	}
	t.s.keys.put(t.s, k.ID, k)
	t.s.keyByHash.put(t.s, k.SecretHash, k.ID)
	return nil
}

func (t *tx) Relay(id string) (pool.Relay, error) { return found(t.s.relays.get(id)) }

func (t *tx) PutRelay(r pool.Relay) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.relays.put(t.s, r.ID, r)
	return nil
}

func (t *tx) Number(phone string) (pool.Number, error) {
	n, err := found(t.s.numbers.get(phone))
	n.Outcomes = slices.Clip(n.Outcomes) // an append by the caller must not write into ours
	return n, err
}

func (t *tx) NumberBySlot(relayID string, s int) (pool.Number, error) {
	phone, ok := t.s.bySlot.get(slot{relayID, s})
	if !ok {
		return pool.Number{}, pool.ErrNotFound
	}
	return t.Number(phone)
}

func (t *tx) PutNumber(n pool.Number) error {
	if err := t.w(); err != nil {
		return err
	}
	if old, ok := t.s.numbers.get(n.Phone); ok && old.Provider == pool.ProviderBlooio && (old.RelayID != n.RelayID || old.LineSlot != n.LineSlot) {
		t.s.bySlot.del(t.s, slot{old.RelayID, old.LineSlot})
	}
	n.Outcomes = slices.Clip(n.Outcomes)
	t.s.numbers.put(t.s, n.Phone, n)
	if n.Provider == pool.ProviderBlooio {
		t.s.bySlot.put(t.s, slot{n.RelayID, n.LineSlot}, n.Phone)
	}
	return nil
}

func (t *tx) Allocation(id string) (pool.Allocation, error) { return found(t.s.allocs.get(id)) }

func (t *tx) AllocationByPhone(phone string) (pool.Allocation, error) {
	id, ok := t.s.allocByNum.get(phone)
	if !ok {
		return pool.Allocation{}, pool.ErrNotFound
	}
	return t.Allocation(id)
}

func (t *tx) Allocations(keyID string) ([]pool.Allocation, error) {
	ids, _ := t.s.keyAllocs.get(keyID)
	out := make([]pool.Allocation, len(ids))
	for i, id := range ids {
		out[i], _ = t.s.allocs.get(id)
	}
	return out, nil
}

func (t *tx) PutAllocation(a pool.Allocation) error {
	if err := t.w(); err != nil {
		return err
	}
	if old, ok := t.s.allocs.get(a.ID); ok {
		t.removeAllocIndex(old)
	}
	if prev, ok := t.s.allocByNum.get(a.Phone); ok && prev != a.ID {
		return errors.New("mem: number already has an allocation")
	}
	t.s.allocs.put(t.s, a.ID, a)
	t.s.allocByNum.put(t.s, a.Phone, a.ID)
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	ids = slices.Clone(ids)
	i, _ := slices.BinarySearchFunc(ids, a.Position, func(id string, pos int) int {
		x, _ := t.s.allocs.get(id)
		return cmp.Compare(x.Position, pos)
	})
	t.s.keyAllocs.put(t.s, a.KeyID, slices.Insert(ids, i, a.ID))
	return nil
}

func (t *tx) removeAllocIndex(a pool.Allocation) {
	t.s.allocByNum.del(t.s, a.Phone)
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	t.s.keyAllocs.put(t.s, a.KeyID, slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == a.ID }))
}

func (t *tx) DeleteAllocation(id string) error {
	if err := t.w(); err != nil {
		return err
	}
	a, ok := t.s.allocs.get(id)
	if !ok {
		return pool.ErrNotFound
	}
	t.removeAllocIndex(a)
	t.s.allocs.del(t.s, id)
	return nil
}

func (t *tx) Conversation(keyID, recipient string) (pool.Conversation, error) {
	return found(t.s.convs.get(pair{keyID, recipient}))
}

func (t *tx) PutConversation(c pool.Conversation) error {
	if err := t.w(); err != nil {
		return err
	}
	if !t.s.convs.put(t.s, pair{c.KeyID, c.Recipient}, c) {
		rs, _ := t.s.keyConvs.get(c.KeyID)
		t.s.keyConvs.put(t.s, c.KeyID, append(rs, c.Recipient))
	}
	return nil
}

func (t *tx) Conversations(keyID string) ([]pool.Conversation, error) {
	rs, _ := t.s.keyConvs.get(keyID)
	out := make([]pool.Conversation, 0, len(rs))
	for _, r := range rs {
		c, _ := t.s.convs.get(pair{keyID, r})
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b pool.Conversation) int {
		if c := b.LastMessageAt.Compare(a.LastMessageAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Recipient, b.Recipient)
	})
	return out, nil
}

func (t *tx) Unbind(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	a, ok := t.s.allocs.get(allocationID)
	if !ok {
		return nil
	}
	rs, _ := t.s.keyConvs.get(a.KeyID)
	for _, r := range rs {
		k := pair{a.KeyID, r}
		if c, _ := t.s.convs.get(k); c.AllocationID == allocationID {
			c.AllocationID, c.BoundAt = "", time.Time{}
			t.s.convs.put(t.s, k, c)
		}
	}
	return nil
}

func (t *tx) PriorInbound(allocationID, recipient string) (bool, error) {
	ok, _ := t.s.prior.get(pair{allocationID, recipient})
	return ok, nil
}

func (t *tx) PutPriorInbound(allocationID, recipient string) error {
	if err := t.w(); err != nil {
		return err
	}
	k := pair{allocationID, recipient}
	if ok, _ := t.s.prior.get(k); ok {
		return nil
	}
	t.s.prior.put(t.s, k, true)
	rs, _ := t.s.allocPrior.get(allocationID)
	t.s.allocPrior.put(t.s, allocationID, append(rs, recipient))
	return nil
}

func (t *tx) DeletePriorInbound(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	rs, _ := t.s.allocPrior.get(allocationID)
	for _, r := range rs {
		t.s.prior.del(t.s, pair{allocationID, r})
	}
	t.s.allocPrior.del(t.s, allocationID)
	return nil
}

func (t *tx) Group(id string) (pool.Group, error) {
	g, err := found(t.s.groups.get(id))
	g.Participants = slices.Clip(g.Participants)
	return g, err
}

func (t *tx) GroupByParticipants(keyID, pk string) (pool.Group, error) {
	id, ok := t.s.groupByPK.get(pair{keyID, pk})
	if !ok {
		return pool.Group{}, pool.ErrNotFound
	}
	return t.Group(id)
}

func (t *tx) GroupByChatGUID(allocationID, guid string) (pool.Group, error) {
	id, ok := t.s.groupByCG.get(pair{allocationID, guid})
	if !ok {
		return pool.Group{}, pool.ErrNotFound
	}
	return t.Group(id)
}

func (t *tx) PutGroup(g pool.Group) error {
	if err := t.w(); err != nil {
		return err
	}
	g.Participants = slices.Clip(g.Participants)
	t.s.groups.put(t.s, g.ID, g)
	if g.ParticipantsKey != "" {
		t.s.groupByPK.put(t.s, pair{g.KeyID, g.ParticipantsKey}, g.ID)
	}
	if g.ChatGUID != "" {
		t.s.groupByCG.put(t.s, pair{g.AllocationID, g.ChatGUID}, g.ID)
	}
	return nil
}

func (t *tx) Message(id string) (pool.Message, error) {
	m, err := found(t.s.msgs.get(id))
	m.Attachments = slices.Clip(m.Attachments)
	return m, err
}

func (t *tx) PutMessage(m pool.Message) error {
	if err := t.w(); err != nil {
		return err
	}
	m.Attachments = slices.Clip(m.Attachments)
	t.s.msgs.put(t.s, m)
	return nil
}

func (t *tx) Messages(keyID, recipient string) ([]pool.Message, error) {
	return t.s.msgs.conversation(keyID, recipient), nil
}

func (t *tx) Idempotency(keyID, key string) (pool.Idempotency, error) {
	return found(t.s.idem.get(pair{keyID, key}))
}

func (t *tx) PutIdempotency(r pool.Idempotency) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.idem.put(t.s, pair{r.KeyID, r.Key}, r)
	return nil
}

func (t *tx) DeleteIdempotencyBefore(before time.Time) error {
	if err := t.w(); err != nil {
		return err
	}
	var old []pair
	for k, r := range t.s.idem.m {
		if r.CreatedAt.Before(before) {
			old = append(old, k)
		}
	}
	for _, k := range old {
		t.s.idem.del(t.s, k)
	}
	return nil
}

func (t *tx) Cursor(keyID, scope string) (int, error) {
	return found(t.s.cursors.get(pair{keyID, scope}))
}

func (t *tx) PutCursor(keyID, scope string, position int) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.cursors.put(t.s, pair{keyID, scope}, position)
	return nil
}

func (t *tx) WRR(keyID string) ([]pool.WRRSlot, error) {
	s, err := found(t.s.wrr.get(keyID))
	return slices.Clone(s), err
}

func (t *tx) PutWRR(keyID string, slots []pool.WRRSlot) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.wrr.put(t.s, keyID, slots)
	return nil
}

func (t *tx) PendingMessages(due time.Time, limit int) ([]pool.Message, error) {
	if err := t.w(); err != nil {
		return nil, err // the outbox watermark moves: a writable transaction
	}
	return t.s.msgs.pending(t.s, due, limit), nil
}

func (t *tx) Relays() ([]pool.Relay, error) {
	out := make([]pool.Relay, 0, len(t.s.relays.m))
	for _, r := range t.s.relays.m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b pool.Relay) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *tx) NumbersOnRelay(relayID string) ([]pool.Number, error) {
	var out []pool.Number
	for k, phone := range t.s.bySlot.m {
		if k.relay == relayID {
			n, _ := t.Number(phone)
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b pool.Number) int { return cmp.Compare(a.LineSlot, b.LineSlot) })
	return out, nil
}

func (t *tx) Integration(id string) (pool.Integration, error) { return found(t.s.integs.get(id)) }

func (t *tx) PutIntegration(i pool.Integration) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.integs.put(t.s, i.ID, i)
	return nil
}
