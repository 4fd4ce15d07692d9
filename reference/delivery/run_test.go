package delivery_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"poolkit/reference/delivery"
	"poolkit/reference/pool"
)

// TestRun_Kick: with a poll interval too long to matter, Kick makes Run dispatch a
// message that was sent after it started.
func TestRun_Kick(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	d := w.dispatcher(delivery.Config{PollInterval: time.Hour})
	w.run(d)

	id := w.send(w.key.ID, contact, "", "hello")
	d.Kick()
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)
}

// TestRun_Twice: of two Runs of one Dispatcher at once, one is refused at once and the
// other runs until its context ends.
func TestRun_Twice(t *testing.T) {
	w := newWorld(t)
	d := w.dispatcher(delivery.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- d.Run(ctx) }()
	}
	if err := <-errs; err == nil {
		t.Error("a Run returned nil before its context ended, want the second refused")
	}
	cancel()
	if err := <-errs; err != nil {
		t.Errorf("Run = %v after its context ended, want nil", err)
	}
}

// TestRun_Concurrent: 200 sends over two relays, made while Run dispatches them with 8
// workers, are each delivered, and each posted to its Mac exactly once.
func TestRun_Concurrent(t *testing.T) {
	w := newWorld(t, mac("mac-1", "+15550000001", "+15550000002"), mac("mac-2", "+15550000003", "+15550000004"))
	d := w.dispatcher(delivery.Config{Workers: 8, PollInterval: 20 * time.Millisecond})
	w.run(d)

	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				res, err := w.engine.Send(context.Background(), pool.SendRequest{KeyID: w.key.ID,
					ChatID: fmt.Sprintf("+1555200%04d", i), Texts: []string{fmt.Sprintf("message %d", i)}})
				if err != nil {
					t.Errorf("send %d: %v", i, err)
					return
				}
				ids[i] = res.MessageID
				if i%3 == 0 {
					d.Kick()
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, id := range ids {
		w.waitStatus(w.key.ID, id, pool.StatusDelivered)
	}

	posted := map[string]int{}
	perMac := map[string]int{}
	for _, m := range []string{"mac-1", "mac-2"} {
		for _, msg := range w.received(m) {
			posted[msg.MessageID] += 1 + msg.Duplicates
			perMac[m]++
		}
	}
	for _, id := range ids {
		if posted[id] != 1 {
			t.Errorf("message %s was posted %d times, want once", id, posted[id])
		}
	}
	if len(posted) != n || w.posts.Load() != n || perMac["mac-1"] == 0 || perMac["mac-2"] == 0 {
		t.Errorf("%d messages received, %d posts, per Mac %v; want %d over both Macs", len(posted), w.posts.Load(), perMac, n)
	}
}
