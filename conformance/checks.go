package conformance

// allChecks returns every rule check, in a fixed order: SPEC §2 (empty pool, explicit
// from_number, Twilio keys, stickiness, new conversations, reply-only numbers, protocol
// exclusivity, isolation), §3 (strategies) and §4 (health). Every rule id of §2–§4 has
// at least one (TestChecks_CoverEveryRule).
func allChecks() []check {
	var out []check
	for _, group := range [][]check{
		emptyChecks(),
		fromChecks(),
		twilioChecks(),
		stickyChecks(),
		newChecks(),
		inboundChecks(),
		protoChecks(),
		isoChecks(),
		strategyChecks(),
		healthChecks(),
	} {
		out = append(out, group...)
	}
	return out
}
