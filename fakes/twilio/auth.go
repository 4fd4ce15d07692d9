package twilio

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// accountHandler serves a REST route of one account, the one authenticated for the
// {AccountSid} of the path.
type accountHandler func(w http.ResponseWriter, r *http.Request, a *Account)

// api wraps a REST route: the latency fault, then Basic auth as Twilio checks it. The
// credentials are the path's Account SID and its auth token, or an API Key SID (SK…) of
// that account and its secret; anything else answers 401 with code 20003.
func (s *Server) api(h accountHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.latency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		a := s.authenticate(r)
		if a == nil {
			writeError(w, newError(http.StatusUnauthorized, CodeAuthenticate, "Authenticate"))
			return
		}
		h(w, r, a)
	})
}

// authenticate returns the account of the path if the request's credentials are its own.
func (s *Server) authenticate(r *http.Request) *Account {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil
	}
	sid := r.PathValue("AccountSid")
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[sid]
	if a == nil {
		return nil
	}
	var want string
	switch {
	case user == a.sid:
		want = a.authToken
	default:
		secret, ok := a.keys[user]
		if !ok {
			return nil
		}
		want = secret
	}
	if subtle.ConstantTimeCompare([]byte(pass), []byte(want)) != 1 {
		return nil
	}
	return a
}
