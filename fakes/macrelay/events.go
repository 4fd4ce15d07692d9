package macrelay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"poolkit/internal/relaysig"
)

// Event types and message statuses of SPEC §7.
const (
	TypeMessageStatus  = "message.status"
	TypeMessageInbound = "message.inbound"
	TypeLineStatus     = "line.status"

	StatusAccepted  = "accepted" // received by the Mac, no event yet
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"

	// ErrorCodeFailed is the error_code of a failed delivery.
	ErrorCodeFailed = "delivery_failed"
)

// EventsPath is where events are posted, relative to Config.EngineURL.
const EventsPath = "/relay/v1/events"

// Event is one relay → engine event. It is marshalled with exactly the fields of its
// type (SPEC §7), which is the body that is signed and posted.
type Event struct {
	Type      string `json:"type"`
	RelayID   string `json:"relay_id"`
	MessageID string `json:"message_id,omitempty"` // message.status
	Status    string `json:"status,omitempty"`     // message.status
	ErrorCode string `json:"error_code,omitempty"` // message.status, failed only
	LineSlot  int    `json:"line_slot"`            // message.inbound, line.status
	From      string `json:"from,omitempty"`       // message.inbound
	Text      string `json:"text,omitempty"`       // message.inbound
	Group     *Group `json:"group,omitempty"`      // message.inbound, group chats only
	Online    bool   `json:"online"`               // line.status
	Banned    bool   `json:"banned"`               // line.status
}

// Group is the group chat of an inbound message.
type Group struct {
	ChatGUID     string   `json:"chat_guid"`
	Participants []string `json:"participants"`
	Name         string   `json:"name"`
}

// MarshalJSON writes the wire form of the event's type.
func (e Event) MarshalJSON() ([]byte, error) {
	switch e.Type {
	case TypeMessageStatus:
		return json.Marshal(struct {
			Type      string `json:"type"`
			RelayID   string `json:"relay_id"`
			MessageID string `json:"message_id"`
			Status    string `json:"status"`
			ErrorCode string `json:"error_code,omitempty"`
		}{e.Type, e.RelayID, e.MessageID, e.Status, e.ErrorCode})
	case TypeMessageInbound:
		return json.Marshal(struct {
			Type     string `json:"type"`
			RelayID  string `json:"relay_id"`
			LineSlot int    `json:"line_slot"`
			From     string `json:"from"`
			Text     string `json:"text"`
			Group    *Group `json:"group,omitempty"`
		}{e.Type, e.RelayID, e.LineSlot, e.From, e.Text, e.Group})
	case TypeLineStatus:
		return json.Marshal(struct {
			Type     string `json:"type"`
			RelayID  string `json:"relay_id"`
			LineSlot int    `json:"line_slot"`
			Online   bool   `json:"online"`
			Banned   bool   `json:"banned"`
		}{e.Type, e.RelayID, e.LineSlot, e.Online, e.Banned})
	}
	type plain Event // every field, for an event of no known type (the zero Event)
	return json.Marshal(plain(e))
}

// EventRecord is one event the fleet sent (or tried to) and what the engine answered.
type EventRecord struct {
	Seq   int    `json:"seq"`
	Event Event  `json:"event"`
	Body  []byte `json:"-"` // the exact signed body
	// Attempts is how many posts were made (0 without an EngineURL).
	Attempts int `json:"attempts"`
	// EngineStatus and EngineBody are the engine's last answer (0 and "" if none).
	EngineStatus int    `json:"engine_status"`
	EngineBody   string `json:"engine_body,omitempty"`
	// Err is the last transport error, or why the event was not posted.
	Err string `json:"error,omitempty"`
	// Done is set once posting finished; GaveUp when it finished without an answer below 500.
	Done   bool `json:"done"`
	GaveUp bool `json:"gave_up"`
}

// post signs and posts one event, retrying connection errors and 5xx, and records it
// unless a Reset happened since gen.
func (f *Fleet) post(ctx context.Context, gen int, secret string, ev Event) EventRecord {
	body, err := json.Marshal(ev)
	if err != nil {
		panic(err) // an Event always marshals
	}
	f.mu.Lock()
	rec := EventRecord{Seq: len(f.events), Event: ev, Body: body}
	if gen == f.gen {
		f.events = append(f.events, rec)
	}
	f.mu.Unlock()

	if f.cfg.EngineURL == "" {
		rec.Err, rec.GaveUp = "no engine URL configured", true
	} else {
		url := strings.TrimRight(f.cfg.EngineURL, "/") + EventsPath
		wait := f.backoff
		for rec.Attempts < f.attempts {
			if rec.Attempts > 0 {
				if !sleep(ctx, wait) {
					break
				}
				wait *= 2
			}
			rec.Attempts++
			rec.EngineStatus, rec.EngineBody, err = f.postOnce(ctx, url, secret, body)
			rec.Err = ""
			if err != nil {
				rec.Err = err.Error()
			}
			if err == nil && rec.EngineStatus < 500 {
				break
			}
		}
		rec.GaveUp = err != nil || rec.EngineStatus >= 500 || rec.Attempts == 0
	}
	rec.Done = true
	f.mu.Lock()
	if gen == f.gen {
		f.events[rec.Seq] = rec
	}
	f.mu.Unlock()
	return rec
}

func (f *Fleet) postOnce(ctx context.Context, url, secret string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(relaysig.Header, relaysig.Sign(secret, f.now(), body))
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(b), nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// postSync posts an event for a control call, counted by WaitIdle. It returns ErrEngine
// when the engine gave no answer below 500.
func (f *Fleet) postSync(ctx context.Context, gen int, secret string, ev Event) (EventRecord, error) {
	rec := f.post(ctx, gen, secret, ev)
	f.end()
	if rec.GaveUp {
		return rec, fmt.Errorf("%w: %s (status %d, %d attempts)", ErrEngine, rec.Err, rec.EngineStatus, rec.Attempts)
	}
	return rec, nil
}

// outcome is a message's drawn final status.
type outcome struct{ status, errorCode string }

// deliver plays one accepted message: "sent" at once, the final status after latency.
func (f *Fleet) deliver(ctx context.Context, gen int, m *mac, id string, latency time.Duration, out outcome) {
	defer f.wg.Done()
	defer f.end()
	relay, secret := m.cfg.ID, m.cfg.Secret
	f.setStatus(gen, m, id, StatusSent)
	f.post(ctx, gen, secret, Event{Type: TypeMessageStatus, RelayID: relay, MessageID: id, Status: StatusSent})
	if latency > 0 && !sleep(ctx, latency) {
		return
	}
	f.setStatus(gen, m, id, out.status)
	f.post(ctx, gen, secret, Event{Type: TypeMessageStatus, RelayID: relay, MessageID: id,
		Status: out.status, ErrorCode: out.errorCode})
}

func (f *Fleet) setStatus(gen int, m *mac, id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if msg := m.byID[id]; msg != nil && gen == f.gen {
		msg.Status = status
	}
}

// Events returns every event sent since New or the last Reset, in the order they were
// created (a message's "sent" always precedes its final status).
func (f *Fleet) Events() []EventRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]EventRecord(nil), f.events...)
}
