package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// SendBody is the body of a send. Text is a string or a []string (one message per
// element); nil leaves it out.
type SendBody struct {
	Text        any      `json:"text,omitempty"`
	FromNumber  string   `json:"from_number,omitempty"`
	Attachments []string `json:"attachments,omitempty"`
}

// SendOptions are a send's headers.
type SendOptions struct {
	IdempotencyKey string
	// FromHeader is sent as X-From-Number, the alias of from_number.
	FromHeader string
}

// SendResponse is an accepted send (202) or an idempotent replay (200).
type SendResponse struct {
	// Status is the HTTP status: 202 accepted, 200 replayed.
	Status       int      `json:"-"`
	MessageID    string   `json:"message_id"`
	MessageIDs   []string `json:"message_ids,omitempty"`
	State        string   `json:"status"` // the message status: queued
	FromNumber   string   `json:"from_number"`
	AllocationID string   `json:"allocation_id"`
	Protocol     string   `json:"protocol"`
	ChatID       string   `json:"chat_id"`
	GroupID      string   `json:"group_id,omitempty"`
	GroupCreated bool     `json:"group_created,omitempty"`
	Participants []string `json:"participants,omitempty"`
}

// Send sends a message to chatID (an E.164 number, an email handle, a grp_ id or a
// comma-separated participant list), escaping it for the path.
func (c *Client) Send(ctx context.Context, chatID string, body SendBody, opts SendOptions) (SendResponse, error) {
	var h http.Header
	if opts.IdempotencyKey != "" || opts.FromHeader != "" {
		h = http.Header{}
		if opts.IdempotencyKey != "" {
			h.Set("Idempotency-Key", opts.IdempotencyKey)
		}
		if opts.FromHeader != "" {
			h.Set("X-From-Number", opts.FromHeader)
		}
	}
	var out SendResponse
	status, err := c.call(ctx, AuthAPIKey, http.MethodPost, "/v2/api/chats/"+PathEscape(chatID)+"/messages", h, body, &out)
	out.Status = status
	return out, err
}

// Device is one number of GET /me.
type Device struct {
	PhoneNumber string `json:"phone_number"`
	IsActive    bool   `json:"is_active"`
	// LastActive is epoch milliseconds, nil when the number never was.
	LastActive *int64 `json:"last_active"`
	PlanKind   string `json:"plan_kind"`
}

// Me is the authenticated key (GET /v2/api/me).
type Me struct {
	AuthType       string `json:"auth_type"`
	Valid          bool   `json:"valid"`
	OrganizationID string `json:"organization_id"`
	KeyID          string `json:"key_id"`
	// Protocol is "imessage", "sms", or nil for an empty key.
	Protocol *string  `json:"protocol"`
	Devices  []Device `json:"devices"`
}

// Me returns the authenticated key.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var out Me
	_, err := c.call(ctx, AuthAPIKey, http.MethodGet, "/v2/api/me", nil, nil, &out)
	return out, err
}

// PoolNumber is one number of a key's pool.
type PoolNumber struct {
	PhoneNumber  string `json:"phone_number"`
	Type         string `json:"type"`
	PlanKind     string `json:"plan_kind"`
	AllocationID string `json:"allocation_id"`
	Protocol     string `json:"protocol"`
	IsActive     bool   `json:"is_active"`
	Health       string `json:"health"`
	// LastActive is an RFC 3339 time, nil when the number never was.
	LastActive *string `json:"last_active"`
}

// PoolNumbers is a key's pool in position order.
type PoolNumbers struct {
	Numbers []PoolNumber `json:"numbers"`
}

// Phones returns the pool's numbers in position order.
func (p PoolNumbers) Phones() []string {
	out := make([]string, len(p.Numbers))
	for i, n := range p.Numbers {
		out[i] = n.PhoneNumber
	}
	return out
}

// MyNumbers returns the authenticated key's pool (GET /v2/api/me/numbers).
func (c *Client) MyNumbers(ctx context.Context) (PoolNumbers, error) {
	var out PoolNumbers
	_, err := c.call(ctx, AuthAPIKey, http.MethodGet, "/v2/api/me/numbers", nil, nil, &out)
	return out, err
}

// Page selects a page of a list; zero values take the server's defaults.
type Page struct {
	Limit  int
	Offset int
}

func (p Page) query() string {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset != 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Pagination describes a page of a list.
type Pagination struct {
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

// Chat is one conversation of GET /v2/api/chats.
type Chat struct {
	ChatID        string   `json:"chat_id"`
	IsGroup       bool     `json:"is_group"`
	GroupID       *string  `json:"group_id"`
	Participants  []string `json:"participants"`
	InternalID    *string  `json:"internal_id"`
	LastMessageAt int64    `json:"last_message_at"`
}

// Chats is a page of conversations, the most recent first.
type Chats struct {
	Chats      []Chat     `json:"chats"`
	Pagination Pagination `json:"pagination"`
}

// Chats lists the key's conversations.
func (c *Client) Chats(ctx context.Context, p Page) (Chats, error) {
	var out Chats
	_, err := c.call(ctx, AuthAPIKey, http.MethodGet, "/v2/api/chats"+p.query(), nil, nil, &out)
	return out, err
}

// Message is one message of a conversation.
type Message struct {
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

// Messages is a page of a conversation's messages, oldest first.
type Messages struct {
	ChatID     string     `json:"chat_id"`
	Messages   []Message  `json:"messages"`
	Pagination Pagination `json:"pagination"`
}

// Messages lists the key's messages with chatID.
func (c *Client) Messages(ctx context.Context, chatID string, p Page) (Messages, error) {
	var out Messages
	_, err := c.call(ctx, AuthAPIKey, http.MethodGet, "/v2/api/chats/"+PathEscape(chatID)+"/messages"+p.query(), nil, nil, &out)
	return out, err
}

// MessageStatus is a message's delivery status.
type MessageStatus struct {
	MessageID     string  `json:"message_id"`
	Status        string  `json:"status"`
	Protocol      string  `json:"protocol"`
	InternalID    string  `json:"internal_id"`
	TimeSent      int64   `json:"time_sent"`
	TimeDelivered *int64  `json:"time_delivered"`
	Error         *string `json:"error"`
}

// MessageStatus returns the status of one of the key's messages in chatID.
func (c *Client) MessageStatus(ctx context.Context, chatID, messageID string) (MessageStatus, error) {
	var out MessageStatus
	path := "/v2/api/chats/" + PathEscape(chatID) + "/messages/" + PathEscape(messageID) + "/status"
	_, err := c.call(ctx, AuthAPIKey, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// OpenAPI returns the deployment's OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v2/api/openapi.json", Auth: AuthNone})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, decodeError(resp)
	}
	return resp.Body, nil
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
}

// Healthz checks that the deployment is up.
func (c *Client) Healthz(ctx context.Context) (Health, error) {
	var out Health
	_, err := c.call(ctx, AuthNone, http.MethodGet, "/healthz", nil, nil, &out)
	return out, err
}

// Readyz checks that the deployment's store answers.
func (c *Client) Readyz(ctx context.Context) (Health, error) {
	var out Health
	_, err := c.call(ctx, AuthNone, http.MethodGet, "/readyz", nil, nil, &out)
	return out, err
}
