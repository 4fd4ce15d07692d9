package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"poolkit/reference/pool"
)

// relayMessage is the body of POST {relay}/v1/messages (SPEC §7): to or chat_guid, and
// only the fields that have a value (the relay decodes strictly).
type relayMessage struct {
	MessageID   string   `json:"message_id"`
	LineSlot    int      `json:"line_slot"`
	To          []string `json:"to,omitempty"`
	ChatGUID    string   `json:"chat_guid,omitempty"`
	Text        string   `json:"text,omitempty"`
	Attachments []string `json:"attachments,omitempty"`
}

// maxDrain is how much of a relay's answer is read so that its connection can be reused.
const maxDrain = 64 << 10

// sendRelay posts a message to its number's Mac relay. 202 (accepted) and 200 (already
// accepted) leave the outbox; a connection that cannot be made or a 503 marks the number
// offline and retries; 429 and other 5xx retry; any other 4xx fails the message.
func (d *Dispatcher) sendRelay(ctx context.Context, job pool.Dispatch) result {
	if job.Relay.URL == "" {
		return result{verdict: final, code: "no_relay"}
	}
	msg := relayMessage{
		MessageID:   job.Message.ID,
		LineSlot:    job.Number.LineSlot,
		Text:        job.Message.Text,
		Attachments: job.Message.Attachments,
	}
	if job.ChatGUID != "" {
		msg.ChatGUID = job.ChatGUID
	} else {
		msg.To = job.To
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return result{verdict: final, code: "relay_request", err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(job.Relay.URL, "/")+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return result{verdict: final, code: "relay_request", err: err}
	}
	req.Header.Set("Authorization", "Bearer "+job.Relay.Secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		if isDialError(err) {
			return result{verdict: retryable, code: "relay_unreachable", offline: true, err: err}
		}
		// The request may have reached the relay: retrying is safe, the relay
		// de-duplicates on message_id, but the Mac is not known to be down.
		return result{verdict: retryable, code: "relay_no_answer", err: err}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain)) //nolint:errcheck // only to reuse the connection
	resp.Body.Close()
	code := "relay_" + strconv.Itoa(resp.StatusCode)
	switch s := resp.StatusCode; {
	case s == http.StatusAccepted || s == http.StatusOK:
		return result{verdict: accepted}
	case s == http.StatusServiceUnavailable:
		return result{verdict: retryable, code: code, offline: true}
	case s == http.StatusTooManyRequests || s >= 500:
		return result{verdict: retryable, code: code}
	case s >= 400:
		return result{verdict: final, code: code}
	default: // 1xx, another 2xx, 3xx: not the protocol; maybe a proxy in the way
		return result{verdict: retryable, code: code}
	}
}

// isDialError reports whether err is a failure to connect (refused, unreachable, no such
// host, connect timeout): the request never reached the relay.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
