package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema's history, in order: migrations[i] takes the database from
// version i to version i+1. Released migrations are never edited; a schema change is a
// new element at the end.
//
// Times are INTEGER Unix nanoseconds in UTC, NULL for the zero time. Slices are JSON
// text, NULL for a nil slice. Booleans are INTEGER 0/1.
var migrations = []string{
	// Version 1: every record of pool.Tx.
	`
CREATE TABLE orgs (
	id                   TEXT PRIMARY KEY,
	name                 TEXT NOT NULL,
	strategy             TEXT NOT NULL,
	sticky_ttl_ns        INTEGER NOT NULL,
	health_window        INTEGER NOT NULL,
	health_min_samples   INTEGER NOT NULL,
	health_degrade_below REAL NOT NULL,
	health_recover_at    REAL NOT NULL,
	created_at           INTEGER
) WITHOUT ROWID;

CREATE TABLE api_keys (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	name          TEXT NOT NULL,
	secret_hash   BLOB NOT NULL,
	protocol      TEXT NOT NULL,
	allocations   INTEGER NOT NULL,
	last_position INTEGER NOT NULL,
	revoked       INTEGER NOT NULL,
	created_at    INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX api_keys_by_secret_hash ON api_keys (secret_hash);

CREATE TABLE relays (
	id     TEXT PRIMARY KEY,
	url    TEXT NOT NULL,
	secret TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE numbers (
	phone          TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL,
	provider       TEXT NOT NULL,
	relay_id       TEXT NOT NULL,
	line_slot      INTEGER NOT NULL,
	integration_id TEXT NOT NULL,
	plan_kind      TEXT NOT NULL,
	weight         INTEGER NOT NULL,
	banned         INTEGER NOT NULL,
	offline        INTEGER NOT NULL,
	degraded       INTEGER NOT NULL,
	outcomes       TEXT, -- '1' delivered, '0' failed, oldest first; NULL for nil
	sent           INTEGER NOT NULL,
	last_active    INTEGER,
	created_at     INTEGER
) WITHOUT ROWID;
-- Only Blooio numbers sit on a line slot.
CREATE UNIQUE INDEX numbers_by_slot ON numbers (relay_id, line_slot) WHERE provider = 'blooio';

CREATE TABLE allocations (
	id         TEXT PRIMARY KEY,
	key_id     TEXT NOT NULL,
	phone      TEXT NOT NULL,
	position   INTEGER NOT NULL,
	created_at INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX allocations_by_phone ON allocations (phone);
CREATE INDEX allocations_by_key ON allocations (key_id, position);

CREATE TABLE conversations (
	key_id          TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	allocation_id   TEXT NOT NULL, -- the sticky binding; '' for none
	bound_at        INTEGER,
	group_id        TEXT NOT NULL,
	last_message_at INTEGER,
	created_at      INTEGER,
	PRIMARY KEY (key_id, recipient)
) WITHOUT ROWID;
-- No index on last_message_at: it cost 15% of a send's CPU; listing a key's chats sorts
-- that key's rows, found through the primary key.

CREATE TABLE prior_inbound (
	allocation_id TEXT NOT NULL,
	recipient     TEXT NOT NULL,
	PRIMARY KEY (allocation_id, recipient)
) WITHOUT ROWID;

CREATE TABLE chat_groups (
	id               TEXT PRIMARY KEY,
	key_id           TEXT NOT NULL,
	allocation_id    TEXT NOT NULL,
	participants     TEXT,
	participants_key TEXT NOT NULL,
	chat_guid        TEXT NOT NULL,
	name             TEXT NOT NULL,
	created_at       INTEGER
) WITHOUT ROWID;
-- The lookups of a group by participant list and by chat GUID point at the group put
-- last under that name: a send creates a new ad-hoc group for a participant list whose
-- old group lost its binding, and the new one takes over the name.
CREATE TABLE chat_groups_by_participants (
	key_id           TEXT NOT NULL,
	participants_key TEXT NOT NULL,
	group_id         TEXT NOT NULL,
	PRIMARY KEY (key_id, participants_key)
) WITHOUT ROWID;
CREATE TABLE chat_groups_by_chat_guid (
	allocation_id TEXT NOT NULL,
	chat_guid     TEXT NOT NULL,
	group_id      TEXT NOT NULL,
	PRIMARY KEY (allocation_id, chat_guid)
) WITHOUT ROWID;

-- seq orders a conversation's messages as they were first put.
CREATE TABLE messages (
	seq            INTEGER PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	key_id         TEXT NOT NULL,
	recipient      TEXT NOT NULL,
	chat_id        TEXT NOT NULL,
	allocation_id  TEXT NOT NULL,
	phone          TEXT NOT NULL,
	direction      TEXT NOT NULL,
	protocol       TEXT NOT NULL,
	body           TEXT NOT NULL,
	attachments    TEXT,
	status         TEXT NOT NULL,
	error_code     TEXT NOT NULL,
	time_sent      INTEGER,
	time_delivered INTEGER,
	external_ref   TEXT NOT NULL,
	dispatched     INTEGER NOT NULL,
	attempts       INTEGER NOT NULL,
	next_attempt_at INTEGER
);
CREATE INDEX messages_by_conversation ON messages (key_id, recipient, seq);
-- The outbox: outbound messages not yet accepted by their relay or Twilio.
CREATE INDEX messages_outbox ON messages (next_attempt_at, seq)
	WHERE direction = 'outbound' AND status = 'queued' AND dispatched = 0;

-- A Twilio integration of an organization.
CREATE TABLE integrations (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL,
	account_sid    TEXT NOT NULL,
	api_key_sid    TEXT NOT NULL,
	api_key_secret TEXT NOT NULL,
	auth_token     TEXT NOT NULL,
	token          TEXT NOT NULL,
	created_at     INTEGER
);

-- An idempotency record with its send result, one column per pool.SendResult field.
CREATE TABLE idempotency (
	key_id        TEXT NOT NULL,
	idem_key      TEXT NOT NULL,
	fingerprint   BLOB NOT NULL,
	created_at    INTEGER,
	message_id    TEXT NOT NULL,
	message_ids   TEXT,
	status        TEXT NOT NULL,
	from_number   TEXT NOT NULL,
	allocation_id TEXT NOT NULL,
	protocol      TEXT NOT NULL,
	chat_id       TEXT NOT NULL,
	group_id      TEXT NOT NULL,
	group_created INTEGER NOT NULL,
	participants  TEXT,
	replayed      INTEGER NOT NULL,
	PRIMARY KEY (key_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_by_created_at ON idempotency (created_at);

CREATE TABLE cursors (
	key_id   TEXT NOT NULL,
	scope    TEXT NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (key_id, scope)
) WITHOUT ROWID;

CREATE TABLE wrr_slots (
	key_id TEXT PRIMARY KEY,
	slots  TEXT -- JSON [{"a":allocation,"w":weight,"c":current}], NULL for nil
) WITHOUT ROWID;
`,
}

// migrate brings the database on c up to the latest schema version, in one
// transaction. It refuses a database written by a newer schema.
func migrate(ctx context.Context, c *sql.Conn, now time.Time) (err error) {
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var version int
	if err := c.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&version); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlite: the database has schema version %d, newer than this build's %d", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if _, err := c.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("sqlite: migration to version %d: %w", v+1, err)
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", v+1, now.UnixNano()); err != nil {
			return fmt.Errorf("sqlite: migration to version %d: %w", v+1, err)
		}
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}
