package sqlite

import (
	"database/sql"

	"poolkit/reference/pool"
)

// Group implements pool.Tx.
func (t *tx) Group(id string) (pool.Group, error) {
	if err := t.r(); err != nil {
		return pool.Group{}, err
	}
	return scanGroup(t.c.queryRow(stmtGroup, id))
}

// GroupByParticipants implements pool.Tx: the group put last with that participant
// list.
func (t *tx) GroupByParticipants(keyID, participantsKey string) (pool.Group, error) {
	if err := t.r(); err != nil {
		return pool.Group{}, err
	}
	return scanGroup(t.c.queryRow(stmtGroupByParticipants, keyID, participantsKey))
}

// GroupByChatGUID implements pool.Tx: the group put last with that chat GUID.
func (t *tx) GroupByChatGUID(allocationID, chatGUID string) (pool.Group, error) {
	if err := t.r(); err != nil {
		return pool.Group{}, err
	}
	return scanGroup(t.c.queryRow(stmtGroupByChatGUID, allocationID, chatGUID))
}

func scanGroup(r scanner) (pool.Group, error) {
	var (
		g            pool.Group
		participants sql.NullString
		created      sql.NullInt64
		d            decoder
	)
	err := r.Scan(&g.ID, &g.KeyID, &g.AllocationID, &participants, &g.ParticipantsKey, &g.ChatGUID, &g.Name, &created)
	if err != nil {
		return pool.Group{}, notFound(err)
	}
	g.Participants = d.strings(participants)
	g.CreatedAt = d.time(created)
	return g, d.err
}

// PutGroup implements pool.Tx. A group with a participant list or a chat GUID becomes
// the one those lookups find.
func (t *tx) PutGroup(g pool.Group) error {
	if err := t.w(); err != nil {
		return err
	}
	var e encoder
	args := []any{g.ID, g.KeyID, g.AllocationID, e.strings(g.Participants), g.ParticipantsKey, g.ChatGUID, g.Name, e.time(g.CreatedAt)}
	if e.err != nil {
		return e.err
	}
	if _, err := t.c.exec(stmtPutGroup, args...); err != nil {
		return err
	}
	if g.ParticipantsKey != "" {
		if _, err := t.c.exec(stmtPutGroupByParticipants, g.KeyID, g.ParticipantsKey, g.ID); err != nil {
			return err
		}
	}
	if g.ChatGUID != "" {
		if _, err := t.c.exec(stmtPutGroupByChatGUID, g.AllocationID, g.ChatGUID, g.ID); err != nil {
			return err
		}
	}
	return nil
}
