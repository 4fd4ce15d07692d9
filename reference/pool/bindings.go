package pool

import (
	"context"
	"time"
)

// Binding is a conversation's sticky binding as the admin API shows it.
type Binding struct {
	Recipient    string
	AllocationID string
	Phone        string
	UpdatedAt    time.Time
}

// Binding returns the sticky binding of a key's conversation with recipient (a handle or
// a grp_ id), if one is in force.
//
// Errors: key_not_found, invalid_chat_id, binding_not_found.
func (e *Engine) Binding(ctx context.Context, keyID, recipient string) (Binding, error) {
	var b Binding
	err := e.view(ctx, func(tx Tx) error {
		key, _, c, err := e.bindingOf(tx, keyID, recipient)
		if err != nil {
			return err
		}
		a, err := tx.Allocation(c.AllocationID)
		if err != nil || a.KeyID != key.ID {
			return notFound(orNotFound(err), CodeBindingNotFound, "no binding for %s", recipient)
		}
		b = Binding{Recipient: c.Recipient, AllocationID: a.ID, Phone: a.Phone, UpdatedAt: c.BoundAt}
		return nil
	})
	return b, err
}

// ResetBinding removes the sticky binding of a key's conversation (POOL-STICKY-3): the
// next send selects afresh.
//
// Errors: key_not_found, invalid_chat_id, binding_not_found.
func (e *Engine) ResetBinding(ctx context.Context, keyID, recipient string) error {
	return e.update(ctx, func(tx Tx) error {
		_, _, c, err := e.bindingOf(tx, keyID, recipient)
		if err != nil {
			return err
		}
		c.AllocationID, c.BoundAt = "", time.Time{}
		return tx.PutConversation(c)
	})
}

func (e *Engine) bindingOf(tx Tx, keyID, recipient string) (Key, Org, Conversation, error) {
	key, err := tx.Key(keyID)
	if err != nil || key.Revoked {
		return Key{}, Org{}, Conversation{}, notFound(orNotFound(err), CodeKeyNotFound, "no API key %s", keyID)
	}
	org, err := tx.Org(key.OrgID)
	if err != nil {
		return Key{}, Org{}, Conversation{}, err
	}
	chat, err := ParseChatID(recipient)
	if err != nil {
		return Key{}, Org{}, Conversation{}, err
	}
	id := chat.ID
	if chat.Kind == ChatParticipants {
		g, err := tx.GroupByParticipants(keyID, chat.ID)
		if err != nil {
			return Key{}, Org{}, Conversation{}, notFound(err, CodeBindingNotFound, "no binding for %s", recipient)
		}
		id = g.ID
	}
	c, err := tx.Conversation(keyID, id)
	if err == nil && (c.AllocationID == "" || org.StickyTTL > 0 && e.now().Sub(c.LastMessageAt) > org.StickyTTL) {
		err = ErrNotFound // no binding, or one past the sticky TTL (POOL-STICKY-3)
	}
	if err != nil {
		return Key{}, Org{}, Conversation{}, notFound(err, CodeBindingNotFound, "no binding for %s", recipient)
	}
	return key, org, c, nil
}
