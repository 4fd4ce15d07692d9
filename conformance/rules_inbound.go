package conformance

import (
	"net/http"

	"poolkit/target"
)

// inboundChecks judge POOL-INBOUND-1..4: reply-only numbers answer only contacts (and
// groups) that wrote to them, at once, per number and per line slot.
func inboundChecks() []check {
	return []check{
		{
			Name: "inbound-explicit-needs-prior", Rule: "POOL-INBOUND-1",
			Doc: "Sending from an inbound number to a contact who never wrote to it answers 403 " +
				"inbound_only_no_prior_inbound with allocation_id and external_id, and stores nothing: the " +
				"conversation stays empty and unbound.",
			Spec: onePool("", dedicated("d"), inboundNum("in")),
			Run: func(c *C) {
				r := c.fresh(60, 1)[0]
				in := c.Phone("in")
				s := c.Send("k", r, From(in))
				if c.ExpectCode(s, http.StatusForbidden, "inbound_only_no_prior_inbound") {
					want := c.allocationOf("k", in)
					got, _ := s.Body["allocation_id"].(string)
					c.Expect(got == want, s, "allocation_id "+want, "allocation_id is %q", got)
					ext, _ := s.Body["external_id"].(string)
					c.Expect(ext == r, s, "external_id "+r, "external_id is %q", ext)
				}
				msgs, list := c.messages("k", r)
				c.Expect(len(msgs) == 0, list, "no messages", "the refused send was stored: %d messages", len(msgs))
				c.ExpectFrom(c.Send("k", r), c.Phone("d"))
			},
		},
		{
			Name: "inbound-other-number-no-unlock", Rule: "POOL-INBOUND-1",
			Doc: "Prior inbound is per (number, contact): a contact who wrote to the dedicated number has " +
				"not unlocked the inbound one (403 inbound_only_no_prior_inbound).",
			Spec:  onePool("", dedicated("d"), inboundNum("in")),
			Needs: []target.Capability{target.Inbound},
			Run: func(c *C) {
				r := c.fresh(61, 1)[0]
				c.write("k", c.Phone("d"), r)
				c.ExpectCode(c.Send("k", r, From(c.Phone("in"))), http.StatusForbidden, "inbound_only_no_prior_inbound")
			},
		},
		{
			Name: "inbound-reply-at-once", Rule: "POOL-INBOUND-2",
			Doc: "After a contact's first message to an inbound number, replies from it are accepted at " +
				"once, explicit or not.",
			Spec:  onePool("", inboundNum("in")),
			Needs: []target.Capability{target.Inbound},
			Run: func(c *C) {
				r, in := c.fresh(62, 1)[0], c.Phone("in")
				c.write("k", in, r)
				c.ExpectFrom(c.Send("k", r, From(in)), in)
				c.ExpectFrom(c.Send("k", r), in)
			},
		},
		{
			Name: "inbound-group-reply", Rule: "POOL-INBOUND-3",
			Doc: "A participant writing in a group to an inbound number allows replies in that group, not " +
				"1:1 messages to the participant (403 inbound_only_no_prior_inbound).",
			Spec:  onePool("", inboundNum("in")),
			Needs: []target.Capability{target.Provisioning, target.Inbound},
			Run: func(c *C) {
				rs := c.fresh(63, 2)
				in := c.Phone("in")
				grp := c.writeInGroup("k", in, rs[0], rs[1])
				c.ExpectFrom(c.Send("k", grp), in)
				c.ExpectFrom(c.Send("k", grp, From(in)), in)
				c.ExpectCode(c.Send("k", rs[0], From(in)), http.StatusForbidden, "inbound_only_no_prior_inbound")
				c.ExpectCode(c.Send("k", rs[1], From(in)), http.StatusForbidden, "inbound_only_no_prior_inbound")
			},
		},
		{
			Name: "inbound-slot-attribution", Rule: "POOL-INBOUND-4",
			Doc: "Two inbound numbers on one Mac relay: a message to each is attributed to exactly that " +
				"number, which may reply, and not to the other one.",
			Spec:  onePool("", inboundNum("in1"), inboundNum("in2")),
			Needs: []target.Capability{target.Inbound},
			Run: func(c *C) {
				rs := c.fresh(64, 2)
				in1, in2 := c.Phone("in1"), c.Phone("in2")
				c.write("k", in2, rs[0])
				c.write("k", in1, rs[1])
				c.ExpectFrom(c.Send("k", rs[0], From(in2)), in2)
				c.ExpectCode(c.Send("k", rs[0], From(in1)), http.StatusForbidden, "inbound_only_no_prior_inbound")
				c.ExpectFrom(c.Send("k", rs[1], From(in1)), in1)
				c.ExpectCode(c.Send("k", rs[1], From(in2)), http.StatusForbidden, "inbound_only_no_prior_inbound")
			},
		},
	}
}
