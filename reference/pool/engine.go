package pool

import (
	"context"
	"io"
	"time"

	"poolkit/internal/mutation"
)

// Engine is the number-pool engine. It is safe for concurrent use: every operation runs in
// one store transaction (a send may first try one scoped to its conversation, see
// ConversationStore, and start over in an exclusive one).
type Engine struct {
	store   Store
	now     func() time.Time
	ids     IDs
	entropy io.Reader
	geo     Geography
	// mut holds the deliberate bugs of a conformance mutant; zero in every real engine.
	mut mutation.Set
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the engine's clock. The default is a clock that never moves (the zero
// time); every real deployment passes time.Now.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithIDs sets the source of record ids. The default is NewSequence().
func WithIDs(ids IDs) Option { return func(e *Engine) { e.ids = ids } }

// WithEntropy sets where API-key secrets come from. The default reads from the engine's
// ID source, which is fine for tests and simulations only; servers pass crypto/rand.Reader.
func WithEntropy(r io.Reader) Option { return func(e *Engine) { e.entropy = r } }

// WithGeography replaces the numbering facts used by the geographic strategy.
func WithGeography(g Geography) Option { return func(e *Engine) { e.geo = g } }

// WithMutations builds the engine with deliberate bugs, each breaking one rule (see
// internal/mutation and conformance/mutants). It exists to prove that the conformance
// suite catches broken engines; never use it in a deployment.
func WithMutations(m mutation.Set) Option { return func(e *Engine) { e.mut = m } }

// New returns an engine over store.
func New(store Store, opts ...Option) *Engine {
	e := &Engine{store: store, now: func() time.Time { return time.Time{} }}
	for _, o := range opts {
		o(e)
	}
	if e.ids == nil {
		e.ids = NewSequence()
	}
	if e.entropy == nil {
		e.entropy = idReader{e.ids}
	}
	if e.geo == nil {
		e.geo = nanpGeography{}
	}
	return e
}

// update runs fn in a writable transaction and commits it when fn succeeds.
func (e *Engine) update(ctx context.Context, fn func(tx Tx) error) error {
	tx, err := e.store.Begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// view runs fn in a read-only transaction.
func (e *Engine) view(ctx context.Context, fn func(tx Tx) error) error {
	tx, err := e.store.Begin(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// notFound turns a store's ErrNotFound into the SPEC error with code, and passes any other
// error through.
func notFound(err error, code Code, format string, args ...any) error {
	if err == ErrNotFound {
		return Errorf(code, format, args...)
	}
	return err
}
