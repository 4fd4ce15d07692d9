package sqlite

import (
	"database/sql"

	"poolkit/reference/pool"
)

// Cursor implements pool.Tx.
func (t *tx) Cursor(keyID, scope string) (int, error) {
	if err := t.r(); err != nil {
		return 0, err
	}
	var pos int
	if err := t.c.queryRow(stmtCursor, keyID, scope).Scan(&pos); err != nil {
		return 0, notFound(err)
	}
	return pos, nil
}

// PutCursor implements pool.Tx.
func (t *tx) PutCursor(keyID, scope string, position int) error {
	if err := t.w(); err != nil {
		return err
	}
	_, err := t.c.exec(stmtPutCursor, keyID, scope, position)
	return err
}

// WRR implements pool.Tx.
func (t *tx) WRR(keyID string) ([]pool.WRRSlot, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	var slots sql.NullString
	if err := t.c.queryRow(stmtWRR, keyID).Scan(&slots); err != nil {
		return nil, notFound(err)
	}
	return decodeWRR(slots)
}

// PutWRR implements pool.Tx.
func (t *tx) PutWRR(keyID string, slots []pool.WRRSlot) error {
	if err := t.w(); err != nil {
		return err
	}
	v, err := encodeWRR(slots)
	if err != nil {
		return err
	}
	_, err = t.c.exec(stmtPutWRR, keyID, v)
	return err
}
