package api

import (
	"errors"
	"net/http"

	"poolkit/reference/pool"
)

// The adapter's own error codes, beside the engine's.
const (
	// CodeNotFound answers a path that is no route of the API.
	CodeNotFound pool.Code = "not_found"
	// CodeMethodNotAllowed answers a route's path with a method it does not serve.
	CodeMethodNotAllowed pool.Code = "method_not_allowed"
	// CodeNotReady answers /readyz when the store does not answer.
	CodeNotReady pool.Code = "not_ready"
	// CodeForbidden answers a Twilio webhook with an unknown integration, a wrong URL
	// token or an invalid X-Twilio-Signature (SPEC §7).
	CodeForbidden pool.Code = "forbidden"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[pool.Code]int{
	pool.CodeUnauthorized:              http.StatusUnauthorized,
	pool.CodePayloadTooLarge:           http.StatusRequestEntityTooLarge,
	pool.CodeInvalidJSON:               http.StatusBadRequest,
	pool.CodeInvalidChatID:             http.StatusBadRequest,
	pool.CodeInvalidRequest:            http.StatusBadRequest,
	pool.CodeInvalidFromNumber:         http.StatusBadRequest,
	pool.CodeChatNotFound:              http.StatusNotFound,
	pool.CodeNoNumbersAssigned:         http.StatusForbidden,
	pool.CodeFromNumberNotInPool:       http.StatusForbidden,
	pool.CodeNumberBanned:              http.StatusForbidden,
	pool.CodeInboundOnlyNoPriorInbound: http.StatusForbidden,
	pool.CodeSenderUnavailable:         http.StatusServiceUnavailable,
	pool.CodeTrialLimitReached:         http.StatusPaymentRequired,
	pool.CodeNoActiveNumber:            http.StatusServiceUnavailable,
	pool.CodeIdempotencyKeyReused:      http.StatusConflict,
	pool.CodeMessageNotFound:           http.StatusNotFound,

	pool.CodeKeyProtocolConflict:     http.StatusConflict,
	pool.CodeMixedProtocols:          http.StatusBadRequest,
	pool.CodeNumberAlreadyAllocated:  http.StatusConflict,
	pool.CodeNumberAlreadyRegistered: http.StatusConflict,
	pool.CodeLineSlotTaken:           http.StatusConflict,
	pool.CodeOrgNotFound:             http.StatusNotFound,
	pool.CodeKeyNotFound:             http.StatusNotFound,
	pool.CodeNumberNotFound:          http.StatusNotFound,
	pool.CodeRelayNotFound:           http.StatusNotFound,
	pool.CodeRelayAlreadyRegistered:  http.StatusConflict,
	pool.CodeBindingNotFound:         http.StatusNotFound,
	pool.CodeLineNotFound:            http.StatusNotFound,
	pool.CodeInvalidSignature:        http.StatusUnauthorized,
	pool.CodeIntegrationNotFound:     http.StatusNotFound,
	pool.CodeTwilioAuthFailed:        http.StatusBadRequest,
	pool.CodeTwilioUnavailable:       http.StatusBadGateway,
	pool.CodeInternal:                http.StatusInternalServerError,

	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeNotReady:         http.StatusServiceUnavailable,
	CodeForbidden:        http.StatusForbidden,
}

// Status returns the HTTP status of an error code, 500 for a code it does not know.
func Status(code pool.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes returns every code the API can answer with, for checkers that must recognise
// them.
func Codes() []pool.Code {
	out := make([]pool.Code, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	return out
}

// errInternal is what a client sees of an error the engine did not give a code: the
// cause goes to the request log, never into the response.
var errInternal = &pool.Error{Code: pool.CodeInternal, Message: "Internal server error"}

// apiError returns the *pool.Error to answer err with, and whether err was internal.
func apiError(err error) (*pool.Error, bool) {
	var pe *pool.Error
	if errors.As(err, &pe) {
		if _, known := statusOf[pe.Code]; known && pe.Code != pool.CodeInternal {
			return pe, false
		}
	}
	return errInternal, true
}
