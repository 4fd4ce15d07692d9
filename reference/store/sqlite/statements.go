package sqlite

import (
	"slices"
	"strings"

	"poolkit/reference/pool"
)

// stmtID names one of the store's SQL statements. Each connection prepares a statement
// the first time it runs it and keeps it for its lifetime (see conn).
type stmtID int

// The statements, one per operation of pool.Tx plus the transaction control.
const (
	stmtBegin stmtID = iota
	stmtBeginImmediate
	stmtCommit
	stmtRollback

	stmtOrg
	stmtPutOrg
	stmtKey
	stmtKeyByHash
	stmtPutKey
	stmtRelay
	stmtPutRelay

	stmtNumber
	stmtNumberBySlot
	stmtPutNumber
	stmtAllocation
	stmtAllocationByPhone
	stmtAllocations
	stmtPutAllocation
	stmtDeleteAllocation

	stmtConversation
	stmtPutConversation
	stmtConversations
	stmtUnbind
	stmtPriorInbound
	stmtPutPriorInbound
	stmtDeletePriorInbound

	stmtGroup
	stmtGroupByParticipants
	stmtGroupByChatGUID
	stmtPutGroup
	stmtPutGroupByParticipants
	stmtPutGroupByChatGUID

	stmtMessage
	stmtPutMessage
	stmtMessages
	stmtPendingMessages
	stmtRelays
	stmtNumbersOnRelay
	stmtIntegration
	stmtPutIntegration

	stmtIdempotency
	stmtPutIdempotency
	stmtDeleteIdempotencyBefore
	stmtCursor
	stmtPutCursor
	stmtWRR
	stmtPutWRR

	numStmts
)

// The column lists of the records, in the order of their scan and args functions.
const (
	orgCols = "id, name, strategy, sticky_ttl_ns, health_window, health_min_samples, " +
		"health_degrade_below, health_recover_at, created_at"
	keyCols    = "id, org_id, name, secret_hash, protocol, allocations, last_position, revoked, created_at"
	relayCols  = "id, url, secret"
	numberCols = "phone, org_id, provider, relay_id, line_slot, integration_id, plan_kind, weight, " +
		"banned, offline, degraded, outcomes, sent, last_active, created_at"
	allocCols = "id, key_id, phone, position, created_at"
	convCols  = "key_id, recipient, allocation_id, bound_at, group_id, last_message_at, created_at"
	groupCols = "id, key_id, allocation_id, participants, participants_key, chat_guid, name, created_at"
	msgCols   = "id, key_id, recipient, chat_id, allocation_id, phone, direction, protocol, body, " +
		"attachments, status, error_code, time_sent, time_delivered, external_ref, dispatched, attempts, next_attempt_at"
	integCols = "id, org_id, account_sid, api_key_sid, api_key_secret, auth_token, token, created_at"
	idemCols  = "key_id, idem_key, fingerprint, created_at, message_id, message_ids, status, from_number, " +
		"allocation_id, protocol, chat_id, group_id, group_created, participants, replayed"
)

// statements holds the SQL of every stmtID.
var statements = [numStmts]string{
	stmtBegin:          "BEGIN",
	stmtBeginImmediate: "BEGIN IMMEDIATE",
	stmtCommit:         "COMMIT",
	stmtRollback:       "ROLLBACK",

	stmtOrg:       "SELECT " + orgCols + " FROM orgs WHERE id = ?",
	stmtPutOrg:    upsert("orgs", orgCols, "id"),
	stmtKey:       "SELECT " + keyCols + " FROM api_keys WHERE id = ?",
	stmtKeyByHash: "SELECT " + keyCols + " FROM api_keys WHERE secret_hash = ?",
	stmtPutKey:    upsert("api_keys", keyCols, "id"),
	stmtRelay:     "SELECT " + relayCols + " FROM relays WHERE id = ?",
	stmtPutRelay:  upsert("relays", relayCols, "id"),

	stmtNumber: "SELECT " + numberCols + " FROM numbers WHERE phone = ?",
	// The provider condition makes the query use the partial index numbers_by_slot.
	stmtNumberBySlot:      "SELECT " + numberCols + " FROM numbers WHERE relay_id = ? AND line_slot = ? AND provider = '" + string(pool.ProviderBlooio) + "'",
	stmtPutNumber:         upsert("numbers", numberCols, "phone"),
	stmtAllocation:        "SELECT " + allocCols + " FROM allocations WHERE id = ?",
	stmtAllocationByPhone: "SELECT " + allocCols + " FROM allocations WHERE phone = ?",
	stmtAllocations:       "SELECT " + allocCols + " FROM allocations WHERE key_id = ? ORDER BY position",
	stmtPutAllocation:     upsert("allocations", allocCols, "id"),
	stmtDeleteAllocation:  "DELETE FROM allocations WHERE id = ?",

	stmtConversation:    "SELECT " + convCols + " FROM conversations WHERE key_id = ? AND recipient = ?",
	stmtPutConversation: upsert("conversations", convCols, "key_id, recipient"),
	stmtConversations: "SELECT " + convCols + " FROM conversations WHERE key_id = ? " +
		"ORDER BY last_message_at DESC, recipient",
	// A binding lives in its allocation's key's conversations: search only those.
	stmtUnbind: "UPDATE conversations SET allocation_id = '', bound_at = NULL " +
		"WHERE key_id = (SELECT key_id FROM allocations WHERE id = ?1) AND allocation_id = ?1",
	stmtPriorInbound:       "SELECT 1 FROM prior_inbound WHERE allocation_id = ? AND recipient = ?",
	stmtPutPriorInbound:    "INSERT OR IGNORE INTO prior_inbound (allocation_id, recipient) VALUES (?, ?)",
	stmtDeletePriorInbound: "DELETE FROM prior_inbound WHERE allocation_id = ?",

	stmtGroup: "SELECT " + groupCols + " FROM chat_groups WHERE id = ?",
	stmtGroupByParticipants: "SELECT " + prefixed("g", groupCols) + " FROM chat_groups_by_participants p " +
		"JOIN chat_groups g ON g.id = p.group_id WHERE p.key_id = ? AND p.participants_key = ?",
	stmtGroupByChatGUID: "SELECT " + prefixed("g", groupCols) + " FROM chat_groups_by_chat_guid c " +
		"JOIN chat_groups g ON g.id = c.group_id WHERE c.allocation_id = ? AND c.chat_guid = ?",
	stmtPutGroup:               upsert("chat_groups", groupCols, "id"),
	stmtPutGroupByParticipants: upsert("chat_groups_by_participants", "key_id, participants_key, group_id", "key_id, participants_key"),
	stmtPutGroupByChatGUID:     upsert("chat_groups_by_chat_guid", "allocation_id, chat_guid, group_id", "allocation_id, chat_guid"),

	stmtMessage: "SELECT " + msgCols + " FROM messages WHERE id = ?",
	// An update keeps the message's seq, so its place in the conversation.
	stmtPutMessage: upsert("messages", msgCols, "id"),
	stmtMessages:   "SELECT " + msgCols + " FROM messages WHERE key_id = ? AND recipient = ? ORDER BY seq",
	stmtPendingMessages: "SELECT " + msgCols + " FROM messages INDEXED BY messages_outbox" +
		" WHERE direction = 'outbound' AND status = 'queued' AND dispatched = 0" +
		" AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY next_attempt_at, seq LIMIT ?",
	stmtRelays:         "SELECT " + relayCols + " FROM relays ORDER BY id",
	stmtNumbersOnRelay: "SELECT " + numberCols + " FROM numbers WHERE relay_id = ? AND provider = '" + string(pool.ProviderBlooio) + "' ORDER BY line_slot",
	stmtIntegration:    "SELECT " + integCols + " FROM integrations WHERE id = ?",
	stmtPutIntegration: upsert("integrations", integCols, "id"),

	stmtIdempotency:    "SELECT " + idemCols + " FROM idempotency WHERE key_id = ? AND idem_key = ?",
	stmtPutIdempotency: upsert("idempotency", idemCols, "key_id, idem_key"),
	// A NULL created_at is the zero time, before every other.
	stmtDeleteIdempotencyBefore: "DELETE FROM idempotency WHERE created_at IS NULL OR created_at < ?",
	stmtCursor:                  "SELECT position FROM cursors WHERE key_id = ? AND scope = ?",
	stmtPutCursor:               upsert("cursors", "key_id, scope, position", "key_id, scope"),
	stmtWRR:                     "SELECT slots FROM wrr_slots WHERE key_id = ?",
	stmtPutWRR:                  upsert("wrr_slots", "key_id, slots", "key_id"),
}

// upsert returns an INSERT of cols into table that updates the row in place when one
// with the same conflict columns exists. In place matters: a REPLACE would delete the
// row and give it a new rowid, and the rowid orders messages. Every table has a column
// outside its key.
func upsert(table, cols, conflict string) string {
	names := strings.Split(cols, ", ")
	keys := strings.Split(conflict, ", ")
	var set []string
	for _, n := range names {
		if !slices.Contains(keys, n) {
			set = append(set, n+" = excluded."+n)
		}
	}
	return "INSERT INTO " + table + " (" + cols + ") VALUES (?" + strings.Repeat(", ?", len(names)-1) + ")" +
		" ON CONFLICT (" + conflict + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// prefixed qualifies every column of cols with the table alias t.
func prefixed(t, cols string) string {
	names := strings.Split(cols, ", ")
	for i, n := range names {
		names[i] = t + "." + n
	}
	return strings.Join(names, ", ")
}
