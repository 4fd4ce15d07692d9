package twilio

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CallbackRecord is one status callback, after its last attempt.
type CallbackRecord struct {
	MessageSid string `json:"message_sid"`
	Status     string `json:"status"`
	URL        string `json:"url"`
	// Attempts is how many times it was posted (retries after 5xx or no answer).
	Attempts int `json:"attempts"`
	// StatusCode is the receiver's last answer, 0 if it never answered.
	StatusCode int `json:"status_code"`
	// Error is why the last attempt got no answer, "" if it got one.
	Error string `json:"error,omitempty"`
}

// Callbacks returns every status callback made since the start or the last Reset, in the
// order their last attempts ended.
func (s *Server) Callbacks() []CallbackRecord {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}

// delivery is what happens to a created message: decided at creation, under s.mu, so
// that the seeded generator is drawn in request order.
type delivery struct {
	m         *message
	authToken string
	delay     time.Duration
	failure   *DeliveryFailure // nil: delivered
	gen       int              // s.gen at creation; a Reset since hides the callbacks
}

// deliver moves a message through its statuses (sent then delivered or undelivered; or
// failed alone), posting a status callback after each when the message has one.
func (s *Server) deliver(d delivery) {
	defer s.work.Done()
	defer s.finish()
	type step struct {
		status string
		code   int
	}
	steps := []step{{StatusSent, 0}, {StatusDelivered, 0}}
	if f := d.failure; f != nil {
		if f.Status == StatusFailed {
			steps = []step{{StatusFailed, f.ErrorCode}}
		} else {
			steps[1] = step{StatusUndelivered, f.ErrorCode}
		}
	}
	for _, st := range steps {
		if !sleep(s.ctx, d.delay) {
			return
		}
		params := s.setStatus(d.m, st.status, st.code)
		if d.m.StatusCallback == "" {
			continue
		}
		rec := s.post(s.ctx, d.m.StatusCallback, d.authToken, params, d.m.Sid+"-"+st.status, true)
		rec.MessageSid, rec.Status = d.m.Sid, st.status
		s.mu.Lock()
		if s.gen == d.gen {
			s.callbacks = append(s.callbacks, rec)
		}
		s.mu.Unlock()
	}
}

// setStatus sets the status of m and returns the parameters of its status callback.
func (s *Server) setStatus(m *message, status string, code int) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	m.Status, m.ErrorCode, m.updated = status, code, now
	if status == StatusSent {
		m.DateSent = now
	}
	p := url.Values{
		"AccountSid":    {m.AccountSid},
		"ApiVersion":    {apiVersion},
		"From":          {m.From},
		"MessageSid":    {m.Sid},
		"MessageStatus": {status},
		"SmsSid":        {m.Sid},
		"SmsStatus":     {status},
		"To":            {m.To},
	}
	if code != 0 {
		p.Set("ErrorCode", strconv.Itoa(code))
	}
	return p
}

// finish counts a delivery as done and wakes WaitIdle when none is left.
func (s *Server) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	if s.pending == 0 {
		close(s.idle)
		s.idle = make(chan struct{})
	}
}

// post sends a signed form webhook as Twilio does. With retry, it tries again, up to
// Config.CallbackAttempts in all with doubling waits, while the receiver answers 5xx or
// cannot be reached.
func (s *Server) post(ctx context.Context, target, authToken string, params url.Values, idempotency string, retry bool) CallbackRecord {
	rec := CallbackRecord{URL: target}
	body := params.Encode()
	sig := Signature(authToken, target, params)
	wait := s.cfg.CallbackBackoff
	for {
		rec.Attempts++
		rec.StatusCode, rec.Error = 0, ""
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
		if err != nil {
			rec.Error = err.Error()
			return rec
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		req.Header.Set("I-Twilio-Idempotency-Token", idempotency)
		req.Header.Set("User-Agent", "TwilioProxy/1.1")
		resp, err := s.client.Do(req)
		if err != nil {
			rec.Error = err.Error()
		} else {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			rec.StatusCode = resp.StatusCode
		}
		failed := err != nil || resp.StatusCode >= 500
		if !retry || !failed || rec.Attempts >= s.cfg.CallbackAttempts || !sleep(ctx, wait) {
			return rec
		}
		wait *= 2
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
