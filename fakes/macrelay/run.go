package macrelay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// Relay is a Mac as the engine registers it (POST /admin/v1/relays).
type Relay struct {
	RelayID string `json:"relay_id"`
	URL     string `json:"url"`
	Secret  string `json:"secret"`
}

// Run starts a fleet from cfg, writes one JSON line to stdout —
// {"control_url","seed","relays":[{relay_id,url,secret}]} — and serves until ctx is done.
func Run(ctx context.Context, cfg Config, stdout io.Writer) error {
	f, err := New(cfg)
	if err != nil {
		return err
	}
	if err := f.Start(); err != nil {
		return err
	}
	defer f.Close()
	ready := struct {
		ControlURL string  `json:"control_url"`
		Seed       int64   `json:"seed"`
		Relays     []Relay `json:"relays"`
	}{ControlURL: f.URL(), Seed: cfg.Seed, Relays: f.Relays()}
	if err := json.NewEncoder(stdout).Encode(ready); err != nil {
		return fmt.Errorf("macrelay: %w", err)
	}
	<-ctx.Done()
	return nil
}

// Relays returns every Mac as the engine registers it; URL is empty before Start.
func (f *Fleet) Relays() []Relay {
	out := []Relay{}
	for _, m := range f.Macs() {
		out = append(out, Relay{RelayID: m.ID, URL: m.URL, Secret: m.Secret})
	}
	return out
}
