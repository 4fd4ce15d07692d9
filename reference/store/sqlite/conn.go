package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// conn is one SQLite connection owned by the store, with its prepared statements. A
// connection serves one transaction at a time, so its statements need no lock.
type conn struct {
	c     *sql.Conn
	stmts [numStmts]*sql.Stmt
}

// stmt returns the connection's prepared statement id, preparing it on first use.
func (c *conn) stmt(id stmtID) (*sql.Stmt, error) {
	if s := c.stmts[id]; s != nil {
		return s, nil
	}
	s, err := c.c.PrepareContext(context.Background(), statements[id])
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare %q: %w", statements[id], err)
	}
	c.stmts[id] = s
	return s, nil
}

// Statements run without a context: pool.Tx methods take none, and a transaction, once
// begun, runs to its commit or rollback. (The driver would also start a goroutine per
// statement to watch a cancellable context.)

// exec runs statement id.
func (c *conn) exec(id stmtID, args ...any) (sql.Result, error) {
	s, err := c.stmt(id)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(context.Background(), args...)
}

// queryRow runs statement id for at most one row.
func (c *conn) queryRow(id stmtID, args ...any) row {
	s, err := c.stmt(id)
	if err != nil {
		return row{err: err}
	}
	return row{r: s.QueryRowContext(context.Background(), args...)}
}

// row is a *sql.Row that can also carry the error of preparing its statement.
type row struct {
	r   *sql.Row
	err error
}

// Scan is (*sql.Row).Scan.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

// query runs statement id for any number of rows.
func (c *conn) query(id stmtID, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(id)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(context.Background(), args...)
}

// close closes the statements and returns the connection to its pool.
func (c *conn) close() error {
	for i, s := range c.stmts {
		if s != nil {
			s.Close()
			c.stmts[i] = nil
		}
	}
	return c.c.Close()
}
