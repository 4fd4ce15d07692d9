package delivery

import (
	"math/rand/v2"
	"sync"
	"time"
)

// ExponentialBackoff returns a backoff with full jitter: after the attempt-th failure
// (1 for the first) it waits a uniformly drawn duration in [0, min(ceiling,
// base·2^(attempt-1))]. The draws come from a generator seeded with seed, under a mutex,
// so a sequential run with the same seed waits the same durations. The jitter spreads
// the retries of many messages that failed together, such as a relay's whole queue
// when it went offline.
func ExponentialBackoff(base, ceiling time.Duration, seed int64) func(attempt int) time.Duration {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6465_6c69_7665_7279))
	return func(attempt int) time.Duration {
		limit := ceiling
		if attempt < 1 {
			attempt = 1
		}
		if shift := attempt - 1; shift < 62 && base <= ceiling>>shift {
			limit = base << shift
		}
		if limit <= 0 {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(rng.Uint64N(uint64(limit) + 1))
	}
}
