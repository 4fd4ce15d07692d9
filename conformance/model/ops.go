package model

import "time"

// Op is one operation the model judges: an admin call, a send, a relay event or a clock
// step. The set is closed: only the types of this package implement it.
type Op interface {
	isOp()
}

// CreateOrg creates organization Org. A zero Strategy is round_robin, a zero StickyTTL
// means bindings never expire, zero Health fields take the SPEC §4 defaults.
// Codes: invalid_request (duplicate id, unknown strategy, bad thresholds).
type CreateOrg struct {
	Org       string
	Strategy  Strategy
	StickyTTL time.Duration
	Health    HealthSettings
}

// CreateKey creates API key Key in Org. Codes: org_not_found, invalid_request (id taken).
type CreateKey struct{ Org, Key string }

// RevokeKey revokes Key: its numbers are unassigned and its bindings dropped; later sends
// with it are unauthorized. Codes: key_not_found.
type RevokeKey struct{ Key string }

// RegisterNumber registers Phone in Org. Weight is taken as given (the caller applies the
// default 1; 0 is a real weight); a zero PlanKind is dedicated.
// Codes: org_not_found, invalid_request, number_already_registered.
type RegisterNumber struct {
	Org, Phone string
	Provider   Provider
	PlanKind   PlanKind
	Weight     int
}

// Assign assigns Phones to Key atomically (POOL-PROTO-1, POOL-PROTO-2).
// Codes in order: key_not_found, invalid_request (empty list), number_not_found,
// mixed_protocols, number_already_allocated, key_protocol_conflict.
type Assign struct {
	Key    string
	Phones []string
}

// Unassign ends the allocation of Phone to Key: its bindings, pinned groups and prior
// inbound end with it. Codes: key_not_found, number_not_found.
type Unassign struct{ Key, Phone string }

// SetNumber changes a number's plan kind and/or weight (nil = unchanged).
// Codes: number_not_found, invalid_request.
type SetNumber struct {
	Phone    string
	PlanKind *PlanKind
	Weight   *int
}

// SetStrategy changes an organization's strategy. Codes: org_not_found, invalid_request.
type SetStrategy struct {
	Org      string
	Strategy Strategy
}

// Ban bans a number (POOL-HEALTH-3): bindings to it are dropped. Codes: number_not_found.
type Ban struct{ Phone string }

// Unban lifts a ban and only a ban. Codes: number_not_found.
type Unban struct{ Phone string }

// LineStatus is a relay's report that the line of Phone went offline or came back online
// (POOL-HEALTH-2). Codes: line_not_found (unknown or Twilio number: no relay line).
type LineStatus struct {
	Phone  string
	Online bool
}

// DeliveryOutcome is one new final outcome (delivered or failed) of a message sent from
// Phone (POOL-HEALTH-1). Codes: number_not_found.
type DeliveryOutcome struct {
	Phone     string
	Delivered bool
}

// Inbound is a message from contact From to Phone; Group != "" means it was written in
// group chat Group, whose recipient is then "grp:"+Group. Codes: line_not_found (unknown
// number), invalid_request (bad From, a group on a Twilio number).
type Inbound struct {
	Phone, From string
	Group       string
}

// ResetBinding removes the sticky binding (Key, Recipient).
// Codes: key_not_found, binding_not_found.
type ResetBinding struct{ Key, Recipient string }

// Advance moves the model clock by D (sticky TTL). Codes: invalid_request (D < 0).
type Advance struct{ D time.Duration }

// Send is POST /chats/{Recipient}/messages with Key, optional from_number From and Texts
// messages (the elements of the text array). Recipient is an E.164 number, an email, or
// "grp:<name>" for a group chat.
type Send struct {
	Key, Recipient, From string
	Texts                int
}

func (CreateOrg) isOp()       {}
func (CreateKey) isOp()       {}
func (RevokeKey) isOp()       {}
func (RegisterNumber) isOp()  {}
func (Assign) isOp()          {}
func (Unassign) isOp()        {}
func (SetNumber) isOp()       {}
func (SetStrategy) isOp()     {}
func (Ban) isOp()             {}
func (Unban) isOp()           {}
func (LineStatus) isOp()      {}
func (DeliveryOutcome) isOp() {}
func (Inbound) isOp()         {}
func (ResetBinding) isOp()    {}
func (Advance) isOp()         {}
func (Send) isOp()            {}
