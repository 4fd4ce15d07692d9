package sqlite

import (
	"database/sql"

	"poolkit/reference/pool"
)

// Conversation implements pool.Tx.
func (t *tx) Conversation(keyID, recipient string) (pool.Conversation, error) {
	if err := t.r(); err != nil {
		return pool.Conversation{}, err
	}
	return scanConversation(t.c.queryRow(stmtConversation, keyID, recipient))
}

// Conversations implements pool.Tx: the most recent message first, then by recipient.
func (t *tx) Conversations(keyID string) ([]pool.Conversation, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	rows, err := t.c.query(stmtConversations, keyID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanConversation)
}

func scanConversation(r scanner) (pool.Conversation, error) {
	var (
		c                           pool.Conversation
		boundAt, lastMsg, createdAt sql.NullInt64
		d                           decoder
	)
	if err := r.Scan(&c.KeyID, &c.Recipient, &c.AllocationID, &boundAt, &c.GroupID, &lastMsg, &createdAt); err != nil {
		return pool.Conversation{}, notFound(err)
	}
	c.BoundAt = d.time(boundAt)
	c.LastMessageAt = d.time(lastMsg)
	c.CreatedAt = d.time(createdAt)
	return c, nil
}

// PutConversation implements pool.Tx.
func (t *tx) PutConversation(c pool.Conversation) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{c.KeyID, c.Recipient, c.AllocationID, e.time(c.BoundAt), c.GroupID, e.time(c.LastMessageAt), e.time(c.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutConversation, args...)
	return err
}

// Unbind implements pool.Tx. Like the in-memory store it looks for the bindings among
// the conversations of the allocation's key, so an unknown allocation unbinds nothing.
func (t *tx) Unbind(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	_, err := t.c.exec(stmtUnbind, allocationID)
	return err
}

// PriorInbound implements pool.Tx.
func (t *tx) PriorInbound(allocationID, recipient string) (bool, error) {
	if err := t.r(); err != nil {
		return false, err
	}
	var one int
	switch err := t.c.queryRow(stmtPriorInbound, allocationID, recipient).Scan(&one); notFound(err) {
	case nil:
		return true, nil
	case pool.ErrNotFound:
		return false, nil
	default:
		return false, err
	}
}

// PutPriorInbound implements pool.Tx.
func (t *tx) PutPriorInbound(allocationID, recipient string) error {
	if err := t.w(); err != nil {
		return err
	}
	_, err := t.c.exec(stmtPutPriorInbound, allocationID, recipient)
	return err
}

// DeletePriorInbound implements pool.Tx.
func (t *tx) DeletePriorInbound(allocationID string) error {
	if err := t.w(); err != nil {
		return err
	}
	_, err := t.c.exec(stmtDeletePriorInbound, allocationID)
	return err
}
