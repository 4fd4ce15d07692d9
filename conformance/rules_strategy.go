package conformance

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"poolkit/reference/numbering"
	"poolkit/target"
)

// fairAlpha is POOL-FAIR-1's false-alarm rate: the probability that a deployment whose
// new conversations really follow the expected shares (a fair but random allocator)
// fails the chi-square test by chance. A run has two FAIR checks, so such a deployment
// sees a spurious failure in about 1 run in 500: rare enough that a red CI run is worth
// a look. The price is power: over 300 conversations and 3 numbers (2 degrees of
// freedom, critical χ² 13.8) a 50/25/25 split (χ² 37.5, p ≈ 7e-9) is caught, a 40/30/30
// one (χ² 6, p ≈ 0.05) is not — the test guards against gross unfairness; POOL-RR-1 and
// POOL-WRR-1 are the exact checks. The reference's round-robin is exact: its χ² is 0 and
// it can never fail.
const fairAlpha = 0.001

// fairConversations is how many new conversations a FAIR check starts: enough for the
// expected count of the smallest share (50 of 300 at weight 1 of 6) to be far above the
// chi-square approximation's rule of thumb (≥ 5), few enough to run in well under a
// second on the embedded deployment.
const fairConversations = 300

// strategyChecks judge the strategies of SPEC §3: POOL-RR-1, POOL-WRR-1, POOL-GEO-1 and
// the statistical POOL-FAIR-1. The checks that can run on a fixture key make no
// assumption about where its round-robin cursor or weighted state stands.
func strategyChecks() []check {
	return []check{
		{
			Name: "rr-covers-each-once", Rule: "POOL-RR-1",
			Doc: "Under round-robin, every 3 consecutive new conversations over 3 numbers cover each number " +
				"exactly once, from wherever the cursor stood.",
			Spec: onePool("", dedicated("a"), dedicated("b"), dedicated("c")),
			Run: func(c *C) {
				froms := c.newFroms("k", c.fresh(90, 9))
				c.expectBalanced(froms, c.Phones("a", "b", "c"), "9 new conversations")
				for w := 0; w+3 <= len(froms); w += 3 {
					if got := counts(froms[w : w+3]); len(got) != 3 {
						c.Errorf("new conversations %d–%d came from %v: not each of the 3 numbers once", w+1, w+3, froms[w:w+3])
					}
				}
			},
		},
		{
			Name: "rr-ignores-ongoing", Rule: "POOL-RR-1",
			Doc: "Sends in an ongoing conversation do not move the round-robin: new conversations started " +
				"between them stay balanced (counts differ by at most 1).",
			Spec: onePool("", dedicated("a"), dedicated("b")),
			Run: func(c *C) {
				rs := c.fresh(91, 10)
				var froms []string
				for i, r := range rs {
					if i >= 2 {
						c.sendOK("k", rs[0]) // the ongoing conversation goes on between new ones
					}
					froms = append(froms, c.sendOK("k", r).From)
				}
				c.expectBalanced(froms, c.Phones("a", "b"), "10 new conversations interleaved with an ongoing one")
			},
		},
		{
			Name: "wrr-sequence", Rule: "POOL-WRR-1",
			Doc: "Weighted, from a fresh key: weights 5, 1, 1 give new conversations the sequence a a b a c a a, " +
				"twice. (Provisioned only: a fixture key's weighted state is not fresh.)",
			Spec:  onePool("weighted", weightedNum("a", 5), weightedNum("b", 1), weightedNum("c", 1)),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				c.expectSequence(c.newFroms("k", c.fresh(92, 14)), "aabacaaaabacaa")
			},
		},
		{
			Name: "wrr-window-counts", Rule: "POOL-WRR-1",
			Doc: "Weighted with weights 3, 2, 1: every W = 6 consecutive new conversations give the numbers " +
				"exactly 3, 2 and 1, from whatever state the key was in.",
			Spec: onePool("weighted", weightedNum("a", 3), weightedNum("b", 2), weightedNum("c", 1)),
			Run: func(c *C) {
				froms := c.newFroms("k", c.fresh(93, 12))
				a, b, cc := c.Phone("a"), c.Phone("b"), c.Phone("c")
				for w := 0; w < len(froms); w += 6 {
					if got := counts(froms[w : w+6]); got[a] != 3 || got[b] != 2 || got[cc] != 1 {
						c.Errorf("new conversations %d–%d over weights 3,2,1: expected 3 from %s, 2 from %s, 1 from %s; got %v", w+1, w+6, a, b, cc, got)
					}
				}
			},
		},
		{
			Name: "wrr-zero-weight", Rule: "POOL-WRR-1",
			Doc: "Weighted: a number of weight 0 gets no new conversations, and still sends as an explicit " +
				"from_number.",
			Spec: onePool("weighted", weightedNum("a", 1), weightedNum("z", 0)),
			Run: func(c *C) {
				c.expectAllFrom(c.newFroms("k", c.fresh(94, 4)), "4 new conversations over weights 1, 0", c.Phone("a"))
				z := c.Phone("z")
				c.ExpectFrom(c.Send("k", c.fresh(95, 1)[0], From(z)), z)
			},
		},
		{
			Name: "wrr-reset-on-change", Rule: "POOL-WRR-1",
			Doc: "Weighted: when a candidate's weight changes, the current weights reset, so the next W picks " +
				"follow the smooth weighted round-robin of the new weights from zero. (Provisioned only.)",
			Spec:  onePool("weighted", weightedNum("a", 5), weightedNum("b", 1), weightedNum("c", 1)),
			Needs: []target.Capability{target.Provisioning},
			Run: func(c *C) {
				c.expectSequence(c.newFroms("k", c.fresh(96, 3)), "aab")
				c.setWeight(c.Phone("c"), 2)
				want := ""
				for _, i := range smoothWRR([]int{5, 1, 2}, 8) {
					want += string(rune('a' + i))
				}
				c.expectSequence(c.newFroms("k", c.fresh(97, 8)), want)
			},
		},
		{
			Name: "geo-tiers", Rule: "POOL-GEO-1",
			Doc: "Geographic: a new conversation with a contact whose area code a number shares comes from " +
				"such a number; else, when a number shares the contact's state, from such a number.",
			Spec: onePool("geographic", areaNum("ny", "212"), areaNum("la", "310"), areaNum("sf", "415")),
			Run: func(c *C) {
				var cands []string
				nums, _ := c.myNumbers("k")
				for _, n := range nums {
					if n.PlanKind != "inbound" && n.Health == "active" {
						cands = append(cands, n.Phone)
					}
				}
				judged := 0
				for _, h := range []string{"+14155550101", "+14155550102", "+12135550101", "+13105550101", "+17185550101", "+12125550101", "+12135550102", "+13125550101"} {
					r := c.Contact(h)
					tier, allowed := geoTier(r, cands)
					s := c.sendOK("k", r)
					if tier < 3 {
						judged++
						c.Expect(slices.Contains(allowed, s.From), s, "202 from "+strings.Join(allowed, " or "),
							"%s: tier %d (%s) allows %v, got %s", r, tier, map[int]string{1: "same area code", 2: "same state"}[tier], allowed, s.From)
					}
				}
				if judged == 0 {
					c.Skipf("no contact shares an area code or a state with the pool's numbers: nothing to judge")
				}
			},
		},
		{
			Name: "fair-round-robin", Rule: "POOL-FAIR-1",
			Doc: fmt.Sprintf("Round-robin: the counts of %d new conversations over 3 numbers fit equal shares "+
				"(chi-square goodness of fit, false-alarm rate %g).", fairConversations, fairAlpha),
			Spec: onePool("", dedicated("a"), dedicated("b"), dedicated("c")),
			Run: func(c *C) {
				c.expectShares(c.Phones("a", "b", "c"), []float64{1, 1, 1}, 98)
			},
		},
		{
			Name: "fair-weighted", Rule: "POOL-FAIR-1",
			Doc: fmt.Sprintf("Weighted 3, 2, 1: the counts of %d new conversations fit the shares 3/6, 2/6, 1/6 "+
				"(chi-square goodness of fit, false-alarm rate %g).", fairConversations, fairAlpha),
			Spec: onePool("weighted", weightedNum("a", 3), weightedNum("b", 2), weightedNum("c", 1)),
			Run: func(c *C) {
				c.expectShares(c.Phones("a", "b", "c"), []float64{3, 2, 1}, 99)
			},
		},
	}
}

// expectBalanced expects the running counts of froms over phones never to differ by more
// than 1 (POOL-RR-1), and every from to be one of phones.
func (c *C) expectBalanced(froms, phones []string, what string) {
	got := map[string]int{}
	for i, f := range froms {
		if !slices.Contains(phones, f) {
			c.Errorf("%s: new conversation %d came from %s, not one of %v", what, i+1, f, phones)
			return
		}
		got[f]++
		lo, hi := math.MaxInt, 0
		for _, p := range phones {
			lo, hi = min(lo, got[p]), max(hi, got[p])
		}
		if hi-lo > 1 {
			c.Errorf("%s: after %d of them the counts differ by %d (at most 1 allowed): %v; sequence %v", what, i+1, hi-lo, got, froms[:i+1])
			return
		}
	}
}

// expectSequence expects froms to spell want, each letter naming a spec number (a, b, …).
func (c *C) expectSequence(froms []string, want string) {
	names := map[string]string{}
	for _, letter := range "abcdefgh" {
		if p := c.Phone(string(letter)); p != "" {
			names[p] = string(letter)
		}
	}
	got := ""
	for _, f := range froms {
		if n, ok := names[f]; ok {
			got += n
		} else {
			got += "?"
		}
	}
	if got != want {
		c.Errorf("new conversations came from %s, expected %s (%v)", got, want, froms)
	}
}

// smoothWRR is nginx's smooth weighted round-robin (SPEC §3) from zero current weights:
// the indexes of n picks (ties to the lowest index).
func smoothWRR(weights []int, n int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	cur := make([]int, len(weights))
	out := make([]int, n)
	for k := range n {
		best := 0
		for i, w := range weights {
			cur[i] += w
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out[k] = best
	}
	return out
}

// geoTier is POOL-GEO-1's judgement of a new conversation with recipient r over the
// candidates: tier 1 (some candidate shares r's area code: the pick must be one of them),
// tier 2 (else some shares one of its regions), or 3 (any candidate will do: the
// recipient is not a geographic NANP number, or no candidate is near).
func geoTier(r string, cands []string) (int, []string) {
	ac, ok := numbering.NANPAreaCode(r)
	if !ok || len(numbering.Regions(ac)) == 0 {
		return 3, cands
	}
	var same, region []string
	for _, p := range cands {
		pac, ok := numbering.NANPAreaCode(p)
		switch {
		case !ok:
		case pac == ac:
			same = append(same, p)
		case numbering.SameRegion(ac, pac):
			region = append(region, p)
		}
	}
	switch {
	case len(same) > 0:
		return 1, same
	case len(region) > 0:
		return 2, region
	}
	return 3, cands
}

// expectShares starts fairConversations new conversations (contacts of block) and tests
// the counts per phone against the shares proportional to weights with a chi-square
// goodness-of-fit test at fairAlpha (POOL-FAIR-1).
func (c *C) expectShares(phones []string, weights []float64, block int) {
	froms := c.newFroms("k", c.fresh(block, fairConversations))
	got := counts(froms)
	for f := range got {
		if !slices.Contains(phones, f) {
			c.Errorf("a new conversation came from %s, not one of %v", f, phones)
			return
		}
	}
	obs := make([]float64, len(phones))
	for i, p := range phones {
		obs[i] = float64(got[p])
	}
	stat, p, exp := chiSquare(obs, weights)
	var parts []string
	for i, ph := range phones {
		parts = append(parts, fmt.Sprintf("%s %d (expected %.1f)", ph, got[ph], exp[i]))
	}
	c.Logf("chi-square %.3f with %d degrees of freedom, p = %.4g (alpha %g) over %d new conversations: %s",
		stat, len(phones)-1, p, fairAlpha, fairConversations, strings.Join(parts, ", "))
	if p < fairAlpha {
		c.Errorf("the new-conversation counts do not fit the expected shares: chi-square %.3f, p = %.4g < alpha %g: %s",
			stat, p, fairAlpha, strings.Join(parts, ", "))
	}
}

// chiSquare is Pearson's goodness-of-fit statistic of observed counts against shares
// proportional to weights, its p-value (chi-square with len−1 degrees of freedom), and
// the expected counts.
func chiSquare(observed, weights []float64) (stat, p float64, expected []float64) {
	var n, w float64
	for i := range observed {
		n += observed[i]
		w += weights[i]
	}
	expected = make([]float64, len(observed))
	for i := range observed {
		expected[i] = n * weights[i] / w
		d := observed[i] - expected[i]
		stat += d * d / expected[i]
	}
	return stat, distuv.ChiSquared{K: float64(len(observed) - 1)}.Survival(stat), expected
}
