package sim

import (
	"poolkit/reference/numbering"
	"poolkit/reference/pool"
)

// health is what the simulator knows of a number's state, in increasing precedence. The
// timeline keeps the worst state a number had during each bucket.
type health uint8

const (
	stActive health = iota
	stDegraded
	stOffline
	stBanned
	stUnassigned
)

var healthNames = [...]string{"active", "degraded", "offline", "banned", "unassigned"}

func (h health) String() string { return healthNames[h] }

// number is the simulator's view of one number of a pool: its configuration and the
// health the engine reports for it.
type number struct {
	cfg     NumberConfig
	ac      string // NANP area code ("" when not NANP)
	inbound bool
	trial   bool
	// member is false for a number of another key (HTTP driver with existing keys):
	// never in this pool.
	member   bool
	assigned bool
	offline  bool
	banned   bool
	degraded bool
	// trialSent counts accepted messages while a trial number (SPEC §1).
	trialSent int

	// window holds the number's latest delivery outcomes (true = failed), as the engine's
	// health window does; it only decides when to ask the engine for the number's health.
	window   []bool
	next     int
	samples  int
	failures int
}

func (n *number) state() health {
	switch {
	case !n.assigned:
		return stUnassigned
	case n.banned:
		return stBanned
	case n.offline:
		return stOffline
	case n.degraded:
		return stDegraded
	}
	return stActive
}

// usable reports whether a conversation bound to the number keeps it (POOL-STICKY-1,
// POOL-STICKY-3): it is still in the pool and not banned.
func (n *number) usable() bool { return n.assigned && !n.banned }

// record adds one delivery outcome to the window.
func (n *number) record(failed bool) {
	if n.samples == len(n.window) {
		if n.window[n.next] {
			n.failures--
		}
	} else {
		n.samples++
	}
	n.window[n.next] = failed
	if failed {
		n.failures++
	}
	n.next = (n.next + 1) % len(n.window)
}

// tierSet is the candidates of a new conversation for one class of recipients: the
// best geographic tier that has eligible numbers (1, 2, 3; 0 when none is eligible) and
// its members.
type tierSet struct {
	level   int8
	members []int
	valid   bool
}

// model is the simulator's view of one pool (one key): which numbers are eligible for
// new conversations, what the strategy should give each of them (the expected counts),
// and the geographic tier of every pick. Every new-conversation pick is counted in its
// recipient class; when eligibility changes, the counts so far are turned into expected
// counts under the old eligibility (flush), so the expectation follows the pool's health.
type model struct {
	strategy pool.Strategy
	health   pool.HealthSettings
	nums     []number
	// classes are the recipients' area codes; class len(classes) is every recipient
	// without geography (emails, groups, non-geographic codes).
	classes []string
	regions [][]string
	// tier[c][i] is the tier number i is for class c.
	tier [][]int8

	sets     []tierSet
	pending  []int64
	expected []float64
}

func newModel(strategy pool.Strategy, hs pool.HealthSettings, cfgs []NumberConfig, areaCodes []string) *model {
	m := &model{strategy: strategy, health: hs}
	for _, c := range cfgs {
		ac, _ := numbering.NANPAreaCode(c.Phone)
		m.nums = append(m.nums, number{
			cfg: c, ac: ac, inbound: c.PlanKind == string(pool.PlanInbound), trial: c.PlanKind == string(pool.PlanTrial),
			member: true, assigned: true, window: make([]bool, hs.Window),
		})
	}
	for _, ac := range areaCodes {
		m.classes = append(m.classes, ac)
		m.regions = append(m.regions, numbering.Regions(ac))
	}
	m.regions = append(m.regions, nil) // the class without geography
	m.tier = make([][]int8, len(m.regions))
	for c := range m.tier {
		m.tier[c] = make([]int8, len(m.nums))
		for i := range m.nums {
			m.tier[c][i] = m.tierOf(c, i)
		}
	}
	m.sets = make([]tierSet, len(m.regions))
	m.pending = make([]int64, len(m.regions))
	m.expected = make([]float64, len(m.nums))
	return m
}

// noGeo is the class of recipients without geography.
func (m *model) noGeo() int { return len(m.classes) }

// tierOf is the geographic tier of number i for a recipient of class c (SPEC §3).
func (m *model) tierOf(c, i int) int8 {
	regions := m.regions[c]
	if len(regions) == 0 {
		return 3
	}
	n := &m.nums[i]
	if n.ac == m.classes[c] {
		return 1
	}
	if n.ac != "" && shareRegion(regions, numbering.Regions(n.ac)) {
		return 2
	}
	return 3
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

// eligible reports whether number i may start a new conversation (POOL-NEW-1).
func (m *model) eligible(i int) bool {
	n := &m.nums[i]
	return n.assigned && !n.inbound && !n.banned && !n.offline && !n.degraded &&
		!(n.trial && n.trialSent+1 > pool.TrialLimit) &&
		!(m.strategy == pool.StrategyWeighted && n.cfg.Weight <= 0)
}

// set returns the candidates of a new conversation with a recipient of class c.
func (m *model) set(c int) *tierSet {
	s := &m.sets[c]
	if s.valid {
		return s
	}
	s.valid, s.level, s.members = true, 0, s.members[:0]
	for lvl := int8(1); lvl <= 3; lvl++ {
		if m.strategy != pool.StrategyGeographic && lvl < 3 {
			continue
		}
		for i := range m.nums {
			if m.eligible(i) && m.tier[c][i] <= lvl {
				s.members = append(s.members, i)
			}
		}
		if len(s.members) > 0 {
			s.level = lvl
			break
		}
	}
	return s
}

// pick counts a new-conversation pick of number i for a recipient of class c and
// returns the tier it gave and the best tier that was available (0: no number was
// eligible, a reply-only fallback).
func (m *model) pick(c, i int) (got, best int8) {
	if m.strategy != pool.StrategyGeographic {
		c2 := m.noGeo()
		s := m.set(c2)
		if s.level != 0 {
			m.pending[c2]++
		}
		return m.tier[c][i], s.level
	}
	s := m.set(c)
	if s.level != 0 {
		m.pending[c]++
	}
	return m.tier[c][i], s.level
}

// changing must be called before anything that may change eligibility: it turns the
// picks counted so far into expected counts under the current eligibility.
func (m *model) changing() {
	for c, k := range m.pending {
		if k == 0 {
			continue
		}
		s := m.set(c)
		switch {
		case len(s.members) == 0:
		case m.strategy == pool.StrategyWeighted:
			total := 0
			for _, i := range s.members {
				total += m.nums[i].cfg.Weight
			}
			for _, i := range s.members {
				m.expected[i] += float64(k) * float64(m.nums[i].cfg.Weight) / float64(total)
			}
		default: // round-robin, and round-robin within the geographic tier
			for _, i := range s.members {
				m.expected[i] += float64(k) / float64(len(s.members))
			}
		}
		m.pending[c] = 0
	}
	for c := range m.sets {
		m.sets[c].valid = false
	}
}

// atRisk reports whether number i's latest outcomes may have changed its degraded
// state (POOL-HEALTH-1), so that the engine should be asked.
func (m *model) atRisk(i int) bool {
	n := &m.nums[i]
	if n.samples < m.health.MinSamples {
		return false
	}
	delivered := float64(n.samples-n.failures) / float64(n.samples)
	if n.degraded {
		return delivered >= m.health.RecoverAt
	}
	return delivered < m.health.DegradeBelow
}
