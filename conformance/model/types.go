package model

// Protocol is the protocol of an API key's pool (SPEC §1): "" (null) for an empty key.
type Protocol string

// The protocols of SPEC §1.
const (
	ProtocolNone     Protocol = ""
	ProtocolIMessage Protocol = "imessage"
	ProtocolSMS      Protocol = "sms"
)

// Provider is where a number comes from: a Blooio Mac relay line or a Twilio account.
type Provider string

// The providers of SPEC §1.
const (
	ProviderBlooio Provider = "blooio"
	ProviderTwilio Provider = "twilio"
)

// PlanKind is a number's plan kind (the `type` of /me/numbers).
type PlanKind string

// The plan kinds of SPEC §1. A missing plan kind is treated as dedicated.
const (
	PlanShared    PlanKind = "shared"
	PlanDedicated PlanKind = "dedicated"
	PlanInbound   PlanKind = "inbound"
	PlanTrial     PlanKind = "trial"
	Plan2FA       PlanKind = "2fa"
)

// Strategy is an organization's allocation strategy (SPEC §3).
type Strategy string

// The strategies of SPEC §3. A missing strategy is round_robin.
const (
	StrategyRoundRobin Strategy = "round_robin"
	StrategyWeighted   Strategy = "weighted"
	StrategyGeographic Strategy = "geographic"
)

// Health is a number's health status (SPEC §4).
type Health string

// The health statuses of SPEC §4, in increasing precedence.
const (
	HealthActive   Health = "active"
	HealthDegraded Health = "degraded"
	HealthOffline  Health = "offline"
	HealthBanned   Health = "banned"
)

// HealthSettings are an organization's POOL-HEALTH-1 thresholds. A zero field takes the
// SPEC default (window 50, min_samples 20, degrade_below 0.80, recover_at 0.90).
type HealthSettings struct {
	Window       int
	MinSamples   int
	DegradeBelow float64
	RecoverAt    float64
}

// DefaultHealthSettings returns the SPEC §4 defaults.
func DefaultHealthSettings() HealthSettings {
	return HealthSettings{Window: 50, MinSamples: 20, DegradeBelow: 0.80, RecoverAt: 0.90}
}

// TrialLimit is the number of outbound messages a trial number may send (SPEC §1).
const TrialLimit = 20

// withDefaults fills zero fields with the SPEC defaults.
func (h HealthSettings) withDefaults() HealthSettings {
	d := DefaultHealthSettings()
	if h.Window == 0 {
		h.Window = d.Window
	}
	if h.MinSamples == 0 {
		h.MinSamples = d.MinSamples
	}
	if h.DegradeBelow == 0 {
		h.DegradeBelow = d.DegradeBelow
	}
	if h.RecoverAt == 0 {
		h.RecoverAt = d.RecoverAt
	}
	return h
}

func (h HealthSettings) valid() bool {
	return h.Window >= 0 && h.MinSamples >= 0 &&
		h.DegradeBelow >= 0 && h.DegradeBelow <= 1 &&
		h.RecoverAt >= 0 && h.RecoverAt <= 1
}

func validStrategy(s Strategy) bool {
	switch s {
	case StrategyRoundRobin, StrategyWeighted, StrategyGeographic:
		return true
	}
	return false
}

func validPlanKind(p PlanKind) bool {
	switch p {
	case PlanShared, PlanDedicated, PlanInbound, PlanTrial, Plan2FA:
		return true
	}
	return false
}

func protocolOf(p Provider) Protocol {
	if p == ProviderTwilio {
		return ProtocolSMS
	}
	return ProtocolIMessage
}

// Error codes the model uses, exactly as SPEC §2, §5 and §6 write them.
const (
	CodeUnauthorized          = "unauthorized"
	CodeInvalidChatID         = "invalid_chat_id"
	CodeInvalidRequest        = "invalid_request"
	CodeInvalidFromNumber     = "invalid_from_number"
	CodeChatNotFound          = "chat_not_found"
	CodeNoNumbersAssigned     = "no_numbers_assigned"
	CodeFromNumberNotInPool   = "from_number_not_in_pool"
	CodeNumberBanned          = "number_banned"
	CodeInboundOnly           = "inbound_only_no_prior_inbound"
	CodeSenderUnavailable     = "sender_unavailable"
	CodeTrialLimitReached     = "trial_limit_reached"
	CodeNoActiveNumber        = "no_active_number"
	CodeKeyProtocolConflict   = "key_protocol_conflict"
	CodeMixedProtocols        = "mixed_protocols"
	CodeNumberAlreadyAlloc    = "number_already_allocated"
	CodeNumberAlreadyRegister = "number_already_registered"
	CodeNumberNotFound        = "number_not_found"
	CodeKeyNotFound           = "key_not_found"
	CodeOrgNotFound           = "org_not_found"
	CodeBindingNotFound       = "binding_not_found"
	CodeLineNotFound          = "line_not_found"
)

// Rule ids that decide operations which have no POOL-… id in the SPEC.
const (
	// RuleRequest: the request checks of SPEC §2 (401, invalid_chat_id, invalid_request).
	RuleRequest = "REQUEST"
	// RuleGroups: the "Groups" paragraph of SPEC §2.
	RuleGroups = "GROUPS"
	// RuleAdmin: the admin API of SPEC §6.
	RuleAdmin = "ADMIN"
	// RuleEvent: relay and Twilio events of SPEC §7 and the model clock.
	RuleEvent = "EVENT"
)
