package api

import (
	"context"
	"net/http"
	"strconv"

	"poolkit/reference/pool"
)

// pagination is the page of a list and the size of the whole list.
type pagination struct {
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

// The limits of a page (SPEC §5).
const (
	defaultLimit = 50
	maxLimit     = 200
)

// parsePage reads the limit (1–200, default 50) and offset (≥ 0, default 0) query
// parameters.
//
// Errors: invalid_request.
func parsePage(r *http.Request) (pagination, error) {
	p := pagination{Limit: defaultLimit}
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, pool.Errorf(pool.CodeInvalidRequest, "limit must be an integer from 1 to 200")
		}
		p.Limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, pool.Errorf(pool.CodeInvalidRequest, "offset must be a non-negative integer")
		}
		p.Offset = n
	}
	return p, nil
}

// page returns the bounds of p's page in a list of total items, and fills in Total and
// HasMore.
func (p *pagination) page(total int) (from, to int) {
	p.Total = total
	from = min(p.Offset, total)
	to = min(from+p.Limit, total)
	p.HasMore = to < total
	return from, to
}

// handleListChats serves GET /v2/api/chats: the key's conversations, the most recent
// first.
func handleListChats(e *pool.Engine) http.Handler {
	type chat struct {
		ChatID        string   `json:"chat_id"`
		IsGroup       bool     `json:"is_group"`
		GroupID       *string  `json:"group_id"`
		Participants  []string `json:"participants"`
		InternalID    *string  `json:"internal_id"`
		LastMessageAt int64    `json:"last_message_at"`
	}
	type response struct {
		Chats      []chat     `json:"chats"`
		Pagination pagination `json:"pagination"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		p, err := parsePage(r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		ctx := r.Context()
		convs, err := e.Conversations(ctx, key.ID)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		from, to := p.page(len(convs))
		out := response{Chats: make([]chat, 0, to-from), Pagination: p}
		phones, err := allocationPhones(ctx, e, key.ID)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		for _, c := range convs[from:to] {
			ch := chat{ChatID: c.Recipient, Participants: []string{c.Recipient}, LastMessageAt: millis(c.LastMessageAt)}
			allocID := c.AllocationID
			if c.GroupID != "" {
				g, err := e.Group(ctx, key.ID, c.GroupID)
				if err != nil {
					encodeError(w, r, err)
					return
				}
				ch.IsGroup, ch.GroupID, ch.Participants = true, &g.ID, g.Participants
				allocID = g.AllocationID
			}
			internal, err := internalID(ctx, e, key.ID, c.Recipient, phones[allocID])
			if err != nil {
				encodeError(w, r, err)
				return
			}
			ch.InternalID = internal
			out.Chats = append(out.Chats, ch)
		}
		encode(w, r, http.StatusOK, out)
	})
}

// allocationPhones maps a key's allocations to their numbers.
func allocationPhones(ctx context.Context, e *pool.Engine, keyID string) (map[string]string, error) {
	pns, err := e.KeyNumbers(ctx, keyID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(pns))
	for _, pn := range pns {
		m[pn.Allocation.ID] = pn.Number.Phone
	}
	return m, nil
}

// internalID is a conversation's internal_id, our number in it: the number it is bound
// to (or its group lives on) while that is in the pool, else the number of its latest
// message, else null.
func internalID(ctx context.Context, e *pool.Engine, keyID, recipient, bound string) (*string, error) {
	if bound != "" {
		return &bound, nil
	}
	msgs, err := e.Messages(ctx, keyID, recipient)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	phone := msgs[len(msgs)-1].Phone
	return &phone, nil
}

// messageJSON is one message of GET /v2/api/chats/{chatId}/messages.
type messageJSON struct {
	MessageID   string   `json:"message_id"`
	Direction   string   `json:"direction"`
	InternalID  string   `json:"internal_id"`
	ExternalID  string   `json:"external_id"`
	Text        string   `json:"text"`
	Attachments []string `json:"attachments,omitempty"`
	Status      string   `json:"status"`
	Protocol    string   `json:"protocol"`
	TimeSent    int64    `json:"time_sent"`
}

// handleListMessages serves GET /v2/api/chats/{chatId}/messages: the key's messages in a
// conversation, both directions, oldest first. A conversation without messages is an
// empty list; a grp_ id that is not one of the key's groups is chat_not_found.
func handleListMessages(e *pool.Engine) http.Handler {
	type response struct {
		ChatID     string        `json:"chat_id"`
		Messages   []messageJSON `json:"messages"`
		Pagination pagination    `json:"pagination"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		chat, err := pool.ParseChatID(r.PathValue("chatId"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		p, err := parsePage(r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		ctx := r.Context()
		if chat.Kind == pool.ChatGroup {
			if _, err := e.Group(ctx, key.ID, chat.ID); err != nil {
				encodeError(w, r, err)
				return
			}
		}
		msgs, err := e.Messages(ctx, key.ID, chat.ID)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		from, to := p.page(len(msgs))
		out := response{ChatID: chat.ID, Messages: make([]messageJSON, 0, to-from), Pagination: p}
		for _, m := range msgs[from:to] {
			out.Messages = append(out.Messages, messageJSON{
				MessageID: m.ID, Direction: string(m.Direction), InternalID: m.Phone,
				ExternalID: m.Recipient, Text: m.Text, Attachments: m.Attachments,
				Status: string(m.Status), Protocol: string(m.Protocol), TimeSent: millis(m.TimeSent),
			})
		}
		encode(w, r, http.StatusOK, out)
	})
}

// handleMessageStatus serves GET /v2/api/chats/{chatId}/messages/{messageId}/status. A
// message of another key or of another chat is message_not_found.
func handleMessageStatus(e *pool.Engine) http.Handler {
	type response struct {
		MessageID     string  `json:"message_id"`
		Status        string  `json:"status"`
		Protocol      string  `json:"protocol"`
		InternalID    string  `json:"internal_id"`
		TimeSent      int64   `json:"time_sent"`
		TimeDelivered *int64  `json:"time_delivered"`
		Error         *string `json:"error"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		chat, err := pool.ParseChatID(r.PathValue("chatId"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		ctx := r.Context()
		id := r.PathValue("messageId")
		m, err := e.Message(ctx, key.ID, id)
		if err == nil && !inChat(ctx, e, key.ID, &chat, &m) {
			err = pool.Errorf(pool.CodeMessageNotFound, "no message %s in chat %s", id, chat.ID)
		}
		if err != nil {
			encodeError(w, r, err)
			return
		}
		out := response{
			MessageID: m.ID, Status: string(m.Status), Protocol: string(m.Protocol), InternalID: m.Phone,
			TimeSent: millis(m.TimeSent), TimeDelivered: millisOrNull(m.TimeDelivered),
		}
		if m.ErrorCode != "" {
			out.Error = &m.ErrorCode
		}
		encode(w, r, http.StatusOK, out)
	})
}

// inChat reports whether message m belongs to the conversation chat names.
func inChat(ctx context.Context, e *pool.Engine, keyID string, chat *pool.Chat, m *pool.Message) bool {
	if chat.Kind != pool.ChatParticipants {
		return m.ChatID == chat.ID
	}
	g, err := e.Group(ctx, keyID, m.ChatID)
	return err == nil && g.ParticipantsKey == chat.ID
}
