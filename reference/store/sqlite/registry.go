package sqlite

import (
	"database/sql"
	"time"

	"poolkit/reference/pool"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// Org implements pool.Tx.
func (t *tx) Org(id string) (pool.Org, error) {
	if err := t.r(); err != nil {
		return pool.Org{}, err
	}
	var (
		o       pool.Org
		ttl     int64
		created sql.NullInt64
		d       decoder
	)
	err := t.c.queryRow(stmtOrg, id).Scan(&o.ID, &o.Name, &o.Strategy, &ttl, &o.Health.Window, &o.Health.MinSamples,
		&o.Health.DegradeBelow, &o.Health.RecoverAt, &created)
	if err != nil {
		return pool.Org{}, notFound(err)
	}
	o.StickyTTL = time.Duration(ttl)
	o.CreatedAt = d.time(created)
	return o, nil
}

// PutOrg implements pool.Tx.
func (t *tx) PutOrg(o pool.Org) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{o.ID, o.Name, string(o.Strategy), int64(o.StickyTTL), o.Health.Window, o.Health.MinSamples,
		o.Health.DegradeBelow, o.Health.RecoverAt, e.time(o.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutOrg, args...)
	return err
}

// Key implements pool.Tx.
func (t *tx) Key(id string) (pool.Key, error) { return t.key(stmtKey, id) }

// KeyByHash implements pool.Tx.
func (t *tx) KeyByHash(hash [32]byte) (pool.Key, error) { return t.key(stmtKeyByHash, hash[:]) }

func (t *tx) key(id stmtID, arg any) (pool.Key, error) {
	if err := t.r(); err != nil {
		return pool.Key{}, err
	}
	var (
		k       pool.Key
		hash    []byte
		created sql.NullInt64
		d       decoder
	)
	err := t.c.queryRow(id, arg).Scan(&k.ID, &k.OrgID, &k.Name, &hash, &k.Protocol, &k.Allocations, &k.LastPosition,
		&k.Revoked, &created)
	if err != nil {
		return pool.Key{}, notFound(err)
	}
	k.SecretHash = d.hash(hash)
	k.CreatedAt = d.time(created)
	return k, d.err
}

// PutKey implements pool.Tx. Two keys cannot share a secret hash.
func (t *tx) PutKey(k pool.Key) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{k.ID, k.OrgID, k.Name, k.SecretHash[:], string(k.Protocol), k.Allocations, k.LastPosition,
		k.Revoked, e.time(k.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutKey, args...)
	return err
}

// Relay implements pool.Tx.
func (t *tx) Relay(id string) (pool.Relay, error) {
	if err := t.r(); err != nil {
		return pool.Relay{}, err
	}
	var r pool.Relay
	if err := t.c.queryRow(stmtRelay, id).Scan(&r.ID, &r.URL, &r.Secret); err != nil {
		return pool.Relay{}, notFound(err)
	}
	return r, nil
}

// PutRelay implements pool.Tx.
func (t *tx) PutRelay(r pool.Relay) error {
	if err := t.w(); err != nil {
		return err
	}
	_, err := t.c.exec(stmtPutRelay, r.ID, r.URL, r.Secret)
	return err
}

// Number implements pool.Tx.
func (t *tx) Number(phone string) (pool.Number, error) {
	if err := t.r(); err != nil {
		return pool.Number{}, err
	}
	return scanNumber(t.c.queryRow(stmtNumber, phone))
}

// NumberBySlot implements pool.Tx.
func (t *tx) NumberBySlot(relayID string, slot int) (pool.Number, error) {
	if err := t.r(); err != nil {
		return pool.Number{}, err
	}
	return scanNumber(t.c.queryRow(stmtNumberBySlot, relayID, slot))
}

func scanNumber(r scanner) (pool.Number, error) {
	var (
		n                   pool.Number
		outcomes            sql.NullString
		lastActive, created sql.NullInt64
		d                   decoder
	)
	err := r.Scan(&n.Phone, &n.OrgID, &n.Provider, &n.RelayID, &n.LineSlot, &n.IntegrationID, &n.PlanKind, &n.Weight,
		&n.Banned, &n.Offline, &n.Degraded, &outcomes, &n.Sent, &lastActive, &created)
	if err != nil {
		return pool.Number{}, notFound(err)
	}
	n.Outcomes = d.outcomes(outcomes)
	n.LastActive = d.time(lastActive)
	n.CreatedAt = d.time(created)
	return n, d.err
}

// PutNumber implements pool.Tx. Two Blooio numbers cannot share a line slot.
func (t *tx) PutNumber(n pool.Number) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{n.Phone, n.OrgID, string(n.Provider), n.RelayID, n.LineSlot, n.IntegrationID, string(n.PlanKind),
		n.Weight, n.Banned, n.Offline, n.Degraded, outcomes(n.Outcomes), n.Sent, e.time(n.LastActive), e.time(n.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutNumber, args...)
	return err
}

// Allocation implements pool.Tx.
func (t *tx) Allocation(id string) (pool.Allocation, error) {
	if err := t.r(); err != nil {
		return pool.Allocation{}, err
	}
	return scanAllocation(t.c.queryRow(stmtAllocation, id))
}

// AllocationByPhone implements pool.Tx.
func (t *tx) AllocationByPhone(phone string) (pool.Allocation, error) {
	if err := t.r(); err != nil {
		return pool.Allocation{}, err
	}
	return scanAllocation(t.c.queryRow(stmtAllocationByPhone, phone))
}

// Allocations implements pool.Tx.
func (t *tx) Allocations(keyID string) ([]pool.Allocation, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	rows, err := t.c.query(stmtAllocations, keyID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAllocation)
}

func scanAllocation(r scanner) (pool.Allocation, error) {
	var (
		a       pool.Allocation
		created sql.NullInt64
		d       decoder
	)
	if err := r.Scan(&a.ID, &a.KeyID, &a.Phone, &a.Position, &created); err != nil {
		return pool.Allocation{}, notFound(err)
	}
	a.CreatedAt = d.time(created)
	return a, nil
}

// PutAllocation implements pool.Tx. A number has at most one allocation.
func (t *tx) PutAllocation(a pool.Allocation) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{a.ID, a.KeyID, a.Phone, a.Position, e.time(a.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutAllocation, args...)
	return err
}

// DeleteAllocation implements pool.Tx.
func (t *tx) DeleteAllocation(id string) error {
	if err := t.w(); err != nil {
		return err
	}
	res, err := t.c.exec(stmtDeleteAllocation, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = pool.ErrNotFound
	}
	return err
}

// collect scans every row of rows with scan and closes rows. No rows is an empty
// slice, not nil, as in the in-memory store.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Relays implements pool.Tx.
func (t *tx) Relays() ([]pool.Relay, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	rows, err := t.c.query(stmtRelays)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r scanner) (pool.Relay, error) {
		var x pool.Relay
		return x, r.Scan(&x.ID, &x.URL, &x.Secret)
	})
}

// NumbersOnRelay implements pool.Tx.
func (t *tx) NumbersOnRelay(relayID string) ([]pool.Number, error) {
	if err := t.r(); err != nil {
		return nil, err
	}
	rows, err := t.c.query(stmtNumbersOnRelay, relayID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanNumber)
}

// Integration implements pool.Tx.
func (t *tx) Integration(id string) (pool.Integration, error) {
	if err := t.r(); err != nil {
		return pool.Integration{}, err
	}
	var (
		i       pool.Integration
		created sql.NullInt64
		d       decoder
	)
	err := t.c.queryRow(stmtIntegration, id).Scan(&i.ID, &i.OrgID, &i.AccountSID, &i.APIKeySID, &i.APIKeySecret, &i.AuthToken, &i.Token, &created)
	if err != nil {
		return pool.Integration{}, notFound(err)
	}
	i.CreatedAt = d.time(created)
	return i, d.err
}

// PutIntegration implements pool.Tx.
func (t *tx) PutIntegration(i pool.Integration) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{i.ID, i.OrgID, i.AccountSID, i.APIKeySID, i.APIKeySecret, i.AuthToken, i.Token, e.time(i.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	_, err := t.c.exec(stmtPutIntegration, args...)
	return err
}
