// Package api is poolkit's HTTP adapter: it serves the engine of reference/pool as the
// public Blooio v2 API (SPEC §5), the admin API (§6) and the Mac relay's event endpoint
// (§7). Handlers decode a request, call the engine and encode its answer; the engine's
// error codes become HTTP statuses through one table (status.go), and every non-2xx
// response has the v2 error shape.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"poolkit/reference/pool"
)

// Options configure the adapter.
type Options struct {
	// AdminToken is the bearer token of the admin API. When empty, every admin request
	// is unauthorized.
	AdminToken string
	// Logger receives one structured line per request. Nil discards them.
	Logger *slog.Logger
	// Now is the clock that relay signatures are checked against (|now − t| ≤ 300 s).
	// Nil means time.Now.
	Now func() time.Time
	// TwilioURL is the base URL of the Twilio REST API that the admin API's Twilio
	// integration routes talk to through twilio-go; "" means https://api.twilio.com.
	TwilioURL string
	// TwilioHTTPClient supplies the transport and timeout of those Twilio requests; nil
	// means http.DefaultTransport with a 10 s timeout.
	TwilioHTTPClient *http.Client
	// PublicURL is the engine's own base URL as Twilio reaches it: the incoming-message
	// webhook set on imported numbers ({PublicURL}/twilio/v1/inbound/{id}/{token}) and the
	// URL that X-Twilio-Signature is checked against. "" means the URL the request was
	// addressed to (http, its Host header).
	PublicURL string
	// Dispatcher, when set, is kicked after every accepted send so that the outbox is
	// dispatched at once.
	Dispatcher interface{ Kick() }
	// Clock, when set, is the engine's movable clock: GET and POST /admin/v1/clock read
	// and advance it (for conformance runs; never set it in production). Unset, those
	// routes do not exist.
	Clock Clock
}

// New returns the HTTP handler of the whole API over engine e.
func New(e *pool.Engine, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	mux := http.NewServeMux()
	addRoutes(mux, e, o)
	var h http.Handler = jsonMuxErrors(mux)
	h = recoverPanics(h)
	h = logRequests(o.Logger, h)
	return h
}
