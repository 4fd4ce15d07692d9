package api

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"time"

	"poolkit/reference/pool"
)

// requestInfo is what handlers tell the request log: the authenticated key and the
// cause of an internal error. Handlers never log secrets, headers or bodies.
type requestInfo struct {
	keyID string
	err   error
}

type infoKey struct{}

// infoOf returns the request's log record; a request that did not pass through
// logRequests gets a throwaway one.
func infoOf(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// logRequests logs one line per request: method, route pattern, status, duration, request
// id (X-Request-Id when the client sent a sane one, generated otherwise, and echoed), the
// key id when a key authenticated, and the cause of a 500.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = strconv.FormatUint(rand.Uint64(), 16)
		}
		w.Header().Set("X-Request-Id", id)
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)

		level := slog.LevelInfo
		if info.err != nil {
			level = slog.LevelError
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id),
		}
		if info.keyID != "" {
			attrs = append(attrs, slog.String("key_id", info.keyID))
		}
		if info.err != nil {
			attrs = append(attrs, slog.String("error", info.err.Error()))
		}
		log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// validRequestID accepts 1 to 128 printable ASCII characters without spaces or quotes, so
// that a client's id cannot forge log lines.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// recoverPanics answers a handler's panic with 500 internal and logs it.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			infoOf(r).err = panicError{v}
			writeError(w, errInternal)
		}()
		next.ServeHTTP(w, r)
	})
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.v) }

// jsonMuxErrors gives the mux's own answers the API's error shape: its plain-text 404 and
// 405 become not_found and method_not_allowed, and its redirects to a cleaned path become
// not_found (an API has no canonical-path redirects). Handlers' responses pass unchanged:
// they are always JSON.
func jsonMuxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&muxErrorWriter{ResponseWriter: w}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	if code < 300 || isJSON(w.Header().Get("Content-Type")) {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Location")
	h.Del("X-Content-Type-Options")
	pe := &pool.Error{Code: CodeNotFound, Message: "No such route"}
	if code == http.StatusMethodNotAllowed {
		pe = &pool.Error{Code: CodeMethodNotAllowed, Message: "Method not allowed on this route"}
	}
	writeError(w.ResponseWriter, pe)
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *muxErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
