// Package mutants lists the deliberately broken deployments of poolkit (STYLE lesson 5,
// "test the tester"): the reference engine built with one bug each (internal/mutation),
// each breaking one rule of SPEC §2–§4. Running the conformance suite against every mutant
// must fail, on the mutant's rule; running it against the unmodified reference must pass.
//
// A mutant is deployed like the reference, with its PoolOptions added to the engine's:
//
//	for _, m := range mutants.All() {
//		tgt := target.Embedded{PoolOptions: m.PoolOptions()}
//		…
//	}
//
// Every bug is one a developer could write, and each is invisible unless a check looks at
// the right behaviour; the Description says what to look at.
package mutants

import (
	"slices"
	"strings"

	"poolkit/internal/mutation"
	"poolkit/reference/pool"
)

// Mutant is a reference engine with one deliberate bug.
type Mutant struct {
	// Name is stable and unique, e.g. "no-sticky".
	Name string
	// Rule is the SPEC rule id the bug breaks, the one a conformance run must report
	// as failing (other rules may fail with it).
	Rule string
	// Description says what the mutant does wrong and how it shows over the API.
	Description string
	// Set is the engine's mutation.
	Set mutation.Set
}

// PoolOptions returns the engine options that build the mutant.
func (m Mutant) PoolOptions() []pool.Option {
	return []pool.Option{pool.WithMutations(m.Set)}
}

// String returns the mutant's name and rule.
func (m Mutant) String() string { return m.Name + " (" + m.Rule + ")" }

// All returns every mutant, sorted by name.
func All() []Mutant {
	out := slices.Clone(all)
	slices.SortFunc(out, func(a, b Mutant) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ByName returns the mutant called name.
func ByName(name string) (Mutant, bool) {
	for _, m := range all {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}

var all = []Mutant{
	{
		Name: "empty-pool-503", Rule: "POOL-EMPTY-1", Set: mutation.EmptyPoolWrongCode,
		Description: "a send with a key that holds no numbers answers 503 no_active_number instead of " +
			"403 no_numbers_assigned",
	},
	{
		Name: "from-unvalidated", Rule: "POOL-FROM-1", Set: mutation.FromUnvalidated,
		Description: "a from_number that is not E.164 (e.g. \"5551110001\") is not rejected with 400 " +
			"invalid_from_number; it is looked up and answered 403 from_number_not_in_pool",
	},
	{
		Name: "foreign-from-accepted", Rule: "POOL-FROM-2", Set: mutation.ForeignFromAccepted,
		Description: "a from_number allocated to another API key is accepted (202 from that number) " +
			"instead of 403 from_number_not_in_pool; only unknown and unallocated numbers are refused",
	},
	{
		Name: "from-ignored", Rule: "POOL-FROM-3", Set: mutation.FromIgnored,
		Description: "an iMessage key checks an explicit from_number for a 1:1 chat (403/503/402 as " +
			"usual) and then selects as if it were absent: the response's from_number is the binding " +
			"or the strategy's pick, not F",
	},
	{
		Name: "twilio-rotates", Rule: "POOL-TWILIO-1", Set: mutation.TwilioRotates,
		Description: "sms keys go through the org strategy like iMessage keys: successive sends rotate " +
			"over the Twilio numbers instead of always using the lowest-position one",
	},
	{
		Name: "twilio-sticky", Rule: "POOL-TWILIO-2", Set: mutation.TwilioSticky,
		Description: "an sms send without from_number reuses the number of the conversation's last " +
			"message: after an explicit send from the second number, or an inbound SMS to it, the " +
			"recipient gets the second number instead of the first",
	},
	{
		Name: "no-sticky", Rule: "POOL-STICKY-1", Set: mutation.NoSticky,
		Description: "bindings are never looked up: a second send to the same recipient selects afresh " +
			"and, under round-robin with two numbers, comes from the other number",
	},
	{
		Name: "offline-switches", Rule: "POOL-STICKY-1", Set: mutation.OfflineSwitches,
		Description: "a conversation bound to an offline number is moved to another number (202, and the " +
			"binding follows) instead of 503 sender_unavailable",
	},
	{
		Name: "explicit-no-rebind", Rule: "POOL-STICKY-2", Set: mutation.ExplicitNoRebind,
		Description: "a send with an explicit from_number does not move (or create) the binding: the next " +
			"send without from_number goes out from the previously bound number",
	},
	{
		Name: "inbound-no-rebind", Rule: "POOL-STICKY-2", Set: mutation.InboundNoRebind,
		Description: "an inbound message binds a conversation only when it has no binding yet: after the " +
			"contact writes to another pool number, the next send still comes from the old one",
	},
	{
		Name: "replay-resends", Rule: "POOL-STICKY-2", Set: mutation.ReplayResends,
		Description: "the idempotency record's age test is inverted: a replay of the same Idempotency-Key " +
			"within 24 h is sent again (202, a new message_id, a second message; the binding moves " +
			"back to the replayed send's number) instead of 200 with the original body",
	},
	{
		Name: "ban-keeps-binding", Rule: "POOL-STICKY-3", Set: mutation.BanKeepsBinding,
		Description: "banning a number does not drop the bindings to it: a send to a recipient bound to " +
			"it answers 403 number_banned instead of re-selecting another number",
	},
	{
		Name: "racy-first-send", Rule: "POOL-STICKY-4", Set: mutation.RacyFirstSend,
		Description: "selection and the write of the binding happen in two transactions: concurrent " +
			"first sends to one new recipient are answered from different numbers (the last writer's " +
			"binding wins); sequential sends are correct",
	},
	{
		Name: "degraded-chosen", Rule: "POOL-NEW-1", Set: mutation.DegradedChosen,
		Description: "eligibility for new conversations tests is_active, which is true for degraded " +
			"numbers: a degraded number still takes its share of new conversations",
	},
	{
		Name: "no-inbound-fallback", Rule: "POOL-NEW-1", Set: mutation.NoInboundFallback,
		Description: "when no number is eligible, inbound numbers the recipient has written to are not " +
			"used: the send answers 503 no_active_number (e.g. a key of inbound numbers, a contact " +
			"who wrote to one, its binding reset) instead of 202 from that inbound number",
	},
	{
		Name: "strategy-ignored", Rule: "POOL-NEW-2", Set: mutation.StrategyIgnored,
		Description: "the org's strategy is not consulted: weighted and geographic orgs rotate " +
			"round-robin (weights 5,1,1 give a b c a b c a, not a a b a c a a)",
	},
	{
		Name: "reply-only-unenforced", Rule: "POOL-INBOUND-1", Set: mutation.ReplyOnlyUnenforced,
		Description: "a send from an inbound number (explicit from_number or a binding) to a recipient " +
			"who never wrote to it is accepted instead of 403 inbound_only_no_prior_inbound",
	},
	{
		Name: "inbound-warm-up", Rule: "POOL-INBOUND-2", Set: mutation.InboundWarmUp,
		Description: "the first inbound message of a recipient to an inbound number does not allow " +
			"replies (403 inbound_only_no_prior_inbound); the second does",
	},
	{
		Name: "group-grants-contact", Rule: "POOL-INBOUND-3", Set: mutation.GroupGrantsContact,
		Description: "a message written in a group records prior inbound for its author instead of the " +
			"group: the inbound number may then write to the author 1:1 (202 instead of 403) but not " +
			"reply in the group (403 instead of 202)",
	},
	{
		Name: "slot-misattributed", Rule: "POOL-INBOUND-4", Set: mutation.SlotMisattributed,
		Description: "an inbound message on the line of an inbound number is attributed to the relay's " +
			"first inbound number (lowest line slot): with two inbound numbers on one Mac, a contact " +
			"writing to the second can only be answered from the first",
	},
	{
		Name: "protocol-conflict-unchecked", Rule: "POOL-PROTO-1", Set: mutation.ProtocolConflictUnchecked,
		Description: "assigning Twilio numbers to a key holding Blooio numbers (or the reverse) is " +
			"accepted (200) instead of 409 key_protocol_conflict: one pool mixes both protocols",
	},
	{
		Name: "assign-steals-number", Rule: "POOL-PROTO-2", Set: mutation.AssignStealsNumber,
		Description: "assigning a number allocated to another key moves it out of that key's pool (200) " +
			"instead of 409 number_already_allocated",
	},
	{
		Name: "protocol-sticks", Rule: "POOL-PROTO-3", Set: mutation.ProtocolSticks,
		Description: "a key whose last number is unassigned keeps its protocol (/me shows it, not null) " +
			"and refuses numbers of the other provider with 409 key_protocol_conflict",
	},
	{
		Name: "me-numbers-leak", Rule: "POOL-ISO-1", Set: mutation.MeNumbersLeak,
		Description: "/me/numbers lists, after the key's own numbers, every other key's numbers on the " +
			"same Mac relays",
	},
	{
		Name: "unassigned-still-sends", Rule: "POOL-ISO-2", Set: mutation.UnassignedStillSends,
		Description: "unassigning a number leaves the bindings to it, and a send through such a binding " +
			"goes out (202) from the unassigned number, which is no longer in the pool",
	},
	{
		Name: "rr-skewed", Rule: "POOL-RR-1", Set: mutation.RRSkewed,
		Description: "the round-robin cursor records the number last used, sticky sends included: " +
			"interleaving sends to an existing conversation with new ones skews new conversations " +
			"(two numbers a, b: new, new, then (old, new) repeated gives a, b, b, b, …)",
	},
	{
		Name: "zero-weight-chosen", Rule: "POOL-WRR-1", Set: mutation.ZeroWeightChosen,
		Description: "under the weighted strategy a weight of 0 counts as 1: a number of weight 0 gets " +
			"new conversations (weights 1,0 give a b a b instead of a a a a)",
	},
	{
		Name: "geo-area-code-ignored", Rule: "POOL-GEO-1", Set: mutation.GeoAreaCodeIgnored,
		Description: "the recipient's area code is read one digit early (\"+1415…\" gives 141), so no " +
			"area-code or state tier matches and the geographic strategy rotates round-robin over all " +
			"candidates",
	},
	{
		Name: "never-degrades", Rule: "POOL-HEALTH-1", Set: mutation.NeverDegrades,
		Description: "failed delivery outcomes are not counted: after min_samples failures the number " +
			"is still active (health endpoint, /me/numbers) and still takes new conversations",
	},
	{
		Name: "offline-ignored", Rule: "POOL-HEALTH-2", Set: mutation.OfflineIgnored,
		Description: "offline reports (line.status online:false, a failed dispatch) are dropped: the " +
			"number stays active and is_active, and sends from it are accepted instead of 503 " +
			"sender_unavailable",
	},
	{
		Name: "relay-ban-ignored", Rule: "POOL-HEALTH-3", Set: mutation.RelayBanIgnored,
		Description: "a relay's line.status with banned: true is not applied (an admin ban still " +
			"works): the line stays active and sends from it are accepted instead of 403 number_banned",
	},
}
