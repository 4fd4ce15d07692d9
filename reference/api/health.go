package api

import (
	"context"
	"net/http"
	"time"

	"poolkit/reference/pool"
)

// handleHealthz serves GET /healthz: the process is up.
func handleHealthz() http.Handler {
	type response struct {
		Status string `json:"status"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, r, http.StatusOK, response{Status: "ok"})
	})
}

// handleReadyz serves GET /readyz: 200 when the store answers a read transaction, 503
// not_ready otherwise. The engine has no ping, so the probe is a read of an organization
// that cannot exist: org_not_found means the store answered.
func handleReadyz(e *pool.Engine) http.Handler {
	type response struct {
		Status string `json:"status"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		_, err := e.Org(ctx, "readyz-probe")
		if c := pool.ErrorCode(err); c != "" && c != pool.CodeOrgNotFound {
			infoOf(r).err = err
			writeError(w, &pool.Error{Code: CodeNotReady, Message: "The store does not answer", RetryAfter: pool.RetryAfterSeconds})
			return
		}
		encode(w, r, http.StatusOK, response{Status: "ok"})
	})
}
