package conformance

import (
	"net/http"

	"poolkit/target"
)

// healthWindow are the thresholds of the POOL-HEALTH-1 checks: a window of 10 outcomes,
// judged from 5, degraded below 0.8, active again from 0.9.
func healthWindow() *target.HealthConfig {
	w, n, below, recover := 10, 5, 0.8, 0.9
	return &target.HealthConfig{Window: &w, MinSamples: &n, DegradeBelow: &below, RecoverAt: &recover}
}

// healthChecks judge POOL-HEALTH-1..3: degraded from delivery outcomes, offline from the
// relay, banned by an admin or the relay, as the API shows them and as sends feel them.
func healthChecks() []check {
	return []check{
		{
			Name: "health-degrades", Rule: "POOL-HEALTH-1",
			Doc: "With window 10, min_samples 5, degrade_below 0.8: 4 failed deliveries leave a number " +
				"active (too few samples), the 5th makes it degraded — in the health endpoint and in " +
				"/me/numbers, where it stays is_active.",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), healthWindow()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a, r := c.Phone("a"), c.fresh(40, 1)[0]
				c.Line(a, target.LineChange{FailureRatio: ptr(1.0)})
				c.settle("k", r, c.sendOK("k", r, From(a), texts(4)).messageIDs()...)
				h, s := c.numberHealth(a)
				c.Expect(h.Status == "active" && h.Samples == 4, s, "status active with 4 samples (min_samples 5)", "after 4 failed deliveries: status %s, %d samples", h.Status, h.Samples)
				c.settle("k", r, c.sendOK("k", r, From(a)).messageIDs()...)
				h, s = c.numberHealth(a)
				c.Expect(h.Status == "degraded" && h.Samples == 5, s, "status degraded with 5 samples", "after 5 failed deliveries: status %s, %d samples", h.Status, h.Samples)
				n, me := c.poolEntry("k", a)
				c.Expect(n.Health == "degraded" && n.IsActive, me, `health "degraded", is_active true`, "/me/numbers shows health %q, is_active %v", n.Health, n.IsActive)
			},
		},
		{
			Name: "health-recovers", Rule: "POOL-HEALTH-1",
			Doc: "A degraded number stays degraded between the thresholds (0.8 of the window delivered) and " +
				"is active again at recover_at (0.9).",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), healthWindow()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a, r := c.Phone("a"), c.fresh(41, 1)[0]
				c.Line(a, target.LineChange{FailureRatio: ptr(1.0)})
				c.settle("k", r, c.sendOK("k", r, From(a), texts(5)).messageIDs()...)
				if h, s := c.numberHealth(a); h.Status != "degraded" {
					c.failures = append(c.failures, Failure{Message: "setup: 5 failed deliveries did not make the number degraded (see health-degrades)", Request: s.Request, Response: s.Response})
					return
				}
				c.Line(a, target.LineChange{FailureRatio: ptr(0.0)})
				c.settle("k", r, c.sendOK("k", r, From(a), texts(8)).messageIDs()...)
				h, s := c.numberHealth(a)
				c.Expect(h.Status == "degraded", s, "degraded (2 failed, 8 delivered: 0.8 < recover_at 0.9)", "status %s", h.Status)
				c.settle("k", r, c.sendOK("k", r, From(a)).messageIDs()...)
				h, s = c.numberHealth(a)
				c.Expect(h.Status == "active", s, "active (1 failed, 9 delivered: 0.9 ≥ recover_at)", "status %s", h.Status)
			},
		},
		{
			Name: "health-offline-line", Rule: "POOL-HEALTH-2",
			Doc: "A line the relay reports offline makes its number offline (not is_active; sends from it " +
				"503 sender_unavailable with Retry-After); reported online, it is active and sends again.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.HealthControl},
			Run: func(c *C) {
				a, r := c.Phone("a"), c.fresh(42, 1)[0]
				c.Line(a, target.LineChange{Online: ptr(false)})
				n, me := c.poolEntry("k", a)
				c.Expect(n.Health == "offline" && !n.IsActive, me, `health "offline", is_active false`, "/me/numbers shows health %q, is_active %v", n.Health, n.IsActive)
				s := c.Send("k", r, From(a))
				if c.ExpectCode(s, http.StatusServiceUnavailable, "sender_unavailable") {
					c.Expect(s.RetryAfter == "5", s, "Retry-After: 5", "Retry-After is %q", s.RetryAfter)
				}
				c.Line(a, target.LineChange{Online: ptr(true)})
				n, me = c.poolEntry("k", a)
				c.Expect(n.Health == "active" && n.IsActive, me, `health "active", is_active true`, "/me/numbers shows health %q, is_active %v", n.Health, n.IsActive)
				c.ExpectFrom(c.Send("k", r, From(a)), a)
			},
		},
		{
			Name: "health-precedence", Rule: "POOL-HEALTH-2",
			Doc: "Health precedence is banned > offline > degraded > active: a degraded number reported " +
				"offline shows offline, banned shows banned, and each lifted condition uncovers the next.",
			Spec:  withHealth(onePool("", dedicated("a"), dedicated("b")), fastHealth()),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a := c.Phone("a")
				c.degrade("k", a, c.fresh(43, 1)[0], 4)
				expect := func(want string) {
					n, me := c.poolEntry("k", a)
					c.Expect(n.Health == want, me, `health "`+want+`"`, "/me/numbers shows health %q", n.Health)
				}
				c.Line(a, target.LineChange{Online: ptr(false)})
				expect("offline")
				c.setHealth(a, "banned")
				expect("banned")
				c.setHealth(a, "active")
				expect("offline")
				c.Line(a, target.LineChange{Online: ptr(true)})
				expect("degraded")
			},
		},
		{
			Name: "health-admin-ban", Rule: "POOL-HEALTH-3",
			Doc: "An admin ban makes a number banned (not is_active; sends from it 403 number_banned); " +
				"\"active\" lifts it.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				a, r := c.Phone("a"), c.fresh(44, 1)[0]
				c.setHealth(a, "banned")
				n, me := c.poolEntry("k", a)
				c.Expect(n.Health == "banned" && !n.IsActive, me, `health "banned", is_active false`, "/me/numbers shows health %q, is_active %v", n.Health, n.IsActive)
				c.ExpectCode(c.Send("k", r, From(a)), http.StatusForbidden, "number_banned")
				c.setHealth(a, "active")
				c.ExpectFrom(c.Send("k", r, From(a)), a)
			},
		},
		{
			Name: "health-relay-ban", Rule: "POOL-HEALTH-3",
			Doc: "A relay's line.status with banned: true bans the number (403 number_banned, health " +
				"banned); an admin's \"active\" lifts it.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a, r := c.Phone("a"), c.fresh(45, 1)[0]
				c.Line(a, target.LineChange{Banned: ptr(true)})
				n, me := c.poolEntry("k", a)
				c.Expect(n.Health == "banned" && !n.IsActive, me, `health "banned", is_active false`, "/me/numbers shows health %q, is_active %v", n.Health, n.IsActive)
				c.ExpectCode(c.Send("k", r, From(a)), http.StatusForbidden, "number_banned")
				c.setHealth(a, "active")
				c.ExpectFrom(c.Send("k", r, From(a)), a)
			},
		},
		{
			Name: "health-active-lifts-only-ban", Rule: "POOL-HEALTH-3",
			Doc:   "The admin's \"active\" lifts only a ban: an offline number stays offline (503 sender_unavailable).",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning, target.HealthControl},
			Run: func(c *C) {
				a := c.Phone("a")
				c.Line(a, target.LineChange{Online: ptr(false)})
				c.setHealth(a, "active")
				c.ExpectCode(c.Send("k", c.fresh(46, 1)[0], From(a)), http.StatusServiceUnavailable, "sender_unavailable")
			},
		},
	}
}
