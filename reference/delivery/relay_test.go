package delivery_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"poolkit/fakes/macrelay"
	"poolkit/reference/delivery"
	"poolkit/reference/pool"
)

const (
	line0   = "+15550000001"
	line1   = "+15550000002"
	contact = "+15551230001"
	friend  = "+15551230002"
)

// ignoreReceipt leaves out what the fake adds to a message it received.
var ignoreReceipt = cmpopts.IgnoreFields(macrelay.Message{}, "ReceivedAt", "Status", "Duplicates")

// TestDispatch_Relay_Delivered: a send reaches the right Mac on the right line slot,
// exactly as the SPEC's body, and the Mac's events make it delivered.
func TestDispatch_Relay_Delivered(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0, line1), mac("mac-2", "+15550000003"))
	w.run(w.dispatcher(delivery.Config{}))

	id := w.send(w.key.ID, contact, line1, "hello", "https://example.com/cat.png")
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)
	waitFor(t, "the message marked dispatched", func() bool { return w.message(w.key.ID, id).Dispatched })

	want := []macrelay.Message{{MessageID: id, LineSlot: 1, To: []string{contact}, Text: "hello",
		Attachments: []string{"https://example.com/cat.png"}}}
	if diff := cmp.Diff(want, w.received("mac-1"), ignoreReceipt); diff != "" {
		t.Errorf("mac-1 received (-want +got):\n%s", diff)
	}
	if got := w.received("mac-2"); len(got) != 0 {
		t.Errorf("mac-2 received %+v, want nothing", got)
	}
	if m := w.message(w.key.ID, id); m.Attempts != 0 {
		t.Errorf("message dispatched after %d failed attempts, want at the first", m.Attempts)
	}
}

// TestDispatch_Relay_LostAcks: the Mac processes the message but its answer is lost
// (500, then a reset connection): the dispatcher retries, the Mac de-duplicates, and the
// message is delivered once. A lost answer is not a Mac that cannot be reached: the
// number stays active. The relay's events are held meanwhile, so that a "sent" status
// does not take the message out of the outbox before its retries.
func TestDispatch_Relay_LostAcks(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(f *macrelay.Fleet, mac string, n int) error
	}{
		{"500", (*macrelay.Fleet).DropAcks},
		{"reset", (*macrelay.Fleet).ResetAcks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, mac("mac-1", line0))
			if err := tc.drop(w.fleet, "mac-1", 2); err != nil {
				t.Fatal(err)
			}
			d := w.dispatcher(delivery.Config{})
			w.events.close()
			id := w.send(w.key.ID, contact, "", "hello")

			for i := range 3 {
				if n := w.dispatchOnce(d); n != 1 {
					t.Fatalf("DispatchOnce #%d attempted %d, want 1", i+1, n)
				}
			}
			m := w.message(w.key.ID, id)
			if !m.Dispatched || m.Attempts != 2 || w.posts.Load() != 3 {
				t.Errorf("dispatched=%v after %d retries and %d posts, want dispatched after 2 retries, 3 posts",
					m.Dispatched, m.Attempts, w.posts.Load())
			}
			got := w.received("mac-1")
			if len(got) != 1 || got[0].MessageID != id || got[0].Duplicates != 2 {
				t.Fatalf("mac-1 received %+v, want %s once with 2 duplicate posts", got, id)
			}
			if h := w.health(line0); h != pool.HealthActive {
				t.Errorf("health %s, want active", h)
			}
			w.events.open()
			w.waitStatus(w.key.ID, id, pool.StatusDelivered)
		})
	}
}

// TestDispatch_Relay_FailureRatio: a line that fails every delivery makes the message
// failed, from the relay's status event.
func TestDispatch_Relay_FailureRatio(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	if err := w.fleet.SetFailureRatio("mac-1", 0, 1); err != nil {
		t.Fatal(err)
	}
	w.run(w.dispatcher(delivery.Config{}))

	id := w.send(w.key.ID, contact, "", "hello")
	m := w.waitStatus(w.key.ID, id, pool.StatusFailed)
	if m.ErrorCode != macrelay.ErrorCodeFailed {
		t.Errorf("error_code=%q, want %q", m.ErrorCode, macrelay.ErrorCodeFailed)
	}
	waitFor(t, "the message marked dispatched", func() bool { return w.message(w.key.ID, id).Dispatched })
}

// TestDispatch_Relay_BannedLine: a 403 from the relay (a line banned after the send was
// accepted) fails the message at once, without a retry.
func TestDispatch_Relay_BannedLine(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	d := w.dispatcher(delivery.Config{})
	id := w.send(w.key.ID, contact, "", "hello")
	if _, err := w.fleet.SetLineBanned(context.Background(), "mac-1", 0, true); err != nil {
		t.Fatal(err)
	}

	if n := w.dispatchOnce(d); n != 1 {
		t.Fatalf("DispatchOnce attempted %d, want 1", n)
	}
	m := w.message(w.key.ID, id)
	if m.Status != pool.StatusFailed || m.ErrorCode != "relay_403" || m.Attempts != 0 {
		t.Errorf("message %s %q after %d retries, want failed relay_403 with none", m.Status, m.ErrorCode, m.Attempts)
	}
	if n := w.dispatchOnce(d); n != 0 || w.posts.Load() != 1 {
		t.Errorf("second DispatchOnce attempted %d, %d posts in all; want 0 and 1", n, w.posts.Load())
	}
	if got := w.received("mac-1"); len(got) != 0 {
		t.Errorf("mac-1 received %+v, want nothing", got)
	}
}

// TestDispatch_Relay_MaxAttempts: a message whose Mac stays offline fails after
// MaxAttempts attempts with the last failure's code.
func TestDispatch_Relay_MaxAttempts(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	if err := w.fleet.SetMacOnline("mac-1", false); err != nil {
		t.Fatal(err)
	}
	d := w.dispatcher(delivery.Config{MaxAttempts: 3})
	id := w.send(w.key.ID, contact, "", "hello")

	for range 3 {
		if n := w.dispatchOnce(d); n != 1 {
			t.Fatalf("DispatchOnce attempted %d, want 1", n)
		}
	}
	m := w.message(w.key.ID, id)
	if m.Status != pool.StatusFailed || m.ErrorCode != "relay_503" || m.Attempts != 2 {
		t.Errorf("message %s %q after %d retries, want failed relay_503 after 2", m.Status, m.ErrorCode, m.Attempts)
	}
	if n := w.dispatchOnce(d); n != 0 {
		t.Errorf("DispatchOnce attempted %d after the last attempt, want 0", n)
	}
}

// TestDispatch_Relay_GroupReply: a reply to a group the relay reported goes out with its
// chat_guid, on the line the group lives on.
func TestDispatch_Relay_GroupReply(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0, line1))
	ctx := context.Background()
	group := &macrelay.Group{ChatGUID: "chat-guid-1", Participants: []string{contact, friend}, Name: "friends"}
	if _, err := w.fleet.Inject(ctx, "mac-1", 1, macrelay.Inbound{From: contact, Text: "hi all", Group: group}); err != nil {
		t.Fatal(err)
	}
	convs, err := w.engine.Conversations(ctx, w.key.ID)
	if err != nil || len(convs) != 1 || !strings.HasPrefix(convs[0].Recipient, "grp_") {
		t.Fatalf("conversations %+v, %v; want the reported group", convs, err)
	}

	id := w.send(w.key.ID, convs[0].Recipient, "", "hello group")
	w.dispatchOnce(w.dispatcher(delivery.Config{}))
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)

	want := []macrelay.Message{{MessageID: id, LineSlot: 1, ChatGUID: "chat-guid-1", Text: "hello group"}}
	if diff := cmp.Diff(want, w.received("mac-1"), ignoreReceipt); diff != "" {
		t.Errorf("mac-1 received (-want +got):\n%s", diff)
	}
}

// TestDispatch_Relay_AdHocGroup: a send to a list of handles goes out with to = the
// participants.
func TestDispatch_Relay_AdHocGroup(t *testing.T) {
	w := newWorld(t, mac("mac-1", line0))
	id := w.send(w.key.ID, friend+","+contact, "", "hello both")
	w.dispatchOnce(w.dispatcher(delivery.Config{}))
	w.waitStatus(w.key.ID, id, pool.StatusDelivered)

	want := []macrelay.Message{{MessageID: id, LineSlot: 0, To: []string{contact, friend}, Text: "hello both"}}
	if diff := cmp.Diff(want, w.received("mac-1"), ignoreReceipt); diff != "" {
		t.Errorf("mac-1 received (-want +got):\n%s", diff)
	}
}

// TestDispatch_Relay_Unreachable_POOL_HEALTH_2: a relay that refuses connections makes
// its number offline and the message wait for a retry; its health poll fails and the
// number stays offline.
func TestDispatch_Relay_Unreachable_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String()
	l.Close()
	w.relay("mac-dead", deadURL, "relay-secret-dead")
	w.number(pool.NumberSpec{OrgID: w.org.ID, Phone: line0, Provider: pool.ProviderBlooio, RelayID: "mac-dead", LineSlot: 0})
	w.assign(w.key.ID, line0)
	d := w.dispatcher(delivery.Config{})

	id := w.send(w.key.ID, contact, "", "hello")
	w.dispatchOnce(d)
	m := w.message(w.key.ID, id)
	if m.Status != pool.StatusQueued || m.Dispatched || m.Attempts != 1 {
		t.Errorf("message %s dispatched=%v attempts=%d, want queued for a retry after 1", m.Status, m.Dispatched, m.Attempts)
	}
	if h := w.health(line0); h != pool.HealthOffline {
		t.Errorf("health %s, want offline", h)
	}
	if err := d.PollHealth(context.Background()); err == nil || !strings.Contains(err.Error(), "mac-dead") {
		t.Errorf("PollHealth = %v, want an error naming mac-dead", err)
	}
	if h := w.health(line0); h != pool.HealthOffline {
		t.Errorf("health after the poll %s, want offline", h)
	}
}
