package macrelay

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"time"
)

// Message is one message a Mac received on POST /v1/messages.
type Message struct {
	MessageID   string    `json:"message_id"`
	LineSlot    int       `json:"line_slot"`
	To          []string  `json:"to,omitempty"`
	ChatGUID    string    `json:"chat_guid,omitempty"`
	Text        string    `json:"text"`
	Attachments []string  `json:"attachments,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	// Duplicates counts the later posts of the same message_id (answered 200, not delivered).
	Duplicates int `json:"duplicates"`
	// Status is the last status the Mac reported: accepted, sent, delivered or failed.
	Status string `json:"status"`
}

// macHandler serves one Mac's relay API at the root.
func (f *Fleet) macHandler(m *mac) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", f.handleSend(m))
	mux.HandleFunc("GET /v1/health", f.handleHealth(m))
	return loudMux{f: f, mac: m.cfg.ID, mux: mux, guard: func(w http.ResponseWriter, r *http.Request) bool {
		f.mu.Lock()
		online := m.online
		f.mu.Unlock()
		if !online {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "mac_offline", "the Mac is offline (locked)")
			return false
		}
		want := "Bearer " + m.cfg.Secret
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
			return false
		}
		return true
	}}
}

type sendRequest struct {
	MessageID   string   `json:"message_id"`
	LineSlot    *int     `json:"line_slot"`
	To          []string `json:"to"`
	ChatGUID    string   `json:"chat_guid"`
	Text        string   `json:"text"`
	Attachments []string `json:"attachments"`
}

func (s sendRequest) check() error {
	switch {
	case s.MessageID == "":
		return fmt.Errorf("%w: message_id is required", ErrInvalid)
	case s.LineSlot == nil:
		return fmt.Errorf("%w: line_slot is required", ErrInvalid)
	case (len(s.To) > 0) == (s.ChatGUID != ""):
		return fmt.Errorf("%w: exactly one of to and chat_guid is required", ErrInvalid)
	case slices.Contains(s.To, ""):
		return fmt.Errorf("%w: empty handle in to", ErrInvalid)
	case s.Text == "" && len(s.Attachments) == 0:
		return fmt.Errorf("%w: text or attachments is required", ErrInvalid)
	}
	return nil
}

func (s sendRequest) same(m *Message) bool {
	return *s.LineSlot == m.LineSlot && slices.Equal(s.To, m.To) && s.ChatGUID == m.ChatGUID &&
		s.Text == m.Text && slices.Equal(s.Attachments, m.Attachments)
}

func (f *Fleet) handleSend(m *mac) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req sendRequest
		if err := decodeStrict(w, r, &req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		if err := req.check(); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		f.mu.Lock()
		l := m.lines[*req.LineSlot]
		status, code, msg := f.acceptLocked(m, l, req)
		drop, reset := false, false
		if status == http.StatusAccepted || status == http.StatusOK {
			if m.ackDrops > 0 {
				m.ackDrops--
				drop, reset = true, m.ackReset
			}
		}
		f.mu.Unlock()
		switch {
		case reset:
			resetConnection(w)
		case drop:
			writeError(w, http.StatusInternalServerError, "ack_dropped",
				"fault injection: the message was processed but this answer is lost")
		case code != "":
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "5")
			}
			writeError(w, status, code, msg)
		default:
			writeJSON(w, status, map[string]any{"message_id": req.MessageID, "status": StatusAccepted,
				"duplicate": status == http.StatusOK})
		}
	}
}

// acceptLocked applies one send: a duplicate, a rejection, or a new message whose outcome
// is drawn now (so outcomes follow acceptance order) and whose delivery starts.
func (f *Fleet) acceptLocked(m *mac, l *line, req sendRequest) (status int, code, msg string) {
	if l == nil {
		return http.StatusNotFound, "line_not_found", fmt.Sprintf("no line in slot %d", *req.LineSlot)
	}
	if prev := m.byID[req.MessageID]; prev != nil {
		if !req.same(prev) {
			return http.StatusConflict, "message_id_conflict",
				"message_id " + req.MessageID + " was already accepted with other content"
		}
		prev.Duplicates++
		return http.StatusOK, "", ""
	}
	if l.banned {
		return http.StatusForbidden, "line_banned", fmt.Sprintf("the line in slot %d is banned", l.slot)
	}
	if !l.online {
		return http.StatusServiceUnavailable, "line_offline", fmt.Sprintf("the line in slot %d is offline", l.slot)
	}
	out := outcome{status: StatusDelivered}
	if f.rng.Float64() < l.failureRatio {
		out = outcome{status: StatusFailed, errorCode: ErrorCodeFailed}
	}
	msgRec := &Message{MessageID: req.MessageID, LineSlot: l.slot, To: req.To, ChatGUID: req.ChatGUID,
		Text: req.Text, Attachments: req.Attachments, ReceivedAt: f.now(), Status: StatusAccepted}
	m.messages = append(m.messages, msgRec)
	m.byID[req.MessageID] = msgRec
	if !f.closed {
		f.beginLocked()
		f.wg.Add(1)
		go f.deliver(f.genCtx, f.gen, m, req.MessageID, l.latency, out)
	}
	return http.StatusAccepted, "", ""
}

// resetConnection drops the connection without an answer, as a lost ack looks to the
// engine.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // best effort: a RST rather than a FIN
	}
	conn.Close()
}

func (f *Fleet) handleHealth(m *mac) http.HandlerFunc {
	type lineHealth struct {
		LineSlot    int    `json:"line_slot"`
		PhoneNumber string `json:"phone_number"`
		Online      bool   `json:"online"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		lines := make([]lineHealth, 0, len(m.lines))
		for _, l := range m.lines {
			lines = append(lines, lineHealth{l.slot, l.phone, l.online})
		}
		f.mu.Unlock()
		sort.Slice(lines, func(i, j int) bool { return lines[i].LineSlot < lines[j].LineSlot })
		writeJSON(w, http.StatusOK, map[string]any{"relay_id": m.cfg.ID, "lines": lines})
	}
}

// Messages returns every message the Mac received since New or the last Reset, in
// arrival order.
func (f *Fleet) Messages(macID string) ([]Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.lookup(macID)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(m.messages))
	for _, msg := range m.messages {
		c := *msg
		c.To, c.Attachments = slices.Clone(msg.To), slices.Clone(msg.Attachments)
		out = append(out, c)
	}
	return out, nil
}
