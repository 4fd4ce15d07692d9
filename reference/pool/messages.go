package pool

import (
	"context"
)

// Message returns one of a key's messages.
//
// Errors: message_not_found (also for another key's message).
func (e *Engine) Message(ctx context.Context, keyID, id string) (Message, error) {
	var m Message
	err := e.view(ctx, func(tx Tx) error {
		var err error
		m, err = tx.Message(id)
		if err == nil && m.KeyID != keyID {
			err = ErrNotFound
		}
		return notFound(err, CodeMessageNotFound, "no message %s", id)
	})
	return m, err
}

// Messages lists a key's messages in a conversation, both directions, oldest first. The
// chat is a chatId as the public API takes it.
//
// Errors: invalid_chat_id.
func (e *Engine) Messages(ctx context.Context, keyID, chatID string) ([]Message, error) {
	chat, err := ParseChatID(chatID)
	if err != nil {
		return nil, err
	}
	var out []Message
	err = e.view(ctx, func(tx Tx) error {
		id := chat.ID
		if chat.Kind == ChatParticipants {
			g, err := tx.GroupByParticipants(keyID, chat.ID)
			if err == ErrNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			id = g.ID
		}
		out, err = tx.Messages(keyID, id)
		return err
	})
	return out, err
}

// Conversations lists a key's conversations, the most recent message first.
func (e *Engine) Conversations(ctx context.Context, keyID string) ([]Conversation, error) {
	var out []Conversation
	err := e.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Conversations(keyID)
		return err
	})
	return out, err
}

// Group returns a key's group chat.
//
// Errors: chat_not_found.
func (e *Engine) Group(ctx context.Context, keyID, id string) (Group, error) {
	var g Group
	err := e.view(ctx, func(tx Tx) error {
		var err error
		g, err = tx.Group(id)
		if err == nil && g.KeyID != keyID {
			err = ErrNotFound
		}
		return notFound(err, CodeChatNotFound, "no chat %s", id)
	})
	return g, err
}
