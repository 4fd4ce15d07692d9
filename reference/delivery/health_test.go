package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// TestDispatch_StaleOffline_POOL_HEALTH_2: an attempt that got 503 while the relay had the
// line back by the time the failure was recorded (the line.status online raced ahead of
// it) does not leave the number offline until the next poll: the dispatcher asks the
// relay at once.
func TestDispatch_StaleOffline_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t)
	relay := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/messages": // the line was offline when this attempt reached it
			http.Error(rw, `{"error":"line offline"}`, http.StatusServiceUnavailable)
		case "/v1/health": // and it is back now
			fmt.Fprintf(rw, `{"relay_id":"mac-racy","lines":[{"line_slot":0,"phone_number":%q,"online":true}]}`, line0)
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(relay.Close)
	w.relay("mac-racy", relay.URL, "relay-secret-racy")
	w.number(pool.NumberSpec{OrgID: w.org.ID, Phone: line0, Provider: pool.ProviderBlooio, RelayID: "mac-racy", LineSlot: 0})
	w.assign(w.key.ID, line0)
	d := w.dispatcher(delivery.Config{HealthInterval: time.Hour})

	id := w.send(w.key.ID, contact, "", "hello")
	w.dispatchOnce(d)
	if m := w.message(w.key.ID, id); m.Status != pool.StatusQueued || m.Attempts != 1 {
		t.Fatalf("message %s after %d attempts, want queued for a retry after 1", m.Status, m.Attempts)
	}
	if h := w.health(line0); h != pool.HealthActive {
		t.Errorf("health %s, want active: the relay reports the line online", h)
	}
}
