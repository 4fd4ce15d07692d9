package testclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/internal/testclock"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := testclock.New(t0)
	require.Equal(t, t0, c.Now())
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Advance(time.Second) }()
	}
	wg.Wait()
	require.Equal(t, t0.Add(10*time.Second), c.Now())
	var zero testclock.Clock
	require.True(t, zero.Now().IsZero())
}
func TestOffset(t *testing.T) {
	var c testclock.Offset
	before := time.Now()
	require.False(t, c.Now().Before(before))
	c.Advance(25 * time.Hour)
	c.Advance(-time.Hour) // ignored
	got := time.Until(c.Now())
	require.Greater(t, got, 24*time.Hour+59*time.Minute)
	require.LessOrEqual(t, got, 25*time.Hour)
}
