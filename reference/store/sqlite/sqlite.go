// Package sqlite is a durable pool.Store in one SQLite database file, through the pure-Go
// driver modernc.org/sqlite (no cgo).
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A committed
// transaction has been written to the write-ahead log, so it survives a crash of the
// process (including SIGKILL); it is not fsynced at commit, so the last transactions
// before a power loss or an operating-system crash may be lost (the database stays
// consistent). That is the trade SQLite recommends for WAL, and the one poolkit makes:
// a send's message, binding and idempotency record are committed together (SPEC §7),
// and a crashed process loses none that it acknowledged.
//
// Transactions: one writable transaction at a time, on one dedicated connection that
// begins with BEGIN IMMEDIATE, which makes writers serializable and creating a binding
// atomic (POOL-STICKY-4). Read-only transactions use a separate pool of connections and
// read a snapshot, so they never wait for a writer. Begin waits for a free connection as
// long as its context allows; a transaction, once begun, runs without a context (the
// methods of pool.Tx take none).
//
// The schema is versioned: Open applies the missing migrations in one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"poolkit/reference/pool"
)

// ErrClosed is returned by Begin after Close.
var ErrClosed = errors.New("sqlite: store closed")

// busyTimeout is how long a connection waits for a lock held by another process
// before it reports SQLITE_BUSY. Within one process the store never contends.
const busyTimeout = 10 * time.Second

// Store is a pool.Store in a SQLite database file. It is safe for concurrent use. It
// holds one write connection and up to max(4, GOMAXPROCS) read connections, each with
// its prepared statements.
type Store struct {
	wdb, rdb *sql.DB
	// writer holds the write connection while no writable transaction has it.
	writer chan *conn
	// readers holds one element per read connection the store may open; nil until
	// that connection is first needed.
	readers chan *conn
	closing chan struct{}
	close   sync.Once
}

var _ pool.Store = (*Store)(nil)

// Open opens the database file at path, creating it and its schema if needed, and
// migrates an existing database to the current schema. The caller must Close the
// store.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() +
		fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=synchronous(NORMAL)", busyTimeout.Milliseconds())
	s := &Store{closing: make(chan struct{}), writer: make(chan *conn, 1)}
	if s.wdb, err = sql.Open("sqlite", dsn); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	w, err := s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := setup(ctx, w); err != nil {
		w.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.writer <- &conn{c: w}

	n := max(4, runtime.GOMAXPROCS(0))
	if s.rdb, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.rdb.SetMaxOpenConns(n)
	s.rdb.SetMaxIdleConns(n)
	s.readers = make(chan *conn, n)
	for range n {
		s.readers <- nil
	}
	return s, nil
}

// setup puts the database of the write connection in WAL mode and migrates it.
func setup(ctx context.Context, w *sql.Conn) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, not wal", mode)
	}
	return migrate(ctx, w, time.Now())
}

// Close waits for the open transactions to end, then closes the database. Begin
// returns ErrClosed afterwards; a second Close does nothing.
func (s *Store) Close() error {
	var errs []error
	s.close.Do(func() {
		close(s.closing)
		if s.readers != nil {
			for range cap(s.readers) {
				if c := <-s.readers; c != nil {
					errs = append(errs, c.close())
				}
			}
			errs = append(errs, s.rdb.Close())
		}
		if c := <-s.writer; c != nil {
			errs = append(errs, c.close())
		}
		errs = append(errs, s.wdb.Close())
	})
	return errors.Join(errs...)
}

// Begin implements pool.Store. It waits for the write connection (writable) or a read
// connection until ctx is done.
func (s *Store) Begin(ctx context.Context, writable bool) (pool.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conns := s.readers
	if writable {
		conns = s.writer
	}
	var c *conn
	select {
	case c = <-conns:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closing:
		return nil, ErrClosed
	}
	select {
	case <-s.closing: // Close is waiting for this connection
		conns <- c
		return nil, ErrClosed
	default:
	}
	if c == nil {
		sc, err := s.rdb.Conn(ctx)
		if err != nil {
			conns <- nil
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		c = &conn{c: sc}
	}
	begin := stmtBegin
	if writable {
		begin = stmtBeginImmediate
	}
	if _, err := c.exec(begin); err != nil {
		conns <- c
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	return &tx{c: c, conns: conns, writable: writable}, nil
}
