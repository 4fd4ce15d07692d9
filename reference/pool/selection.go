package pool

import (
	"strings"

	"poolkit/internal/mutation"
)

// candidate is an allocation that may start a new conversation: what the strategies
// need of it and of its number, and its index in selectNew's allocations, whose numbers
// are loaded once.
type candidate struct {
	i        int
	id       string
	position int
	weight   int
	phone    string
}

func newCandidate(i int, a *Allocation, n *Number) candidate {
	return candidate{i: i, id: a.ID, position: a.Position, weight: n.Weight, phone: n.Phone}
}

// eligibleNew reports whether a number can start new conversations (POOL-NEW-1): not
// inbound, active, not a trial number this send would exhaust, and weight > 0 under the
// weighted strategy.
func eligibleNew(n *Number, s Strategy, texts int) bool {
	return n.PlanKind != PlanInbound && n.Health() == HealthActive && !n.trialBlocked(texts) &&
		!(s == StrategyWeighted && n.Weight <= 0)
}

// readPool reads a key's allocations in position order and their numbers, in one call
// when the transaction is a PoolTx. The slices are read-only.
func readPool(tx Tx, keyID string) ([]Allocation, []Number, error) {
	if p, ok := tx.(PoolTx); ok {
		return p.Pool(keyID)
	}
	allocs, err := tx.Allocations(keyID)
	if err != nil {
		return nil, nil, err
	}
	nums := make([]Number, len(allocs))
	for i := range allocs {
		if nums[i], err = tx.Number(allocs[i].Phone); err != nil {
			return nil, nil, err
		}
	}
	return allocs, nums, nil
}

// selectNew is POOL-NEW-1 and POOL-NEW-2: the candidates of a new conversation, and the
// org's strategy's pick among them, which becomes the route.
func (e *Engine) selectNew(tx Tx, org *Org, key *Key, chat *Chat, r *route) error {
	allocs, nums, err := readPool(tx, key.ID)
	if err != nil {
		return err
	}
	var buf [16]candidate
	cands := buf[:0]
	for j := range allocs {
		if eligibleNew(&nums[j], org.Strategy, r.texts) {
			cands = append(cands, newCandidate(j, &allocs[j], &nums[j]))
		} else if e.mut.Has(mutation.DegradedChosen | mutation.ZeroWeightChosen) {
			cands = e.mutantCandidate(cands, j, &allocs[j], &nums[j], org.Strategy, r.texts) // POOL-NEW-1, POOL-WRR-1 broken
		}
	}
	if len(cands) == 0 {
		// Reply-only numbers this recipient has written to may take the conversation.
		allInbound, anyPrior := true, false
		for j := range allocs {
			num := &nums[j]
			if num.PlanKind != PlanInbound {
				allInbound = false
				continue
			}
			prior, err := tx.PriorInbound(allocs[j].ID, r.recipient)
			if err != nil {
				return err
			}
			anyPrior = anyPrior || prior
			if h := num.Health(); prior && (h == HealthActive || h == HealthDegraded) &&
				!e.mut.Has(mutation.NoInboundFallback) { // (mutant NoInboundFallback, POOL-NEW-1: no fallback)
				cands = append(cands, newCandidate(j, &allocs[j], num))
			}
		}
		if len(cands) == 0 {
			if allInbound && !anyPrior {
				return inboundOnly(allocs[0].ID, r.recipient)
			}
			return errNoActiveNumber
		}
	}

	var i int
	strategy := org.Strategy
	if e.mut.Has(mutation.StrategyIgnored) {
		strategy = StrategyRoundRobin // POOL-NEW-2 broken: the org's strategy is not consulted
	}
	switch strategy {
	case StrategyWeighted:
		i, err = pickWeighted(tx, key.ID, cands)
	case StrategyGeographic:
		i, err = e.pickGeographic(tx, key.ID, chat, cands)
	default:
		i, err = pickRoundRobin(tx, key.ID, "", cands)
	}
	if err != nil {
		return err
	}
	r.alloc, r.num = allocs[cands[i].i], nums[cands[i].i]
	return nil
}

// pickRoundRobin advances the key's cursor in scope: the candidate with the smallest
// position greater than the one chosen last, wrapping to the lowest (POOL-RR-1).
func pickRoundRobin(tx Tx, keyID, scope string, cands []candidate) (int, error) {
	last, err := tx.Cursor(keyID, scope)
	if err != nil && err != ErrNotFound {
		return 0, err
	}
	i := 0
	for j := range cands {
		if cands[j].position > last {
			i = j
			break
		}
	}
	return i, tx.PutCursor(keyID, scope, cands[i].position)
}

// pickWeighted is nginx's smooth weighted round-robin (POOL-WRR-1). The current weights
// reset whenever the candidates or their weights differ from the previous pick's. When
// every candidate weighs 0 (reply-only fallbacks reach selection regardless of weight)
// the lowest position is picked and the state is left alone.
func pickWeighted(tx Tx, keyID string, cands []candidate) (int, error) {
	total := 0
	for j := range cands {
		total += max(cands[j].weight, 0)
	}
	if total == 0 {
		return 0, nil
	}
	prev, err := tx.WRR(keyID)
	if err != nil && err != ErrNotFound {
		return 0, err
	}
	same := len(prev) == len(cands)
	for j := 0; same && j < len(cands); j++ {
		same = prev[j].AllocationID == cands[j].id && prev[j].Weight == max(cands[j].weight, 0)
	}
	slots := prev
	if !same {
		slots = make([]WRRSlot, len(cands))
		for j := range cands {
			slots[j] = WRRSlot{AllocationID: cands[j].id, Weight: max(cands[j].weight, 0)}
		}
	}
	best := 0
	for j := range slots {
		slots[j].Current += slots[j].Weight
		if slots[j].Current > slots[best].Current {
			best = j
		}
	}
	slots[best].Current -= total
	return best, tx.PutWRR(keyID, slots)
}

// pickGeographic is the geographic strategy (POOL-GEO-1): the candidates sharing the
// recipient's area code, else those sharing one of its regions, else all of them, with a
// round-robin cursor per tier.
func (e *Engine) pickGeographic(tx Tx, keyID string, chat *Chat, cands []candidate) (int, error) {
	if chat.Kind != ChatPhone {
		return pickRoundRobin(tx, keyID, "", cands)
	}
	ac, ok := e.geo.AreaCode(chat.ID)
	if e.mut.Has(mutation.GeoAreaCodeIgnored) && len(chat.ID) >= 4 {
		ac = chat.ID[1:4] // POOL-GEO-1 broken: "+1415…" gives "141", the country code's 1 included
	}
	regions := e.geo.Regions(ac)
	if !ok || len(regions) == 0 {
		return pickRoundRobin(tx, keyID, "", cands)
	}
	var buf [16]int
	tier := buf[:0]
	// Each candidate's area code, computed once.
	type areaCode struct {
		ac string
		ok bool
	}
	var acBuf [16]areaCode
	acs := acBuf[:0]
	for j := range cands {
		cac, ok := e.geo.AreaCode(cands[j].phone)
		acs = append(acs, areaCode{cac, ok})
		if ok && cac == ac {
			tier = append(tier, j)
		}
	}
	scope := ac
	if len(tier) == 0 {
		for j := range cands {
			if acs[j].ok && shareRegion(regions, e.geo.Regions(acs[j].ac)) {
				tier = append(tier, j)
			}
		}
		scope = strings.Join(regions, ",")
	}
	if len(tier) == 0 {
		return pickRoundRobin(tx, keyID, "", cands)
	}
	var sub [16]candidate
	subset := sub[:0]
	for _, j := range tier {
		subset = append(subset, cands[j])
	}
	i, err := pickRoundRobin(tx, keyID, scope, subset)
	return tier[i], err
}

func shareRegion(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
