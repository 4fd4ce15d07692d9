package conformance

import (
	"fmt"
	"net/http"
	"time"

	"poolkit/reference/client"
	"poolkit/target"
)

// stickyRecipients is how many fresh recipients sticky-concurrent-first races. Over HTTP
// the racy-first-send mutant splits a third to two thirds of them (measured: 19–44 of 60
// with GOMAXPROCS 1 to 8, with and without -race, alone or beside the other mutants), so
// a run misses it with a probability of at most about (2/3)^60 ≈ 3e-11; a correct engine
// answers every racing send from one number. 60 × 8 sends take about 0.4 s.
const stickyRecipients = 60

// stickyRacers is how many sends race for each recipient.
const stickyRacers = 8

// stickyChecks judge POOL-STICKY-1..4: conversations keep their number, what moves a
// binding, what removes it, and that creating it is atomic.
func stickyChecks() []check {
	return []check{
		{
			Name: "sticky-repeat", Rule: "POOL-STICKY-1",
			Doc:  "Repeated sends to one contact all come from the number of the first one.",
			Spec: onePool("", dedicated("a"), dedicated("b"), dedicated("c")),
			Run: func(c *C) {
				for _, r := range c.fresh(20, 3) {
					first := c.sendOK("k", r)
					for range 3 {
						c.ExpectFrom(c.Send("k", r), first.From)
					}
				}
			},
		},
		{
			Name: "sticky-offline-no-move", Rule: "POOL-STICKY-1",
			Doc: "A conversation whose number is offline answers 503 sender_unavailable with Retry-After and " +
				"is not moved: when the line is back, it continues on the same number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				r := c.Contact("+15550210001")
				first := c.sendOK("k", r)
				x := first.From
				// Delivered before the line goes offline: a dispatch that met the offline
				// line would mark the number offline again after it is back.
				c.settle("k", r, first.messageIDs()...)
				c.Line(x, target.LineChange{Online: ptr(false)})
				s := c.Send("k", r)
				if c.ExpectCode(s, http.StatusServiceUnavailable, "sender_unavailable") {
					c.Expect(s.RetryAfter != "", s, "a Retry-After header", "no Retry-After header")
				}
				c.Line(x, target.LineChange{Online: ptr(true)})
				c.ExpectFrom(c.Send("k", r), x)
			},
		},
		{
			Name: "sticky-degraded-kept", Rule: "POOL-STICKY-1",
			Doc: "A conversation whose number became degraded stays on it (degraded numbers keep their " +
				"bindings).",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), fastHealth()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				r := c.Contact("+15550220001")
				x := c.sendOK("k", r).From
				c.degrade("k", x, r, 4)
				c.ExpectFrom(c.Send("k", r), x)
			},
		},
		{
			Name: "sticky-explicit-rebinds", Rule: "POOL-STICKY-2",
			Doc: "An accepted send with an explicit from_number moves the binding: the next send without " +
				"from_number comes from that number.",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				r := c.Contact("+15550230001")
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.mustOK(c.Send("k", r, From(y)), "an explicit send from "+y)
				c.ExpectFrom(c.Send("k", r), y)
				c.ExpectFrom(c.Send("k", r), y)
			},
		},
		{
			Name: "sticky-explicit-binds-new", Rule: "POOL-STICKY-2",
			Doc:  "A first message with an explicit from_number binds the new conversation to that number.",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				rs := c.fresh(24, 2)
				for i, p := range c.Phones("a", "b") {
					c.mustOK(c.Send("k", rs[i], From(p)), "an explicit first send from "+p)
				}
				for i, p := range c.Phones("a", "b") {
					c.ExpectFrom(c.Send("k", rs[i]), p)
				}
			},
		},
		{
			Name: "sticky-inbound-rebinds", Rule: "POOL-STICKY-2",
			Doc: "An inbound message from the contact to another number of the pool moves the binding to " +
				"it: the next send comes from the number the contact wrote to.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Inbound},
			Run: func(c *C) {
				r := c.Contact("+15550250001")
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.write("k", y, r)
				c.ExpectFrom(c.Send("k", r), y)
			},
		},
		{
			Name: "sticky-inbound-binds-new", Rule: "POOL-STICKY-2",
			Doc:   "A contact who writes first to a number gets the reply from that number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Inbound},
			Run: func(c *C) {
				rs := c.fresh(26, 2)
				for i, p := range c.Phones("a", "b") {
					c.write("k", p, rs[i])
				}
				for i, p := range c.Phones("a", "b") {
					c.ExpectFrom(c.Send("k", rs[i]), p)
				}
			},
		},
		{
			Name: "sticky-failed-kept", Rule: "POOL-STICKY-2",
			Doc:   "A failed delivery does not undo the binding: the next send comes from the same number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				for _, p := range c.Phones("a", "b") {
					c.Line(p, target.LineChange{FailureRatio: ptr(1.0)})
				}
				r := c.Contact("+15550270001")
				s := c.sendOK("k", r)
				c.settle("k", r, s.messageIDs()...)
				c.ExpectFrom(c.Send("k", r), s.From)
			},
		},
		{
			Name: "sticky-replay-no-change", Rule: "POOL-STICKY-2",
			Doc: "An idempotent replay changes nothing: it answers 200 with the original message, and the " +
				"binding stays where a later send put it.",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				r := c.Contact("+15550280001")
				a, b := c.Phone("a"), c.Phone("b")
				idem := Idempotency(randomToken("poolkit-conformance-"))
				first := c.mustOK(c.Send("k", r, From(a), idem), "an explicit send from "+a)
				c.mustOK(c.Send("k", r, From(b)), "an explicit send from "+b)
				again := c.Send("k", r, From(a), idem)
				c.Expect(again.Status == http.StatusOK && again.MessageID == first.MessageID, again,
					"200 with the original message_id "+first.MessageID, "the replay answered %d with message_id %q", again.Status, again.MessageID)
				c.ExpectFrom(c.Send("k", r), b)
			},
		},
		{
			Name: "sticky-admin-reset", Rule: "POOL-STICKY-3",
			Doc: "An admin reset removes the binding (the binding endpoint answers 404 binding_not_found) " +
				"and the next send selects afresh: round-robin moves on to the other number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				r := c.Contact("+15550290001")
				x := c.sendOK("k", r).From
				c.resetBinding("k", r)
				path := "/admin/v1/keys/" + client.PathEscape(c.keyID("k")) + "/bindings/" + client.PathEscape(r)
				s := c.admin(http.MethodGet, path, nil)
				c.ExpectCode(s, http.StatusNotFound, "binding_not_found")
				c.ExpectFrom(c.Send("k", r), other(c.Phones("a", "b"), x))
			},
		},
		{
			Name: "sticky-ban-drops", Rule: "POOL-STICKY-3",
			Doc: "Banning the number of a conversation (admin API) drops its binding: the next send is " +
				"re-selected (202 from another number), and stays there once the ban is lifted.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				r := c.Contact("+15550300001")
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.setHealth(x, "banned")
				c.ExpectFrom(c.Send("k", r), y)
				c.setHealth(x, "active")
				c.ExpectFrom(c.Send("k", r), y)
			},
		},
		{
			Name: "sticky-relay-ban-drops", Rule: "POOL-STICKY-3",
			Doc:   "A ban reported by the relay drops the conversation's binding too: the next send is re-selected.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				r := c.Contact("+15550310001")
				x := c.sendOK("k", r).From
				c.Line(x, target.LineChange{Banned: ptr(true)})
				c.ExpectFrom(c.Send("k", r), other(c.Phones("a", "b"), x))
			},
		},
		{
			Name: "sticky-unassign-drops", Rule: "POOL-STICKY-3",
			Doc: "Unassigning the number of a conversation drops its binding: the next send comes from a " +
				"number still in the pool, and stays there when the number is assigned again.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				r := c.Contact("+15550320001")
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.unassign("k", x)
				c.ExpectFrom(c.Send("k", r), y)
				if s := c.assign("k", x); s.Status != http.StatusOK {
					c.Fatalf("setup: assigning %s again answered %s", x, s.Response)
				}
				c.ExpectFrom(c.Send("k", r), y)
			},
		},
		{
			Name: "sticky-ttl-expires", Rule: "POOL-STICKY-3",
			Doc: "With sticky_ttl 60 s the binding holds while messages are less than 60 s apart, however " +
				"long the conversation, and is gone more than 60 s after the last one: round-robin moves on.",
			Spec:  withTTL(onePool("", dedicated("a"), dedicated("b")), 60),
			Needs: []target.Capability{target.Provisioning, target.Clock},
			Run: func(c *C) {
				r := c.Contact("+15550330001")
				bound := c.sendOK("k", r).From
				// 40 s, 40 s (80 s after the first message), then 61 s.
				for _, d := range []time.Duration{40 * time.Second, 40 * time.Second, 61 * time.Second} {
					c.Advance(d)
					bound = c.expectTTL("k", r, c.sendOK("k", r), bound, 60*time.Second)
				}
			},
		},
		{
			Name: "sticky-ttl-inbound-refreshes", Rule: "POOL-STICKY-3",
			Doc: "The sticky TTL counts from the last message in either direction: an inbound message keeps " +
				"the binding alive.",
			Spec:  withTTL(onePool("", dedicated("a"), dedicated("b")), 60),
			Needs: []target.Capability{target.Provisioning, target.Clock, target.Inbound},
			Run: func(c *C) {
				r := c.Contact("+15550340001")
				x := c.sendOK("k", r).From
				c.Advance(40 * time.Second)
				c.write("k", x, r)
				c.Advance(40 * time.Second) // 80 s after the send, 40 s after the inbound message
				c.expectTTL("k", r, c.sendOK("k", r), x, 60*time.Second)
			},
		},
		{
			Name: "sticky-concurrent-first", Rule: "POOL-STICKY-4",
			Doc: fmt.Sprintf("%d sends racing to each of %d new contacts are all answered from one number per "+
				"contact, and later sends follow it.", stickyRacers, stickyRecipients),
			Spec: onePool("", dedicated("a"), dedicated("b"), dedicated("c")),
			Run: func(c *C) {
				split := 0
				for i, r := range c.fresh(35, stickyRecipients) {
					sent := c.SendConcurrent(stickyRacers, "k", r)
					froms := map[string]int{}
					for _, s := range sent {
						c.mustOK(s, "a racing first send")
						froms[s.From]++
					}
					if len(froms) > 1 {
						split++
						if split <= 3 {
							c.Expect(false, sent[0], "one from_number for every racing send", "recipient %d (%s): %d racing first sends were answered from %v", i, r, stickyRacers, froms)
						}
						continue
					}
					c.ExpectFrom(c.Send("k", r), sent[0].From)
				}
				if split > 3 {
					c.Errorf("in all, %d of %d new contacts were answered from more than one number", split, stickyRecipients)
				}
				c.Logf("%d of %d new contacts were answered from more than one number", split, stickyRecipients)
			},
		},
	}
}

// expectTTL judges send s of key's conversation with r under a sticky TTL: from bound
// when the conversation's previous message (either direction) is at most ttl older, else
// from the other number of a round-robin pool of two whose cursor stands at bound. The
// gap is read from the messages' time_sent, so the judgement holds on a deployment
// whose clock other runs move too. It returns the conversation's number after s.
func (c *C) expectTTL(key, r string, s Sent, bound string, ttl time.Duration) string {
	gap := c.gapBefore(key, r, s.MessageID)
	if gap <= ttl {
		c.Expect(s.From == bound, s, "202 from "+bound+" (the binding, "+gap.String()+" after the last message)",
			"%v after the last message, within the %v TTL, the send came from %s", gap, ttl, s.From)
		return bound
	}
	afresh := other(c.Phones("a", "b"), bound)
	c.Expect(s.From == afresh, s, "202 from "+afresh+" (selected afresh: "+gap.String()+" after the last message)",
		"%v after the last message, past the %v TTL, the send came from %s", gap, ttl, s.From)
	return s.From
}

// withTTL sets a spec's sticky TTL.
func withTTL(s target.Spec, seconds int64) target.Spec {
	s.StickyTTLSeconds = &seconds
	return s
}
