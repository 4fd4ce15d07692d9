package api

import (
	"net/http"
	"time"

	"poolkit/reference/pool"
)

// Clock is a deployment clock that tests may move forward (internal/testclock.Offset):
// with Options.Clock set, the admin API serves GET and POST /admin/v1/clock so that a
// conformance run can let a sticky TTL or a health window pass without waiting.
type Clock interface {
	Now() time.Time
	Advance(d time.Duration)
}

// clockResponse is the deployment's time.
type clockResponse struct {
	Now     time.Time `json:"now"`
	UnixMs  int64     `json:"unix_ms"`
	Movable bool      `json:"movable"`
}

// handleGetClock serves GET /admin/v1/clock.
func handleGetClock(c Clock) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := c.Now()
		encode(w, r, http.StatusOK, clockResponse{Now: now.UTC(), UnixMs: now.UnixMilli(), Movable: true})
	})
}

// handleAdvanceClock serves POST /admin/v1/clock {"advance_seconds": N}: the clock
// jumps N seconds forward (0 < N ≤ 10 years).
func handleAdvanceClock(c Clock) http.Handler {
	type request struct {
		AdvanceSeconds *float64 `json:"advance_seconds"`
	}
	const maxAdvance = 10 * 365 * 24 * 3600
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		if req.AdvanceSeconds == nil || *req.AdvanceSeconds <= 0 || *req.AdvanceSeconds > maxAdvance {
			encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest, "advance_seconds must be a number of seconds in (0, %d]", maxAdvance))
			return
		}
		c.Advance(time.Duration(*req.AdvanceSeconds * float64(time.Second)))
		now := c.Now()
		encode(w, r, http.StatusOK, clockResponse{Now: now.UTC(), UnixMs: now.UnixMilli(), Movable: true})
	})
}
