package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"poolkit/reference/delivery"
	"poolkit/reference/pool"
)

// BenchmarkDispatch measures dispatch throughput: 2,000 queued messages posted by Run with
// 8 workers to a fake Mac relay with four lines, timed from Run's start until the last is
// marked dispatched. The relay's status events reach the engine meanwhile, as they would.
// It reports msgs/s.
func BenchmarkDispatch(b *testing.B) {
	const n = 2000
	w := newWorld(b, mac("mac-1", "+15550000001", "+15550000002", "+15550000003", "+15550000004"))
	ctx := context.Background()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range n {
			_, err := w.engine.Send(ctx, pool.SendRequest{KeyID: w.key.ID, ChatID: fmt.Sprintf("+1555%07d", i*n+j),
				Texts: []string{"benchmark"}})
			if err != nil {
				b.Fatal(err)
			}
		}
		done := &dispatched{want: n, done: make(chan struct{})}
		d := delivery.New(w.engine, delivery.Config{Workers: 8, PublicURL: w.url, Logger: slog.New(done)})
		runCtx, cancel := context.WithCancel(ctx)
		ran := make(chan error, 1)

		b.StartTimer()
		start := time.Now()
		go func() { ran <- d.Run(runCtx) }()
		<-done.done
		elapsed += time.Since(start)
		b.StopTimer()

		cancel()
		if err := <-ran; err != nil {
			b.Fatal(err)
		}
		if err := w.fleet.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}

// dispatched is a slog.Handler that counts the dispatcher's "dispatched" lines and closes
// done at the want-th.
type dispatched struct {
	mu   sync.Mutex
	n    int
	want int
	done chan struct{}
}

func (h *dispatched) Enabled(context.Context, slog.Level) bool { return true }

func (h *dispatched) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "delivery: dispatched" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n++; h.n == h.want {
		close(h.done)
	}
	return nil
}

func (h *dispatched) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *dispatched) WithGroup(string) slog.Handler      { return h }
