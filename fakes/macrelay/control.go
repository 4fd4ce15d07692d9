package macrelay

import (
	"context"
	"fmt"
	"time"
)

// Inbound is a message a contact sends to a line: 1:1 when Group is nil.
type Inbound struct {
	From  string `json:"from"`
	Text  string `json:"text"`
	Group *Group `json:"group,omitempty"`
}

func (in Inbound) check() error {
	switch {
	case in.From == "":
		return fmt.Errorf("%w: from is required", ErrInvalid)
	case in.Text == "":
		return fmt.Errorf("%w: text is required", ErrInvalid)
	case in.Group != nil && (in.Group.ChatGUID == "" || len(in.Group.Participants) == 0):
		return fmt.Errorf("%w: a group needs chat_guid and participants", ErrInvalid)
	}
	return nil
}

// Inject makes a contact send a message to the line in slot on a Mac: the Mac posts a
// signed message.inbound event and the record carries the engine's answer
// (EngineStatus). A banned line still receives; an offline line or Mac cannot
// (ErrLineOffline, ErrMacOffline). Errors: ErrInvalid, ErrMacNotFound, ErrLineNotFound,
// ErrMacOffline, ErrLineOffline, ErrEngine (with the record).
func (f *Fleet) Inject(ctx context.Context, macID string, slot int, in Inbound) (EventRecord, error) {
	if err := in.check(); err != nil {
		return EventRecord{}, err
	}
	f.mu.Lock()
	m, l, err := f.lookupLine(macID, slot)
	if err == nil && !m.online {
		err = fmt.Errorf("%w: %q", ErrMacOffline, macID)
	}
	if err == nil && !l.online {
		err = fmt.Errorf("%w: mac %q slot %d", ErrLineOffline, macID, slot)
	}
	if err != nil {
		f.mu.Unlock()
		return EventRecord{}, err
	}
	ev := Event{Type: TypeMessageInbound, RelayID: macID, LineSlot: slot, From: in.From, Text: in.Text, Group: in.Group}
	return f.postLocked(ctx, m, ev)
}

// postLocked starts a control event post while mu is held and finishes it unlocked.
func (f *Fleet) postLocked(ctx context.Context, m *mac, ev Event) (EventRecord, error) {
	gen := f.gen
	f.beginLocked()
	f.mu.Unlock()
	return f.postSync(ctx, gen, m.cfg.Secret, ev)
}

// SetLineOnline takes a line offline or online and posts a signed line.status event
// (even when nothing changed, so it also serves to announce a line). Sends to an offline
// line answer 503. Errors: ErrMacNotFound, ErrLineNotFound, ErrMacOffline (a locked Mac
// sends nothing; nothing changes), ErrEngine (the state did change).
func (f *Fleet) SetLineOnline(ctx context.Context, macID string, slot int, online bool) (EventRecord, error) {
	return f.changeLine(ctx, macID, slot, func(l *line) { l.online = online })
}

// SetLineBanned bans or unbans a line and posts a signed line.status event with banned.
// Sends to a banned line answer 403. Errors as SetLineOnline.
func (f *Fleet) SetLineBanned(ctx context.Context, macID string, slot int, banned bool) (EventRecord, error) {
	return f.changeLine(ctx, macID, slot, func(l *line) { l.banned = banned })
}

func (f *Fleet) changeLine(ctx context.Context, macID string, slot int, change func(*line)) (EventRecord, error) {
	f.mu.Lock()
	m, l, err := f.lookupLine(macID, slot)
	if err == nil && !m.online {
		err = fmt.Errorf("%w: %q", ErrMacOffline, macID)
	}
	if err != nil {
		f.mu.Unlock()
		return EventRecord{}, err
	}
	change(l)
	ev := Event{Type: TypeLineStatus, RelayID: macID, LineSlot: slot, Online: l.online, Banned: l.banned}
	return f.postLocked(ctx, m, ev)
}

// SetMacOnline locks (false) or unlocks (true) a whole Mac. A locked Mac answers 503 to
// every relay route, its health included, sends no events and receives no inbound
// messages. Neither change posts an event: the engine learns of it from a 503 or its
// health poll (SPEC POOL-HEALTH-2); SetLineOnline announces a line explicitly.
// Deliveries already accepted go on. Errors: ErrMacNotFound.
func (f *Fleet) SetMacOnline(macID string, online bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.lookup(macID)
	if err != nil {
		return err
	}
	m.online = online
	return nil
}

// SetFailureRatio sets the share of a line's accepted messages that end failed
// (0 ≤ ratio ≤ 1). Errors: ErrInvalid, ErrMacNotFound, ErrLineNotFound.
func (f *Fleet) SetFailureRatio(macID string, slot int, ratio float64) error {
	if err := checkRatio(ratio); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, l, err := f.lookupLine(macID, slot)
	if err != nil {
		return err
	}
	l.failureRatio = ratio
	return nil
}

// SetLatency sets how long a line's messages take from "sent" to their final status, for
// messages accepted from now on. Errors: ErrInvalid, ErrMacNotFound, ErrLineNotFound.
func (f *Fleet) SetLatency(macID string, slot int, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: negative latency", ErrInvalid)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, l, err := f.lookupLine(macID, slot)
	if err != nil {
		return err
	}
	l.latency = d
	return nil
}

// DropAcks makes the Mac process each of its next n successful POST /v1/messages (new or
// duplicate) and then answer 500 instead of 202/200, so the engine retries; the
// de-duplication still gives one delivery. n = 0 cancels. Errors: ErrInvalid,
// ErrMacNotFound.
func (f *Fleet) DropAcks(macID string, n int) error { return f.dropAcks(macID, n, false) }

// ResetAcks is DropAcks with the connection closed (RST) instead of a 500 answer.
func (f *Fleet) ResetAcks(macID string, n int) error { return f.dropAcks(macID, n, true) }

func (f *Fleet) dropAcks(macID string, n int, reset bool) error {
	if n < 0 {
		return fmt.Errorf("%w: negative count", ErrInvalid)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.lookup(macID)
	if err != nil {
		return err
	}
	m.ackDrops, m.ackReset = n, reset
	return nil
}

// Reset returns the fleet to its configuration: lines, Macs, faults, the generator's
// seed, and empties the messages, events and unexpected requests. Deliveries in flight
// are abandoned and record nothing.
func (f *Fleet) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resetLocked()
}
