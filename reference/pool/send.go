package pool

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"poolkit/internal/mutation"
	"poolkit/reference/numbering"
)

// SendRequest is one send of the public API (POST /chats/{chatId}/messages) after the
// adapter has authenticated the key and decoded the body.
type SendRequest struct {
	KeyID string
	// ChatID is the decoded chatId path segment.
	ChatID string
	// Texts holds one element per message to send; it may be empty when Attachments is not.
	Texts       []string
	Attachments []string
	// From is the explicit from_number; "" lets the engine select.
	From           string
	IdempotencyKey string
}

// SendResult is an accepted send.
type SendResult struct {
	MessageID string
	// MessageIDs lists every message of the send, in Texts order.
	MessageIDs   []string
	Status       Status
	From         string
	AllocationID string
	Protocol     Protocol
	ChatID       string
	// GroupID, GroupCreated and Participants describe the group of a group send.
	GroupID      string
	GroupCreated bool
	Participants []string
	// Replayed is true when the result is an idempotent replay of an earlier send.
	Replayed bool
}

// Send selects the sender of a message and records it as queued (SPEC §2–§4), in one
// transaction with the binding change and the idempotency record.
//
// Errors: invalid_chat_id, invalid_request, invalid_from_number, unauthorized,
// chat_not_found, idempotency_key_reused, no_numbers_assigned, from_number_not_in_pool,
// number_banned, inbound_only_no_prior_inbound, sender_unavailable, trial_limit_reached,
// no_active_number.
func (e *Engine) Send(ctx context.Context, req SendRequest) (SendResult, error) {
	chat, err := ParseChatID(req.ChatID)
	if err != nil {
		return SendResult{}, err
	}
	if err := checkContent(req.Texts, req.Attachments); err != nil {
		return SendResult{}, err
	}
	if req.From != "" && !numbering.ValidE164(req.From) && !e.mut.Has(mutation.FromUnvalidated) {
		// (mutant FromUnvalidated, POOL-FROM-1: the check is skipped; the lookup then
		// answers from_number_not_in_pool.)
		return SendResult{}, Errorf(CodeInvalidFromNumber, "from_number must be an E.164 number such as +15551110001")
	}
	// Message ids are made before the transaction so that the store's lock is not held
	// for it; the ids of a rejected send are simply never used.
	var one [1]string
	ids := one[:]
	if len(req.Texts) > 1 {
		ids = make([]string, len(req.Texts))
	}
	for i := range ids {
		ids[i] = e.ids.NewID("msg")
	}
	if e.mut.Has(mutation.RacyFirstSend) {
		return e.sendRacy(ctx, &req, &chat, ids) // POOL-STICKY-4 broken: see mutation.go
	}
	var res SendResult
	err = e.sendTx(ctx, &req, &chat, func(tx Tx) error {
		var err error
		res, err = e.send(tx, &req, &chat, ids)
		return err
	})
	if err != nil {
		return SendResult{}, err
	}
	return res, nil
}

// sendTx runs a send's transaction: scoped to its conversation when the store is a
// ConversationStore and the send can stay inside one (it writes no idempotency record and
// creates no group), else, or when the scoped transaction reaches outside its
// conversation (a number's record changes: its trial count, its last_active), in a
// transaction from Begin.
func (e *Engine) sendTx(ctx context.Context, req *SendRequest, chat *Chat, fn func(Tx) error) error {
	if cs, ok := e.store.(ConversationStore); ok && req.IdempotencyKey == "" && chat.Kind != ChatParticipants {
		if err := scoped(ctx, cs, req.KeyID, chat.ID, fn); !errors.Is(err, ErrOutOfScope) {
			return err
		}
	}
	return e.update(ctx, fn)
}

// scoped runs fn in a transaction scoped to a conversation and commits it when fn
// succeeds.
func scoped(ctx context.Context, cs ConversationStore, keyID, recipient string, fn func(Tx) error) error {
	tx, err := cs.BeginConversation(ctx, keyID, recipient)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// checkContent enforces SPEC §5: text or attachments, and no empty text element.
func checkContent(texts, attachments []string) error {
	if len(texts) == 0 && len(attachments) == 0 {
		return Errorf(CodeInvalidRequest, "text is required")
	}
	for _, t := range texts {
		if t == "" {
			return Errorf(CodeInvalidRequest, "text must not be empty")
		}
	}
	for _, a := range attachments {
		if a == "" {
			return Errorf(CodeInvalidRequest, "attachments must be non-empty URLs")
		}
	}
	return nil
}

// route is the outcome of selection: who sends to whom.
type route struct {
	alloc     Allocation
	num       Number
	recipient string
	conv      Conversation
	// group is the group chat of a group send; newGroup when this send creates it.
	group    Group
	newGroup bool
	// texts is how many messages the send holds.
	texts int
}

func (e *Engine) send(tx Tx, req *SendRequest, chat *Chat, ids []string) (SendResult, error) {
	now := e.now()
	key, err := tx.Key(req.KeyID)
	if err == ErrNotFound || err == nil && key.Revoked {
		return SendResult{}, errUnauthorized
	}
	if err != nil {
		return SendResult{}, err
	}
	if key.Protocol == ProtocolSMS && chat.Kind != ChatPhone {
		return SendResult{}, Errorf(CodeInvalidChatID, "SMS keys can only message E.164 numbers")
	}
	var group Group
	if chat.Kind == ChatGroup {
		if group, err = e.pinnedGroup(tx, &key, chat.ID); err != nil {
			return SendResult{}, err
		}
	}

	var fp [32]byte
	if req.IdempotencyKey != "" {
		fp = fingerprint(chat.ID, req)
		rec, err := tx.Idempotency(key.ID, req.IdempotencyKey)
		if e.mut.Has(mutation.ReplayResends) && err == nil && now.Sub(rec.CreatedAt) < IdempotencyTTL {
			err = ErrNotFound // POOL-STICKY-2 broken: the age test is inverted, a fresh record counts as expired
		}
		switch {
		case err == nil && now.Sub(rec.CreatedAt) < IdempotencyTTL:
			if rec.Fingerprint != fp {
				return SendResult{}, errIdempotencyReused
			}
			res := rec.Result
			res.Replayed = true
			return res, nil
		case err != nil && err != ErrNotFound:
			return SendResult{}, err
		}
	}

	if key.Allocations == 0 {
		if e.mut.Has(mutation.EmptyPoolWrongCode) {
			return SendResult{}, errNoActiveNumber // POOL-EMPTY-1 broken: the generic "no number" error
		}
		return SendResult{}, errNoNumbersAssigned // POOL-EMPTY-1
	}
	org, err := tx.Org(key.OrgID)
	if err != nil {
		return SendResult{}, err
	}
	n := max(len(req.Texts), 1)

	r := route{texts: n}
	switch {
	case req.From != "":
		err = e.routeExplicit(tx, &org, &key, chat, &group, req.From, n, &r)
		if err == nil && e.mut.Has(mutation.FromIgnored) && key.Protocol == ProtocolIMessage && chat.Kind == ChatPhone {
			// POOL-FROM-3 broken: from_number was validated, then selection ran anyway.
			r = route{texts: n}
			err = e.routeIMessage(tx, &org, &key, chat, &group, n, &r)
		}
	case key.Protocol == ProtocolSMS && e.mut.Has(mutation.TwilioRotates):
		// POOL-TWILIO-1 broken: sms keys go through the org strategy (never sticky: only
		// imessage conversations are bound).
		r.recipient = chat.ID
		if err = e.loadConversation(tx, &key, &r); err == nil {
			err = e.selectNew(tx, &org, &key, chat, &r)
		}
	case key.Protocol == ProtocolSMS:
		err = e.routeTwilio(tx, &key, chat.ID, n, &r)
	default:
		err = e.routeIMessage(tx, &org, &key, chat, &group, n, &r)
	}
	if err != nil {
		return SendResult{}, err
	}
	return e.commitSend(tx, req, chat, &key, &r, fp, now, ids)
}

// pinnedGroup returns the group a grp_ chatId names, if it lives on one of key's
// allocations; chat_not_found otherwise (a group of another key reveals nothing).
func (e *Engine) pinnedGroup(tx Tx, key *Key, id string) (Group, error) {
	g, err := tx.Group(id)
	if err == nil && g.KeyID == key.ID {
		var a Allocation
		if a, err = tx.Allocation(g.AllocationID); err == nil && a.KeyID == key.ID {
			return g, nil
		}
	}
	if err != nil && err != ErrNotFound {
		return Group{}, err
	}
	return Group{}, Errorf(CodeChatNotFound, "No chat %s for this API key", id)
}

// routeExplicit is POOL-FROM-2 and POOL-FROM-3: the caller chose the sender.
func (e *Engine) routeExplicit(tx Tx, org *Org, key *Key, chat *Chat, group *Group, from string, n int, r *route) error {
	a, err := tx.AllocationByPhone(from)
	if err == ErrNotFound || err == nil && a.KeyID != key.ID && !e.mut.Has(mutation.ForeignFromAccepted) {
		// (mutant ForeignFromAccepted, POOL-FROM-2: any allocated number is accepted.)
		return errFromNotInPool // POOL-FROM-2: never says who owns it
	}
	if err != nil {
		return err
	}
	r.alloc = a
	r.recipient = chat.ID
	switch chat.Kind {
	case ChatGroup:
		if group.AllocationID != a.ID {
			return Errorf(CodeInvalidRequest, "from_number is not the number this group chat lives on")
		}
		r.group, r.recipient = *group, group.ID
	case ChatParticipants:
		g, ok, err := e.liveAdHocGroup(tx, org, key, chat)
		if err != nil {
			return err
		}
		if ok && g.AllocationID != a.ID {
			return Errorf(CodeInvalidRequest, "from_number is not the number this group chat lives on")
		}
		if ok {
			r.group, r.recipient = g, g.ID
		} else {
			r.newGroup = true
		}
	}
	if r.num, err = tx.Number(from); err != nil {
		return err
	}
	if err := e.loadConversation(tx, key, r); err != nil {
		return err
	}
	return e.checkSender(tx, r)
}

// checkSender applies POOL-FROM-3's checks, in order, to the route's sender.
func (e *Engine) checkSender(tx Tx, r *route) error {
	switch {
	case r.num.Banned:
		return errNumberBanned
	case r.num.PlanKind == PlanInbound && !e.mut.Has(mutation.ReplyOnlyUnenforced):
		// (mutant ReplyOnlyUnenforced, POOL-INBOUND-1: reply-only is not checked.)
		if r.newGroup {
			return inboundOnly(r.alloc.ID, r.recipient) // nobody wrote in a group that does not exist yet
		}
		prior, err := tx.PriorInbound(r.alloc.ID, r.recipient)
		if err != nil {
			return err
		}
		if !prior {
			return inboundOnly(r.alloc.ID, r.recipient) // POOL-INBOUND-1
		}
	}
	if r.num.Offline {
		return errSenderUnavailable
	}
	if r.num.trialBlocked(r.texts) {
		return errTrialLimit
	}
	return nil
}

// routeTwilio is POOL-TWILIO-1: the first allocation that can send; never sticky.
func (e *Engine) routeTwilio(tx Tx, key *Key, recipient string, n int, r *route) error {
	if e.mut.Has(mutation.TwilioSticky) {
		// POOL-TWILIO-2 broken: reply from the number the recipient last talked with.
		if ok, err := e.lastUsedTwilio(tx, key, recipient, n, r); err != nil || ok {
			return err
		}
	}
	allocs, nums, err := readPool(tx, key.ID)
	if err != nil {
		return err
	}
	for i := range allocs {
		if nums[i].Banned || nums[i].trialBlocked(n) {
			continue
		}
		r.alloc, r.num, r.recipient = allocs[i], nums[i], recipient
		return e.loadConversation(tx, key, r)
	}
	return errNoActiveNumber
}

// routeIMessage is POOL-STICKY-1, POOL-NEW-1 and POOL-NEW-2 for a send without from_number.
func (e *Engine) routeIMessage(tx Tx, org *Org, key *Key, chat *Chat, group *Group, n int, r *route) error {
	r.recipient = chat.ID
	switch chat.Kind {
	case ChatGroup:
		// A group lives on its line: it is pinned, never re-selected.
		a, err := tx.Allocation(group.AllocationID)
		if err != nil {
			return err
		}
		r.alloc, r.group, r.recipient = a, *group, group.ID
		if r.num, err = tx.Number(a.Phone); err != nil {
			return err
		}
		if err := e.loadConversation(tx, key, r); err != nil {
			return err
		}
		return e.checkSender(tx, r)
	case ChatParticipants:
		g, ok, err := e.liveAdHocGroup(tx, org, key, chat)
		if err != nil {
			return err
		}
		if ok {
			return e.routeIMessage(tx, org, key, &Chat{Kind: ChatGroup, ID: g.ID}, &g, n, r)
		}
		r.newGroup = true
	default:
		if err := e.loadConversation(tx, key, r); err != nil {
			return err
		}
		ok, err := e.liveBinding(tx, org, key, r)
		if e.mut.Has(mutation.NoSticky | mutation.RRSkewed) {
			ok, err = e.mutantSticky(tx, key, r, ok, err) // POOL-STICKY-1, POOL-RR-1 broken: see mutation.go
		}
		if err != nil || ok {
			return err
		}
	}
	return e.selectNew(tx, org, key, chat, r)
}

// loadConversation reads the route's conversation, or starts a new one.
func (e *Engine) loadConversation(tx Tx, key *Key, r *route) error {
	if r.newGroup {
		r.conv = Conversation{}
		return nil
	}
	c, err := tx.Conversation(key.ID, r.recipient)
	switch err {
	case nil:
		r.conv = c
	case ErrNotFound:
		r.conv = Conversation{}
	default:
		return err
	}
	return nil
}

// liveBinding applies POOL-STICKY-1 and POOL-STICKY-3 to the route's conversation: when
// it has a binding still in force it becomes the route (true). A binding to a banned
// number, or past the org's sticky TTL, is dropped.
func (e *Engine) liveBinding(tx Tx, org *Org, key *Key, r *route) (bool, error) {
	c := &r.conv
	if c.AllocationID == "" {
		return false, nil
	}
	if org.StickyTTL > 0 && e.now().Sub(c.LastMessageAt) > org.StickyTTL {
		c.AllocationID = "" // POOL-STICKY-3: expired
		return false, nil
	}
	a, err := tx.Allocation(c.AllocationID)
	if err == ErrNotFound && e.mut.Has(mutation.UnassignedStillSends) {
		a, err = e.danglingBinding(tx, key, r) // POOL-ISO-2 broken: see mutation.go
	}
	if err == ErrNotFound || err == nil && a.KeyID != key.ID {
		c.AllocationID = "" // unassigned since (normally already unbound)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	num, err := tx.Number(a.Phone)
	if err != nil {
		return false, err
	}
	if num.Banned && !e.mut.Has(mutation.BanKeepsBinding) { // (mutant BanKeepsBinding, POOL-STICKY-3: kept)
		c.AllocationID = "" // POOL-STICKY-3: dropped, re-selected
		return false, nil
	}
	if num.Offline && e.mut.Has(mutation.OfflineSwitches) {
		c.AllocationID = "" // POOL-STICKY-1 broken: the conversation moves off an offline number
		return false, nil
	}
	r.alloc, r.num = a, num
	return true, e.checkSender(tx, r)
}

// liveAdHocGroup finds the ad-hoc group of a participant list while its binding holds.
func (e *Engine) liveAdHocGroup(tx Tx, org *Org, key *Key, chat *Chat) (Group, bool, error) {
	g, err := tx.GroupByParticipants(key.ID, chat.ID)
	if err == ErrNotFound {
		return Group{}, false, nil
	}
	if err != nil {
		return Group{}, false, err
	}
	probe := route{recipient: g.ID}
	if err := e.loadConversation(tx, key, &probe); err != nil {
		return Group{}, false, err
	}
	if probe.conv.AllocationID != g.AllocationID {
		return Group{}, false, nil
	}
	if org.StickyTTL > 0 && e.now().Sub(probe.conv.LastMessageAt) > org.StickyTTL {
		return Group{}, false, nil
	}
	return g, true, nil
}

// commitSend writes the messages, the sender's counters, the conversation (and so the
// binding, POOL-STICKY-2), a new group and the idempotency record.
func (e *Engine) commitSend(tx Tx, req *SendRequest, chat *Chat, key *Key, r *route, fp [32]byte, now time.Time, ids []string) (SendResult, error) {
	res := SendResult{
		Status:       StatusQueued,
		From:         r.num.Phone,
		AllocationID: r.alloc.ID,
		Protocol:     key.Protocol,
		ChatID:       chat.ID,
	}
	if r.newGroup {
		r.group = Group{
			ID: e.ids.NewID("grp"), KeyID: key.ID, AllocationID: r.alloc.ID,
			Participants: chat.Participants, ParticipantsKey: chat.ID, CreatedAt: now,
		}
		r.recipient = r.group.ID
		if err := tx.PutGroup(r.group); err != nil {
			return SendResult{}, err
		}
		res.GroupCreated = true
	}
	if r.group.ID != "" {
		res.GroupID, res.Participants = r.group.ID, r.group.Participants
	}

	msg := Message{
		KeyID: key.ID, Recipient: r.recipient, ChatID: r.recipient, AllocationID: r.alloc.ID,
		Phone: r.num.Phone, Direction: Outbound, Protocol: key.Protocol,
		Attachments: req.Attachments, Status: StatusQueued, TimeSent: now,
	}
	n := len(ids)
	if n > 1 {
		res.MessageIDs = slices.Clone(ids) // ids stays on the caller's stack
	}
	for i := 0; i < n; i++ {
		msg.ID = ids[i]
		if len(req.Texts) > 0 {
			msg.Text = req.Texts[i]
		}
		if i > 0 {
			msg.Attachments = nil // attachments go with the first message
		}
		if err := tx.PutMessage(msg); err != nil {
			return SendResult{}, err
		}
	}
	res.MessageID = ids[0]

	// The number's record changes for the trial counter, and for last_active, which the
	// API shows to the second: a busy number is not rewritten on every send.
	if r.num.PlanKind == PlanTrial || now.Truncate(time.Second) != r.num.LastActive {
		if r.num.PlanKind == PlanTrial {
			r.num.Sent += n
		}
		r.num.LastActive = now.Truncate(time.Second)
		if err := tx.PutNumber(r.num); err != nil {
			return SendResult{}, err
		}
	}

	c := &r.conv
	if c.KeyID == "" {
		c.KeyID, c.Recipient, c.CreatedAt = key.ID, r.recipient, now
	}
	if key.Protocol == ProtocolIMessage && c.AllocationID != r.alloc.ID &&
		!(req.From != "" && e.mut.Has(mutation.ExplicitNoRebind)) { // (mutant ExplicitNoRebind, POOL-STICKY-2)
		c.AllocationID, c.BoundAt = r.alloc.ID, now // POOL-STICKY-2
	}
	c.GroupID = r.group.ID
	c.LastMessageAt = now
	if err := tx.PutConversation(*c); err != nil {
		return SendResult{}, err
	}

	if req.IdempotencyKey != "" {
		rec := Idempotency{KeyID: key.ID, Key: req.IdempotencyKey, Fingerprint: fp, Result: res, CreatedAt: now}
		if err := tx.PutIdempotency(rec); err != nil {
			return SendResult{}, err
		}
	}
	return res, nil
}

// fingerprint identifies a send's effective request for idempotency (SPEC §5): the
// normalised chatId, the texts, the attachments and the from_number.
func fingerprint(chatID string, req *SendRequest) [32]byte {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(chatID)
	field(req.From)
	field("texts")
	for _, t := range req.Texts {
		field(t)
	}
	field("attachments")
	for _, a := range req.Attachments {
		field(a)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
