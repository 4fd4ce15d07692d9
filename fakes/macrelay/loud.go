package macrelay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Request is a request the fleet did not expect: an unknown method or path.
type Request struct {
	Mac    string    `json:"mac,omitempty"` // the Mac whose listener got it; "" for the control API
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	At     time.Time `json:"at"`
}

// Unexpected returns every request to an unknown route since New or the last Reset. A
// test that drives the fleet can require it to be empty.
func (f *Fleet) Unexpected() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.unexpected...)
}

// loudMux serves the routes of mux and answers anything else with a JSON 404 or 405 that
// names the route, recording it. guard, when set, runs before every known route and may
// answer instead of it.
type loudMux struct {
	f     *Fleet
	mac   string
	mux   *http.ServeMux
	guard func(w http.ResponseWriter, r *http.Request) bool
}

var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func (l loudMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := l.mux.Handler(r); pattern != "" {
		if l.guard == nil || l.guard(w, r) {
			l.mux.ServeHTTP(w, r)
		}
		return
	}
	var allow []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := l.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	status := http.StatusNotFound
	if len(allow) > 0 {
		status = http.StatusMethodNotAllowed
		w.Header().Set("Allow", strings.Join(allow, ", "))
	}
	l.f.unknownRoute(w, r, l.mac, status)
}

func (f *Fleet) unknownRoute(w http.ResponseWriter, r *http.Request, mac string, status int) {
	f.mu.Lock()
	f.unexpected = append(f.unexpected, Request{Mac: mac, Method: r.Method, Path: r.URL.Path, Status: status, At: f.now()})
	f.mu.Unlock()
	writeJSON(w, status, map[string]string{"error": "unknown route", "method": r.Method, "path": r.URL.Path,
		"message": "macrelay: this fake does not implement " + r.Method + " " + r.URL.Path})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// decodeStrict reads one JSON object of at most 1 MiB, rejecting unknown fields and
// trailing data.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body: trailing data after the JSON object", ErrInvalid)
	}
	return nil
}
