package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"poolkit/reference/pool"
)

// bearer returns the token of an "Authorization: Bearer <token>" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// authenticate returns the API key of the request's bearer secret; the engine compares
// the stored SHA-256 hashes in constant time.
//
// Errors: unauthorized.
func authenticate(e *pool.Engine, r *http.Request) (pool.Key, error) {
	key, err := e.Authenticate(r.Context(), bearer(r))
	if err != nil {
		return pool.Key{}, err
	}
	infoOf(r).keyID = key.ID
	return key, nil
}

var errAdminUnauthorized = &pool.Error{Code: pool.CodeUnauthorized, Message: "Invalid or missing admin token."}

// requireAdmin lets a request through to next only with the admin token. Both sides are
// hashed first so that the constant-time comparison does not leak the token's length.
func requireAdmin(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearer(r)))
		if token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeError(w, errAdminUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
