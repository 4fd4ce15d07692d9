package twilio

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// UnexpectedRequest is a request that used something the fake does not model: a route it
// does not implement, or a parameter it would silently ignore. A test that expects its
// code to stay within what the fake models asserts that Unexpected is empty.
type UnexpectedRequest struct {
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Reason string    `json:"reason"`
}

// Unexpected returns every unexpected request since the start or the last Reset.
func (s *Server) Unexpected() []UnexpectedRequest {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unexpected)
}

func (s *Server) recordUnexpected(r *http.Request, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unexpected = append(s.unexpected, UnexpectedRequest{At: s.now(), Method: r.Method, Path: r.URL.Path, Reason: reason})
}

// handleUnknown answers every route the fake does not implement: loudly, and recorded.
func (s *Server) handleUnknown() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "unknown route in fake twilio: " + r.Method + " " + r.URL.Path
		s.recordUnexpected(r, msg)
		writeError(w, newError(http.StatusNotFound, CodeNotFound, "%s", msg))
	})
}

// recordUnknownParams records, as one unexpected request, the parameters of got that are
// not in known: the fake would otherwise ignore them without a word.
func (s *Server) recordUnknownParams(r *http.Request, got map[string][]string, known ...string) {
	var extra []string
	for k := range got {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return
	}
	sort.Strings(extra)
	s.recordUnexpected(r, "parameters the fake does not model, ignored: "+strings.Join(extra, ", "))
}
