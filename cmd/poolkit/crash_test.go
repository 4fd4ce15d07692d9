package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/client"
)

// TestMain lets the test binary stand in for the poolkit binary: with POOLKIT_CHILD_ARGS
// set it runs `poolkit <args>` and exits, so tests can start real server processes and
// kill them.
func TestMain(m *testing.M) {
	if raw := os.Getenv("POOLKIT_CHILD_ARGS"); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := run(context.Background(), append([]string{"poolkit"}, args...), os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "poolkit:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a poolkit process started by a test.
type child struct {
	cmd  *exec.Cmd
	base string
}

// startChild runs `poolkit args...` in a child process and waits for its address.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "POOLKIT_CHILD_ARGS="+string(raw))
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		return &child{cmd: cmd, base: a}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not print its address")
		return nil
	}
}

// attempt is one send of the load, with what the server answered.
type attempt struct {
	idem, recipient, text string
	ok                    bool // a 2xx came back
	messageID, from       string
}

// TestServe_CrashDurability: sends from concurrent clients with idempotency keys, a
// SIGKILL mid-load, a restart on the same data dir. Every acknowledged send is there with
// its binding; a retry of each returns 200 with the same message_id; no message exists
// twice.
func TestServe_CrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	const token = "crash-test-admin-token"
	args := []string{"serve", "--store", "sqlite", "--data-dir", dir, "--addr", "127.0.0.1:0", "--admin-token", token}
	srv := startChild(t, args...)
	ctx := context.Background()
	admin := client.New(srv.base, client.WithAdminToken(token))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "crash"})
	require.NoError(t, err)
	key, err := admin.CreateKey(ctx, org.OrganizationID, "load")
	require.NoError(t, err)
	// serve dispatches the outbox: a relay that accepts every message keeps the lines
	// online (an unreachable one would take them offline).
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"accepted"}`)
	}))
	t.Cleanup(relay.Close)
	_, err = admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: "mac-1", URL: relay.URL, Secret: "s"})
	require.NoError(t, err)
	var phones []string
	for i := 0; i < 4; i++ {
		slot := i
		p := fmt.Sprintf("+1555111000%d", i)
		_, err := admin.RegisterNumber(ctx, org.OrganizationID, client.RegisterNumberRequest{PhoneNumber: p, RelayID: "mac-1", LineSlot: &slot})
		require.NoError(t, err)
		phones = append(phones, p)
	}
	_, err = admin.AssignNumbers(ctx, key.KeyID, client.AssignRequest{PhoneNumbers: phones})
	require.NoError(t, err)

	const workers, recipients, killAfter = 16, 200, 3000
	var (
		acked    atomic.Int64
		mu       sync.Mutex
		attempts []*attempt
		wg       sync.WaitGroup
	)
	loadCtx, stopLoad := context.WithCancel(ctx)
	api := client.New(srv.base, client.WithAPIKey(key.APIKey))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; loadCtx.Err() == nil; i++ {
				a := &attempt{idem: fmt.Sprintf("w%d-%d", w, i), recipient: fmt.Sprintf("+1555700%04d", (w*37+i)%recipients)}
				a.text = "message " + a.idem
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				res, err := api.Send(loadCtx, a.recipient, client.SendBody{Text: a.text}, client.SendOptions{IdempotencyKey: a.idem})
				if err != nil {
					if client.StatusOf(err) != 0 {
						t.Errorf("send %s: %v", a.idem, err) // an answer other than 2xx: a bug, not the crash
					}
					continue // no answer: the server died under this request
				}
				mu.Lock()
				a.ok, a.messageID, a.from = true, res.MessageID, res.FromNumber
				mu.Unlock()
				acked.Add(1)
			}
		}()
	}
	require.Eventually(t, func() bool { return acked.Load() >= killAfter }, 60*time.Second, time.Millisecond)
	require.NoError(t, srv.cmd.Process.Kill()) // SIGKILL, mid-load
	_ = srv.cmd.Wait()
	stopLoad()
	wg.Wait()
	t.Logf("%d sends attempted, %d acknowledged before the kill", len(attempts), acked.Load())

	srv = startChild(t, args...)
	api = client.New(srv.base, client.WithAPIKey(key.APIKey))
	admin = client.New(srv.base, client.WithAdminToken(token))

	// Every acknowledged send is replayed with the same message; every other attempt is
	// either replayed (it committed before the kill) or accepted now.
	fromOf := map[string]string{}
	for _, a := range attempts {
		res, err := api.Send(ctx, a.recipient, client.SendBody{Text: a.text}, client.SendOptions{IdempotencyKey: a.idem})
		require.NoError(t, err, a.idem)
		if a.ok {
			require.Equal(t, 200, res.Status, "acknowledged send %s is replayed", a.idem)
			require.Equal(t, a.messageID, res.MessageID, a.idem)
			require.Equal(t, a.from, res.FromNumber, a.idem)
			if prev, seen := fromOf[a.recipient]; seen {
				require.Equal(t, prev, a.from, "one number per recipient (stickiness)")
			}
			fromOf[a.recipient] = a.from
		} else {
			require.Contains(t, []int{200, 202}, res.Status, a.idem)
		}
	}
	// Each attempt now has exactly one message, and each recipient its binding.
	perRecipient := map[string]int{}
	for _, a := range attempts {
		perRecipient[a.recipient]++
	}
	for r, want := range perRecipient {
		seen := map[string]bool{}
		for offset := 0; ; offset += 200 {
			page, err := api.Messages(ctx, r, client.Page{Limit: 200, Offset: offset})
			require.NoError(t, err)
			for _, m := range page.Messages {
				require.False(t, seen[m.MessageID], "message %s listed twice", m.MessageID)
				seen[m.MessageID] = true
			}
			if len(page.Messages) < 200 {
				break
			}
		}
		require.Len(t, seen, want, "recipient %s: one message per idempotency key", r)
		if from, ok := fromOf[r]; ok {
			b, err := admin.Binding(ctx, key.KeyID, r)
			require.NoError(t, err)
			require.Equal(t, from, b.PhoneNumber, "the binding survived the crash")
		}
	}
}
