package delivery_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"poolkit/reference/delivery"
)

// TestExponentialBackoff: full jitter under the capped exponential ceiling, the same
// waits for the same seed, other waits for another seed.
func TestExponentialBackoff(t *testing.T) {
	const base, ceiling = 200 * time.Millisecond, 30 * time.Second
	waits := func(seed int64) []time.Duration {
		b := delivery.ExponentialBackoff(base, ceiling, seed)
		var out []time.Duration
		for attempt := 1; attempt <= 100; attempt++ {
			out = append(out, b(attempt))
		}
		return out
	}
	got := waits(7)
	for i, wait := range got {
		limit := ceiling
		if i < 10 {
			limit = min(ceiling, base<<i)
		}
		if wait < 0 || wait > limit {
			t.Errorf("attempt %d waits %v, want within [0, %v]", i+1, wait, limit)
		}
	}
	if diff := cmp.Diff(got, waits(7)); diff != "" {
		t.Errorf("the same seed waits differently (-first +second):\n%s", diff)
	}
	if cmp.Equal(got, waits(8)) {
		t.Error("seeds 7 and 8 wait the same")
	}
	var late time.Duration
	for _, wait := range got[20:] {
		late = max(late, wait)
	}
	if late < ceiling/2 {
		t.Errorf("the longest of 80 capped waits is %v, want jitter over the whole [0, %v]", late, ceiling)
	}
}
