package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// errInbound is why an inbound SMS could not even be sent.
var errInbound = errors.New("fake twilio: inbound SMS")

func errNoOwner(to string) error {
	return fmt.Errorf("%w: no account owns %s", errInbound, to)
}

// SendInbound makes a phone (from) send an SMS with body to the account's number to:
// the message is stored (direction inbound, status received) and Twilio's signed
// incoming-message webhook is posted, once, to the number's SMS URL. It returns the
// webhook's answer; an error if from is not E.164, to is not a number of the account
// or has no SMS URL, or the webhook got no answer.
func (a *Account) SendInbound(ctx context.Context, from, to, body string) (status int, err error) {
	s := a.s
	if !e164.MatchString(from) {
		return 0, fmt.Errorf("%w: From %q is not E.164", errInbound, from)
	}
	s.mu.Lock()
	n := a.numberLocked(to)
	if n == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("%w: %s is not a number of account %s", errInbound, to, a.sid)
	}
	target := n.SMSURL
	if target == "" {
		s.mu.Unlock()
		return 0, fmt.Errorf("%w: number %s has no SMS URL", errInbound, to)
	}
	now := s.now()
	m := &message{
		Message: Message{
			Sid:         s.sidLocked("SM"),
			AccountSid:  a.sid,
			Direction:   DirectionInbound,
			From:        from,
			To:          to,
			Body:        body,
			Status:      StatusReceived,
			NumSegments: segments(body),
			DateCreated: now,
			DateSent:    now,
		},
		updated: now,
	}
	s.storeLocked(a, m)
	s.mu.Unlock()

	params := url.Values{
		"AccountSid":    {a.sid},
		"ApiVersion":    {apiVersion},
		"Body":          {body},
		"From":          {from},
		"MessageSid":    {m.Sid},
		"NumMedia":      {"0"},
		"NumSegments":   {strconv.Itoa(m.NumSegments)},
		"SmsMessageSid": {m.Sid},
		"SmsSid":        {m.Sid},
		"SmsStatus":     {StatusReceived},
		"To":            {to},
	}
	rec := s.post(ctx, target, a.authToken, params, m.Sid, false)
	if rec.Error != "" {
		return 0, fmt.Errorf("fake twilio: incoming-message webhook to %s: %s", target, rec.Error)
	}
	return rec.StatusCode, nil
}

// SendInbound is Account.SendInbound for the account that owns the number to.
func (s *Server) SendInbound(ctx context.Context, from, to, body string) (status int, err error) {
	s.init()
	a := s.owner(to)
	if a == nil {
		return 0, errNoOwner(to)
	}
	return a.SendInbound(ctx, from, to, body)
}
