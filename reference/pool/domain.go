package pool

import "time"

// Provider is where a number lives: an iMessage line on a Mac relay, or a Twilio account.
type Provider string

// The providers.
const (
	ProviderBlooio Provider = "blooio"
	ProviderTwilio Provider = "twilio"
)

// Protocol is the protocol of a key: decided by the provider of the numbers it holds.
type Protocol string

// The protocols. ProtocolNone is the protocol of an empty key (JSON null).
const (
	ProtocolNone     Protocol = ""
	ProtocolIMessage Protocol = "imessage"
	ProtocolSMS      Protocol = "sms"
)

// protocolOf returns the protocol that numbers of provider p give a key.
func protocolOf(p Provider) Protocol {
	if p == ProviderTwilio {
		return ProtocolSMS
	}
	return ProtocolIMessage
}

// PlanKind is a number's plan (the API's `type` / `plan_kind`). Only PlanInbound changes
// selection; a trial number sends at most TrialLimit messages.
type PlanKind string

// The plan kinds.
const (
	PlanShared    PlanKind = "shared"
	PlanDedicated PlanKind = "dedicated"
	PlanInbound   PlanKind = "inbound"
	PlanTrial     PlanKind = "trial"
	Plan2FA       PlanKind = "2fa"
)

// Valid reports whether k is one of the plan kinds.
func (k PlanKind) Valid() bool {
	switch k {
	case PlanShared, PlanDedicated, PlanInbound, PlanTrial, Plan2FA:
		return true
	}
	return false
}

// TrialLimit is how many outbound messages a trial number may send (SPEC §1).
const TrialLimit = 20

// Strategy is an organization's allocation strategy for new conversations (SPEC §3).
type Strategy string

// The strategies.
const (
	StrategyRoundRobin Strategy = "round_robin"
	StrategyWeighted   Strategy = "weighted"
	StrategyGeographic Strategy = "geographic"
)

// Valid reports whether s is one of the strategies.
func (s Strategy) Valid() bool {
	return s == StrategyRoundRobin || s == StrategyWeighted || s == StrategyGeographic
}

// Health is a number's health status (SPEC §4), in increasing precedence.
type Health string

// The health statuses.
const (
	HealthActive   Health = "active"
	HealthDegraded Health = "degraded"
	HealthOffline  Health = "offline"
	HealthBanned   Health = "banned"
)

// HealthSettings are an organization's POOL-HEALTH-1 thresholds.
type HealthSettings struct {
	Window       int     `json:"window"`
	MinSamples   int     `json:"min_samples"`
	DegradeBelow float64 `json:"degrade_below"`
	RecoverAt    float64 `json:"recover_at"`
}

// DefaultHealth are the SPEC's default thresholds.
var DefaultHealth = HealthSettings{Window: 50, MinSamples: 20, DegradeBelow: 0.80, RecoverAt: 0.90}

// Validate returns an invalid_request error when the thresholds make no sense.
func (h HealthSettings) Validate() error {
	switch {
	case h.Window < 1 || h.Window > 10000:
		return Errorf(CodeInvalidRequest, "health.window must be between 1 and 10000")
	case h.MinSamples < 1 || h.MinSamples > h.Window:
		return Errorf(CodeInvalidRequest, "health.min_samples must be between 1 and health.window")
	case !(h.DegradeBelow >= 0 && h.DegradeBelow <= 1) || !(h.RecoverAt >= 0 && h.RecoverAt <= 1):
		return Errorf(CodeInvalidRequest, "health.degrade_below and health.recover_at must be between 0 and 1")
	case h.RecoverAt < h.DegradeBelow:
		return Errorf(CodeInvalidRequest, "health.recover_at must not be below health.degrade_below")
	}
	return nil
}

// Org is an organization: a customer with its strategy and health thresholds.
type Org struct {
	ID       string
	Name     string
	Strategy Strategy
	// StickyTTL removes a binding when no message has passed in its conversation for
	// longer than this (POOL-STICKY-3); 0 keeps bindings forever.
	StickyTTL time.Duration
	Health    HealthSettings
	CreatedAt time.Time
}

// Key is an API key. It owns exactly one pool; its secret is kept only as a SHA-256 hash.
type Key struct {
	ID         string
	OrgID      string
	Name       string
	SecretHash [32]byte
	// Protocol is derived from the numbers the key holds, kept here so that a send need
	// not list the pool to learn it.
	Protocol Protocol
	// Allocations counts the key's current allocations.
	Allocations int
	// LastPosition is the highest position the key ever gave an allocation.
	LastPosition int
	Revoked      bool
	CreatedAt    time.Time
}

// Number is a phone number registered in an organization, with its health record.
type Number struct {
	Phone    string
	OrgID    string
	Provider Provider
	// RelayID and LineSlot locate a Blooio number's iMessage line.
	RelayID  string
	LineSlot int
	// IntegrationID is the Twilio integration a Twilio number was imported through.
	IntegrationID string
	PlanKind      PlanKind
	Weight        int

	Banned  bool
	Offline bool
	// Degraded is POOL-HEALTH-1's verdict, kept because it has hysteresis.
	Degraded bool
	// Outcomes are the latest delivery outcomes, oldest first (true = delivered), at most
	// the org's health window.
	Outcomes []bool
	// Sent counts the outbound messages sent while the number is a trial number.
	Sent int
	// LastActive is when the number last sent or received, to the second.
	LastActive time.Time
	CreatedAt  time.Time
}

// Health returns the number's health status by the SPEC's precedence.
func (n *Number) Health() Health {
	switch {
	case n.Banned:
		return HealthBanned
	case n.Offline:
		return HealthOffline
	case n.Degraded:
		return HealthDegraded
	}
	return HealthActive
}

// trialBlocked reports whether a send of texts messages would take a trial number past
// its limit: the request is refused whole, and for it the number is exhausted — not a
// candidate for a new conversation, not the POOL-TWILIO-1 pick.
func (n *Number) trialBlocked(texts int) bool {
	return n.PlanKind == PlanTrial && n.Sent+texts > TrialLimit
}

// Allocation is a number assigned to a key. A number has at most one allocation; a new
// allocation's position is one more than the key's highest ever.
type Allocation struct {
	ID        string
	KeyID     string
	Phone     string
	Position  int
	CreatedAt time.Time
}

// Conversation is what a key knows of one recipient: its sticky binding (Blooio keys) and
// when the last message passed in either direction.
type Conversation struct {
	KeyID     string
	Recipient string
	// AllocationID is the sticky binding; "" when there is none.
	AllocationID string
	BoundAt      time.Time
	// GroupID is set when the recipient is a group chat.
	GroupID       string
	LastMessageAt time.Time
	CreatedAt     time.Time
}

// Group is a group chat. It lives on one allocation (one iMessage line).
type Group struct {
	ID           string
	KeyID        string
	AllocationID string
	// Participants are the sorted handles of the group (without our number).
	Participants []string
	// ParticipantsKey is the normalised participant list of an ad-hoc group created by a send
	// ("" for groups reported by a relay).
	ParticipantsKey string
	// ChatGUID is the relay's id of a group it reported ("" for ad-hoc groups).
	ChatGUID  string
	Name      string
	CreatedAt time.Time
}

// Direction is the direction of a message.
type Direction string

// The directions.
const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// Status is a message's delivery status: queued → sent → delivered | failed.
type Status string

// The statuses.
const (
	StatusQueued    Status = "queued"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusFailed    Status = "failed"
	StatusReceived  Status = "received"
)

// final reports whether s ends a message's lifecycle.
func (s Status) final() bool { return s == StatusDelivered || s == StatusFailed }

// Message is one message, in either direction.
type Message struct {
	ID           string
	KeyID        string
	Recipient    string
	ChatID       string
	AllocationID string
	Phone        string
	Direction    Direction
	Protocol     Protocol
	Text         string
	Attachments  []string
	Status       Status
	ErrorCode    string
	TimeSent     time.Time
	// TimeDelivered is set when the message reached a final status.
	TimeDelivered time.Time
	// ExternalRef is the provider's id (a Twilio SID).
	ExternalRef string

	// Dispatched is set once the relay or Twilio accepted the message; until then an
	// outbound queued message is in the outbox.
	Dispatched bool
	// Attempts counts failed dispatch attempts; NextAttemptAt is when the next is due.
	Attempts      int
	NextAttemptAt time.Time
}

// pending reports whether an outbound message still waits for dispatch.
func (m *Message) pending() bool {
	return m.Direction == Outbound && m.Status == StatusQueued && !m.Dispatched
}

// Pending reports whether an outbound message is in the outbox: queued and not yet
// accepted by its relay or Twilio. Stores use it to index the outbox.
func (m *Message) Pending() bool { return m.pending() }

// Integration is an organization's Twilio account connection (SPEC §6): the credentials
// its messages are sent with, and the URL token of its callbacks (SPEC §7).
type Integration struct {
	ID           string
	OrgID        string
	AccountSID   string
	APIKeySID    string
	APIKeySecret string
	// AuthToken is optional; with it Twilio's X-Twilio-Signature is verified too.
	AuthToken string
	// Token is the random secret in the callback URLs the engine gives Twilio.
	Token     string
	CreatedAt time.Time
}

// Relay is a Mac relay that hosts iMessage lines.
type Relay struct {
	ID     string
	URL    string
	Secret string
}

// Idempotency is the record of an accepted send made with an Idempotency-Key.
type Idempotency struct {
	KeyID       string
	Key         string
	Fingerprint [32]byte
	Result      SendResult
	CreatedAt   time.Time
}

// IdempotencyTTL is how long an Idempotency-Key is kept (SPEC §5).
const IdempotencyTTL = 24 * time.Hour

// WRRSlot is one candidate of a weighted pick with its weight and current weight.
type WRRSlot struct {
	AllocationID string
	Weight       int
	Current      int
}
