package testclock

import (
	"sync/atomic"
	"time"
)

// Offset is the wall clock moved forward by whatever Advance added: a deployment that
// runs in real time but whose clock a test can jump (sticky TTL expiry, health windows).
// Its zero value is the wall clock. Safe for concurrent use.
type Offset struct {
	off atomic.Int64 // nanoseconds
}

// Now returns the wall clock plus the accumulated offset.
func (c *Offset) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// Advance moves the clock forward by d (d ≤ 0 is ignored: the clock never runs back).
func (c *Offset) Advance(d time.Duration) {
	if d > 0 {
		c.off.Add(int64(d))
	}
}
