package model

import (
	"slices"
	"sort"
)

// sendPath is the SPEC §2 rule that picks the sender of an accepted send.
type sendPath int

const (
	pathFrom   sendPath = iota + 1 // explicit from_number (POOL-FROM-3)
	pathTwilio                     // sms key, no from_number (POOL-TWILIO-1)
	pathGroup                      // group chat pinned to an allocation of the key (Groups)
	pathSticky                     // existing binding (POOL-STICKY-1)
	pathNew                        // new conversation (POOL-NEW-1, POOL-NEW-2, §3)
)

// sendPlan is the selection behind an allowed send success.
type sendPlan struct {
	key       *key
	recipient string
	kind      recipientKind
	texts     int
	path      sendPath

	// pathNew only.
	strategy  Strategy
	cands     []*alloc // C, in position order
	tierLevel int      // geographic: 1 area code, 2 region, 3 all of C
	tierKey   string   // geographic: the area code or region set of the tier's cursor
}

// decideSend applies the request checks and then the first rule of SPEC §2 that applies.
//
// Request checks, in the SPEC order (malformed JSON, size and types are not modelled):
// unauthorized (unknown or revoked key) → invalid_chat_id (not E.164 / email / group
// reference, or not E.164 on an sms key) → invalid_request (Texts < 1) →
// invalid_from_number (POOL-FROM-1) → chat_not_found (a group pinned to an allocation of
// another key). Then POOL-EMPTY-1 → POOL-FROM-2 → the group check "F in K's pool but of
// another allocation" (right after POOL-FROM-2) → POOL-FROM-3 | POOL-TWILIO-1 | pinned
// group | POOL-STICKY-1 | POOL-NEW-1.
func (m *Model) decideSend(op Send) decision {
	k := m.liveKey(op.Key)
	if k == nil {
		return refuse(RuleRequest, CodeUnauthorized)
	}
	r, kind := parseRecipient(op.Recipient)
	if kind == recipientInvalid {
		return refuse(RuleRequest, CodeInvalidChatID)
	}
	proto := m.Protocol(k.id)
	if proto == ProtocolSMS && kind != recipientPhone {
		return refuse(RuleRequest, CodeInvalidChatID)
	}
	if op.Texts < 1 {
		return refuse(RuleRequest, CodeInvalidRequest)
	}
	if op.From != "" && !validE164(op.From) {
		return refuse("POOL-FROM-1", CodeInvalidFromNumber)
	}
	var pin *alloc // the allocation of K a group heard inbound is pinned to
	if kind == recipientGroup {
		if id, ok := m.groups[groupName(r)]; ok {
			pin = m.allocs[id]
			if pin.key != k.id {
				return refuse(RuleGroups, CodeChatNotFound)
			}
		}
	}
	if len(k.allocs) == 0 {
		return refuse("POOL-EMPTY-1", CodeNoNumbersAssigned)
	}
	p := &sendPlan{key: k, recipient: r, kind: kind, texts: op.Texts}
	if op.From != "" {
		a := m.allocOf(op.From)
		if a == nil || a.key != k.id {
			return refuse("POOL-FROM-2", CodeFromNumberNotInPool)
		}
		if kind == recipientGroup {
			// A group lives on one allocation: the one it was heard on, or the one an
			// ad-hoc group was created on (its live binding).
			g := pin
			if g == nil {
				g = m.stickyAlloc(k, r)
			}
			if g != nil && g != a {
				return refuse(RuleGroups, CodeInvalidRequest)
			}
		}
		p.path = pathFrom
		return m.sendFrom(p, a, "POOL-FROM-3")
	}
	if proto == ProtocolSMS {
		p.path = pathTwilio
		return m.sendTwilio(p)
	}
	if pin != nil {
		// Reading (Groups): "sending without F uses it", so the pinned allocation is
		// checked like an explicit F (POOL-FROM-3 order); a pinned group cannot move, so a
		// banned number answers number_banned instead of re-selecting.
		p.path = pathGroup
		return m.sendFrom(p, pin, RuleGroups)
	}
	if a := m.stickyAlloc(k, r); a != nil {
		p.path = pathSticky
		return m.sendFrom(p, a, "POOL-STICKY-1")
	}
	p.path = pathNew
	return m.sendNew(p)
}

// stickyAlloc is the allocation of a live binding (k, r) whose number is not banned
// (POOL-STICKY-1), or nil.
func (m *Model) stickyAlloc(k *key, r string) *alloc {
	b, ok := m.liveBinding(k, r)
	if !ok || m.numbers[m.allocs[b.alloc].phone].banned {
		return nil
	}
	return m.allocs[b.alloc]
}

// sendFrom decides a send from one determined allocation: explicit F, a binding or a
// pinned group. Reading (POOL-STICKY-1): a binding is used as long as its number is not
// banned, so offline → sender_unavailable, reply-only → inbound_only_no_prior_inbound
// (POOL-INBOUND-1 "through a binding") and trial exhausted → trial_limit_reached, in the
// POOL-FROM-3 order; the conversation is never moved.
func (m *Model) sendFrom(p *sendPlan, a *alloc, rule string) decision {
	var d decision
	if code, r := m.senderCheck(a, p.recipient, p.texts, rule); code != "" {
		d = refuse(r, code)
	} else {
		d = decision{allowed: Allowed{From: []string{a.phone}, Exact: a.phone, Rule: rule}, send: p}
	}
	if m.numbers[a.phone].provider == ProviderBlooio && (d.send != nil || d.allowed.Codes[0] == CodeTrialLimitReached) {
		d.unseen = CodeSenderUnavailable
	}
	return d
}

// sendTwilio is POOL-TWILIO-1: the lowest-position allocation that is not banned and
// not an exhausted trial; degraded does not matter, Twilio numbers are never offline.
func (m *Model) sendTwilio(p *sendPlan) decision {
	for _, id := range p.key.allocs {
		a := m.allocs[id]
		if n := m.numbers[a.phone]; !n.banned && !n.trialBlocked(p.texts) {
			return decision{
				allowed: Allowed{From: []string{a.phone}, Exact: a.phone, Rule: "POOL-TWILIO-1"},
				send:    p,
			}
		}
	}
	return refuse("POOL-TWILIO-1", CodeNoActiveNumber)
}

// sendNew is POOL-NEW-1 and POOL-NEW-2. C is the allocations eligible for new
// conversations (not inbound, active, weight > 0 under weighted, not an exhausted trial);
// if none, the inbound allocations with prior inbound from R that are active or degraded.
// A real deployment may pick any member of C (for geographic: any member of the first
// non-empty tier, POOL-GEO-1); the reference picks exactly what §3 says.
func (m *Model) sendNew(p *sendPlan) decision {
	k := p.key
	o := m.orgs[k.org]
	var c1, c2 []*alloc
	allInbound, anyPrior := true, false
	for _, id := range k.allocs {
		a := m.allocs[id]
		n := m.numbers[a.phone]
		if n.plan == PlanInbound {
			if a.prior[p.recipient] {
				anyPrior = true
				if h := n.health(); h == HealthActive || h == HealthDegraded {
					c2 = append(c2, a)
				}
			}
			continue
		}
		allInbound = false
		if n.health() == HealthActive && !(o.strategy == StrategyWeighted && n.weight <= 0) && !n.trialBlocked(p.texts) {
			c1 = append(c1, a)
		}
	}
	c := c1
	if len(c) == 0 {
		c = c2
	}
	if len(c) == 0 {
		if allInbound && !anyPrior {
			return refuse("POOL-NEW-1", CodeInboundOnly)
		}
		return refuse("POOL-NEW-1", CodeNoActiveNumber)
	}
	p.strategy, p.cands = o.strategy, c
	allowed, exact := m.pick(p)
	from := make([]string, len(allowed))
	for i, a := range allowed {
		from[i] = a.phone
	}
	sort.Strings(from)
	return decision{
		allowed: Allowed{From: from, Exact: exact.phone, Rule: strategyRule(p.strategy)},
		errRule: "POOL-NEW-1",
		send:    p,
		unseen:  CodeNoActiveNumber,
	}
}

// applySend records an accepted send from phone: the trial counter counts every text
// sent while the number is a trial number (a trial starts when the plan is given), and
// for imessage keys the conversation is bound to the sending allocation
// (POOL-STICKY-2; an explicit F rebinds too). New conversations move the strategy state
// as if the observed number had been picked.
func (m *Model) applySend(p *sendPlan, phone string) {
	a := m.allocOf(phone)
	if n := m.numbers[phone]; n.plan == PlanTrial {
		n.sent += p.texts
	}
	k := p.key
	if k.protocol == ProtocolSMS {
		k.setSMSLast(p.recipient, phone)
		return
	}
	if p.path == pathNew {
		m.advanceStrategy(p, a)
	}
	k.bind(p.recipient, binding{alloc: a.id, last: m.now})
}

// blame names the rule an accepted send from phone (in K's pool, but not allowed) breaks.
func (m *Model) blame(p *sendPlan, phone string) string {
	switch p.path {
	case pathFrom:
		return "POOL-FROM-3"
	case pathGroup:
		return RuleGroups
	case pathSticky:
		return "POOL-STICKY-1"
	case pathTwilio:
		if p.key.smsLast[p.recipient] == phone {
			return "POOL-TWILIO-2"
		}
		return "POOL-TWILIO-1"
	}
	a := m.allocOf(phone)
	n := m.numbers[phone]
	switch {
	case n.banned:
		return "POOL-HEALTH-3"
	case n.offline:
		return "POOL-HEALTH-2"
	case n.plan == PlanInbound && !a.prior[p.recipient]:
		return "POOL-INBOUND-1"
	case n.plan == PlanInbound:
		return "POOL-NEW-1"
	case n.degraded:
		return "POOL-HEALTH-1"
	case p.strategy == StrategyWeighted && n.weight <= 0:
		return "POOL-WRR-1"
	case p.strategy == StrategyGeographic && slices.Contains(p.cands, a):
		return "POOL-GEO-1"
	}
	return "POOL-NEW-1"
}
