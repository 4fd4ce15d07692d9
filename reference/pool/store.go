package pool

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Tx getter when there is no such record.
var ErrNotFound = errors.New("pool: record not found")

// Store persists the engine's state. Transactions are serializable: while a writable
// transaction is open no other transaction sees its writes, and two writable
// transactions never interleave (but for those of a ConversationStore on different
// conversations, which touch different records). That is what makes creating a binding
// atomic (POOL-STICKY-4): the read of "no binding yet" and the write of the new one
// happen in one transaction.
type Store interface {
	// Begin opens a transaction. A read-only transaction must not write.
	Begin(ctx context.Context, writable bool) (Tx, error)
}

// ConversationStore is a Store that can run the transaction of a send to one
// conversation concurrently with those of sends to other conversations, even of the same
// key. The engine uses it for sends when the store has it.
type ConversationStore interface {
	Store
	// BeginConversation opens a writable transaction scoped to the conversation
	// (keyID, recipient). It may read every record but the other conversations and their
	// messages, and write only that conversation, messages to it and keyID's cursors and
	// weighted state (Cursor, WRR). Any other access returns ErrOutOfScope; the caller
	// then rolls back and starts over in a transaction from Begin. Scoped transactions
	// are serializable with each other and with every other transaction: two on one
	// conversation never interleave (POOL-STICKY-4), nor two that use one key's cursors.
	BeginConversation(ctx context.Context, keyID, recipient string) (Tx, error)
}

// ErrOutOfScope is returned by a transaction from BeginConversation for an access outside
// its conversation.
var ErrOutOfScope = errors.New("pool: access outside the transaction's conversation")

// PoolTx is a Tx that reads a key's whole pool in one call. A store implements it when it
// can do that cheaper than Allocations and then Number for each allocation (a cached
// view, a join); the engine uses it where it reads a whole pool (a new conversation, an
// sms send) when its transaction has it.
type PoolTx interface {
	Tx
	// Pool returns a key's allocations in position order and their numbers: nums[i] is
	// the number of allocs[i]. The slices may be shared with the store and are read-only;
	// they do not change (a later write of the transaction is not reflected in them).
	Pool(keyID string) (allocs []Allocation, nums []Number, err error)
}

// Tx is one transaction. Getters return ErrNotFound when there is no record. Records are
// values: changing a returned record changes nothing until it is put back. Slice fields
// (Number.Outcomes, Group.Participants, Message.Attachments, …) may be shared with the
// store and are read-only: replace them, never write into them; an append to one must
// not reach the store (implementations return them clipped or copied).
// Rollback after Commit is a no-op, so `defer tx.Rollback()` is always safe.
type Tx interface {
	Commit() error
	Rollback() error

	Org(id string) (Org, error)
	PutOrg(Org) error

	Key(id string) (Key, error)
	// KeyByHash finds a key by the SHA-256 hash of its secret.
	KeyByHash(hash [32]byte) (Key, error)
	PutKey(Key) error

	Relay(id string) (Relay, error)
	PutRelay(Relay) error

	Number(phone string) (Number, error)
	// NumberBySlot finds the Blooio number on a relay's line slot.
	NumberBySlot(relayID string, slot int) (Number, error)
	PutNumber(Number) error

	Allocation(id string) (Allocation, error)
	// AllocationByPhone finds the allocation of a number.
	AllocationByPhone(phone string) (Allocation, error)
	// Allocations lists a key's allocations in position order.
	Allocations(keyID string) ([]Allocation, error)
	PutAllocation(Allocation) error
	DeleteAllocation(id string) error

	Conversation(keyID, recipient string) (Conversation, error)
	PutConversation(Conversation) error
	// Conversations lists a key's conversations, the most recent message first.
	Conversations(keyID string) ([]Conversation, error)
	// Unbind removes every sticky binding to an allocation.
	Unbind(allocationID string) error

	// PriorInbound reports whether recipient has messaged the allocation.
	PriorInbound(allocationID, recipient string) (bool, error)
	PutPriorInbound(allocationID, recipient string) error
	// DeletePriorInbound forgets every prior inbound of an allocation.
	DeletePriorInbound(allocationID string) error

	Group(id string) (Group, error)
	// GroupByParticipants finds a key's ad-hoc group by its normalised participant list.
	GroupByParticipants(keyID, participantsKey string) (Group, error)
	// GroupByChatGUID finds the group a relay reported on an allocation.
	GroupByChatGUID(allocationID, chatGUID string) (Group, error)
	PutGroup(Group) error

	Message(id string) (Message, error)
	PutMessage(Message) error
	// Messages lists a key's messages with a recipient, oldest first.
	Messages(keyID, recipient string) ([]Message, error)
	// PendingMessages lists up to limit messages of the outbox (Message.Pending) whose
	// NextAttemptAt is not after due, the earliest due first, then oldest first.
	PendingMessages(due time.Time, limit int) ([]Message, error)

	// Relays lists every relay, by id.
	Relays() ([]Relay, error)
	// NumbersOnRelay lists the Blooio numbers on a relay's lines, by line slot.
	NumbersOnRelay(relayID string) ([]Number, error)

	Integration(id string) (Integration, error)
	PutIntegration(Integration) error

	Idempotency(keyID, key string) (Idempotency, error)
	PutIdempotency(Idempotency) error
	// DeleteIdempotencyBefore removes the records created before t.
	DeleteIdempotencyBefore(t time.Time) error

	// Cursor returns the position a key's round-robin cursor in scope chose last (SPEC §3):
	// scope "" is the key's round-robin cursor, an area code or a region list a
	// geographic tier's.
	Cursor(keyID, scope string) (int, error)
	PutCursor(keyID, scope string, position int) error
	// WRR returns the candidates and current weights of a key's previous weighted pick.
	WRR(keyID string) ([]WRRSlot, error)
	PutWRR(keyID string, slots []WRRSlot) error
}
