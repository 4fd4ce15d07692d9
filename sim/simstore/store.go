// Package simstore is a pool.Store for simulations: in memory, like
// reference/store/mem, but it keeps only what the engine reads back, so that a run of
// hundreds of millions of messages needs memory for its contacts, not for its messages.
//
// What it does not keep:
//   - message bodies and history: a message is kept (without Text and Attachments) only
//     while it is outbound and not final, because RecordStatus reads it back; an inbound
//     message and a message that reached delivered or failed are forgotten, so Message
//     returns ErrNotFound for them and a late status report is message_not_found rather
//     than ignored. Messages (a conversation's history) and PendingMessages (the outbox)
//     return ErrUnsupported: a simulation has no dispatcher and lists no history;
//   - conversations as full records: a conversation is 48 bytes plus its recipient
//     (the key and the recipient are the map's keys; its times are Unix nanoseconds, read
//     back in UTC without a monotonic reading).
//
// Everything else behaves as reference/store/mem: records are values, ErrNotFound for a
// missing record, every index consistent, a rollback undoes every write, and one lock
// makes transactions serializable. Each simulated pool runs on its own store.
package simstore

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"poolkit/reference/pool"
)

// ErrUnsupported is returned by the operations a simulation never needs: a conversation's
// message history and the outbox.
var ErrUnsupported = errors.New("simstore: not kept by the simulation store")

type pair struct{ a, b string }

type slot struct {
	relay string
	slot  int
}

type cursorKey struct {
	key   string
	scope string
}

// conv is a conversation without its key and recipient, which are its map keys.
type conv struct {
	alloc   int32 // interned allocation id; -1 for no binding
	bound   int64 // Unix nanoseconds; zeroTime for the zero time
	last    int64
	created int64
	group   string
}

// zeroTime stands for time.Time{}, whose Unix nanoseconds overflow.
const zeroTime = math.MinInt64

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Store is a pool.Store for simulations. Its zero value is not usable; call New.
type Store struct {
	mu    sync.Mutex
	dirty []journal

	orgs       *table[string, pool.Org]
	keys       *table[string, pool.Key]
	keyByHash  *table[[32]byte, string]
	relays     *table[string, pool.Relay]
	numbers    *table[string, pool.Number]
	bySlot     *table[slot, string]
	allocs     *table[string, pool.Allocation]
	allocByNum *table[string, string]
	keyAllocs  *table[string, []string] // key → allocation ids in position order
	convs      map[string]*table[string, conv]
	prior      *table[pair, bool]       // (allocation, recipient)
	allocPrior *table[string, []string] // allocation → recipients
	groups     *table[string, pool.Group]
	groupByPK  *table[pair, string] // (key, participants key) → group
	groupByCG  *table[pair, string] // (allocation, chat guid) → group
	msgs       *msgTable
	idem       *table[pair, pool.Idempotency]
	cursors    *table[cursorKey, int]
	wrr        *table[string, []pool.WRRSlot]
	integs     *table[string, pool.Integration]

	// Allocation ids are interned for conversations; the table only grows (ids are
	// never reused), so it needs no undo.
	allocIndex map[string]int32
	allocIDs   []string
}

// New returns an empty store.
func New() *Store {
	return &Store{
		orgs: newTable[string, pool.Org](), keys: newTable[string, pool.Key](),
		keyByHash: newTable[[32]byte, string](), relays: newTable[string, pool.Relay](),
		numbers: newTable[string, pool.Number](), bySlot: newTable[slot, string](),
		allocs: newTable[string, pool.Allocation](), allocByNum: newTable[string, string](),
		keyAllocs: newTable[string, []string](), convs: map[string]*table[string, conv]{},
		prior: newTable[pair, bool](), allocPrior: newTable[string, []string](),
		groups: newTable[string, pool.Group](), groupByPK: newTable[pair, string](),
		groupByCG: newTable[pair, string](), msgs: newMsgTable(),
		idem: newTable[pair, pool.Idempotency](), cursors: newTable[cursorKey, int](),
		wrr: newTable[string, []pool.WRRSlot](), integs: newTable[string, pool.Integration](),
		allocIndex: map[string]int32{},
	}
}

// Begin implements pool.Store. Every transaction, read-only or not, holds the store's
// lock until it ends.
func (s *Store) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	return &tx{s: s, writable: writable}, nil
}

// Conversations returns how many conversations the store holds, for memory figures.
func (s *Store) Conversations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.convs {
		n += len(t.m)
	}
	return n
}

// PendingMessages returns how many outbound messages wait for a final status.
func (s *Store) PendingMessages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs.index)
}

func (s *Store) intern(allocID string) int32 {
	if allocID == "" {
		return -1
	}
	if i, ok := s.allocIndex[allocID]; ok {
		return i
	}
	i := int32(len(s.allocIDs))
	s.allocIDs = append(s.allocIDs, allocID)
	s.allocIndex[allocID] = i
	return i
}

func (s *Store) allocID(i int32) string {
	if i < 0 {
		return ""
	}
	return s.allocIDs[i]
}

func (s *Store) convTable(keyID string) *table[string, conv] {
	t := s.convs[keyID]
	if t == nil {
		t = newTable[string, conv]()
		s.convs[keyID] = t // an empty table: nothing for a rollback to undo
	}
	return t
}

// tx is one transaction over the store.
type tx struct {
	s        *Store
	writable bool
	done     bool
}

var (
	errReadOnly = errors.New("simstore: write in a read-only transaction")
	errDone     = errors.New("simstore: transaction already ended")
)

// Commit implements pool.Tx.
func (t *tx) Commit() error {
	if t.done {
		return errDone
	}
	t.done = true
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

func (t *tx) Relays() ([]pool.Relay, error) {
	out := make([]pool.Relay, 0, len(t.s.relays.m))
	for _, r := range t.s.relays.m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b pool.Relay) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
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
	old, had := t.s.numbers.get(n.Phone)
	moved := !had || old.Provider != n.Provider || old.RelayID != n.RelayID || old.LineSlot != n.LineSlot
	if had && moved && old.Provider == pool.ProviderBlooio {
		t.s.bySlot.del(t.s, slot{old.RelayID, old.LineSlot})
	}
	n.Outcomes = slices.Clip(n.Outcomes)
	t.s.numbers.put(t.s, n.Phone, n)
	if moved && n.Provider == pool.ProviderBlooio {
		t.s.bySlot.put(t.s, slot{n.RelayID, n.LineSlot}, n.Phone)
	}
	return nil
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
	t.s.intern(a.ID)
	t.s.allocs.put(t.s, a.ID, a)
	t.s.allocByNum.put(t.s, a.Phone, a.ID)
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	next := make([]string, 0, len(ids)+1)
	placed := false
	for _, id := range ids {
		o, _ := t.s.allocs.get(id)
		if !placed && a.Position < o.Position {
			next = append(next, a.ID)
			placed = true
		}
		next = append(next, id)
	}
	if !placed {
		next = append(next, a.ID)
	}
	t.s.keyAllocs.put(t.s, a.KeyID, next) // a new slice: the undo log keeps the old one
	return nil
}

func (t *tx) removeAllocIndex(a pool.Allocation) {
	if cur, ok := t.s.allocByNum.get(a.Phone); ok && cur == a.ID {
		t.s.allocByNum.del(t.s, a.Phone)
	}
	ids, _ := t.s.keyAllocs.get(a.KeyID)
	next := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != a.ID {
			next = append(next, id)
		}
	}
	t.s.keyAllocs.put(t.s, a.KeyID, next)
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

func (t *tx) conversation(keyID, recipient string, c conv) pool.Conversation {
	return pool.Conversation{
		KeyID: keyID, Recipient: recipient, AllocationID: t.s.allocID(c.alloc),
		BoundAt: fromNanos(c.bound), GroupID: c.group, LastMessageAt: fromNanos(c.last),
		CreatedAt: fromNanos(c.created),
	}
}

func (t *tx) Conversation(keyID, recipient string) (pool.Conversation, error) {
	ct := t.s.convs[keyID]
	if ct == nil {
		return pool.Conversation{}, pool.ErrNotFound
	}
	c, ok := ct.get(recipient)
	if !ok {
		return pool.Conversation{}, pool.ErrNotFound
	}
	return t.conversation(keyID, recipient, c), nil
}

func (t *tx) PutConversation(c pool.Conversation) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.convTable(c.KeyID).put(t.s, c.Recipient, conv{
		alloc: t.s.intern(c.AllocationID), bound: nanos(c.BoundAt), last: nanos(c.LastMessageAt),
		created: nanos(c.CreatedAt), group: c.GroupID,
	})
	return nil
}

func (t *tx) Conversations(keyID string) ([]pool.Conversation, error) {
	ct := t.s.convs[keyID]
	if ct == nil {
		return nil, nil
	}
	out := make([]pool.Conversation, 0, len(ct.m))
	for r, c := range ct.m {
		out = append(out, t.conversation(keyID, r, c))
	}
	slices.SortFunc(out, func(a, b pool.Conversation) int {
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
	i, ok := t.s.allocIndex[allocationID]
	ct := t.s.convs[a.KeyID]
	if !ok || ct == nil {
		return nil
	}
	for r, c := range ct.m {
		if c.alloc == i {
			c.alloc, c.bound = -1, zeroTime
			ct.put(t.s, r, c) // an existing key: the map does not grow while ranged over
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
	// Appending in place is safe: the undo log keeps the old, shorter slice header.
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

// Message returns an outbound message that has not reached a final status; any other
// message is not kept (see the package documentation).
func (t *tx) Message(id string) (pool.Message, error) { return found(t.s.msgs.get(id)) }

// PutMessage keeps an outbound message without its text and attachments until it is
// final, and forgets it then; an inbound message is not kept.
func (t *tx) PutMessage(m pool.Message) error {
	if err := t.w(); err != nil {
		return err
	}
	if m.Direction != pool.Outbound || m.Status == pool.StatusDelivered || m.Status == pool.StatusFailed {
		t.s.msgs.del(t.s, m.ID)
		return nil
	}
	m.Text, m.Attachments = "", nil
	t.s.msgs.put(t.s, m)
	return nil
}

// Messages returns ErrUnsupported: the store keeps no history.
func (t *tx) Messages(keyID, recipient string) ([]pool.Message, error) {
	return nil, ErrUnsupported
}

// PendingMessages returns ErrUnsupported: a simulation has no outbox dispatcher.
func (t *tx) PendingMessages(due time.Time, limit int) ([]pool.Message, error) {
	return nil, ErrUnsupported
}

func (t *tx) Integration(id string) (pool.Integration, error) { return found(t.s.integs.get(id)) }

func (t *tx) PutIntegration(i pool.Integration) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.integs.put(t.s, i.ID, i)
	return nil
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
	return found(t.s.cursors.get(cursorKey{keyID, scope}))
}

func (t *tx) PutCursor(keyID, scope string, position int) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.cursors.put(t.s, cursorKey{keyID, scope}, position)
	return nil
}

// WRR returns a copy: the engine updates the current weights in place.
func (t *tx) WRR(keyID string) ([]pool.WRRSlot, error) {
	s, err := found(t.s.wrr.get(keyID))
	return slices.Clone(s), err
}

func (t *tx) PutWRR(keyID string, slots []pool.WRRSlot) error {
	if err := t.w(); err != nil {
		return err
	}
	t.s.wrr.put(t.s, keyID, slices.Clone(slots))
	return nil
}

var (
	_ pool.Store = (*Store)(nil)
	_ pool.Tx    = (*tx)(nil)
)
