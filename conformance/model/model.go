package model

import (
	"slices"
	"sort"
	"time"
)

// Model is the pure oracle of the number-pool rules: a state built from the operations it
// was stepped with, and for every next operation the set of allowed outcomes. A Model is
// not safe for concurrent use; Clone it to explore alternatives.
type Model struct {
	exact bool
	geo   Geo

	now       time.Duration
	orgs      map[string]*org
	keys      map[string]*key
	numbers   map[string]*number
	allocs    map[int]*alloc
	groups    map[string]int // group name → allocation it is pinned to (groups heard inbound)
	nextAlloc int
}

// Option configures New.
type Option func(*Model)

// WithExact makes Step require the from number the reference algorithms of SPEC §3 pick
// (Allowed.Exact); without it any member of Allowed.From is accepted, as for a real
// deployment.
func WithExact() Option { return func(m *Model) { m.exact = true } }

// WithGeo replaces the numbering data (area code → regions) used by the geographic
// strategy.
func WithGeo(g Geo) Option { return func(m *Model) { m.geo = g } }

// New returns an empty model: no organizations, keys or numbers, clock at 0.
func New(opts ...Option) *Model {
	m := &Model{
		geo:     defaultGeo(),
		orgs:    map[string]*org{},
		keys:    map[string]*key{},
		numbers: map[string]*number{},
		allocs:  map[int]*alloc{},
		groups:  map[string]int{},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Clone returns an independent copy of the model (same options, same state).
func (m *Model) Clone() *Model {
	c := *m
	c.orgs = cloneMap(m.orgs, func(o *org) *org { x := *o; return &x })
	c.keys = cloneMap(m.keys, (*key).clone)
	c.numbers = cloneMap(m.numbers, (*number).clone)
	c.allocs = cloneMap(m.allocs, (*alloc).clone)
	c.groups = make(map[string]int, len(m.groups))
	for g, a := range m.groups {
		c.groups[g] = a
	}
	return &c
}

// Exact reports whether the model runs in reference mode (WithExact).
func (m *Model) Exact() bool { return m.exact }

// Now is the model clock: the sum of all Advance steps.
func (m *Model) Now() time.Duration { return m.now }

// Allowed returns the outcomes allowed for op in the current state. It does not change
// the state.
func (m *Model) Allowed(op Op) Allowed { return m.decide(op).allowed }

// Step judges the observed outcome out of op against Allowed(op) and, unless it is a
// Violation or Unknown, advances the state with the observed outcome (an accepted send
// binds the conversation to out.From, whichever allowed number that is). A rejected
// operation changes nothing.
func (m *Model) Step(op Op, out Outcome) Verdict {
	d := m.decide(op)
	v := m.judge(d, out)
	if v.Kind == OK && out.Code == "" {
		m.apply(normalizeOp(op), d, out)
	}
	return v
}

// decision is Allowed plus what Step needs to judge and apply a success.
type decision struct {
	allowed Allowed
	unknown bool      // op outside the model: Step answers Unknown
	errRule string    // the rule an error breaks where success was due ("" = allowed.Rule)
	send    *sendPlan // the selection behind an allowed send success
	// unseen is the 503 a real deployment answers instead if a line the model believes
	// online has dropped unnoticed: sender_unavailable where one Blooio number was to send
	// (it passed the offline check), no_active_number for a new conversation.
	unseen string
	assign []*number // the numbers an allowed Assign allocates, in request order
}

func refuse(rule string, codes ...string) decision {
	c := slices.Clone(codes)
	sort.Strings(c)
	return decision{allowed: Allowed{Codes: c, Rule: rule}}
}

func accept(rule string) decision { return decision{allowed: Allowed{Rule: rule}} }

// normalizeOp turns pointers to ops into ops.
func normalizeOp(op Op) Op {
	switch o := op.(type) {
	case *CreateOrg:
		return *o
	case *CreateKey:
		return *o
	case *RevokeKey:
		return *o
	case *RegisterNumber:
		return *o
	case *Assign:
		return *o
	case *Unassign:
		return *o
	case *SetNumber:
		return *o
	case *SetStrategy:
		return *o
	case *Ban:
		return *o
	case *Unban:
		return *o
	case *LineStatus:
		return *o
	case *DeliveryOutcome:
		return *o
	case *Inbound:
		return *o
	case *ResetBinding:
		return *o
	case *Advance:
		return *o
	case *Send:
		return *o
	}
	return op
}

func (m *Model) decide(op Op) decision {
	switch op := normalizeOp(op).(type) {
	case CreateOrg:
		return m.decideCreateOrg(op)
	case CreateKey:
		return m.decideCreateKey(op)
	case RevokeKey:
		return m.decideRevokeKey(op)
	case RegisterNumber:
		return m.decideRegisterNumber(op)
	case Assign:
		return m.decideAssign(op)
	case Unassign:
		return m.decideUnassign(op)
	case SetNumber:
		return m.decideSetNumber(op)
	case SetStrategy:
		return m.decideSetStrategy(op)
	case Ban:
		return m.decideNumberExists(op.Phone, "POOL-HEALTH-3")
	case Unban:
		return m.decideNumberExists(op.Phone, "POOL-HEALTH-3")
	case LineStatus:
		return m.decideLineStatus(op)
	case DeliveryOutcome:
		return m.decideNumberExists(op.Phone, "POOL-HEALTH-1")
	case Inbound:
		return m.decideInbound(op)
	case ResetBinding:
		return m.decideResetBinding(op)
	case Advance:
		if op.D < 0 {
			return refuse(RuleEvent, CodeInvalidRequest)
		}
		return accept(RuleEvent)
	case Send:
		return m.decideSend(op)
	}
	return decision{unknown: true, allowed: Allowed{Rule: "UNKNOWN-OP"}}
}

func (m *Model) apply(op Op, d decision, out Outcome) {
	switch op := op.(type) {
	case CreateOrg:
		m.applyCreateOrg(op)
	case CreateKey:
		m.keys[op.Key] = &key{id: op.Key, org: op.Org}
	case RevokeKey:
		m.applyRevokeKey(op)
	case RegisterNumber:
		m.applyRegisterNumber(op)
	case Assign:
		m.applyAssign(op, d)
	case Unassign:
		m.endAlloc(m.numbers[op.Phone].alloc)
	case SetNumber:
		m.applySetNumber(op)
	case SetStrategy:
		m.orgs[op.Org].strategy = op.Strategy
	case Ban:
		m.applyBan(op)
	case Unban:
		m.numbers[op.Phone].banned = false
	case LineStatus:
		m.numbers[op.Phone].offline = !op.Online
	case DeliveryOutcome:
		m.applyDeliveryOutcome(op)
	case Inbound:
		m.applyInbound(op)
	case ResetBinding:
		m.applyResetBinding(op)
	case Advance:
		m.now += op.D
	case Send:
		m.applySend(d.send, out.From)
	}
}

// Keys lists the live (not revoked) API keys, sorted.
func (m *Model) Keys() []string {
	var ks []string
	for id, k := range m.keys {
		if !k.revoked {
			ks = append(ks, id)
		}
	}
	sort.Strings(ks)
	return ks
}

// Pool lists the phone numbers allocated to key, in position order (POOL-ISO-1).
func (m *Model) Pool(keyID string) []string {
	k := m.keys[keyID]
	if k == nil {
		return nil
	}
	var ps []string
	for _, id := range k.allocs {
		ps = append(ps, m.allocs[id].phone)
	}
	return ps
}

// Protocol is the protocol of key's pool: "" for an empty, unknown or revoked key.
func (m *Model) Protocol(keyID string) Protocol {
	if k := m.keys[keyID]; k != nil && len(k.allocs) > 0 {
		return k.protocol
	}
	return ProtocolNone
}

// Health is the health status of a registered number ("" if unknown), by the precedence
// banned > offline > degraded > active (SPEC §4).
func (m *Model) Health(phone string) Health {
	n := m.numbers[phone]
	if n == nil {
		return ""
	}
	return n.health()
}

// Binding is the number key's conversation with recipient is bound to, if a binding is
// alive (POOL-STICKY-2, POOL-STICKY-3).
func (m *Model) Binding(keyID, recipient string) (string, bool) {
	k := m.keys[keyID]
	if k == nil {
		return "", false
	}
	b, ok := m.liveBinding(k, normalizeRecipient(recipient))
	if !ok {
		return "", false
	}
	return m.allocs[b.alloc].phone, true
}

// HasPriorInbound reports whether recipient has messaged the current allocation of phone
// (for a group, recipient is "grp:<name>").
func (m *Model) HasPriorInbound(phone, recipient string) bool {
	n := m.numbers[phone]
	if n == nil || n.alloc == 0 {
		return false
	}
	return m.allocs[n.alloc].prior[normalizeRecipient(recipient)]
}

// liveBinding returns binding (k, r) unless the org's sticky TTL has passed since the
// conversation's last message (POOL-STICKY-3: "older than" = strictly more than the TTL).
func (m *Model) liveBinding(k *key, r string) (binding, bool) {
	b, ok := k.bindings[r]
	if !ok {
		return binding{}, false
	}
	if ttl := m.orgs[k.org].ttl; ttl > 0 && m.now-b.last > ttl {
		return binding{}, false
	}
	return b, true
}

// liveKey is the key with id, unless it is unknown or revoked.
func (m *Model) liveKey(id string) *key {
	if k := m.keys[id]; k != nil && !k.revoked {
		return k
	}
	return nil
}

// allocOf is the live allocation of phone, or nil.
func (m *Model) allocOf(phone string) *alloc {
	if n := m.numbers[phone]; n != nil && n.alloc != 0 {
		return m.allocs[n.alloc]
	}
	return nil
}

// endAlloc ends an allocation (unassign, revoke): its bindings, the groups pinned to it
// and its prior inbound end with it (SPEC §1, POOL-STICKY-3). Positions are not
// renumbered; when the last allocation goes the key's protocol is null (POOL-PROTO-3).
func (m *Model) endAlloc(id int) {
	a := m.allocs[id]
	k := m.keys[a.key]
	k.allocs = slices.DeleteFunc(k.allocs, func(x int) bool { return x == id })
	for r, b := range k.bindings {
		if b.alloc == id {
			delete(k.bindings, r)
		}
	}
	for g, x := range m.groups {
		if x == id {
			delete(m.groups, g)
		}
	}
	if len(k.allocs) == 0 {
		k.protocol = ProtocolNone
	}
	m.numbers[a.phone].alloc = 0
	delete(m.allocs, id)
}
