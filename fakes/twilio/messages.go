package twilio

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Message statuses the fake goes through.
const (
	StatusQueued      = "queued"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered"
	StatusFailed      = "failed"
	StatusReceived    = "received"
)

// Message directions.
const (
	DirectionOutbound = "outbound-api"
	DirectionInbound  = "inbound"
)

// pricePerSegment is what a sent segment costs, in USD (Twilio gives prices as negative
// decimal strings).
const pricePerSegment = 0.0079

// Message is a message the fake handled: created through the REST API (outbound-api) or
// sent by a phone to a number (inbound).
type Message struct {
	Sid            string    `json:"sid"`
	AccountSid     string    `json:"account_sid"`
	Direction      string    `json:"direction"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	Body           string    `json:"body"`
	Status         string    `json:"status"`
	StatusCallback string    `json:"status_callback,omitempty"`
	ErrorCode      int       `json:"error_code,omitempty"`
	NumSegments    int       `json:"num_segments"`
	DateCreated    time.Time `json:"date_created"`
	DateSent       time.Time `json:"date_sent,omitzero"`
}

// message is a Message and its last update; s.mu guards it.
type message struct {
	Message
	updated time.Time
}

// Messages returns every message since the start or the last Reset, in the order they
// were created.
func (s *Server) Messages() []Message {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = m.Message
	}
	return out
}

// messageJSON is Twilio's Message resource.
type messageJSON struct {
	AccountSid          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                string            `json:"from"`
	MessagingServiceSid *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	Sid                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// json renders m as Twilio does: the price once sent, the error code once failed, the
// send date once sent; null before.
func (m *message) json() messageJSON {
	base := "/2010-04-01/Accounts/" + m.AccountSid + "/Messages/" + m.Sid
	j := messageJSON{
		AccountSid:      m.AccountSid,
		APIVersion:      apiVersion,
		Body:            m.Body,
		DateCreated:     m.DateCreated.Format(rfc2822),
		DateUpdated:     m.updated.Format(rfc2822),
		Direction:       m.Direction,
		From:            m.From,
		NumMedia:        "0",
		NumSegments:     strconv.Itoa(m.NumSegments),
		PriceUnit:       "USD",
		Sid:             m.Sid,
		Status:          m.Status,
		SubresourceURIs: map[string]string{"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
		To:              m.To,
		URI:             base + ".json",
	}
	if !m.DateSent.IsZero() {
		sent := m.DateSent.Format(rfc2822)
		j.DateSent = &sent
		price := fmt.Sprintf("%.5f", -pricePerSegment*float64(m.NumSegments))
		j.Price = &price
	}
	if m.ErrorCode != 0 {
		code := m.ErrorCode
		j.ErrorCode = &code
	}
	return j
}

// handleCreateMessage serves POST …/Messages.json: To, From, Body and StatusCallback;
// MessagingServiceSid is accepted beside From and ignored. The Throttle and error-ratio
// faults come first, then Twilio's checks, then the message is queued (201) and its
// delivery starts.
func (s *Server) handleCreateMessage() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		form, e := parseForm(w, r)
		if e != nil {
			writeError(w, e)
			return
		}
		s.recordUnknownParams(r, form, "To", "From", "Body", "StatusCallback", "MessagingServiceSid")
		if form.Get("From") == "" && form.Get("MessagingServiceSid") != "" {
			s.recordUnexpected(r, "MessagingServiceSid without From is not modelled: the fake has no Messaging Services")
		}
		m, plan, e := s.createMessage(a, form)
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusCreated, m)
		go s.deliver(plan)
	})
}

// createMessage applies the faults and Twilio's checks to form and, if they pass, stores
// a queued message and counts its delivery as pending.
func (s *Server) createMessage(a *Account, form url.Values) (messageJSON, delivery, *apiError) {
	to, from, body, callback := form.Get("To"), form.Get("From"), form.Get("Body"), form.Get("StatusCallback")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return messageJSON{}, delivery{}, newError(http.StatusServiceUnavailable, CodeInternal, "fake twilio is closed")
	}
	if s.faults.Throttle > 0 {
		s.faults.Throttle--
		return messageJSON{}, delivery{}, newError(http.StatusTooManyRequests, CodeTooManyRequests, "Too Many Requests")
	}
	if s.rng.Float64() < s.faults.ErrorRatio {
		return messageJSON{}, delivery{}, newError(http.StatusInternalServerError, CodeInternal, "An internal server error has occurred")
	}
	bad := func(code int, format string, args ...any) (messageJSON, delivery, *apiError) {
		return messageJSON{}, delivery{}, newError(http.StatusBadRequest, code, format, args...)
	}
	switch {
	case to == "":
		return bad(CodeToRequired, "A 'To' phone number is required.")
	case !e164.MatchString(to):
		return bad(CodeInvalidTo, "The 'To' number %s is not a valid phone number.", to)
	case from == "":
		return bad(CodeFromRequired, "A 'From' phone number is required.")
	case a.numberLocked(from) == nil:
		return bad(CodeFromNotOwned, "The 'From' number %s is not a valid, SMS-capable inbound phone number or short code for your account.", from)
	case to == from:
		return bad(CodeToEqualsFrom, "'To' and 'From' number cannot be the same: %s", to)
	case body == "":
		return bad(CodeBodyRequired, "Message body is required.")
	case bodyChars(body) > maxBodyChars:
		return bad(CodeBodyTooLong, "The concatenated message body exceeds the %d character limit.", maxBodyChars)
	case callback != "" && !isWebhookURL(callback):
		return bad(CodeInvalidCallback, "The StatusCallback URL %s is not a valid URL.", callback)
	}
	now := s.now()
	m := &message{
		Message: Message{
			Sid:            s.sidLocked("SM"),
			AccountSid:     a.sid,
			Direction:      DirectionOutbound,
			From:           from,
			To:             to,
			Body:           body,
			Status:         StatusQueued,
			StatusCallback: callback,
			NumSegments:    segments(body),
			DateCreated:    now,
		},
		updated: now,
	}
	plan := delivery{m: m, authToken: a.authToken, delay: s.faults.DeliveryDelay, gen: s.gen}
	draw := s.rng.Float64()
	if f, ok := s.failureLocked(to); ok && draw < f.Ratio {
		plan.failure = &f
	}
	s.storeLocked(a, m)
	s.pending++
	s.work.Add(1)
	return m.json(), plan, nil
}

// storeLocked adds m to the account's and the server's messages. s.mu is held.
func (s *Server) storeLocked(a *Account, m *message) {
	a.messages = append(a.messages, m)
	s.messages = append(s.messages, m)
	s.bySid[m.Sid] = m
}

// handleFetchMessage serves GET …/Messages/{Sid}.json.
func (s *Server) handleFetchMessage() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		sid := fileSid(r)
		s.mu.Lock()
		m := s.bySid[sid]
		var body messageJSON
		if m != nil && m.AccountSid == a.sid {
			body = m.json()
		}
		s.mu.Unlock()
		if body.Sid == "" {
			writeError(w, errNotFound(r))
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// handleListMessages serves GET …/Messages.json: the account's messages, newest first,
// filtered by To, From and the send date (DateSent, DateSent<, DateSent>, each a date
// YYYY-MM-DD or an RFC 3339 time; < and > include the bound), paged as Twilio pages.
func (s *Server) handleListMessages() http.Handler {
	type response struct {
		pageMeta
		Messages []messageJSON `json:"messages"`
	}
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		q := r.URL.Query()
		s.recordUnknownParams(r, q, "PageSize", "Page", "PageToken", "To", "From", "DateSent", "DateSent<", "DateSent>")
		filters := url.Values{}
		var keep []func(*message) bool
		for _, k := range []string{"DateSent", "DateSent<", "DateSent>", "From", "To"} {
			v, ok := q[k]
			if !ok {
				continue
			}
			filters[k] = v
			f, err := messageFilter(k, v[0])
			if err != nil {
				writeError(w, newError(http.StatusBadRequest, CodeInvalidParameter, "Invalid %s %q", k, v[0]))
				return
			}
			keep = append(keep, f)
		}
		s.mu.Lock()
		var match []*message
		var sids []string
	each:
		for i := len(a.messages) - 1; i >= 0; i-- {
			m := a.messages[i]
			for _, f := range keep {
				if !f(m) {
					continue each
				}
			}
			match = append(match, m)
			sids = append(sids, m.Sid)
		}
		from, to, meta, e := paginate(r, sids, filters)
		resp := response{pageMeta: meta, Messages: []messageJSON{}}
		if e == nil {
			for _, m := range match[from:to] {
				resp.Messages = append(resp.Messages, m.json())
			}
		}
		s.mu.Unlock()
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// messageFilter returns the filter of the list parameter k with value v.
func messageFilter(k, v string) (func(*message) bool, error) {
	switch k {
	case "To":
		return func(m *message) bool { return m.To == v }, nil
	case "From":
		return func(m *message) bool { return m.From == v }, nil
	}
	// A date compares by day, a time by instant.
	day, dayErr := time.Parse(time.DateOnly, v)
	at, atErr := time.Parse(time.RFC3339, v)
	if dayErr != nil && atErr != nil {
		return nil, atErr
	}
	cmp := func(m *message) int {
		if dayErr == nil {
			return m.DateSent.Truncate(24 * time.Hour).Compare(day)
		}
		return m.DateSent.Compare(at)
	}
	sent := func(m *message) bool { return !m.DateSent.IsZero() }
	switch k {
	case "DateSent<":
		return func(m *message) bool { return sent(m) && cmp(m) <= 0 }, nil
	case "DateSent>":
		return func(m *message) bool { return sent(m) && cmp(m) >= 0 }, nil
	default:
		return func(m *message) bool { return sent(m) && cmp(m) == 0 }, nil
	}
}
