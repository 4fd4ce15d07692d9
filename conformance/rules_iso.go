package conformance

import (
	"net/http"
	"slices"

	"poolkit/target"
)

// isoChecks judge POOL-ISO-1..2: a key sees only its own numbers and sends only from them.
func isoChecks() []check {
	return []check{
		{
			Name: "iso-me-numbers-exact", Rule: "POOL-ISO-1",
			Doc: "GET /me/numbers of each of two keys (whose numbers share a Mac relay) lists exactly that " +
				"key's numbers, in position order, with their plan kinds and distinct allocation ids.",
			Spec: target.Spec{
				Numbers: []target.NumberSpec{dedicated("a1"), inboundNum("a2"), dedicated("b1")},
				Keys:    []target.KeySpec{keySpec("a", "a1", "a2"), keySpec("b", "b1")},
			},
			Run: func(c *C) {
				want := map[string][]poolNumber{
					"a": {{Phone: c.Phone("a1"), PlanKind: "dedicated"}, {Phone: c.Phone("a2"), PlanKind: "inbound"}},
					"b": {{Phone: c.Phone("b1"), PlanKind: "dedicated"}},
				}
				ids := map[string]string{}
				for _, key := range []string{"a", "b"} {
					nums, s := c.myNumbers(key)
					var got, exp []string
					for _, n := range nums {
						got = append(got, n.Phone+" "+n.PlanKind)
						if n.AllocationID == "" || ids[n.AllocationID] != "" {
							c.Expect(false, s, "a distinct allocation_id per number", "%s has allocation_id %q (also %s)", n.Phone, n.AllocationID, ids[n.AllocationID])
						}
						ids[n.AllocationID] = n.Phone
					}
					for _, n := range want[key] {
						exp = append(exp, n.Phone+" "+n.PlanKind)
					}
					c.Expect(slices.Equal(got, exp), s, "exactly "+joinOr(exp, "none"), "key %s: GET /v2/api/me/numbers lists %v", key, got)
				}
			},
		},
		{
			Name: "iso-me-numbers-follow-pool", Rule: "POOL-ISO-1",
			Doc: "GET /me/numbers follows assignments: a number assigned to the key appears with the " +
				"allocation the assignment answered, an unassigned one disappears, another key's never shows.",
			Spec: target.Spec{
				Numbers: []target.NumberSpec{dedicated("a1"), dedicated("a2"), dedicated("b1"), dedicated("free")},
				Keys:    []target.KeySpec{keySpec("a", "a1", "a2"), keySpec("b", "b1")},
			},
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				a1, a2, free := c.Phone("a1"), c.Phone("a2"), c.Phone("free")
				s := c.assign("a", free)
				if s.Status != http.StatusOK {
					c.Fatalf("setup: assigning %s answered %s", free, s.Response)
				}
				var alloc string
				if as, ok := s.Body["allocations"].([]any); ok && len(as) == 1 {
					m, _ := as[0].(map[string]any)
					alloc, _ = m["allocation_id"].(string)
				}
				c.expectPool("a", "imessage", a1, a2, free)
				got := c.allocationOf("a", free)
				c.Expect(got == alloc && alloc != "", s, "allocation_id "+alloc, "/me/numbers shows allocation_id %q", got)
				c.unassign("a", a1)
				c.expectPool("a", "imessage", a2, free)
				c.expectPool("b", "imessage", c.Phone("b1"))
			},
		},
		{
			Name: "iso-sends-from-pool", Rule: "POOL-ISO-2",
			Doc: "Every accepted send, new conversation or not, comes from a number of the key's own pool, " +
				"never from another key's number.",
			Spec: target.Spec{
				Numbers: []target.NumberSpec{dedicated("a1"), dedicated("a2"), dedicated("b1")},
				Keys:    []target.KeySpec{keySpec("a", "a1", "a2"), keySpec("b", "b1")},
			},
			Run: func(c *C) {
				var pool []string
				nums, _ := c.myNumbers("a")
				for _, n := range nums {
					pool = append(pool, n.Phone)
				}
				rs := c.fresh(80, 4)
				for i := range 8 {
					s := c.Send("a", rs[i%4])
					c.ExpectFrom(s, c.Phones("a1", "a2")...)
					c.Expect(slices.Contains(pool, s.From), s, "a number of GET /v2/api/me/numbers", "%s is not in the key's pool", s.From)
				}
			},
		},
		{
			Name: "iso-unassigned-never-sends", Rule: "POOL-ISO-2",
			Doc: "Once a conversation's number is unassigned, sends to that contact come from a number " +
				"still in the pool, and the unassigned number is refused as from_number.",
			Spec:  onePool("", dedicated("a"), dedicated("b")),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				r := c.fresh(81, 1)[0]
				x := c.sendOK("k", r).From
				y := other(c.Phones("a", "b"), x)
				c.unassign("k", x)
				c.ExpectFrom(c.Send("k", r), y)
				c.ExpectFrom(c.Send("k", r), y)
				c.ExpectCode(c.Send("k", r, From(x)), http.StatusForbidden, "from_number_not_in_pool")
			},
		},
	}
}
