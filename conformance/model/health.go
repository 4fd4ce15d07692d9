package model

// health is the number's status by the precedence banned > offline > degraded > active
// (SPEC §4).
func (n *number) health() Health {
	switch {
	case n.banned:
		return HealthBanned
	case n.offline:
		return HealthOffline
	case n.degraded:
		return HealthDegraded
	}
	return HealthActive
}

// trialBlocked reports whether a send of texts messages would take a trial number past
// its limit. Reading (SPEC §1, trial): "sends at most 20 outbound messages (each element
// of a text array counts)" and requests are atomic, so a request that would pass 20 is
// refused as a whole, and such a number is "exhausted" for that request: not a candidate
// for a new conversation (POOL-NEW-1) nor the POOL-TWILIO-1 pick. The counter is per
// number and counts the accepted outbound messages sent while the plan kind is trial.
func (n *number) trialBlocked(texts int) bool {
	return n.plan == PlanTrial && n.sent+texts > TrialLimit
}

// senderCheck is the POOL-FROM-3 order for a send from allocation a to recipient r:
// banned → reply-only (POOL-INBOUND-1) → offline → trial exhausted. It returns the error
// code and the rule id, or "" when a can send.
func (m *Model) senderCheck(a *alloc, r string, texts int, rule string) (code, ruleID string) {
	n := m.numbers[a.phone]
	switch {
	case n.banned:
		return CodeNumberBanned, rule
	case n.plan == PlanInbound && !a.prior[r]:
		return CodeInboundOnly, "POOL-INBOUND-1"
	case n.offline:
		return CodeSenderUnavailable, rule
	case n.trialBlocked(texts):
		return CodeTrialLimitReached, rule
	}
	return "", rule
}

// decideNumberExists accepts an operation on a registered number.
func (m *Model) decideNumberExists(phone, rule string) decision {
	if m.numbers[phone] == nil {
		return refuse(rule, CodeNumberNotFound)
	}
	return accept(rule)
}

// decideLineStatus: only Blooio numbers have relay lines; Twilio numbers are never
// offline (SPEC §4), so a line report for one is line_not_found.
func (m *Model) decideLineStatus(op LineStatus) decision {
	n := m.numbers[op.Phone]
	if n == nil || n.provider != ProviderBlooio {
		return refuse("POOL-HEALTH-2", CodeLineNotFound)
	}
	return accept("POOL-HEALTH-2")
}

// applyDeliveryOutcome records one outcome in the number's window and moves it between
// active and degraded (POOL-HEALTH-1): degraded when at least min_samples outcomes are
// in the window and the delivered ratio is below degrade_below; active again when the
// ratio is at or above recover_at. Between the two thresholds the status is kept.
func (m *Model) applyDeliveryOutcome(op DeliveryOutcome) {
	n := m.numbers[op.Phone]
	h := m.orgs[n.org].health
	n.outcomes = append(n.outcomes, op.Delivered)
	if len(n.outcomes) > h.Window {
		n.outcomes = n.outcomes[len(n.outcomes)-h.Window:]
	}
	delivered := 0
	for _, d := range n.outcomes {
		if d {
			delivered++
		}
	}
	samples := len(n.outcomes)
	if samples < h.MinSamples || samples == 0 {
		return
	}
	ratio := float64(delivered) / float64(samples)
	if n.degraded {
		n.degraded = ratio < h.RecoverAt
	} else {
		n.degraded = ratio < h.DegradeBelow
	}
}

// applyBan bans a number and drops every binding to its allocation (POOL-STICKY-3). They
// do not come back when the ban is lifted. Groups pinned to it stay pinned (a group chat
// cannot move to another line); sends to them answer number_banned.
func (m *Model) applyBan(op Ban) {
	n := m.numbers[op.Phone]
	n.banned = true
	if n.alloc == 0 {
		return
	}
	k := m.keys[m.allocs[n.alloc].key]
	for r, b := range k.bindings {
		if b.alloc == n.alloc {
			delete(k.bindings, r)
		}
	}
}
