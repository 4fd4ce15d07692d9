package macrelay_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
)

func TestSend_FailureRatioOneFailsEveryMessage(t *testing.T) {
	e, f := setup(t)
	require.NoError(t, f.SetFailureRatio("mac-1", 0, 1))
	for i := range 3 {
		status, _ := send(t, f, "mac-1", "s1", sendBody(fmt.Sprint("m", i), 0, "+15550001"))
		require.Equal(t, http.StatusAccepted, status)
	}
	waitIdle(t, f)
	for i := range 3 {
		require.Equal(t, []string{"sent", "failed" + macrelay.ErrorCodeFailed}, e.statuses(fmt.Sprint("m", i)))
	}
	_, bodies, _ := e.snapshot()
	require.Contains(t, bodies,
		`{"type":"message.status","relay_id":"mac-1","message_id":"m0","status":"failed","error_code":"delivery_failed"}`)
}

// outcomes sends n messages one after another on a half-failing line and returns each
// message's final status.
func outcomes(t *testing.T, seed int64, n int) []string {
	e := newEngine(t, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	cfg := testConfig()
	cfg.Seed = seed
	cfg.Macs[0].Lines[0].FailureRatio = 0.5
	f := start(t, e, cfg)
	run := func() []string {
		for i := range n {
			status, _ := send(t, f, "mac-1", "s1", sendBody(fmt.Sprint("m", i), 0, "+15550001"))
			require.Equal(t, http.StatusAccepted, status)
		}
		waitIdle(t, f)
		msgs, err := f.Messages("mac-1")
		require.NoError(t, err)
		var out []string
		for _, m := range msgs {
			out = append(out, m.Status)
		}
		return out
	}
	first := run()
	f.Reset()
	require.Equal(t, first, run(), "Reset restarts the seeded sequence")
	return first
}

func TestSend_FailureRatioHalfIsDeterministicPerSeed(t *testing.T) {
	a, b, c := outcomes(t, 7, 16), outcomes(t, 7, 16), outcomes(t, 8, 16)
	t.Logf("seed 7: %v", a)
	require.Equal(t, a, b)
	require.Contains(t, a, macrelay.StatusDelivered)
	require.Contains(t, a, macrelay.StatusFailed)
	require.NotEqual(t, a, c, "another seed, another sequence")
}

func TestSend_LatencyDelaysTheFinalStatus(t *testing.T) {
	e, f := setup(t)
	require.NoError(t, f.SetLatency("mac-1", 0, time.Hour))
	status, _ := send(t, f, "mac-1", "s1", sendBody("slow", 0, "+15550001"))
	require.Equal(t, http.StatusAccepted, status)
	status, _ = send(t, f, "mac-1", "s1", sendBody("fast", 1, "+15550001"))
	require.Equal(t, http.StatusAccepted, status)

	e.waitFor(t, func(evs []macrelay.Event) bool {
		n := 0
		for _, ev := range evs {
			if ev.Status == "delivered" || ev.MessageID == "slow" {
				n++
			}
		}
		return n == 2 // fast delivered and slow sent
	})
	require.Equal(t, []string{"sent", "delivered"}, e.statuses("fast"))
	require.Equal(t, []string{"sent"}, e.statuses("slow"), "the slow line's final status waits for its latency")
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Equal(t, macrelay.StatusSent, msgs[0].Status)
	// Close (cleanup) abandons the pending delivery.
}

func TestLineOffline_POOL_HEALTH_2_503AndLineStatusEvent(t *testing.T) {
	e, f := setup(t)
	rec, err := f.SetLineOnline(ctx, "mac-1", 0, false)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.EngineStatus)
	require.JSONEq(t, `{"type":"line.status","relay_id":"mac-1","line_slot":0,"online":false,"banned":false}`, string(rec.Body))
	_, bodies, _ := e.snapshot()
	require.Equal(t, []string{string(rec.Body)}, bodies)

	status, hdr, out := call(t, http.MethodPost, macURL(t, f, "mac-1")+"/v1/messages", "s1", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "line_offline", out["error"])
	require.Equal(t, "5", hdr.Get("Retry-After"))
	status, _ = send(t, f, "mac-1", "s1", sendBody("m2", 1, "+1"))
	require.Equal(t, http.StatusAccepted, status, "the other slot is unaffected")

	_, _, health := call(t, http.MethodGet, macURL(t, f, "mac-1")+"/v1/health", "s1", nil)
	require.Equal(t, false, health["lines"].([]any)[0].(map[string]any)["online"])
	_, err = f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+1", Text: "hi"})
	require.ErrorIs(t, err, macrelay.ErrLineOffline)

	rec, err = f.SetLineOnline(ctx, "mac-1", 0, true)
	require.NoError(t, err)
	require.True(t, rec.Event.Online)
	status, _ = send(t, f, "mac-1", "s1", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusAccepted, status)
	waitIdle(t, f)
}

func TestMacOffline_503OnEverything(t *testing.T) {
	_, f := setup(t)
	require.NoError(t, f.SetMacOnline("mac-1", false))
	url := macURL(t, f, "mac-1")
	for _, c := range []struct{ method, path, bearer string }{
		{http.MethodPost, "/v1/messages", "s1"},
		{http.MethodGet, "/v1/health", "s1"},
		{http.MethodGet, "/v1/health", "wrong"},
	} {
		status, hdr, out := call(t, c.method, url+c.path, c.bearer, sendBody("m1", 0, "+1"))
		require.Equal(t, http.StatusServiceUnavailable, status, c)
		require.Equal(t, "mac_offline", out["error"])
		require.Equal(t, "5", hdr.Get("Retry-After"))
	}
	_, err := f.Inject(ctx, "mac-1", 0, macrelay.Inbound{From: "+1", Text: "hi"})
	require.ErrorIs(t, err, macrelay.ErrMacOffline)
	_, err = f.SetLineOnline(ctx, "mac-1", 0, true)
	require.ErrorIs(t, err, macrelay.ErrMacOffline, "a locked Mac sends nothing")
	require.Empty(t, f.Events())
	status, _ := send(t, f, "mac-2", "s2", sendBody("m1", 0, "+1"))
	require.Equal(t, http.StatusAccepted, status, "the other Mac is unaffected")

	require.NoError(t, f.SetMacOnline("mac-1", true))
	status, _, _ = call(t, http.MethodGet, url+"/v1/health", "s1", nil)
	require.Equal(t, http.StatusOK, status)
	waitIdle(t, f)
}

func TestBan_POOL_HEALTH_3_403AndLineStatusBanned(t *testing.T) {
	e, f := setup(t)
	rec, err := f.SetLineBanned(ctx, "mac-1", 1, true)
	require.NoError(t, err)
	_, bodies, _ := e.snapshot()
	require.Equal(t, []string{`{"type":"line.status","relay_id":"mac-1","line_slot":1,"online":true,"banned":true}`}, bodies)
	require.Equal(t, string(rec.Body), bodies[0])

	status, out := send(t, f, "mac-1", "s1", sendBody("m1", 1, "+1"))
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "line_banned", out["error"])
	m, err := f.Mac("mac-1")
	require.NoError(t, err)
	require.True(t, m.Lines[1].Banned)

	_, err = f.SetLineBanned(ctx, "mac-1", 1, false)
	require.NoError(t, err)
	status, _ = send(t, f, "mac-1", "s1", sendBody("m1", 1, "+1"))
	require.Equal(t, http.StatusAccepted, status)
	waitIdle(t, f)
}

func TestDropAcks_EngineRetriesYetOneDelivery(t *testing.T) {
	e, f := setup(t)
	url := macURL(t, f, "mac-1") + "/v1/messages"
	require.NoError(t, f.DropAcks("mac-1", 2))
	var statuses []int
	for range 5 {
		status, _, out := call(t, http.MethodPost, url, "s1", sendBody("m1", 0, "+1"))
		statuses = append(statuses, status)
		if status < 300 {
			break
		}
		require.Equal(t, "ack_dropped", out["error"])
	}
	require.Equal(t, []int{500, 500, 200}, statuses)

	require.NoError(t, f.ResetAcks("mac-1", 1))
	status, _, _ := call(t, http.MethodPost, url, "", sendBody("m2", 0, "+1"))
	require.Equal(t, http.StatusUnauthorized, status, "a rejected request does not use up a dropped ack")
	post := func() (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"message_id":"m2","line_slot":0,"to":["+1"],"text":"x"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer s1")
		return http.DefaultClient.Do(req)
	}
	_, err := post()
	require.Error(t, err, "the connection is dropped without an answer")
	resp, err := post()
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the retry finds it already accepted")

	waitIdle(t, f)
	require.Equal(t, []string{"sent", "delivered"}, e.statuses("m1"))
	require.Equal(t, []string{"sent", "delivered"}, e.statuses("m2"))
	msgs, err := f.Messages("mac-1")
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Equal(t, 2, msgs[0].Duplicates)
	require.Equal(t, 1, msgs[1].Duplicates)
}

func TestSend_ConcurrentSendsAndControl(t *testing.T) {
	e, f := setup(t)
	const n = 16
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		errs     []error
	)
	note := func(status int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if status != 0 {
			statuses[status]++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			mac, secret := "mac-1", "s1"
			if i%2 == 1 {
				mac, secret = "mac-2", "s2"
			}
			m, err := f.Mac(mac)
			note(0, err)
			for range 2 { // each message twice: one delivery
				body := fmt.Sprintf(`{"message_id":"m%d","line_slot":0,"to":["+1"],"text":"x"}`, i)
				req, err := http.NewRequest(http.MethodPost, m.URL+"/v1/messages", strings.NewReader(body))
				note(0, err)
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					note(0, err)
					continue
				}
				resp.Body.Close()
				note(resp.StatusCode, nil)
			}
		}()
		go func() {
			defer wg.Done()
			note(0, f.SetLatency("mac-1", 1, time.Duration(i)*time.Millisecond))
			note(0, f.SetFailureRatio("mac-2", 0, 0.5))
			_, err := f.Messages("mac-1")
			note(0, err)
			_ = f.Macs()
			_ = f.Events()
		}()
	}
	wg.Wait()
	require.Empty(t, errs)
	require.Equal(t, map[int]int{202: n, 200: n}, statuses)
	waitIdle(t, f)
	events, _, _ := e.snapshot()
	require.Len(t, events, 2*n)
	for i := range n {
		st := e.statuses(fmt.Sprint("m", i))
		require.Len(t, st, 2)
		require.Equal(t, "sent", st[0])
	}
	m1, _ := f.Messages("mac-1")
	m2, _ := f.Messages("mac-2")
	require.Len(t, m1, n/2)
	require.Len(t, m2, n/2)
}
