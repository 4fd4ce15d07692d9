package sqlite

import (
	"errors"
	"fmt"
)

// tx is one transaction on a connection it holds until Commit or Rollback.
type tx struct {
	c *conn
	// conns is where the connection goes back to.
	conns    chan *conn
	writable bool
	done     bool
}

var (
	errReadOnly = errors.New("sqlite: write in a read-only transaction")
	errDone     = errors.New("sqlite: transaction already ended")
)

// Commit implements pool.Tx.
func (t *tx) Commit() error {
	if t.done {
		return errDone
	}
	_, err := t.c.exec(stmtCommit)
	if err != nil {
		// A failed COMMIT may leave the transaction open: end it before the connection
		// serves another one. (With no transaction left the ROLLBACK fails harmlessly.)
		t.c.exec(stmtRollback)
		err = fmt.Errorf("sqlite: commit: %w", err)
	}
	t.end()
	return err
}

// Rollback implements pool.Tx. After Commit or Rollback it does nothing.
func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	_, err := t.c.exec(stmtRollback)
	t.end()
	if err != nil {
		return fmt.Errorf("sqlite: rollback: %w", err)
	}
	return nil
}

// end gives the connection back.
func (t *tx) end() {
	t.done = true
	t.conns <- t.c
	t.c = nil
}

// r checks that the transaction may read.
func (t *tx) r() error {
	if t.done {
		return errDone
	}
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
