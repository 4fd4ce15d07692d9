package pool

import (
	"context"
	"runtime"

	"poolkit/internal/mutation"
)

// This file holds the parts of the conformance mutants (WithMutations) too long for the
// guarded branch that calls them. None of it runs in a real engine: every function here is
// reached only through `if e.mut.Has(…)`. Each says which rule it breaks and how.

// sendRacy is Send with POOL-STICKY-4 broken, the way a developer writes it who selects
// first and inserts afterwards: the selection (and the strategy's cursor) commits in one
// transaction, the message, the conversation's binding, a new group and the idempotency
// record in a second one. Concurrent first sends to a new recipient all find no binding,
// each selects its own number and is answered with it, and the last writer's binding
// wins. Sequential sends behave exactly like Send.
func (e *Engine) sendRacy(ctx context.Context, req *SendRequest, chat *Chat, ids []string) (SendResult, error) {
	var res SendResult
	d := &deferredTx{}
	err := e.update(ctx, func(tx Tx) error {
		d.Tx, d.writes = tx, d.writes[:0]
		var err error
		res, err = e.send(d, req, chat, ids)
		return err
	})
	if err != nil {
		return SendResult{}, err
	}
	// The round trip between the two statements of the real bug. Without it the sender
	// usually takes the store's lock straight back and the race almost never shows.
	runtime.Gosched()
	err = e.update(ctx, func(tx Tx) error {
		for _, w := range d.writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return SendResult{}, err
	}
	return res, nil
}

// deferredTx passes reads and the strategy's writes through to Tx and keeps the writes of
// a send's records for later (sendRacy).
type deferredTx struct {
	Tx
	writes []func(Tx) error
}

func (d *deferredTx) later(w func(Tx) error) error {
	d.writes = append(d.writes, w)
	return nil
}

func (d *deferredTx) PutMessage(m Message) error {
	return d.later(func(tx Tx) error { return tx.PutMessage(m) })
}

func (d *deferredTx) PutConversation(c Conversation) error {
	return d.later(func(tx Tx) error { return tx.PutConversation(c) })
}

func (d *deferredTx) PutGroup(g Group) error {
	return d.later(func(tx Tx) error { return tx.PutGroup(g) })
}

func (d *deferredTx) PutIdempotency(r Idempotency) error {
	return d.later(func(tx Tx) error { return tx.PutIdempotency(r) })
}

// mutantSticky takes liveBinding's answer (ok, err) with POOL-STICKY-1 (NoSticky: the
// binding is never found, as if looked up under another key) or POOL-RR-1 (RRSkewed: the
// round-robin cursor records the number last used, so sticky sends move it too) broken.
func (e *Engine) mutantSticky(tx Tx, key *Key, r *route, ok bool, err error) (bool, error) {
	if e.mut.Has(mutation.NoSticky) {
		return false, nil
	}
	if ok && err == nil && e.mut.Has(mutation.RRSkewed) {
		err = tx.PutCursor(key.ID, "", r.alloc.Position)
	}
	return ok, err
}

// lastMessage returns the latest message, in either direction, of a key's conversation.
func lastMessage(tx Tx, keyID, recipient string) (Message, bool, error) {
	msgs, err := tx.Messages(keyID, recipient)
	if err != nil || len(msgs) == 0 {
		return Message{}, false, err
	}
	return msgs[len(msgs)-1], true, nil
}

// lastUsedTwilio breaks POOL-TWILIO-2: an sms send goes out from the number of the
// conversation's last message (an explicit send, an inbound SMS) while that number is in
// the pool and can send. It reports whether it routed.
func (e *Engine) lastUsedTwilio(tx Tx, key *Key, recipient string, n int, r *route) (bool, error) {
	m, ok, err := lastMessage(tx, key.ID, recipient)
	if err != nil || !ok {
		return false, err
	}
	a, err := tx.AllocationByPhone(m.Phone)
	if err == ErrNotFound || err == nil && a.KeyID != key.ID {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	num, err := tx.Number(a.Phone)
	if err != nil {
		return false, err
	}
	if num.Banned || num.trialBlocked(n) {
		return false, nil
	}
	r.alloc, r.num, r.recipient = a, num, recipient
	return true, e.loadConversation(tx, key, r)
}

// danglingBinding breaks POOL-ISO-2 (with mutantUnassign, which leaves bindings behind):
// a binding whose allocation is gone is followed to the number of the conversation's last
// message, "so that the contact keeps seeing one number", though that number has left the
// pool.
func (e *Engine) danglingBinding(tx Tx, key *Key, r *route) (Allocation, error) {
	m, ok, err := lastMessage(tx, key.ID, r.recipient)
	if err != nil {
		return Allocation{}, err
	}
	if !ok {
		return Allocation{}, ErrNotFound
	}
	return Allocation{ID: r.conv.AllocationID, KeyID: key.ID, Phone: m.Phone}, nil
}

// mutantUnassign is UnassignNumber's transaction with POOL-PROTO-3 (ProtocolSticks: the
// protocol is kept when the last number goes) or POOL-ISO-2 (UnassignedStillSends: the
// bindings are left for the send path to clean up) broken.
func (e *Engine) mutantUnassign(tx Tx, key Key, a Allocation) error {
	proto := key.Protocol
	if e.mut.Has(mutation.UnassignedStillSends) {
		if err := tx.DeletePriorInbound(a.ID); err != nil {
			return err
		}
		if err := tx.DeleteAllocation(a.ID); err != nil {
			return err
		}
		key.Allocations--
		if key.Allocations == 0 {
			key.Protocol = ProtocolNone
		}
	} else if err := unassign(tx, &key, a); err != nil {
		return err
	}
	if e.mut.Has(mutation.ProtocolSticks) {
		key.Protocol = proto
	}
	return tx.PutKey(key)
}

// stealAllocation breaks POOL-PROTO-2: it unassigns a number from the key that holds it
// so that another key can take it.
func stealAllocation(tx Tx, a Allocation) error {
	owner, err := tx.Key(a.KeyID)
	if err != nil {
		return err
	}
	if err := unassign(tx, &owner, a); err != nil {
		return err
	}
	return tx.PutKey(owner)
}

// relayMates breaks POOL-ISO-1: a key's pool as a device view, its own allocations
// followed by every other allocated line of the relays its numbers live on.
func relayMates(tx Tx, allocs []Allocation) ([]Allocation, error) {
	if len(allocs) == 0 {
		return allocs, nil
	}
	keyID := allocs[0].KeyID
	var relays []string
	for _, a := range allocs {
		n, err := tx.Number(a.Phone)
		if err != nil {
			return nil, err
		}
		if n.Provider == ProviderBlooio && !containsString(relays, n.RelayID) {
			relays = append(relays, n.RelayID)
		}
	}
	out := allocs
	for _, relay := range relays {
		nums, err := tx.NumbersOnRelay(relay)
		if err != nil {
			return nil, err
		}
		for _, n := range nums {
			a, err := tx.AllocationByPhone(n.Phone)
			if err == ErrNotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			if a.KeyID != keyID {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func containsString(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// mutantCandidate reconsiders a number that is not eligible for new conversations with
// POOL-NEW-1 (DegradedChosen: eligibility tests is_active, true for degraded numbers) or
// POOL-WRR-1 (ZeroWeightChosen: weight 0 reads as "unset", which defaults to 1) broken.
func (e *Engine) mutantCandidate(cands []candidate, j int, a *Allocation, n *Number, s Strategy, texts int) []candidate {
	m := *n
	if e.mut.Has(mutation.DegradedChosen) {
		m.Degraded = false
	}
	if e.mut.Has(mutation.ZeroWeightChosen) && m.Weight == 0 {
		m.Weight = 1
	}
	if eligibleNew(&m, s, texts) {
		cands = append(cands, newCandidate(j, a, &m))
	}
	return cands
}

// firstInboundLine breaks POOL-INBOUND-4: it finds "the" reply-only line of a relay, the
// inbound number on its lowest line slot, as if a Mac could host only one.
func firstInboundLine(tx Tx, relayID string) (Number, error) {
	nums, err := tx.NumbersOnRelay(relayID)
	if err != nil {
		return Number{}, err
	}
	for _, n := range nums {
		if n.PlanKind == PlanInbound {
			return n, nil
		}
	}
	return Number{}, ErrNotFound
}

// mutantPriorInbound records prior inbound with POOL-INBOUND-3 (GroupGrantsContact: a
// group message records its author's handle instead of the group) or POOL-INBOUND-2
// (InboundWarmUp: the first message of a recipient to an allocation records nothing, the
// second does) broken. It runs before the inbound message is stored.
func (e *Engine) mutantPriorInbound(tx Tx, keyID, allocationID, recipient, from string) error {
	prior := recipient
	if e.mut.Has(mutation.GroupGrantsContact) {
		prior = from
	}
	if e.mut.Has(mutation.InboundWarmUp) {
		msgs, err := tx.Messages(keyID, recipient)
		if err != nil {
			return err
		}
		warm := false
		for i := range msgs {
			if msgs[i].Direction == Inbound && msgs[i].AllocationID == allocationID {
				warm = true
				break
			}
		}
		if !warm {
			return nil
		}
	}
	return tx.PutPriorInbound(allocationID, prior)
}
