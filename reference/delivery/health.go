package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"poolkit/reference/pool"
)

// relayHealth is the answer of GET {relay}/v1/health (SPEC §7).
type relayHealth struct {
	RelayID string `json:"relay_id"`
	Lines   []struct {
		LineSlot    int    `json:"line_slot"`
		PhoneNumber string `json:"phone_number"`
		Online      bool   `json:"online"`
	} `json:"lines"`
}

// pollHealthEvery runs PollHealth every HealthInterval until ctx is done.
func (d *Dispatcher) pollHealthEvery(ctx context.Context) {
	t := time.NewTicker(d.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.PollHealth(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("delivery: health poll", "error", err)
			}
		}
	}
}

// PollHealth asks every relay that has an offline line for its health and brings back
// online each offline line the relay reports online (POOL-HEALTH-2). A relay that cannot
// be reached, or answers anything but its health, changes nothing; the error joins what
// went wrong with each.
func (d *Dispatcher) PollHealth(ctx context.Context) error {
	relays, err := d.engine.OfflineRelays(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, rl := range relays {
		if err := d.checkRelay(ctx, rl); err != nil {
			errs = append(errs, fmt.Errorf("relay %s: %w", rl.Relay.ID, err))
		}
	}
	return errors.Join(errs...)
}

// checkRelay polls one relay and records its offline lines that are back.
func (d *Dispatcher) checkRelay(ctx context.Context, rl pool.RelayLines) error {
	h, err := d.fetchHealth(ctx, rl.Relay)
	if err != nil {
		return err
	}
	online := map[int]string{} // slot → phone of the lines the relay has online
	for _, l := range h.Lines {
		if l.Online {
			online[l.LineSlot] = l.PhoneNumber
		}
	}
	var errs []error
	for _, n := range rl.Lines {
		phone, ok := online[n.LineSlot]
		if !n.Offline || !ok {
			continue
		}
		log := d.log.With("relay_id", rl.Relay.ID, "line_slot", n.LineSlot)
		if phone != "" && phone != n.Phone {
			log.Warn("delivery: relay reports another number on the line; left offline", "phone", n.Phone, "relay_phone", phone)
			continue
		}
		err := d.engine.RecordLineStatus(ctx, pool.LineStatus{RelayID: rl.Relay.ID, LineSlot: n.LineSlot, Online: true})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("delivery: line back online", "phone", n.Phone)
	}
	return errors.Join(errs...)
}

// fetchHealth gets a relay's health with its bearer.
func (d *Dispatcher) fetchHealth(ctx context.Context, r pool.Relay) (relayHealth, error) {
	var h relayHealth
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.URL, "/")+"/v1/health", nil)
	if err != nil {
		return h, err
	}
	req.Header.Set("Authorization", "Bearer "+r.Secret)
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain)) //nolint:errcheck // only to reuse the connection
		return h, fmt.Errorf("health answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
		return h, fmt.Errorf("health: %w", err)
	}
	return h, nil
}
