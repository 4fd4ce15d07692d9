// Package testclock is a manual clock for tests and simulations: time moves only when the
// test says so. The engine takes its Now as its clock (pool.WithClock(c.Now)).
package testclock

import (
	"sync"
	"time"
)

// Clock is a manual clock, safe for concurrent use. Its zero value stands at the zero time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
