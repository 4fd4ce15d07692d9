package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"poolkit/reference/pool"
)

// BenchmarkDurableSend measures sends through the engine over the SQLite store: 8
// numbers, 4096 recipients that already have a binding (sticky sends, the common case),
// 32×GOMAXPROCS concurrent senders. Every send is a committed write transaction. It
// reports sends/s and the 99th-percentile latency of one send.
func BenchmarkDurableSend(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "p.db"))
	w := newWorld(b, s, 8, pool.WithClock(time.Now))
	rs := make([]string, 4096)
	for i := range rs {
		rs[i] = fmt.Sprintf("+1%s%07d", []string{"415", "212", "305"}[i%3], i)
		if _, err := w.e.Send(ctx, pool.SendRequest{KeyID: w.key.ID, ChatID: rs[i], Texts: []string{"hi"}}); err != nil {
			b.Fatal(err)
		}
	}
	texts := []string{"hello"}
	var (
		seed atomic.Int64
		mu   sync.Mutex
		lat  []time.Duration
	)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(1)) * 977
		var mine []time.Duration
		for pb.Next() {
			i++
			start := time.Now()
			if _, err := w.e.Send(ctx, pool.SendRequest{KeyID: w.key.ID, ChatID: rs[i&4095], Texts: texts}); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
