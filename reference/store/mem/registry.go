package mem

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// The records other than conversations, messages and cursors: written only by exclusive
// transactions, read by every transaction.

func (t *tx) Org(id string) (pool.Org, error) { return found(t.s.orgs.get(id)) }

func (t *tx) PutOrg(o pool.Org) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.orgs.put(t, o.ID, o)
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
		t.s.keyByHash.del(t, old.SecretHash)
	}
	t.s.keys.put(t, k.ID, k)
	t.s.keyByHash.put(t, k.SecretHash, k.ID)
	return nil
}

func (t *tx) Relay(id string) (pool.Relay, error) { return found(t.s.relays.get(id)) }

func (t *tx) PutRelay(r pool.Relay) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.relays.put(t, r.ID, r)
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
		t.s.bySlot.del(t, slot{old.RelayID, old.LineSlot})
	}
	n.Outcomes = slices.Clip(n.Outcomes)
	t.dropViewOf(n.Phone)
	t.s.numbers.put(t, n.Phone, n)
	if n.Provider == pool.ProviderBlooio {
		t.s.bySlot.put(t, slot{n.RelayID, n.LineSlot}, n.Phone)
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
		t.dropView(old.KeyID)
	}
	t.dropView(a.KeyID)
	if prev, ok := t.s.allocByNum.get(a.Phone); ok && prev != a.ID {
		return errors.New("mem: number already has an allocation")
	}
	t.s.allocs.put(t, a.ID, a)
	t.s.allocByNum.put(t, a.Phone, a.ID)
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	ids = slices.Clone(ids)
	i, _ := slices.BinarySearchFunc(ids, a.Position, func(id string, pos int) int {
		x, _ := t.s.allocs.get(id)
		return cmp.Compare(x.Position, pos)
	})
	t.s.keyAllocs.put(t, a.KeyID, slices.Insert(ids, i, a.ID))
	return nil
}

func (t *tx) removeAllocIndex(a pool.Allocation) {
	t.s.allocByNum.del(t, a.Phone)
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	t.s.keyAllocs.put(t, a.KeyID, slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == a.ID }))
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
	t.dropView(a.KeyID)
	t.s.allocs.del(t, id)
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
	t.s.prior.put(t, k, true)
	rs, _ := t.s.allocPrior.get(allocationID)
	t.s.allocPrior.put(t, allocationID, append(rs, recipient))
	return nil
}

func (t *tx) DeletePriorInbound(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	rs, _ := t.s.allocPrior.get(allocationID)
	for _, r := range rs {
		t.s.prior.del(t, pair{allocationID, r})
	}
	t.s.allocPrior.del(t, allocationID)
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
	t.s.groups.put(t, g.ID, g)
	if g.ParticipantsKey != "" {
		t.s.groupByPK.put(t, pair{g.KeyID, g.ParticipantsKey}, g.ID)
	}
	if g.ChatGUID != "" {
		t.s.groupByCG.put(t, pair{g.AllocationID, g.ChatGUID}, g.ID)
	}
	return nil
}

func (t *tx) Idempotency(keyID, key string) (pool.Idempotency, error) {
	return found(t.s.idem.get(pair{keyID, key}))
}

func (t *tx) PutIdempotency(r pool.Idempotency) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.idem.put(t, pair{r.KeyID, r.Key}, r)
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
		t.s.idem.del(t, k)
	}
	return nil
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
	t.s.integs.put(t, i.ID, i)
	return nil
}
