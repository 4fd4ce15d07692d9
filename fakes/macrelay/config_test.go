package macrelay_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/macrelay"
)

const configJSON = `{
  "engine_url": "http://127.0.0.1:1",
  "seed": 42,
  "event_attempts": 3,
  "event_backoff": "2ms",
  "macs": [
    {"id": "mac-1", "secret": "s1", "lines": [
      {"slot": 0, "phone": "+14155550100", "failure_ratio": 0.25, "latency": "150ms"},
      {"slot": 3, "phone": "+14155550103", "offline": true, "banned": true}
    ]},
    {"id": "mac-2", "secret": "s2", "offline": true, "lines": []}
  ]
}`

func TestLoadConfig(t *testing.T) {
	cfg, err := macrelay.LoadConfig(strings.NewReader(configJSON))
	require.NoError(t, err)
	require.Equal(t, macrelay.Config{
		EngineURL: "http://127.0.0.1:1", Seed: 42, EventAttempts: 3, EventBackoff: 2 * time.Millisecond,
		Macs: []macrelay.MacConfig{
			{ID: "mac-1", Secret: "s1", Lines: []macrelay.LineConfig{
				{Slot: 0, Phone: "+14155550100", FailureRatio: 0.25, Latency: 150 * time.Millisecond},
				{Slot: 3, Phone: "+14155550103", Offline: true, Banned: true},
			}},
			{ID: "mac-2", Secret: "s2", Offline: true},
		},
	}, cfg)

	for name, bad := range map[string]string{
		"unknown field":   `{"engine_url":"x","sede":1}`,
		"unknown in line": `{"macs":[{"id":"m","secret":"s","lines":[{"slot":0,"phone":"+1","latncy":"1s"}]}]}`,
		"trailing":        `{} {}`,
		"not json":        `engine_url: x`,
		"bad latency":     `{"macs":[{"id":"m","secret":"s","lines":[{"slot":0,"phone":"+1","latency":"soon"}]}]}`,
		"bad backoff":     `{"event_backoff":"1 minute"}`,
		"invalid":         `{"macs":[{"id":"m","secret":""}]}`,
	} {
		_, err := macrelay.LoadConfig(strings.NewReader(bad))
		require.Error(t, err, name)
	}
}

func TestNew_RejectsInvalidConfigs(t *testing.T) {
	line := func(slot int, phone string) macrelay.LineConfig { return macrelay.LineConfig{Slot: slot, Phone: phone} }
	for name, macs := range map[string][]macrelay.MacConfig{
		"empty id":        {{Secret: "s"}},
		"reserved id":     {{ID: "control", Secret: "s"}},
		"slash in id":     {{ID: "a/b", Secret: "s"}},
		"duplicate id":    {{ID: "a", Secret: "s"}, {ID: "a", Secret: "t"}},
		"empty secret":    {{ID: "a"}},
		"negative slot":   {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{line(-1, "+1")}}},
		"duplicate slot":  {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{line(0, "+1"), line(0, "+2")}}},
		"empty phone":     {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{line(0, "")}}},
		"phone twice":     {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{line(0, "+1")}}, {ID: "b", Secret: "s", Lines: []macrelay.LineConfig{line(0, "+1")}}},
		"ratio above one": {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{{Slot: 0, Phone: "+1", FailureRatio: 1.1}}}},
		"negative delay":  {{ID: "a", Secret: "s", Lines: []macrelay.LineConfig{{Slot: 0, Phone: "+1", Latency: -1}}}},
	} {
		_, err := macrelay.New(macrelay.Config{Macs: macs})
		require.ErrorIs(t, err, macrelay.ErrInvalid, name)
	}
	f, err := macrelay.New(macrelay.Config{})
	require.NoError(t, err, "the zero Config is an empty fleet")
	require.Empty(t, f.Macs())
	require.NoError(t, f.Close())
}

func TestRun_ServesUntilCancelled(t *testing.T) {
	e := newEngine(t, map[string]string{"mac-1": "s1", "mac-2": "s2"})
	cfg := testConfig()
	cfg.EngineURL = e.srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := macrelay.Run(ctx, cfg, pw)
		pw.Close()
		done <- err
	}()

	var ready struct {
		ControlURL string           `json:"control_url"`
		Seed       int64            `json:"seed"`
		Relays     []macrelay.Relay `json:"relays"`
	}
	require.NoError(t, json.NewDecoder(pr).Decode(&ready))
	go io.Copy(io.Discard, pr) //nolint:errcheck
	require.Equal(t, int64(1), ready.Seed)
	require.Len(t, ready.Relays, 2)
	require.Equal(t, "mac-1", ready.Relays[0].RelayID)
	require.Equal(t, "s1", ready.Relays[0].Secret)
	status, _, out := call(t, http.MethodGet, ready.Relays[0].URL+"/v1/health", "s1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "mac-1", out["relay_id"])
	status, _, _ = call(t, http.MethodPost, ready.ControlURL+"/control/macs/mac-2/lines/0/inbound", "", map[string]any{"from": "+1", "text": "x"})
	require.Equal(t, http.StatusOK, status)
	events, _, _ := e.snapshot()
	require.Len(t, events, 1)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	_, err := http.Get(ready.Relays[0].URL + "/v1/health")
	require.Error(t, err, "the listeners are closed")
}
