package api

import (
	"net/http"

	"poolkit/reference/pool"
)

// addRoutes lists every route of the API.
func addRoutes(mux *http.ServeMux, e *pool.Engine, o Options) {
	admin := func(h http.Handler) http.Handler { return requireAdmin(o.AdminToken, h) }
	var kick func()
	if o.Dispatcher != nil {
		kick = o.Dispatcher.Kick
	}
	tw := newTwilioAdmin(e, o)

	// Public API, SPEC §5.
	mux.Handle("POST /v2/api/chats/{chatId}/messages", handleSend(e, kick))
	mux.Handle("GET /v2/api/chats/{chatId}/messages", handleListMessages(e))
	mux.Handle("GET /v2/api/chats/{chatId}/messages/{messageId}/status", handleMessageStatus(e))
	mux.Handle("GET /v2/api/chats", handleListChats(e))
	mux.Handle("GET /v2/api/me", handleMe(e))
	mux.Handle("GET /v2/api/me/numbers", handleMeNumbers(e))
	mux.Handle("GET /v2/api/openapi.json", handleOpenAPI())

	// Admin API, SPEC §6.
	mux.Handle("POST /admin/v1/orgs", admin(handleCreateOrg(e)))
	mux.Handle("GET /admin/v1/orgs/{org}", admin(handleGetOrg(e)))
	mux.Handle("PATCH /admin/v1/orgs/{org}", admin(handleUpdateOrg(e)))
	mux.Handle("POST /admin/v1/orgs/{org}/keys", admin(handleCreateKey(e)))
	mux.Handle("POST /admin/v1/orgs/{org}/numbers", admin(handleRegisterNumber(e)))
	mux.Handle("DELETE /admin/v1/keys/{key}", admin(handleRevokeKey(e)))
	mux.Handle("GET /admin/v1/keys/{key}/numbers", admin(handleKeyNumbers(e)))
	mux.Handle("POST /admin/v1/keys/{key}/numbers", admin(handleAssignNumbers(e)))
	mux.Handle("DELETE /admin/v1/keys/{key}/numbers/{phone}", admin(handleUnassignNumber(e)))
	mux.Handle("GET /admin/v1/keys/{key}/bindings/{recipient}", admin(handleGetBinding(e)))
	mux.Handle("DELETE /admin/v1/keys/{key}/bindings/{recipient}", admin(handleResetBinding(e)))
	mux.Handle("POST /admin/v1/relays", admin(handleRegisterRelay(e)))
	mux.Handle("PATCH /admin/v1/numbers/{phone}", admin(handleUpdateNumber(e)))
	mux.Handle("GET /admin/v1/numbers/{phone}/health", admin(handleNumberHealth(e)))
	mux.Handle("POST /admin/v1/orgs/{org}/integrations/twilio", admin(tw.handleCreate()))
	mux.Handle("GET /admin/v1/orgs/{org}/integrations/twilio/{id}/numbers", admin(tw.handleNumbers()))
	mux.Handle("POST /admin/v1/orgs/{org}/integrations/twilio/{id}/import", admin(tw.handleImport()))

	if o.Clock != nil {
		mux.Handle("GET /admin/v1/clock", admin(handleGetClock(o.Clock)))
		mux.Handle("POST /admin/v1/clock", admin(handleAdvanceClock(o.Clock)))
	}

	// Mac relay → engine, SPEC §7.
	mux.Handle("POST /relay/v1/events", handleRelayEvents(e, o.Now))

	// Twilio → engine, SPEC §7: status callbacks and incoming-message webhooks.
	mux.Handle("POST /twilio/v1/status/{integration}/{token}", handleTwilioStatus(e, o.PublicURL))
	mux.Handle("POST /twilio/v1/inbound/{integration}/{token}", handleTwilioInbound(e, o.PublicURL))

	// Operations.
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(e))
}
