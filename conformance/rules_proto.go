package conformance

import (
	"net/http"
	"slices"

	"poolkit/target"
)

// protoChecks judge POOL-PROTO-1..3 through the admin API: a pool holds numbers of one
// provider, a number is in one pool, and an emptied key takes either provider again.
// Every one needs provisioning.
func protoChecks() []check {
	provisioning := []target.Capability{target.Provisioning}
	return []check{
		{
			Name: "proto-twilio-into-imessage", Rule: "POOL-PROTO-1",
			Doc: "Assigning a Twilio number to a key holding Blooio numbers answers 409 " +
				"key_protocol_conflict, \"API key already owns Blooio numbers\", and assigns nothing.",
			Spec:  target.Spec{Numbers: []target.NumberSpec{dedicated("b1"), twilioNum("t1")}, Keys: []target.KeySpec{keySpec("k", "b1")}},
			Needs: provisioning,
			Run: func(c *C) {
				s := c.assign("k", c.Phone("t1"))
				c.expectConflict(s, "API key already owns Blooio numbers")
				c.expectPool("k", "imessage", c.Phone("b1"))
			},
		},
		{
			Name: "proto-blooio-into-sms", Rule: "POOL-PROTO-1",
			Doc: "Assigning a Blooio number to a key holding Twilio numbers answers 409 " +
				"key_protocol_conflict, \"API key already owns Twilio numbers\", and assigns nothing.",
			Spec:  target.Spec{Numbers: []target.NumberSpec{dedicated("b1"), twilioNum("t1")}, Keys: []target.KeySpec{keySpec("k", "t1")}},
			Needs: provisioning,
			Run: func(c *C) {
				s := c.assign("k", c.Phone("b1"))
				c.expectConflict(s, "API key already owns Twilio numbers")
				c.expectPool("k", "sms", c.Phone("t1"))
			},
		},
		{
			Name: "proto-mixed-request", Rule: "POOL-PROTO-1",
			Doc: "One assignment of a Blooio and a Twilio number answers 400 mixed_protocols and assigns " +
				"neither; each alone is then accepted.",
			Spec:  target.Spec{Numbers: []target.NumberSpec{dedicated("b1"), twilioNum("t1")}, Keys: []target.KeySpec{{Name: "k"}}},
			Needs: provisioning,
			Run: func(c *C) {
				c.ExpectCode(c.assign("k", c.Phone("b1"), c.Phone("t1")), http.StatusBadRequest, "mixed_protocols")
				c.expectPool("k", "")
				c.ExpectCode(c.assign("k", c.Phone("t1"), c.Phone("b1")), http.StatusBadRequest, "mixed_protocols")
				c.expectPool("k", "")
				s := c.assign("k", c.Phone("b1"))
				c.Expect(s.Status == http.StatusOK, s, "200", "assigning the Blooio number alone answered %d", s.Status)
				c.expectPool("k", "imessage", c.Phone("b1"))
			},
		},
		{
			Name: "proto-error-order", Rule: "POOL-PROTO-1",
			Doc: "Assignment errors come in order number_not_found → mixed_protocols → " +
				"number_already_allocated → key_protocol_conflict, nothing is assigned on any of them, and " +
				"assigning a number already in the pool is a no-op.",
			Spec: target.Spec{
				Numbers: []target.NumberSpec{dedicated("b1"), dedicated("b2"), dedicated("b3"), twilioNum("t1"), twilioNum("t2")},
				Keys:    []target.KeySpec{keySpec("k", "b1"), keySpec("sms", "t2")},
			},
			Needs: provisioning,
			Run: func(c *C) {
				b1, b2, b3, t1, t2 := c.Phone("b1"), c.Phone("b2"), c.Phone("b3"), c.Phone("t1"), c.Phone("t2")
				before := c.allocationOf("k", b1)
				c.ExpectCode(c.assign("k", b3, t1, unknownNumber(c)), http.StatusNotFound, "number_not_found")
				c.ExpectCode(c.assign("k", t2, b3), http.StatusBadRequest, "mixed_protocols")
				c.ExpectCode(c.assign("k", b3, t2), http.StatusBadRequest, "mixed_protocols")
				c.ExpectCode(c.assign("k", t2), http.StatusConflict, "number_already_allocated")
				c.ExpectCode(c.assign("sms", b2, b1), http.StatusConflict, "number_already_allocated")
				c.ExpectCode(c.assign("k", t1), http.StatusConflict, "key_protocol_conflict")
				c.expectPool("k", "imessage", b1)
				c.expectPool("sms", "sms", t2)
				s := c.assign("k", b1)
				c.Expect(s.Status == http.StatusOK, s, "200 (a no-op)", "assigning a number already in the pool answered %d", s.Status)
				c.expectPool("k", "imessage", b1)
				c.Expect(c.allocationOf("k", b1) == before, s, "the allocation unchanged ("+before+")", "the allocation changed")
			},
		},
		{
			Name: "proto-already-allocated", Rule: "POOL-PROTO-2",
			Doc: "A number allocated to one key cannot be assigned to another: 409 " +
				"number_already_allocated, and it stays in the first key's pool.",
			Spec:  target.Spec{Numbers: []target.NumberSpec{dedicated("a1"), dedicated("b1")}, Keys: []target.KeySpec{keySpec("a", "a1"), keySpec("b", "b1")}},
			Needs: provisioning,
			Run: func(c *C) {
				a1, b1 := c.Phone("a1"), c.Phone("b1")
				c.ExpectCode(c.assign("b", a1), http.StatusConflict, "number_already_allocated")
				c.expectPool("a", "imessage", a1)
				c.expectPool("b", "imessage", b1)
				r := c.fresh(70, 1)[0]
				c.ExpectFrom(c.Send("a", r, From(a1)), a1)
				c.ExpectCode(c.Send("b", r, From(a1)), http.StatusForbidden, "from_number_not_in_pool")
			},
		},
		{
			Name: "proto-null-after-unassign", Rule: "POOL-PROTO-3",
			Doc: "A key whose last number is unassigned has protocol null again and takes a number of the " +
				"other provider, and back.",
			Spec:  target.Spec{Numbers: []target.NumberSpec{dedicated("b1"), twilioNum("t1")}, Keys: []target.KeySpec{keySpec("k", "b1")}},
			Needs: provisioning,
			Run: func(c *C) {
				b1, t1 := c.Phone("b1"), c.Phone("t1")
				c.unassign("k", b1)
				c.expectPool("k", "")
				s := c.assign("k", t1)
				c.Expect(s.Status == http.StatusOK, s, "200", "assigning a Twilio number to the emptied key answered %d", s.Status)
				c.expectPool("k", "sms", t1)
				c.unassign("k", t1)
				c.expectPool("k", "")
				s = c.assign("k", b1)
				c.Expect(s.Status == http.StatusOK, s, "200", "assigning a Blooio number to the emptied key answered %d", s.Status)
				c.expectPool("k", "imessage", b1)
			},
		},
	}
}

// expectConflict expects 409 key_protocol_conflict with message msg.
func (c *C) expectConflict(s Sent, msg string) {
	if c.ExpectCode(s, http.StatusConflict, "key_protocol_conflict") {
		got, _ := s.Body["message"].(string)
		c.Expect(got == msg, s, "message "+msg, "the message is %q", got)
	}
}

// expectPool expects key's /me protocol ("" for null) and /me/numbers phones, in order.
func (c *C) expectPool(key, protocol string, phones ...string) {
	got, me := c.protocolOf(key)
	c.Expect(got == protocol, me, "protocol "+orNull(protocol), "GET /v2/api/me: protocol is %s", orNull(got))
	nums, s := c.myNumbers(key)
	var have []string
	for _, n := range nums {
		have = append(have, n.Phone)
	}
	if phones == nil {
		phones = []string{}
	}
	if have == nil {
		have = []string{}
	}
	c.Expect(slices.Equal(have, phones), s, "numbers "+joinOr(phones, "none"), "GET /v2/api/me/numbers lists %v", have)
}

func orNull(p string) string {
	if p == "" {
		return "null"
	}
	return p
}

func joinOr(p []string, empty string) string {
	if len(p) == 0 {
		return empty
	}
	out := p[0]
	for _, q := range p[1:] {
		out += ", " + q
	}
	return out
}
