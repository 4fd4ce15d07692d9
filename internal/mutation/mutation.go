// Package mutation names the deliberate bugs the reference engine can be built with, so
// that the conformance suite can be shown to catch each of them (STYLE lesson 5, "test
// the tester"). A Set is off by default: the zero Set is the correct engine.
//
// Each constant is one small, realistic bug that breaks one rule of SPEC §2–§4; the
// engine (reference/pool, option WithMutations) guards each with a branch at the point
// where a developer could have written it. conformance/mutants names them and says which
// rule each one breaks.
//
// The package is a leaf: it imports nothing, so the pure engine may depend on it.
package mutation

// Set is a set of mutations, one bit each.
type Set uint64

// Has reports whether s holds any of the mutations in m. It is a single AND, cheap
// enough to sit on the engine's hot paths.
func (s Set) Has(m Set) bool { return s&m != 0 }

// The mutations. The comment of each says what the engine then does wrong.
const (
	// EmptyPoolWrongCode: a key without numbers answers 503 no_active_number instead of
	// 403 no_numbers_assigned (POOL-EMPTY-1).
	EmptyPoolWrongCode Set = 1 << iota
	// FromUnvalidated: a from_number that is not E.164 is not rejected as
	// invalid_from_number; it is looked up and answered from_number_not_in_pool
	// (POOL-FROM-1).
	FromUnvalidated
	// ForeignFromAccepted: the from_number check only asks whether the number is
	// allocated, not whether it is allocated to this key (POOL-FROM-2).
	ForeignFromAccepted
	// FromIgnored: an iMessage key validates an explicit from_number for a 1:1 chat and
	// then selects as if it were absent (POOL-FROM-3).
	FromIgnored
	// TwilioRotates: sms keys go through the org strategy like iMessage keys, so every
	// send rotates (POOL-TWILIO-1).
	TwilioRotates
	// TwilioSticky: an sms send reuses the number the recipient last exchanged a message
	// with (an explicit send or an inbound SMS) instead of the first number (POOL-TWILIO-2).
	TwilioSticky
	// NoSticky: the binding is never looked up; every send without from_number selects
	// afresh (POOL-STICKY-1).
	NoSticky
	// OfflineSwitches: a binding whose number is offline is dropped and the conversation
	// silently moves to another number instead of 503 sender_unavailable (POOL-STICKY-1).
	OfflineSwitches
	// ExplicitNoRebind: only the engine's own selection writes bindings; a send with an
	// explicit from_number leaves the binding where it was (POOL-STICKY-2).
	ExplicitNoRebind
	// InboundNoRebind: an inbound message binds a conversation only when it has no
	// binding yet, so it does not move an existing one (POOL-STICKY-2).
	InboundNoRebind
	// ReplayResends: the idempotency record's age test is inverted, so a replay within
	// 24 h is sent again as a new message (POOL-STICKY-2: a replay changes nothing).
	ReplayResends
	// BanKeepsBinding: a ban does not drop the bindings to the number, and a send
	// through such a binding answers 403 number_banned instead of re-selecting
	// (POOL-STICKY-3).
	BanKeepsBinding
	// RacyFirstSend: selection and the write of the message and its binding run in two
	// transactions, so concurrent first sends to a new recipient each select a number and
	// the last writer's binding wins (POOL-STICKY-4).
	RacyFirstSend
	// DegradedChosen: eligibility for new conversations tests is_active (true for
	// degraded numbers) instead of health == active (POOL-NEW-1).
	DegradedChosen
	// NoInboundFallback: when no number is eligible, inbound numbers the recipient has
	// written to are not considered; the send answers 503 no_active_number (POOL-NEW-1).
	NoInboundFallback
	// StrategyIgnored: the org's strategy is not consulted; every org rotates
	// round-robin (POOL-NEW-2).
	StrategyIgnored
	// ReplyOnlyUnenforced: a send from an inbound number (explicit or through a binding)
	// is not checked for prior inbound (POOL-INBOUND-1).
	ReplyOnlyUnenforced
	// InboundWarmUp: prior inbound is recorded from the second inbound message of a
	// recipient to a number on, not the first (POOL-INBOUND-2).
	InboundWarmUp
	// GroupGrantsContact: a message written in a group records prior inbound for its
	// author's handle instead of the group, so the inbound number may then write to the
	// author 1:1 but not reply in the group (POOL-INBOUND-3).
	GroupGrantsContact
	// SlotMisattributed: an inbound message on the line of an inbound number is
	// attributed to the relay's first inbound number (one reply-only line per Mac was
	// assumed) (POOL-INBOUND-4).
	SlotMisattributed
	// ProtocolConflictUnchecked: assigning numbers of the other provider to a key that
	// already holds numbers is accepted, mixing protocols in one pool (POOL-PROTO-1).
	ProtocolConflictUnchecked
	// AssignStealsNumber: assigning a number allocated to another key moves it instead
	// of answering 409 number_already_allocated (POOL-PROTO-2).
	AssignStealsNumber
	// ProtocolSticks: a key whose last number is unassigned keeps its protocol instead of
	// going back to null (POOL-PROTO-3).
	ProtocolSticks
	// MeNumbersLeak: /me/numbers lists every allocated line on the relays that host the
	// key's numbers, other keys' numbers included (POOL-ISO-1).
	MeNumbersLeak
	// UnassignedStillSends: unassigning a number leaves its bindings, and a send through
	// such a dangling binding goes out from the number the conversation last used,
	// though it is no longer in the pool (POOL-ISO-2).
	UnassignedStillSends
	// RRSkewed: the round-robin cursor records the number last used, sticky sends
	// included, so new conversations are skewed by the traffic of ongoing ones
	// (POOL-RR-1).
	RRSkewed
	// ZeroWeightChosen: a weight of 0 is read as "unset" and counts as 1 under the
	// weighted strategy (POOL-WRR-1).
	ZeroWeightChosen
	// GeoAreaCodeIgnored: the recipient's area code is sliced one digit early (the
	// country code's 1 included), so no area-code or region tier ever matches and the
	// geographic strategy degenerates to round-robin (POOL-GEO-1).
	GeoAreaCodeIgnored
	// NeverDegrades: failed delivery outcomes are not counted in the health window, so
	// a number never becomes degraded (POOL-HEALTH-1).
	NeverDegrades
	// OfflineIgnored: reports that a line is offline (a relay's line.status, a failed
	// dispatch) are dropped, so numbers are never offline (POOL-HEALTH-2).
	OfflineIgnored
	// RelayBanIgnored: a relay's line.status with banned: true is not applied; only the
	// admin API bans (POOL-HEALTH-3).
	RelayBanIgnored

	// last is one past the last mutation.
	last
)

// All is the set of every mutation.
const All = last - 1
