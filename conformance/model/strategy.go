package model

import (
	"slices"
	"strings"
)

// strategyRule is the rule id of a strategy's strict property (SPEC §3).
func strategyRule(s Strategy) string {
	switch s {
	case StrategyWeighted:
		return "POOL-WRR-1"
	case StrategyGeographic:
		return "POOL-GEO-1"
	}
	return "POOL-RR-1"
}

// pick returns the candidates a real deployment may pick among (all of C, or for
// geographic the first non-empty tier) and the exact pick of the reference algorithm.
func (m *Model) pick(p *sendPlan) (allowed []*alloc, exact *alloc) {
	k := p.key
	switch p.strategy {
	case StrategyWeighted:
		return p.cands, m.wrrPick(k, p.cands)
	case StrategyGeographic:
		tier := m.geoTier(p)
		return tier, nextRR(tier, m.geoCursor(p))
	}
	return p.cands, nextRR(p.cands, k.rr)
}

// advanceStrategy moves the strategy state of p's key as if a had been picked.
func (m *Model) advanceStrategy(p *sendPlan, a *alloc) {
	k := p.key
	switch p.strategy {
	case StrategyWeighted:
		m.wrrAdvance(k, p.cands, a)
	case StrategyGeographic:
		switch p.tierLevel {
		case 1:
			if k.geoAC == nil {
				k.geoAC = map[string]int{}
			}
			k.geoAC[p.tierKey] = a.pos
		case 2:
			if k.geoRegion == nil {
				k.geoRegion = map[string]int{}
			}
			k.geoRegion[p.tierKey] = a.pos
		default:
			k.rr = a.pos
		}
	default:
		k.rr = a.pos
	}
}

// nextRR is the round_robin pick (POOL-RR-1): the candidate with the smallest position
// greater than the cursor (the position chosen last, 0 = none), wrapping to the lowest.
// Candidates are in position order.
func nextRR(c []*alloc, cursor int) *alloc {
	for _, a := range c {
		if a.pos > cursor {
			return a
		}
	}
	return c[0]
}

// wrrSignature is C with its weights, the thing whose change resets current weights.
func (m *Model) wrrSignature(c []*alloc) []wrrEntry {
	sig := make([]wrrEntry, len(c))
	for i, a := range c {
		sig[i] = wrrEntry{pos: a.pos, weight: m.numbers[a.phone].weight}
	}
	return sig
}

// wrrCurrent returns the current weights to start the next pick from: the key's, unless
// C or a weight in C differs from the previous weighted pick's, then all 0 (POOL-WRR-1).
// Reading: the state survives strategy changes; only a change of C or weights resets it.
func (m *Model) wrrCurrent(k *key, sig []wrrEntry) map[int]int {
	if slices.Equal(sig, k.wrrSig) {
		return k.wrrCur
	}
	return nil
}

// wrrPick is nginx smooth weighted round-robin: add w_i to every current_i, take the
// largest (ties → lowest position). W = 0 (all weights 0, possible among inbound
// candidates) picks the lowest position.
func (m *Model) wrrPick(k *key, c []*alloc) *alloc {
	sig := m.wrrSignature(c)
	cur := m.wrrCurrent(k, sig)
	var best *alloc
	bestCur := 0
	for i, e := range sig {
		v := cur[e.pos] + e.weight
		if best == nil || v > bestCur {
			best, bestCur = c[i], v
		}
	}
	return best
}

// wrrAdvance applies one smooth weighted round-robin step with a as the pick.
func (m *Model) wrrAdvance(k *key, c []*alloc, a *alloc) {
	sig := m.wrrSignature(c)
	old := m.wrrCurrent(k, sig)
	cur := make(map[int]int, len(sig))
	total := 0
	for _, e := range sig {
		cur[e.pos] = old[e.pos] + e.weight
		total += e.weight
	}
	cur[a.pos] -= total
	k.wrrSig, k.wrrCur = sig, cur
}

// geoTier computes the geographic tier of p and records its level and cursor key:
// (1) candidates with R's NANP area code, (2) candidates sharing one of R's regions,
// (3) all of C. Emails, groups and non-geographic recipients use tier 3.
// Reading (POOL-GEO-1): the tier-2 cursor is per region set of R (the sorted regions of
// its area code joined by ","), which is one state for all but multi-region codes.
func (m *Model) geoTier(p *sendPlan) []*alloc {
	p.tierLevel, p.tierKey = 3, ""
	if p.kind != recipientPhone {
		return p.cands
	}
	ac, regions, ok := geoOf(m.geo, p.recipient)
	if !ok {
		return p.cands
	}
	var t1, t2 []*alloc
	for _, a := range p.cands {
		cac, cregions, cok := geoOf(m.geo, a.phone)
		if !cok {
			continue
		}
		if cac == ac {
			t1 = append(t1, a)
		}
		if intersects(cregions, regions) {
			t2 = append(t2, a)
		}
	}
	if len(t1) > 0 {
		p.tierLevel, p.tierKey = 1, ac
		return t1
	}
	if len(t2) > 0 {
		rs := slices.Clone(regions)
		slices.Sort(rs)
		p.tierLevel, p.tierKey = 2, strings.Join(slices.Compact(rs), ",")
		return t2
	}
	return p.cands
}

// geoCursor is the cursor of p's tier: per area code, per region set, or the key's
// round_robin cursor for tier 3.
func (m *Model) geoCursor(p *sendPlan) int {
	switch p.tierLevel {
	case 1:
		return p.key.geoAC[p.tierKey]
	case 2:
		return p.key.geoRegion[p.tierKey]
	}
	return p.key.rr
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
