package pool

import (
	"context"
	"time"

	"poolkit/internal/mutation"
)

// InboundMessage is a message a contact sent to one of our numbers. The number is named
// either by its relay line (RelayID and LineSlot, POOL-INBOUND-4) or by Phone (Twilio).
type InboundMessage struct {
	RelayID  string
	LineSlot int
	Phone    string
	// From is the contact's handle.
	From string
	Text string
	// Group is set when the message was written in a group chat.
	Group       *InboundGroup
	ExternalRef string
}

// InboundGroup is the group chat an inbound message was written in, as the relay knows it.
type InboundGroup struct {
	ChatGUID     string
	Participants []string
	Name         string
}

// InboundResult says what an inbound message became.
type InboundResult struct {
	// Recorded is false when the number has no allocation: the message is recorded nowhere.
	Recorded     bool
	MessageID    string
	KeyID        string
	AllocationID string
	// Recipient is the conversation's recipient: the contact, or the group's grp_ id.
	Recipient string
	GroupID   string
}

// RecordInbound records an inbound message. It gives the allocation prior inbound from
// the recipient (POOL-INBOUND-2, POOL-INBOUND-3: the group for a group message) and, for
// iMessage keys, binds the conversation to that allocation (POOL-STICKY-2).
//
// Errors: invalid_request (bad sender handle or group), line_not_found, number_not_found.
func (e *Engine) RecordInbound(ctx context.Context, in InboundMessage) (InboundResult, error) {
	from, ok := parseHandle(in.From)
	if !ok {
		return InboundResult{}, Errorf(CodeInvalidRequest, "from must be an E.164 number or an email address")
	}
	if in.Group != nil && (in.Group.ChatGUID == "" || len(in.Group.ChatGUID) > 256) {
		return InboundResult{}, Errorf(CodeInvalidRequest, "group.chat_guid is required")
	}
	var res InboundResult
	err := e.update(ctx, func(tx Tx) error {
		now := e.now()
		var num Number
		var err error
		if in.Phone != "" {
			num, err = tx.Number(in.Phone)
			err = notFound(err, CodeNumberNotFound, "number %s is not registered", in.Phone)
		} else {
			num, err = tx.NumberBySlot(in.RelayID, in.LineSlot)
			err = notFound(err, CodeLineNotFound, "relay %s has no line in slot %d", in.RelayID, in.LineSlot)
			if err == nil && num.PlanKind == PlanInbound && e.mut.Has(mutation.SlotMisattributed) {
				num, err = firstInboundLine(tx, in.RelayID) // POOL-INBOUND-4 broken: see mutation.go
			}
		}
		if err != nil {
			return err
		}
		if in.Group != nil && num.Provider == ProviderTwilio {
			return Errorf(CodeInvalidRequest, "SMS numbers have no group chats")
		}
		num.LastActive = now.Truncate(time.Second)
		if err := tx.PutNumber(num); err != nil {
			return err
		}
		a, err := tx.AllocationByPhone(num.Phone)
		if err == ErrNotFound {
			return nil // SPEC §7: a number without allocation records nowhere
		}
		if err != nil {
			return err
		}
		key, err := tx.Key(a.KeyID)
		if err != nil {
			return err
		}
		recipient, groupID := from, ""
		if in.Group != nil {
			g, err := tx.GroupByChatGUID(a.ID, in.Group.ChatGUID)
			switch err {
			case ErrNotFound:
				g = Group{ID: e.ids.NewID("grp"), KeyID: key.ID, AllocationID: a.ID, ChatGUID: in.Group.ChatGUID, CreatedAt: now}
			case nil:
			default:
				return err
			}
			g.Name = in.Group.Name
			g.Participants = normaliseHandles(append(in.Group.Participants, from))
			if err := tx.PutGroup(g); err != nil {
				return err
			}
			recipient, groupID = g.ID, g.ID
		}
		if e.mut.Has(mutation.GroupGrantsContact | mutation.InboundWarmUp) {
			err = e.mutantPriorInbound(tx, key.ID, a.ID, recipient, from) // POOL-INBOUND-2, -3 broken: see mutation.go
		} else {
			err = tx.PutPriorInbound(a.ID, recipient)
		}
		if err != nil {
			return err
		}
		c, err := tx.Conversation(key.ID, recipient)
		switch err {
		case ErrNotFound:
			c = Conversation{KeyID: key.ID, Recipient: recipient, CreatedAt: now}
		case nil:
		default:
			return err
		}
		if key.Protocol == ProtocolIMessage && c.AllocationID != a.ID &&
			!(c.AllocationID != "" && e.mut.Has(mutation.InboundNoRebind)) { // (mutant InboundNoRebind, POOL-STICKY-2)
			c.AllocationID, c.BoundAt = a.ID, now // POOL-STICKY-2: most recently used, either direction
		}
		c.GroupID, c.LastMessageAt = groupID, now
		if err := tx.PutConversation(c); err != nil {
			return err
		}
		msg := Message{
			ID: e.ids.NewID("msg"), KeyID: key.ID, Recipient: recipient, ChatID: recipient,
			AllocationID: a.ID, Phone: num.Phone, Direction: Inbound, Protocol: key.Protocol,
			Text: in.Text, Status: StatusReceived, TimeSent: now, ExternalRef: in.ExternalRef,
		}
		if err := tx.PutMessage(msg); err != nil {
			return err
		}
		res = InboundResult{Recorded: true, MessageID: msg.ID, KeyID: key.ID, AllocationID: a.ID, Recipient: recipient, GroupID: groupID}
		return nil
	})
	return res, err
}

// normaliseHandles returns the valid handles of hs, normalised, sorted and de-duplicated.
func normaliseHandles(hs []string) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		if n, ok := parseHandle(h); ok {
			out = append(out, n)
		}
	}
	return sortedUnique(out)
}
