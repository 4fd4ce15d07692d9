package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// SignRelayBody returns the X-Relay-Signature of body signed with a relay's secret at t
// (SPEC §7): "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>". The client has its
// own copy of the scheme so that it never links the server.
func SignRelayBody(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// InboundGroup is the group of an inbound relay message.
type InboundGroup struct {
	ChatGUID     string   `json:"chat_guid"`
	Participants []string `json:"participants,omitempty"`
	Name         string   `json:"name,omitempty"`
}

// RelayEvent is an event a Mac relay posts: Type is "message.inbound" (LineSlot, From,
// Text, Group), "message.status" (MessageID, Status, ErrorCode) or "line.status"
// (LineSlot, Online, Banned).
type RelayEvent struct {
	Type      string        `json:"type"`
	RelayID   string        `json:"relay_id"`
	LineSlot  *int          `json:"line_slot,omitempty"`
	From      string        `json:"from,omitempty"`
	Text      string        `json:"text,omitempty"`
	Group     *InboundGroup `json:"group,omitempty"`
	MessageID string        `json:"message_id,omitempty"`
	Status    string        `json:"status,omitempty"`
	ErrorCode string        `json:"error_code,omitempty"`
	Online    *bool         `json:"online,omitempty"`
	Banned    bool          `json:"banned,omitempty"`
}

// RelayEventResult is the engine's answer to a relay event.
type RelayEventResult struct {
	OK bool `json:"ok"`
	// Recorded is set for message.inbound: false when the line's number has no allocation.
	Recorded  *bool  `json:"recorded,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// PostRelayEvent posts ev signed with secret at time t.
func (c *Client) PostRelayEvent(ctx context.Context, secret string, t time.Time, ev RelayEvent) (RelayEventResult, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return RelayEventResult{}, err
	}
	return c.PostRelayBody(ctx, body, SignRelayBody(secret, t, body))
}

// PostRelayBody posts a raw relay event body with the given X-Relay-Signature ("" sends
// none).
func (c *Client) PostRelayBody(ctx context.Context, body []byte, signature string) (RelayEventResult, error) {
	h := http.Header{}
	if signature != "" {
		h.Set("X-Relay-Signature", signature)
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/relay/v1/events", Header: h, Body: body, Auth: AuthNone})
	if err != nil {
		return RelayEventResult{}, err
	}
	if resp.Status != http.StatusOK {
		return RelayEventResult{}, decodeError(resp)
	}
	var out RelayEventResult
	err = json.Unmarshal(resp.Body, &out)
	return out, err
}
