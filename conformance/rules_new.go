package conformance

import (
	"net/http"
	"time"

	"poolkit/target"
)

// emptyChecks judge POOL-EMPTY-1: a key without numbers.
func emptyChecks() []check {
	return []check{
		{
			Name: "empty-pool", Rule: "POOL-EMPTY-1",
			Doc: "A send with a key that holds no numbers answers 403 no_numbers_assigned, \"No numbers " +
				"assigned to this API key\".",
			Spec: target.Spec{Keys: []target.KeySpec{{Name: "empty"}}},
			Run: func(c *C) {
				r := c.Contact("+15550100001")
				for _, s := range []Sent{c.Send("empty", r), c.Send("empty", r, Texts("one", "two"))} {
					if c.ExpectCode(s, http.StatusForbidden, "no_numbers_assigned") {
						msg, _ := s.Body["message"].(string)
						c.Expect(msg == "No numbers assigned to this API key", s, `message "No numbers assigned to this API key"`, "the message is %q", msg)
					}
				}
			},
		},
		{
			Name: "empty-pool-explicit-from", Rule: "POOL-EMPTY-1",
			Doc: "POOL-EMPTY-1 comes before the from_number rules: an E.164 from_number sent with an empty " +
				"key, another key's or an unknown one, still answers 403 no_numbers_assigned.",
			Spec: target.Spec{Numbers: []target.NumberSpec{dedicated("a")}, Keys: []target.KeySpec{{Name: "empty"}, keySpec("other", "a")}},
			Run: func(c *C) {
				r := c.Contact("+15550100002")
				c.ExpectCode(c.Send("empty", r, From(c.Phone("a"))), http.StatusForbidden, "no_numbers_assigned")
				c.ExpectCode(c.Send("empty", r, From("+15559990001")), http.StatusForbidden, "no_numbers_assigned")
			},
		},
	}
}

// newChecks judge POOL-NEW-1 (who is a candidate for a new conversation, and what
// happens when nobody is) and POOL-NEW-2 (the org's strategy picks).
func newChecks() []check {
	return []check{
		{
			Name: "new-skips-inbound", Rule: "POOL-NEW-1",
			Doc:  "New conversations never start on an inbound (reply-only) number; the dedicated numbers share them.",
			Spec: onePool("", dedicated("d1"), inboundNum("in"), dedicated("d2")),
			Run: func(c *C) {
				froms := c.newFroms("k", c.fresh(11, 6))
				c.expectAllFrom(froms, "6 new conversations", c.Phones("d1", "d2")...)
			},
		},
		{
			Name: "new-inbound-only-pool", Rule: "POOL-NEW-1",
			Doc: "A pool of inbound numbers cannot start a conversation with a contact who never wrote: 403 " +
				"inbound_only_no_prior_inbound with the lowest-position allocation_id and external_id.",
			Spec: onePool("", inboundNum("in1"), inboundNum("in2")),
			Run: func(c *C) {
				r := c.Contact("+15550120001")
				s := c.Send("k", r)
				if c.ExpectCode(s, http.StatusForbidden, "inbound_only_no_prior_inbound") {
					want := c.allocationOf("k", c.Phone("in1"))
					got, _ := s.Body["allocation_id"].(string)
					c.Expect(got == want, s, "allocation_id "+want+" (the lowest position's)", "allocation_id is %q", got)
					ext, _ := s.Body["external_id"].(string)
					c.Expect(ext == r, s, "external_id "+r, "external_id is %q", ext)
				}
			},
		},
		{
			Name: "new-skips-degraded", Rule: "POOL-NEW-1",
			Doc: "A degraded number (its deliveries fail) takes no new conversations while an active one " +
				"can: new conversations go to the active number.",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), fastHealth()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a, b := c.Phone("a"), c.Phone("b")
				c.degrade("k", a, c.Contact("+15550139999"), 4)
				froms := c.newFroms("k", c.fresh(13, 4))
				c.expectAllFrom(froms, "4 new conversations after "+a+" became degraded", b)
			},
		},
		{
			Name: "new-skips-offline", Rule: "POOL-NEW-1",
			Doc:   "An offline number takes no new conversations: they go to the active number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				c.Line(c.Phone("a"), target.LineChange{Online: ptr(false)})
				froms := c.newFroms("k", c.fresh(14, 4))
				c.expectAllFrom(froms, "4 new conversations while "+c.Phone("a")+" is offline", c.Phone("b"))
			},
		},
		{
			Name: "new-skips-banned", Rule: "POOL-NEW-1",
			Doc:   "A banned number takes no new conversations: they go to the active number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				c.setHealth(c.Phone("b"), "banned")
				froms := c.newFroms("k", c.fresh(15, 4))
				c.expectAllFrom(froms, "4 new conversations while "+c.Phone("b")+" is banned", c.Phone("a"))
			},
		},
		{
			Name: "new-skips-exhausted-trial", Rule: "POOL-NEW-1",
			Doc: "A trial number that has sent its 20 messages takes no new conversations. (Provisioned " +
				"only: exhausting a real trial number cannot be undone.)",
			Spec:  onePool("", trialNum("t"), dedicated("d")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				t := c.Phone("t")
				c.sendOK("k", c.Contact("+15550169999"), From(t), texts(20))
				froms := c.newFroms("k", c.fresh(16, 4))
				c.expectAllFrom(froms, "4 new conversations after trial number "+t+" sent 20 messages", c.Phone("d"))
			},
		},
		{
			Name: "new-no-active-number", Rule: "POOL-NEW-1",
			Doc: "With no eligible number (all banned), and not every number inbound, a new conversation " +
				"answers 503 no_active_number, \"No active number available\", with Retry-After.",
			Spec: target.Spec{
				Numbers: []target.NumberSpec{dedicated("a"), dedicated("b"), dedicated("d"), inboundNum("in")},
				Keys:    []target.KeySpec{keySpec("k", "a", "b"), keySpec("mixed", "d", "in")},
			},
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				for _, p := range c.Phones("a", "b", "d") {
					c.setHealth(p, "banned")
				}
				for i, key := range []string{"k", "mixed"} {
					s := c.Send(key, c.fresh(17, 2)[i])
					if c.ExpectCode(s, http.StatusServiceUnavailable, "no_active_number") {
						msg, _ := s.Body["message"].(string)
						c.Expect(msg == "No active number available", s, `message "No active number available"`, "the message is %q", msg)
						c.Expect(s.RetryAfter != "", s, "a Retry-After header", "no Retry-After header")
					}
				}
			},
		},
		{
			Name: "new-inbound-fallback", Rule: "POOL-NEW-1",
			Doc: "With no eligible number, an inbound number the contact wrote to takes the conversation: " +
				"after the binding is reset, the send comes from it (202), not 503.",
			Spec:  onePool("", inboundNum("in1"), inboundNum("in2")),
			Needs: []target.Capability{target.Provisioning, target.Inbound},
			Run: func(c *C) {
				r := c.Contact("+15550180001")
				in2 := c.Phone("in2")
				c.write("k", in2, r)
				c.resetBinding("k", r)
				c.ExpectFrom(c.Send("k", r), in2)
			},
		},
		{
			Name: "new-uses-weighted", Rule: "POOL-NEW-2",
			Doc: "Under the weighted strategy, any 7 consecutive new conversations over weights 5, 1, 1 give " +
				"the first number 5 of them (smooth weighted round-robin is periodic with period W).",
			Spec: onePool("weighted", weightedNum("a", 5), weightedNum("b", 1), weightedNum("c", 1)),
			Run: func(c *C) {
				got := counts(c.newFroms("k", c.fresh(19, 7)))
				a, b, cc := c.Phone("a"), c.Phone("b"), c.Phone("c")
				if got[a] != 5 || got[b] != 1 || got[cc] != 1 {
					c.Errorf("7 new conversations over weights 5,1,1: expected 5 from %s and 1 each from %s and %s, got %v", a, b, cc, got)
				}
			},
		},
		{
			Name: "new-uses-geographic", Rule: "POOL-NEW-2",
			Doc: "Under the geographic strategy, new conversations with contacts in an area code of the pool " +
				"all go to that number, and contacts of a state go to that state's numbers in turn. " +
				"(Provisioned only: the contacts' area codes must be chosen.)",
			Spec:  onePool("geographic", areaNum("ny", "212"), areaNum("la", "310"), areaNum("sf", "415")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				sf := c.newFroms("k", []string{c.Contact("+14155550101"), c.Contact("+14155550102"), c.Contact("+14155550103")})
				c.expectAllFrom(sf, "new conversations with 415 contacts", c.Phone("sf"))
				ca := c.newFroms("k", []string{c.Contact("+12135550101"), c.Contact("+12135550102")})
				if got := counts(ca); got[c.Phone("la")] != 1 || got[c.Phone("sf")] != 1 {
					c.Errorf("two new conversations with 213 (California) contacts: expected one each from %s and %s, got %v", c.Phone("la"), c.Phone("sf"), ca)
				}
			},
		},
	}
}

// withHealth sets a spec's health thresholds.
func withHealth(s target.Spec, h *target.HealthConfig) target.Spec {
	s.Health = h
	return s
}

// degrade makes phone degraded: its line fails every delivery, and n messages from it to
// contact (n ≥ the org's min_samples, below its degrade_below) reach a final status. The
// check stops unless the key's /me/numbers then shows it degraded.
func (c *C) degrade(key, phone, contact string, n int) {
	c.Line(phone, target.LineChange{FailureRatio: ptr(1.0)})
	s := c.sendOK(key, contact, From(phone), texts(n))
	c.settle(key, contact, s.messageIDs()...)
	var last Sent
	if !c.Eventually(2*time.Second, func() bool {
		var n poolNumber
		n, last = c.poolEntry(key, phone)
		return n.Health == "degraded"
	}) {
		c.failures = append(c.failures, Failure{Message: "setup: " + phone + " never became degraded after its deliveries failed (see POOL-HEALTH-1)", Request: last.Request, Response: last.Response, Allowed: `health "degraded"`})
		panic(stop{})
	}
}
