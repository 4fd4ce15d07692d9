package model

import "slices"

func (m *Model) decideCreateOrg(op CreateOrg) decision {
	switch {
	case op.Org == "" || m.orgs[op.Org] != nil,
		op.Strategy != "" && !validStrategy(op.Strategy),
		op.StickyTTL < 0,
		!op.Health.valid():
		return refuse(RuleAdmin, CodeInvalidRequest)
	}
	return accept(RuleAdmin)
}

func (m *Model) applyCreateOrg(op CreateOrg) {
	s := op.Strategy
	if s == "" {
		s = StrategyRoundRobin
	}
	m.orgs[op.Org] = &org{strategy: s, ttl: op.StickyTTL, health: op.Health.withDefaults()}
}

func (m *Model) decideCreateKey(op CreateKey) decision {
	if m.orgs[op.Org] == nil {
		return refuse(RuleAdmin, CodeOrgNotFound)
	}
	if op.Key == "" || m.keys[op.Key] != nil {
		return refuse(RuleAdmin, CodeInvalidRequest)
	}
	return accept(RuleAdmin)
}

// decideRevokeKey: a revoked key is gone for the admin API too.
func (m *Model) decideRevokeKey(op RevokeKey) decision {
	if m.liveKey(op.Key) == nil {
		return refuse(RuleAdmin, CodeKeyNotFound)
	}
	return accept(RuleAdmin)
}

// applyRevokeKey unassigns the key's numbers and drops its bindings (SPEC §6 decision).
func (m *Model) applyRevokeKey(op RevokeKey) {
	k := m.keys[op.Key]
	for _, id := range slices.Clone(k.allocs) {
		m.endAlloc(id)
	}
	k.revoked = true
	k.bindings = nil
	k.smsLast = nil
}

func (m *Model) decideRegisterNumber(op RegisterNumber) decision {
	plan := op.PlanKind
	if plan == "" {
		plan = PlanDedicated
	}
	switch {
	case m.orgs[op.Org] == nil:
		return refuse(RuleAdmin, CodeOrgNotFound)
	case !validE164(op.Phone),
		op.Provider != ProviderBlooio && op.Provider != ProviderTwilio,
		!validPlanKind(plan),
		op.Weight < 0:
		return refuse(RuleAdmin, CodeInvalidRequest)
	case op.Provider == ProviderTwilio && plan == PlanInbound:
		// SPEC §1: Twilio numbers cannot be inbound.
		return refuse(RuleAdmin, CodeInvalidRequest)
	case m.numbers[op.Phone] != nil:
		return refuse(RuleAdmin, CodeNumberAlreadyRegister)
	}
	return accept(RuleAdmin)
}

func (m *Model) applyRegisterNumber(op RegisterNumber) {
	plan := op.PlanKind
	if plan == "" {
		plan = PlanDedicated
	}
	m.numbers[op.Phone] = &number{phone: op.Phone, org: op.Org, provider: op.Provider, plan: plan, weight: op.Weight}
}

// decideAssign checks an assignment in the order of POOL-PROTO-1: number_not_found →
// mixed_protocols → number_already_allocated → key_protocol_conflict. A number of another
// organization is not found (it is not in the key's org). Numbers already in this key's
// pool are no-ops (but still count for mixed_protocols); repeated phones count once.
func (m *Model) decideAssign(op Assign) decision {
	k := m.liveKey(op.Key)
	if k == nil {
		return refuse(RuleAdmin, CodeKeyNotFound)
	}
	if len(op.Phones) == 0 {
		return refuse(RuleAdmin, CodeInvalidRequest)
	}
	var ns []*number
	for _, p := range op.Phones {
		n := m.numbers[p]
		if n == nil || n.org != k.org {
			return refuse("POOL-PROTO-1", CodeNumberNotFound)
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	for _, n := range ns[1:] {
		if n.provider != ns[0].provider {
			return refuse("POOL-PROTO-1", CodeMixedProtocols)
		}
	}
	var fresh []*number
	for _, n := range ns {
		if n.alloc == 0 {
			fresh = append(fresh, n)
			continue
		}
		if m.allocs[n.alloc].key != k.id {
			return refuse("POOL-PROTO-2", CodeNumberAlreadyAlloc)
		}
	}
	if len(k.allocs) > 0 && k.protocol != protocolOf(ns[0].provider) {
		return refuse("POOL-PROTO-1", CodeKeyProtocolConflict)
	}
	rule := "POOL-PROTO-1"
	if len(k.allocs) == 0 && k.maxPos > 0 {
		rule = "POOL-PROTO-3"
	}
	d := accept(rule)
	d.assign = fresh
	return d
}

// applyAssign gives each new number an allocation at one more than the key's highest
// position ever, in request order.
func (m *Model) applyAssign(op Assign, d decision) {
	k := m.keys[op.Key]
	for _, n := range d.assign {
		m.nextAlloc++
		k.maxPos++
		a := &alloc{id: m.nextAlloc, key: k.id, phone: n.phone, pos: k.maxPos, prior: map[string]bool{}}
		m.allocs[a.id] = a
		n.alloc = a.id
		k.allocs = append(k.allocs, a.id)
		k.protocol = protocolOf(n.provider)
	}
}

// decideUnassign: a number that is not in the key's pool is not found there.
func (m *Model) decideUnassign(op Unassign) decision {
	k := m.liveKey(op.Key)
	if k == nil {
		return refuse(RuleAdmin, CodeKeyNotFound)
	}
	if a := m.allocOf(op.Phone); a == nil || a.key != k.id {
		return refuse(RuleAdmin, CodeNumberNotFound)
	}
	return accept("POOL-PROTO-3")
}

func (m *Model) decideSetNumber(op SetNumber) decision {
	n := m.numbers[op.Phone]
	if n == nil {
		return refuse(RuleAdmin, CodeNumberNotFound)
	}
	if op.PlanKind != nil {
		p := *op.PlanKind
		if !validPlanKind(p) || (p == PlanInbound && n.provider == ProviderTwilio) {
			return refuse(RuleAdmin, CodeInvalidRequest)
		}
	}
	if op.Weight != nil && *op.Weight < 0 {
		return refuse(RuleAdmin, CodeInvalidRequest)
	}
	return accept(RuleAdmin)
}

// applySetNumber changes plan kind and weight. Bindings stay: a binding to a number that
// becomes inbound is then subject to POOL-INBOUND-1.
func (m *Model) applySetNumber(op SetNumber) {
	n := m.numbers[op.Phone]
	if op.PlanKind != nil {
		n.plan = *op.PlanKind
	}
	if op.Weight != nil {
		n.weight = *op.Weight
	}
}

func (m *Model) decideSetStrategy(op SetStrategy) decision {
	if m.orgs[op.Org] == nil {
		return refuse(RuleAdmin, CodeOrgNotFound)
	}
	if !validStrategy(op.Strategy) {
		return refuse(RuleAdmin, CodeInvalidRequest)
	}
	return accept(RuleAdmin)
}

// decideResetBinding: an expired binding is no binding (POOL-STICKY-3).
func (m *Model) decideResetBinding(op ResetBinding) decision {
	k := m.liveKey(op.Key)
	if k == nil {
		return refuse("POOL-STICKY-3", CodeKeyNotFound)
	}
	if _, ok := m.liveBinding(k, normalizeRecipient(op.Recipient)); !ok {
		return refuse("POOL-STICKY-3", CodeBindingNotFound)
	}
	return accept("POOL-STICKY-3")
}

func (m *Model) applyResetBinding(op ResetBinding) {
	delete(m.keys[op.Key].bindings, normalizeRecipient(op.Recipient))
}
