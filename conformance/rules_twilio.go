package conformance

import (
	"net/http"

	"poolkit/target"
)

// twilioChecks judge POOL-TWILIO-1..2: an sms key always sends from its first number that
// can send, and nothing makes it sticky.
func twilioChecks() []check {
	return []check{
		{
			Name: "twilio-first-number", Rule: "POOL-TWILIO-1",
			Doc: "An sms key sends every message without from_number from its lowest-position number: new " +
				"contacts and repeated sends alike, no rotation.",
			Spec: onePool("", twilioNum("t1"), twilioNum("t2"), twilioNum("t3")),
			Run: func(c *C) {
				rs := c.fresh(50, 4)
				froms := c.newFroms("k", rs)
				froms = append(froms, c.newFroms("k", rs[:2])...)
				c.expectAllFrom(froms, "sms sends without from_number", c.Phone("t1"))
			},
		},
		{
			Name: "twilio-skips-banned", Rule: "POOL-TWILIO-1",
			Doc: "A banned first number is skipped: the next number sends; when the ban is lifted, the " +
				"first number sends again.",
			Spec:  onePool("", twilioNum("t1"), twilioNum("t2")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				rs := c.fresh(51, 2)
				c.setHealth(c.Phone("t1"), "banned")
				c.ExpectFrom(c.Send("k", rs[0]), c.Phone("t2"))
				c.setHealth(c.Phone("t1"), "active")
				c.ExpectFrom(c.Send("k", rs[0]), c.Phone("t1"))
				c.ExpectFrom(c.Send("k", rs[1]), c.Phone("t1"))
			},
		},
		{
			Name: "twilio-skips-exhausted-trial", Rule: "POOL-TWILIO-1",
			Doc: "A trial first number that has sent its 20 messages is skipped: the next number sends. " +
				"(Provisioned only: exhausting a real trial number cannot be undone.)",
			Spec:  onePool("", target.NumberSpec{Name: "t1", Provider: "twilio", PlanKind: "trial"}, twilioNum("t2")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				rs := c.fresh(52, 2)
				c.ExpectFrom(c.Send("k", rs[0], texts(20)), c.Phone("t1"))
				c.ExpectFrom(c.Send("k", rs[0]), c.Phone("t2"))
				c.ExpectFrom(c.Send("k", rs[1]), c.Phone("t2"))
			},
		},
		{
			Name: "twilio-no-active-number", Rule: "POOL-TWILIO-1",
			Doc:   "An sms key whose numbers are all banned answers 503 no_active_number.",
			Spec:  onePool("", twilioNum("t1"), twilioNum("t2")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				c.setHealth(c.Phone("t1"), "banned")
				c.setHealth(c.Phone("t2"), "banned")
				c.ExpectCode(c.Send("k", c.fresh(53, 1)[0]), http.StatusServiceUnavailable, "no_active_number")
			},
		},
		{
			Name: "twilio-explicit-no-sticky", Rule: "POOL-TWILIO-2",
			Doc: "An explicit send from the second number does not make the conversation sticky: the next " +
				"send without from_number comes from the first number again.",
			Spec: onePool("", twilioNum("t1"), twilioNum("t2")),
			Run: func(c *C) {
				r := c.fresh(54, 1)[0]
				t1, t2 := c.Phone("t1"), c.Phone("t2")
				c.ExpectFrom(c.Send("k", r, From(t2)), t2)
				c.ExpectFrom(c.Send("k", r), t1)
				c.ExpectFrom(c.Send("k", r, From(t2)), t2)
				c.ExpectFrom(c.Send("k", r), t1)
			},
		},
	}
}
