package macrelay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fleetHandler serves the control API under /control/ and each Mac under /{mac_id}/.
func (f *Fleet) fleetHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /control/macs", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"macs": f.Macs()})
	})
	mux.HandleFunc("GET /control/macs/{mac}", func(w http.ResponseWriter, r *http.Request) {
		f.answerMac(w, r, nil)
	})
	mux.HandleFunc("POST /control/macs/{mac}/online", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Online *bool `json:"online"`
		}
		if decodeControl(w, r, &body) && required(w, body.Online != nil, "online") {
			f.answerMac(w, r, f.SetMacOnline(r.PathValue("mac"), *body.Online))
		}
	})
	mux.HandleFunc("POST /control/macs/{mac}/drop-acks", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			N    *int   `json:"n"`
			Mode string `json:"mode"`
		}
		if !decodeControl(w, r, &body) || !required(w, body.N != nil, "n") {
			return
		}
		switch body.Mode {
		case "", "500":
			f.answerMac(w, r, f.DropAcks(r.PathValue("mac"), *body.N))
		case "reset":
			f.answerMac(w, r, f.ResetAcks(r.PathValue("mac"), *body.N))
		default:
			controlError(w, fmt.Errorf("%w: mode must be \"500\" or \"reset\"", ErrInvalid))
		}
	})
	mux.HandleFunc("GET /control/macs/{mac}/messages", func(w http.ResponseWriter, r *http.Request) {
		msgs, err := f.Messages(r.PathValue("mac"))
		if err != nil {
			controlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	})
	mux.HandleFunc("PATCH /control/macs/{mac}/lines/{slot}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			FailureRatio *float64 `json:"failure_ratio"`
			Latency      *string  `json:"latency"`
		}
		slot, ok := pathSlot(w, r)
		if !ok || !decodeControl(w, r, &body) {
			return
		}
		id := r.PathValue("mac")
		var err error
		if body.Latency != nil {
			var d time.Duration
			if d, err = time.ParseDuration(*body.Latency); err != nil {
				err = fmt.Errorf("%w: latency: %v", ErrInvalid, err)
			} else {
				err = f.SetLatency(id, slot, d)
			}
		}
		if err == nil && body.FailureRatio != nil {
			err = f.SetFailureRatio(id, slot, *body.FailureRatio)
		}
		if err != nil {
			controlError(w, err)
			return
		}
		m, err := f.Mac(id)
		if err != nil {
			controlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, m.Lines[slot])
	})
	mux.HandleFunc("POST /control/macs/{mac}/lines/{slot}/online", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Online *bool `json:"online"`
		}
		if slot, ok := pathSlot(w, r); ok && decodeControl(w, r, &body) && required(w, body.Online != nil, "online") {
			answerEvent(w)(f.SetLineOnline(r.Context(), r.PathValue("mac"), slot, *body.Online))
		}
	})
	mux.HandleFunc("POST /control/macs/{mac}/lines/{slot}/banned", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Banned *bool `json:"banned"`
		}
		if slot, ok := pathSlot(w, r); ok && decodeControl(w, r, &body) && required(w, body.Banned != nil, "banned") {
			answerEvent(w)(f.SetLineBanned(r.Context(), r.PathValue("mac"), slot, *body.Banned))
		}
	})
	mux.HandleFunc("POST /control/macs/{mac}/lines/{slot}/inbound", func(w http.ResponseWriter, r *http.Request) {
		var in Inbound
		if slot, ok := pathSlot(w, r); ok && decodeControl(w, r, &in) {
			answerEvent(w)(f.Inject(r.Context(), r.PathValue("mac"), slot, in))
		}
	})
	mux.HandleFunc("GET /control/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"events": f.Events()})
	})
	mux.HandleFunc("GET /control/unexpected", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"requests": f.Unexpected()})
	})
	mux.HandleFunc("POST /control/reset", func(w http.ResponseWriter, r *http.Request) {
		f.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /control/wait-idle", func(w http.ResponseWriter, r *http.Request) {
		timeout := 10 * time.Second
		if s := r.URL.Query().Get("timeout"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				controlError(w, fmt.Errorf("%w: timeout %q", ErrInvalid, s))
				return
			}
			timeout = d
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := f.WaitIdle(ctx); err != nil {
			writeError(w, http.StatusGatewayTimeout, "busy", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/{mac}/", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("mac")
		m := f.macs[id]
		if m == nil {
			f.unknownRoute(w, r, "", http.StatusNotFound)
			return
		}
		http.StripPrefix("/"+id, m.handler).ServeHTTP(w, r)
	})
	return loudMux{f: f, mux: mux}
}

func (f *Fleet) answerMac(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		controlError(w, err)
		return
	}
	m, err := f.Mac(r.PathValue("mac"))
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// answerEvent writes an event-producing call's record: 200, or the error's status with
// the record beside it.
func answerEvent(w http.ResponseWriter) func(EventRecord, error) {
	return func(rec EventRecord, err error) {
		if err != nil && !errors.Is(err, ErrEngine) {
			controlError(w, err)
			return
		}
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]any{"error": "engine_unreachable", "message": err.Error(), "record": rec})
			return
		}
		writeJSON(w, http.StatusOK, rec)
	}
}

func controlError(w http.ResponseWriter, err error) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{ErrInvalid, http.StatusBadRequest, "invalid_request"},
		{ErrMacNotFound, http.StatusNotFound, "mac_not_found"},
		{ErrLineNotFound, http.StatusNotFound, "line_not_found"},
		{ErrMacOffline, http.StatusConflict, "mac_offline"},
		{ErrLineOffline, http.StatusConflict, "line_offline"},
	} {
		if errors.Is(err, c.err) {
			writeError(w, c.status, c.code, err.Error())
			return
		}
	}
	writeError(w, http.StatusInternalServerError, "internal", err.Error())
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeStrict(w, r, v); err != nil {
		controlError(w, err)
		return false
	}
	return true
}

func required(w http.ResponseWriter, present bool, field string) bool {
	if !present {
		controlError(w, fmt.Errorf("%w: %s is required", ErrInvalid, field))
	}
	return present
}

func pathSlot(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.PathValue("slot")
	slot, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		controlError(w, fmt.Errorf("%w: slot %q is not an integer", ErrInvalid, s))
		return 0, false
	}
	return slot, true
}
