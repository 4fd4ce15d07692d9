package sim

import (
	"math/rand/v2"
	"time"

	"poolkit/reference/pool"
)

// poolState is what both drivers keep of one pool: the simulator's view of its numbers,
// its contacts and groups, and the tally of what happened.
type poolState struct {
	idx      int
	pl       *plan
	m        *model
	t        *tally
	pop      *population
	phones   map[string]int32 // the pool's phone numbers (as the target knows them) → number index
	numPhone []string         // number index → phone number at the target
}

func newPoolState(pl *plan, idx int, classes []string) *poolState {
	ps := &poolState{idx: idx, pl: pl, phones: map[string]int32{}}
	ps.m = newModel(pl.strategy, pl.health, pl.numbers, classes)
	ps.t = newTally(len(pl.numbers), pl.prof.Report.Buckets, pl.duration)
	contacts := int(split(int64(pl.prof.Contacts.Count), pl.shards, idx))
	ps.pop = newPopulation(mix(pl.seed)^uint64(idx)<<48, contacts, pl.prof.Contacts, pl.prof.Traffic.Groups, classes)
	for i, n := range pl.numbers {
		ps.setPhone(i, n.Phone)
	}
	return ps
}

func (ps *poolState) setPhone(i int, phone string) {
	if len(ps.numPhone) <= i {
		ps.numPhone = append(ps.numPhone, make([]string, i+1-len(ps.numPhone))...)
	}
	delete(ps.phones, ps.numPhone[i])
	ps.numPhone[i] = phone
	ps.phones[phone] = int32(i)
}

// recipient is the target of one send and what the rules expect of it.
type recipient struct {
	chat  string
	bound *int32
	last  *time.Duration
	class int
	// contact is the contact's index (-1 for a group), group the group's (-1 for a contact).
	contact int32
	group   int
	// first is set for a new contact who writes first to inbound number firstTo.
	first   bool
	firstTo int32
	// fresh says the rules select a number afresh (POOL-NEW-1): no binding, or one to a
	// number that was banned or unassigned, or one past the sticky TTL; prev is the
	// number the conversation had (unbound or dropped when none).
	fresh bool
	prev  int32
}

// choose draws the recipient of the next send: a group (its share of the traffic), a
// new contact (the new-conversation share, and always the first send), or a returning
// one by Zipf.
func (ps *poolState) choose(r *rand.Rand, inbound []int) recipient {
	pop, tr := ps.pop, &ps.pl.prof.Traffic
	if len(pop.groups) > 0 && r.Float64() < tr.Groups.Share {
		g := r.IntN(len(pop.groups))
		gr := pop.group(g)
		return recipient{chat: gr.chat, bound: &gr.bound, last: &gr.last, class: pop.noGeo, contact: -1, group: g}
	}
	i, ok := -1, false
	first, to := false, int32(-1)
	if len(pop.contacts) == 0 || r.Float64() < tr.NewConversations {
		i, ok = pop.reach()
		if ok && len(inbound) > 0 && r.Float64() < tr.InboundFirst {
			first, to = true, int32(inbound[r.IntN(len(inbound))])
		}
	}
	if !ok {
		i = pop.returning(r)
	}
	c := &pop.contacts[i]
	return recipient{chat: c.handle, bound: &c.bound, last: &c.last, class: pop.class(i), contact: int32(i), group: -1, first: first, firstTo: to}
}

// classify decides, before the send, what the rules expect at now.
func (ps *poolState) classify(rc *recipient, now time.Duration) {
	b := *rc.bound
	rc.prev = b
	rc.fresh = b < 0 || !ps.m.nums[b].usable() || ps.pl.ttl > 0 && now-*rc.last > ps.pl.ttl
}

// accepted records a send the target accepted from number num.
func (ps *poolState) accepted(rc *recipient, now time.Duration, num int32) {
	t, m := ps.t, ps.m
	t.accepted++
	t.message(now, int(num))
	if rc.fresh {
		got, best := m.pick(rc.class, int(num))
		t.newPick(now, int(num))
		t.tiers[got]++
		if best == 0 {
			t.fallbackPicks++
		} else if ps.pl.strategy == pool.StrategyGeographic && got > best {
			t.belowBest++
		}
		if rc.prev != unbound {
			t.reselects++
		}
	} else {
		t.stickyChecked++
		if num != rc.prev {
			t.violation(Violation{Pool: ps.idx, AtSeconds: now.Seconds(), Recipient: rc.chat,
				Bound: ps.numPhone[rc.prev], Got: ps.numPhone[num]})
		}
	}
	*rc.bound, *rc.last = num, now
	if n := &m.nums[num]; n.trial {
		before := m.eligible(int(num))
		n.trialSent++
		if m.eligible(int(num)) != before {
			n.trialSent--
			m.changing()
			n.trialSent++
		}
	}
}

// wrote records an inbound message from contact ci that reached number num
// (POOL-STICKY-2: the conversation is now the number's).
func (ps *poolState) wrote(ci, num int32, now time.Duration, recorded bool) {
	ps.t.inbound++
	ps.t.inboundBy[num]++
	if recorded {
		c := &ps.pop.contacts[ci]
		c.bound, c.last = num, now
	}
}

// observed applies the health the target reports for number i: offline, banned,
// degraded. correction says the change was not expected (a periodic check).
func (ps *poolState) observed(i int, now time.Duration, offline, banned, degraded, correction bool) {
	n := &ps.m.nums[i]
	if offline == n.offline && banned == n.banned && degraded == n.degraded {
		return
	}
	if correction {
		ps.t.healthCorrections++
	}
	ps.m.changing()
	if degraded != n.degraded {
		ps.t.transitions = append(ps.t.transitions, transition{at: now, num: i, degraded: degraded})
	}
	n.offline, n.banned, n.degraded = offline, banned, degraded
	ps.t.observe(ps.m, i)
}

// setAssigned records that number i left or rejoined the pool.
func (ps *poolState) setAssigned(i int, assigned bool) {
	ps.m.changing()
	ps.m.nums[i].assigned = assigned
	if !assigned {
		ps.drop(i)
	}
	ps.t.observe(ps.m, i)
}

// drop forgets the bindings to number i, as the engine does on a ban or an unassignment
// (POOL-STICKY-3).
func (ps *poolState) drop(i int) {
	for k := range ps.pop.contacts {
		if c := &ps.pop.contacts[k]; c.bound == int32(i) {
			c.bound = dropped
		}
	}
	for k := range ps.pop.groups {
		if g := &ps.pop.groups[k]; g.bound == int32(i) {
			g.bound = dropped
		}
	}
}

// inboundNumbers lists the pool's reply-only numbers.
func (ps *poolState) inboundNumbers() []int {
	var out []int
	for i, n := range ps.m.nums {
		if n.inbound && n.member {
			out = append(out, i)
		}
	}
	return out
}
