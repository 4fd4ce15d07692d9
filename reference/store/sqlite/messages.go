package sqlite

import (
	"database/sql"
	"math"
	"time"

	"poolkit/reference/pool"
)

// Message implements pool.Tx.
func (t *tx) Message(id string) (pool.Message, error) {
	if err := t.r(); err != nil {
		return pool.Message{}, err
	}
	return scanMessage(t.c.queryRow(stmtMessage, id))
}

// Messages implements pool.Tx: in the order they were first put.
func (t *tx) Messages(keyID, recipient string) ([]pool.Message, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	rows, err := t.c.query(stmtMessages, keyID, recipient)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMessage)
}

func scanMessage(r scanner) (pool.Message, error) {
	var (
		m               pool.Message
		attachments     sql.NullString
		sent, delivered sql.NullInt64
		next            sql.NullInt64
		d               decoder
	)
	err := r.Scan(&m.ID, &m.KeyID, &m.Recipient, &m.ChatID, &m.AllocationID, &m.Phone, &m.Direction, &m.Protocol,
		&m.Text, &attachments, &m.Status, &m.ErrorCode, &sent, &delivered, &m.ExternalRef, &m.Dispatched, &m.Attempts, &next)
	if err != nil {
		return pool.Message{}, notFound(err)
	}
	m.Attachments = d.strings(attachments)
	m.TimeSent = d.time(sent)
	m.TimeDelivered = d.time(delivered)
	m.NextAttemptAt = d.time(next)
	return m, d.err
}

// PutMessage implements pool.Tx. Updating a message keeps its place in its conversation.
func (t *tx) PutMessage(m pool.Message) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{m.ID, m.KeyID, m.Recipient, m.ChatID, m.AllocationID, m.Phone, string(m.Direction), string(m.Protocol),
		m.Text, e.strings(m.Attachments), string(m.Status), m.ErrorCode, e.time(m.TimeSent), e.time(m.TimeDelivered),
		m.ExternalRef, m.Dispatched, m.Attempts, e.time(m.NextAttemptAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutMessage, args...)
	return err
}

// Idempotency implements pool.Tx.
func (t *tx) Idempotency(keyID, key string) (pool.Idempotency, error) {
	if err := t.r(); err != nil {
		return pool.Idempotency{}, err
	}
	var (
		rec                      pool.Idempotency
		res                      = &rec.Result
		fp                       []byte
		created                  sql.NullInt64
		messageIDs, participants sql.NullString
		d                        decoder
	)
	err := t.c.queryRow(stmtIdempotency, keyID, key).Scan(&rec.KeyID, &rec.Key, &fp, &created, &res.MessageID, &messageIDs,
		&res.Status, &res.From, &res.AllocationID, &res.Protocol, &res.ChatID, &res.GroupID, &res.GroupCreated,
		&participants, &res.Replayed)
	if err != nil {
		return pool.Idempotency{}, notFound(err)
	}
	rec.Fingerprint = d.hash(fp)
	rec.CreatedAt = d.time(created)
	res.MessageIDs = d.strings(messageIDs)
	res.Participants = d.strings(participants)
	return rec, d.err
}

// PutIdempotency implements pool.Tx.
func (t *tx) PutIdempotency(rec pool.Idempotency) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	res := &rec.Result
	args := []any{rec.KeyID, rec.Key, rec.Fingerprint[:], e.time(rec.CreatedAt), res.MessageID, e.strings(res.MessageIDs),
		string(res.Status), res.From, res.AllocationID, string(res.Protocol), res.ChatID, res.GroupID, res.GroupCreated,
		e.strings(res.Participants), res.Replayed}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutIdempotency, args...)
	return err
}

// DeleteIdempotencyBefore implements pool.Tx.
func (t *tx) DeleteIdempotencyBefore(before time.Time) error {
	if err := t.w(); err != nil {
		return err
	}
	if before.IsZero() {
		return nil // nothing is before the zero time
	}
	ns := before.UnixNano()
	if !time.Unix(0, ns).Equal(before) { // out of range: after or before every stored time
		ns = math.MinInt64
		if before.After(time.Unix(0, 0)) {
			ns = math.MaxInt64
		}
	}
	_, err := t.c.exec(stmtDeleteIdempotencyBefore, ns)
	return err
}

// PendingMessages implements pool.Tx.
func (t *tx) PendingMessages(due time.Time, limit int) ([]pool.Message, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	var e encoder
	at := e.time(due)
	if e.err != nil {
		return nil, e.err
	}
	rows, err := t.c.query(stmtPendingMessages, at, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMessage)
}
