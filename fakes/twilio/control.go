package twilio

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// The control API: JSON endpoints under /control/ that mirror the Server's Go methods,
// for the simulator and for tests in other processes. It needs no credentials. Its
// errors are {"error": "…"}.

type controlError struct {
	Error string `json:"error"`
}

func writeControlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, controlError{Error: err.Error()})
}

// decodeControl decodes a strict JSON request body of at most 1 MiB into a T.
func decodeControl[T any](w http.ResponseWriter, r *http.Request) (T, bool) {
	var v T
	if err := decodeStrict(http.MaxBytesReader(w, r.Body, 1<<20), &v); err != nil {
		writeControlError(w, http.StatusBadRequest, err)
		return v, false
	}
	return v, true
}

// handleControlMessages serves GET /control/messages: every message, oldest first.
func (s *Server) handleControlMessages() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Messages())
	})
}

// handleControlCallbacks serves GET /control/callbacks: every status callback made.
func (s *Server) handleControlCallbacks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Callbacks())
	})
}

// handleControlUnexpected serves GET /control/unexpected: every unexpected request.
func (s *Server) handleControlUnexpected() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Unexpected())
	})
}

// faultsWire is Faults in JSON, durations in milliseconds. In a POST every field is
// optional: an absent one keeps its value, and delivery_failures merge by destination
// (a ratio of 0 removes one).
type faultsWire struct {
	ErrorRatio       *float64                   `json:"error_ratio,omitempty"`
	Throttle         *int                       `json:"throttle,omitempty"`
	LatencyMS        *int64                     `json:"latency_ms,omitempty"`
	DeliveryDelayMS  *int64                     `json:"delivery_delay_ms,omitempty"`
	DeliveryFailures map[string]DeliveryFailure `json:"delivery_failures,omitempty"`
}

func toWire(f Faults) faultsWire {
	latency, delay := f.Latency.Milliseconds(), f.DeliveryDelay.Milliseconds()
	return faultsWire{
		ErrorRatio:       &f.ErrorRatio,
		Throttle:         &f.Throttle,
		LatencyMS:        &latency,
		DeliveryDelayMS:  &delay,
		DeliveryFailures: f.DeliveryFailures,
	}
}

// handleControlGetFaults serves GET /control/faults.
func (s *Server) handleControlGetFaults() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, toWire(s.Faults()))
	})
}

// handleControlSetFaults serves POST /control/faults: changes the knobs given and answers
// every knob.
func (s *Server) handleControlSetFaults() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := decodeControl[faultsWire](w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		f := s.faults
		f.DeliveryFailures = maps.Clone(f.DeliveryFailures)
		if in.ErrorRatio != nil {
			f.ErrorRatio = *in.ErrorRatio
		}
		if in.Throttle != nil {
			f.Throttle = *in.Throttle
		}
		if in.LatencyMS != nil {
			f.Latency = time.Duration(*in.LatencyMS) * time.Millisecond
		}
		if in.DeliveryDelayMS != nil {
			f.DeliveryDelay = time.Duration(*in.DeliveryDelayMS) * time.Millisecond
		}
		if len(in.DeliveryFailures) > 0 && f.DeliveryFailures == nil {
			f.DeliveryFailures = map[string]DeliveryFailure{}
		}
		maps.Copy(f.DeliveryFailures, in.DeliveryFailures)
		f, err := f.normalize()
		if err == nil {
			s.faults = f
		}
		s.mu.Unlock()
		if err != nil {
			writeControlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, toWire(f))
	})
}

// handleControlInbound serves POST /control/inbound {from, to, body}: a phone sends an
// SMS to the number to (Server.SendInbound). It answers {"status": the webhook's status};
// 400 when the SMS cannot be sent, 502 when the webhook got no answer.
func (s *Server) handleControlInbound() http.Handler {
	type request struct {
		From string `json:"from"`
		To   string `json:"to"`
		Body string `json:"body"`
	}
	type response struct {
		Status int `json:"status"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := decodeControl[request](w, r)
		if !ok {
			return
		}
		a := s.owner(in.To)
		if a == nil {
			writeControlError(w, http.StatusBadRequest, errNoOwner(in.To))
			return
		}
		status, err := a.SendInbound(r.Context(), in.From, in.To, in.Body)
		switch {
		case errors.Is(err, errInbound):
			writeControlError(w, http.StatusBadRequest, err)
		case err != nil:
			writeControlError(w, http.StatusBadGateway, err)
		default:
			writeJSON(w, http.StatusOK, response{Status: status})
		}
	})
}

// handleControlAddAccount serves POST /control/accounts: one AccountConfig, added with
// its keys and numbers (201), or 400 naming what is invalid or already exists.
func (s *Server) handleControlAddAccount() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := decodeControl[AccountConfig](w, r)
		if !ok {
			return
		}
		if err := s.addAccounts([]AccountConfig{in}); err != nil {
			writeControlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, in)
	})
}

// handleControlWaitIdle serves POST /control/wait-idle?timeout_ms=N: 204 once every
// delivery has finished (Server.WaitIdle), 504 if N ms (default 10000) pass first.
func (s *Server) handleControlWaitIdle() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timeout := 10 * time.Second
		if v := r.URL.Query().Get("timeout_ms"); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms <= 0 {
				writeControlError(w, http.StatusBadRequest, fmt.Errorf("timeout_ms %q is not a positive integer", v))
				return
			}
			timeout = time.Duration(ms) * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := s.WaitIdle(ctx); err != nil {
			writeControlError(w, http.StatusGatewayTimeout, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleControlReset serves POST /control/reset (Server.Reset): 204.
func (s *Server) handleControlReset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}
