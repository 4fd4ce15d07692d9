package twilio

import (
	"net/http"
	"strings"
)

// addRoutes lists every route of the fake. Whatever else is asked answers 404 with code
// 20404 and is recorded in Unexpected.
func (s *Server) addRoutes(mux *http.ServeMux) {
	const account = "/2010-04-01/Accounts/{AccountSid}"

	// Twilio REST API (2010-04-01), Basic auth.
	mux.Handle("GET "+account+"/IncomingPhoneNumbers.json", s.handleListNumbers())
	mux.Handle("GET "+account+"/IncomingPhoneNumbers/{file}", s.jsonFile(s.handleFetchNumber()))
	mux.Handle("POST "+account+"/IncomingPhoneNumbers/{file}", s.jsonFile(s.handleUpdateNumber()))
	mux.Handle("POST "+account+"/Messages.json", s.handleCreateMessage())
	mux.Handle("GET "+account+"/Messages.json", s.handleListMessages())
	mux.Handle("GET "+account+"/Messages/{file}", s.jsonFile(s.handleFetchMessage()))

	// Control API (JSON, no auth), for tests and the simulator.
	mux.Handle("GET /control/messages", s.handleControlMessages())
	mux.Handle("GET /control/callbacks", s.handleControlCallbacks())
	mux.Handle("GET /control/unexpected", s.handleControlUnexpected())
	mux.Handle("GET /control/faults", s.handleControlGetFaults())
	mux.Handle("POST /control/faults", s.handleControlSetFaults())
	mux.Handle("POST /control/inbound", s.handleControlInbound())
	mux.Handle("POST /control/accounts", s.handleControlAddAccount())
	mux.Handle("POST /control/wait-idle", s.handleControlWaitIdle())
	mux.Handle("POST /control/reset", s.handleControlReset())

	mux.Handle("/", s.handleUnknown())
}

// jsonFile serves a route ending in {file} only when file is "{Sid}.json", as Twilio's
// instance routes are; anything else is an unknown route.
func (s *Server) jsonFile(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid, ok := strings.CutSuffix(r.PathValue("file"), ".json"); !ok || sid == "" {
			s.handleUnknown().ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fileSid returns the SID of a route checked by jsonFile.
func fileSid(r *http.Request) string {
	return strings.TrimSuffix(r.PathValue("file"), ".json")
}
