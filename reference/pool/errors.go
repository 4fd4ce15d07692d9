package pool

import (
	"errors"
	"fmt"
)

// Code is one of the closed set of error codes of the SPEC (§2, §5, §6, §7).
type Code string

// The error codes. Those of SPEC §2 and §5 are the public API's; the others belong to the
// admin API (§6) and the relay protocol (§7).
const (
	CodeUnauthorized              Code = "unauthorized"
	CodePayloadTooLarge           Code = "payload_too_large"
	CodeInvalidJSON               Code = "invalid_json"
	CodeInvalidChatID             Code = "invalid_chat_id"
	CodeInvalidRequest            Code = "invalid_request"
	CodeInvalidFromNumber         Code = "invalid_from_number"
	CodeChatNotFound              Code = "chat_not_found"
	CodeNoNumbersAssigned         Code = "no_numbers_assigned"
	CodeFromNumberNotInPool       Code = "from_number_not_in_pool"
	CodeNumberBanned              Code = "number_banned"
	CodeInboundOnlyNoPriorInbound Code = "inbound_only_no_prior_inbound"
	CodeSenderUnavailable         Code = "sender_unavailable"
	CodeTrialLimitReached         Code = "trial_limit_reached"
	CodeNoActiveNumber            Code = "no_active_number"
	CodeIdempotencyKeyReused      Code = "idempotency_key_reused"
	CodeMessageNotFound           Code = "message_not_found"

	CodeKeyProtocolConflict     Code = "key_protocol_conflict"
	CodeMixedProtocols          Code = "mixed_protocols"
	CodeNumberAlreadyAllocated  Code = "number_already_allocated"
	CodeNumberAlreadyRegistered Code = "number_already_registered"
	CodeLineSlotTaken           Code = "line_slot_taken"
	CodeOrgNotFound             Code = "org_not_found"
	CodeKeyNotFound             Code = "key_not_found"
	CodeNumberNotFound          Code = "number_not_found"
	CodeRelayNotFound           Code = "relay_not_found"
	CodeRelayAlreadyRegistered  Code = "relay_already_registered"
	CodeBindingNotFound         Code = "binding_not_found"
	CodeLineNotFound            Code = "line_not_found"
	CodeInvalidSignature        Code = "invalid_signature"
	CodeIntegrationNotFound     Code = "integration_not_found"
	CodeTwilioAuthFailed        Code = "twilio_auth_failed"
	CodeTwilioUnavailable       Code = "twilio_unavailable"

	CodeInternal Code = "internal"
)

// RetryAfterSeconds is the Retry-After that every 503 of the engine carries (SPEC §4).
const RetryAfterSeconds = 5

// Error is the engine's error: a SPEC code, a message for people, and the extra context
// fields that sit beside the code in the API's error body (for example allocation_id and
// external_id of inbound_only_no_prior_inbound).
type Error struct {
	Code    Code
	Message string
	// Fields are extra context fields of the error body, in a fixed order.
	Fields []Field
	// RetryAfter is the number of seconds a client should wait before retrying (0: none).
	RetryAfter int
}

// Field is one extra context field of an error body.
type Field struct {
	Name, Value string
}

// Error implements error.
func (e *Error) Error() string {
	return string(e.Code) + ": " + e.Message
}

// Field returns the value of the context field name, or "" when the error has none.
func (e *Error) Field(name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// ErrorCode returns the code of err: its own when err wraps an *Error, CodeInternal for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The errors whose messages the SPEC or the seed fix word for word.
var (
	errUnauthorized      = &Error{Code: CodeUnauthorized, Message: "Invalid or missing API key."}
	errNoNumbersAssigned = &Error{Code: CodeNoNumbersAssigned, Message: "No numbers assigned to this API key"}
	errFromNotInPool     = &Error{Code: CodeFromNumberNotInPool, Message: "This API key does not own the specified from_number"}
	errNoActiveNumber    = &Error{Code: CodeNoActiveNumber, Message: "No active number available", RetryAfter: RetryAfterSeconds}
	errSenderUnavailable = &Error{Code: CodeSenderUnavailable, Message: "The sender number of this conversation is offline; retry later", RetryAfter: RetryAfterSeconds}
	errNumberBanned      = &Error{Code: CodeNumberBanned, Message: "The specified from_number is banned"}
	errTrialLimit        = &Error{Code: CodeTrialLimitReached, Message: "This trial number has reached its limit of outbound messages"}
	errIdempotencyReused = &Error{Code: CodeIdempotencyKeyReused, Message: "Idempotency-Key was already used with a different request"}
	errOwnsBlooio        = &Error{Code: CodeKeyProtocolConflict, Message: "API key already owns Blooio numbers"}
	errOwnsTwilio        = &Error{Code: CodeKeyProtocolConflict, Message: "API key already owns Twilio numbers"}
	errMixedProtocols    = &Error{Code: CodeMixedProtocols, Message: "A request cannot mix Blooio and Twilio numbers"}
)

// inboundOnly is POOL-INBOUND-1's error, with the allocation and the recipient.
func inboundOnly(allocationID, recipient string) *Error {
	return &Error{
		Code:    CodeInboundOnlyNoPriorInbound,
		Message: "Inbound numbers can only reply to recipients that have messaged them first",
		Fields:  []Field{{"allocation_id", allocationID}, {"external_id", recipient}},
	}
}
