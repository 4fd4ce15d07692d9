package delivery_test

import (
	"context"
	"testing"
	"time"

	"poolkit/reference/delivery"
	"poolkit/reference/pool"
)

// TestDispatch_MacOffline_POOL_HEALTH_2: a locked Mac (503) makes the number offline and
// the message wait for a retry; while the Mac stays locked the health poll changes
// nothing; once it is back, the poll makes the number active and the retry delivers.
func TestDispatch_MacOffline_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0, line1))
	ctx := context.Background()
	d := w.dispatcher(delivery.Config{})
	if err := w.fleet.SetMacOnline("mac-1", false); err != nil {
		t.Fatal(err)
	}
	id := w.send(w.key.ID, contact, line0, "hello")

	w.dispatchOnce(d)
	if m := w.message(w.key.ID, id); m.Status != pool.StatusQueued || m.Attempts != 1 {
		t.Fatalf("message %s after %d failed attempts, want queued after 1", m.Status, m.Attempts)
	}
	if h := w.health(line0); h != pool.HealthOffline {
		t.Fatalf("health %s, want offline", h)
	}
	if h := w.health(line1); h != pool.HealthActive {
		t.Errorf("health of the other line %s, want active: only the number dispatched to is known offline", h)
	}
	if err := d.PollHealth(ctx); err == nil {
		t.Error("PollHealth of a locked Mac succeeded, want its 503")
	}
	if h := w.health(line0); h != pool.HealthOffline {
		t.Fatalf("health after polling a locked Mac %s, want offline", h)
	}

	if err := w.fleet.SetMacOnline("mac-1", true); err != nil {
		t.Fatal(err)
	}
	if err := d.PollHealth(ctx); err != nil {
		t.Fatalf("PollHealth: %v", err)
	}
	if h := w.health(line0); h != pool.HealthActive {
		t.Fatalf("health after the poll %s, want active", h)
	}
	if n := w.dispatchOnce(d); n != 1 {
		t.Fatalf("DispatchOnce attempted %d, want the retry", n)
	}
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)
	if got := w.received("mac-1"); len(got) != 1 || got[0].MessageID != id {
		t.Errorf("mac-1 received %+v, want %s once", got, id)
	}
}

// TestRun_MacBackOnline_POOL_HEALTH_2 is the same story driven by Run alone: its
// dispatch marks the number offline, its health poller brings it back, its retries
// deliver.
func TestRun_MacBackOnline_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	if err := w.fleet.SetMacOnline("mac-1", false); err != nil {
		t.Fatal(err)
	}
	w.run(w.dispatcher(delivery.Config{
		HealthInterval: 10 * time.Millisecond,
		MaxAttempts:    1000,
		Backoff:        func(int) time.Duration { return 5 * time.Millisecond },
	}))

	id := w.send(w.key.ID, contact, "", "hello")
	waitFor(t, "the number offline", func() bool { return w.health(line0) == pool.HealthOffline })
	if err := w.fleet.SetMacOnline("mac-1", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the number active", func() bool { return w.health(line0) == pool.HealthActive })
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)
}
