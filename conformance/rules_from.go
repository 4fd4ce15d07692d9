package conformance

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"

	"poolkit/target"
)

// fromChecks judge POOL-FROM-1..3: an explicit from_number is validated, must be the
// key's own, and is then used after the sender checks, in their order.
func fromChecks() []check {
	return []check{
		{
			Name: "from-not-e164", Rule: "POOL-FROM-1",
			Doc: "A from_number that is not E.164 (the pool's own number without its +, with spaces, " +
				"letters) answers 400 invalid_from_number.",
			Spec: onePool("", dedicated("a")),
			Run: func(c *C) {
				r := c.Contact("+15550400001")
				a := c.Phone("a")
				for _, f := range []string{a[1:], "+1 " + a[2:], "00" + a[1:], "+1555CALLNOW", "+" + a} {
					c.ExpectCode(c.Send("k", r, From(f)), http.StatusBadRequest, "invalid_from_number")
				}
			},
		},
		{
			Name: "from-foreign-key", Rule: "POOL-FROM-2",
			Doc: "A from_number of another key's pool (or, on a fixture, a foreign number) answers 403 " +
				"from_number_not_in_pool, with a body that tells it apart from an unknown number in nothing.",
			Spec: target.Spec{Numbers: []target.NumberSpec{dedicated("a"), dedicated("b")}, Keys: []target.KeySpec{keySpec("k", "a"), keySpec("other", "b")}},
			Run: func(c *C) {
				r := c.Contact("+15550410001")
				foreign := []string{c.Phone("b")}
				if f := c.Workspace().Deployment().Fixture; f != nil {
					foreign = append(foreign, f.ForeignNumbers...)
				}
				unknown := c.Send("k", r, From(unknownNumber(c)))
				for _, f := range foreign {
					s := c.Send("k", r, From(f))
					if !c.ExpectCode(s, http.StatusForbidden, "from_number_not_in_pool") {
						continue
					}
					msg, _ := s.Body["message"].(string)
					c.Expect(msg == "This API key does not own the specified from_number", s,
						`message "This API key does not own the specified from_number"`, "the message is %q", msg)
					c.Expect(reflect.DeepEqual(s.Body, unknown.Body), s, "the body answered for an unknown number: "+unknown.Response,
						"the refusal of another key's number differs from the refusal of an unknown number: it reveals that the number is someone's")
				}
				// The owner still sends from it: the refusal changed nothing.
				c.ExpectFrom(c.Send("other", c.Contact("+15550410002"), From(c.Phone("b"))), c.Phone("b"))
			},
		},
		{
			Name: "from-unknown-number", Rule: "POOL-FROM-2",
			Doc:  "A from_number registered nowhere answers 403 from_number_not_in_pool.",
			Spec: onePool("", dedicated("a")),
			Run: func(c *C) {
				c.ExpectCode(c.Send("k", c.Contact("+15550420001"), From(unknownNumber(c))), http.StatusForbidden, "from_number_not_in_pool")
			},
		},
		{
			Name: "from-own-number", Rule: "POOL-FROM-3",
			Doc: "A from_number of the key's pool is used: the response's from_number is F, even when the " +
				"conversation is bound to another number.",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				r := c.Contact("+15550430001")
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.ExpectFrom(c.Send("k", r, From(y)), y)
				c.ExpectFrom(c.Send("k", r, From(x)), x)
				c.ExpectFrom(c.Send("k", c.Contact("+15550430002"), From(y)), y)
			},
		},
		{
			Name: "from-empty-string", Rule: "POOL-FROM-3",
			Doc:  "An empty from_number counts as absent: the conversation's binding decides.",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				r := c.Contact("+15550440001")
				x := c.sendOK("k", r).From
				c.ExpectFrom(c.Send("k", r, From("")), x)
			},
		},
		{
			Name: "from-banned", Rule: "POOL-FROM-3",
			Doc:   "A banned from_number answers 403 number_banned.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				c.setHealth(c.Phone("a"), "banned")
				c.ExpectCode(c.Send("k", c.Contact("+15550450001"), From(c.Phone("a"))), http.StatusForbidden, "number_banned")
			},
		},
		{
			Name: "from-offline", Rule: "POOL-FROM-3",
			Doc:   "An offline from_number answers 503 sender_unavailable with Retry-After.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				c.Line(c.Phone("a"), target.LineChange{Online: ptr(false)})
				s := c.Send("k", c.Contact("+15550460001"), From(c.Phone("a")))
				if c.ExpectCode(s, http.StatusServiceUnavailable, "sender_unavailable") {
					c.Expect(s.RetryAfter != "", s, "a Retry-After header", "no Retry-After header")
				}
			},
		},
		{
			Name: "from-degraded-allowed", Rule: "POOL-FROM-3",
			Doc:   "A degraded from_number still sends (202 from it).",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), fastHealth()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a := c.Phone("a")
				c.degrade("k", a, c.Contact("+15550470001"), 4)
				c.ExpectFrom(c.Send("k", c.Contact("+15550470002"), From(a)), a)
			},
		},
		{
			Name: "from-trial-limit", Rule: "POOL-FROM-3",
			Doc: "A trial from_number sends at most 20 messages, each element of a text array counting: 21 " +
				"at once answer 402 trial_limit_reached and send nothing, 20 are accepted, one more is 402. " +
				"(Provisioned only: exhausting a real trial number cannot be undone.)",
			Spec:  onePool("", trialNum("t"), dedicated("d")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				t, r := c.Phone("t"), c.Contact("+15550480001")
				c.ExpectCode(c.Send("k", r, From(t), texts(21)), http.StatusPaymentRequired, "trial_limit_reached")
				c.ExpectFrom(c.Send("k", r, From(t), texts(20)), t)
				c.ExpectCode(c.Send("k", r, From(t)), http.StatusPaymentRequired, "trial_limit_reached")
			},
		},
		{
			Name: "from-check-order", Rule: "POOL-FROM-3",
			Doc: "The sender checks run in order banned → reply-only → offline → trial exhausted: a banned " +
				"offline inbound number is number_banned, an offline inbound one without prior inbound " +
				"inbound_only_no_prior_inbound, an offline exhausted trial one sender_unavailable.",
			Spec:  onePool("", inboundNum("in"), trialNum("t"), dedicated("d")),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				in, t, r := c.Phone("in"), c.Phone("t"), c.Contact("+15550490001")
				// The 20 messages are delivered before the line goes offline: a dispatch that
				// met the offline line would mark the number offline again, later.
				c.settle("k", r, c.sendOK("k", r, From(t), texts(20)).messageIDs()...)
				c.Line(in, target.LineChange{Online: ptr(false)})
				c.Line(t, target.LineChange{Online: ptr(false)})
				c.setHealth(in, "banned")
				c.ExpectCode(c.Send("k", r, From(in)), http.StatusForbidden, "number_banned")
				c.setHealth(in, "active")
				c.ExpectCode(c.Send("k", r, From(in)), http.StatusForbidden, "inbound_only_no_prior_inbound")
				c.ExpectCode(c.Send("k", r, From(t)), http.StatusServiceUnavailable, "sender_unavailable")
				c.Line(t, target.LineChange{Online: ptr(true)})
				c.ExpectCode(c.Send("k", r, From(t)), http.StatusPaymentRequired, "trial_limit_reached")
			},
		},
	}
}

// unknownNumber is a valid E.164 number that is none of the workspace's (nor, on a
// fixture, of its keys' or foreign numbers): a random one of +1 555 9XX XXXX, a block
// neither provisioned numbers (+1 555 5XX XXXX) nor the checks' contacts (+1 555 0XX
// XXXX) use.
func unknownNumber(c *C) string {
	known := slices.Collect(func(yield func(string) bool) {
		for _, v := range c.Workspace().Vars() {
			if !yield(v) {
				return
			}
		}
	})
	if f := c.Workspace().Deployment().Fixture; f != nil {
		known = append(known, f.ForeignNumbers...)
		for _, k := range f.Keys {
			for _, n := range k.Numbers {
				known = append(known, n.Phone)
			}
		}
	}
	for {
		p := fmt.Sprintf("+15559%06d", rand.IntN(1_000_000))
		if !slices.Contains(known, p) {
			return p
		}
	}
}
