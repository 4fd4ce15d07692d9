package macrelay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// Config describes a fleet. The zero value is a valid fleet with no Macs that posts no
// events.
type Config struct {
	// EngineURL is the engine's base URL; events go to EngineURL + "/relay/v1/events".
	// Empty: events are recorded with an error and posted nowhere.
	EngineURL string
	// Macs are the fleet's Macs, in order.
	Macs []MacConfig
	// Seed seeds the generator that draws delivery outcomes.
	Seed int64
	// Now is the clock for signature timestamps and recorded times; default time.Now.
	// Latency is waited on real timers whatever the clock.
	Now func() time.Time
	// HTTPClient posts events; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// ControlAddr is where Start binds the control API; default "127.0.0.1:0".
	ControlAddr string
	// EventAttempts bounds the tries of one event post; default 5.
	EventAttempts int
	// EventBackoff is the wait before the second try, doubled for each later one;
	// default 20 ms.
	EventBackoff time.Duration
}

// MacConfig describes one Mac relay.
type MacConfig struct {
	// ID is the relay_id; it must be non-empty, path-safe and not "control".
	ID string
	// Secret is both the bearer the engine must present and the event signing key.
	Secret string
	// Addr is where Start binds this Mac; default "127.0.0.1:0".
	Addr string
	// Offline starts the Mac locked (see SetMacOnline).
	Offline bool
	// Lines are the Mac's line slots.
	Lines []LineConfig
}

// LineConfig describes one line slot. The zero value beyond Slot and Phone is a healthy
// online line.
type LineConfig struct {
	Slot         int
	Phone        string
	Offline      bool
	Banned       bool
	FailureRatio float64
	Latency      time.Duration
}

func (c Config) validate() error {
	if c.EventAttempts < 0 || c.EventBackoff < 0 {
		return fmt.Errorf("%w: negative event_attempts or event_backoff", ErrInvalid)
	}
	ids := map[string]bool{}
	phones := map[string]string{}
	for i, m := range c.Macs {
		switch {
		case m.ID == "":
			return fmt.Errorf("%w: macs[%d]: empty id", ErrInvalid, i)
		case m.ID == "control" || strings.ContainsAny(m.ID, "/?#% "):
			return fmt.Errorf("%w: mac %q: id must be path-safe and not \"control\"", ErrInvalid, m.ID)
		case ids[m.ID]:
			return fmt.Errorf("%w: mac %q: duplicate id", ErrInvalid, m.ID)
		case m.Secret == "":
			return fmt.Errorf("%w: mac %q: empty secret", ErrInvalid, m.ID)
		}
		ids[m.ID] = true
		slots := map[int]bool{}
		for _, l := range m.Lines {
			where := fmt.Sprintf("mac %q slot %d", m.ID, l.Slot)
			switch {
			case l.Slot < 0:
				return fmt.Errorf("%w: %s: negative slot", ErrInvalid, where)
			case slots[l.Slot]:
				return fmt.Errorf("%w: %s: duplicate slot", ErrInvalid, where)
			case l.Phone == "":
				return fmt.Errorf("%w: %s: empty phone", ErrInvalid, where)
			case phones[l.Phone] != "":
				return fmt.Errorf("%w: %s: phone %s already on %s", ErrInvalid, where, l.Phone, phones[l.Phone])
			}
			if err := checkRatio(l.FailureRatio); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if l.Latency < 0 {
				return fmt.Errorf("%w: %s: negative latency", ErrInvalid, where)
			}
			slots[l.Slot] = true
			phones[l.Phone] = where
		}
	}
	return nil
}

func checkRatio(r float64) error {
	if math.IsNaN(r) || r < 0 || r > 1 {
		return fmt.Errorf("%w: failure ratio %v is not in [0, 1]", ErrInvalid, r)
	}
	return nil
}

// configFile is the JSON form of Config read by LoadConfig.
type configFile struct {
	EngineURL     string          `json:"engine_url"`
	Seed          int64           `json:"seed"`
	ControlAddr   string          `json:"control_addr"`
	EventAttempts int             `json:"event_attempts"`
	EventBackoff  string          `json:"event_backoff"`
	Macs          []macConfigFile `json:"macs"`
}

type macConfigFile struct {
	ID      string           `json:"id"`
	Secret  string           `json:"secret"`
	Addr    string           `json:"addr"`
	Offline bool             `json:"offline"`
	Lines   []lineConfigFile `json:"lines"`
}

type lineConfigFile struct {
	Slot         int     `json:"slot"`
	Phone        string  `json:"phone"`
	Offline      bool    `json:"offline"`
	Banned       bool    `json:"banned"`
	FailureRatio float64 `json:"failure_ratio"`
	Latency      string  `json:"latency"`
}

// LoadConfig reads a Config from JSON, rejecting unknown fields and trailing data:
//
//	{"engine_url":"http://127.0.0.1:8080","seed":1,"control_addr":"127.0.0.1:7070",
//	 "event_attempts":5,"event_backoff":"20ms",
//	 "macs":[{"id":"mac-1","secret":"s","addr":"127.0.0.1:7071","offline":false,
//	   "lines":[{"slot":0,"phone":"+14155550100","offline":false,"banned":false,
//	             "failure_ratio":0.1,"latency":"50ms"}]}]}
//
// Durations are Go duration strings. The result is validated as New validates it.
func LoadConfig(r io.Reader) (Config, error) {
	var f configFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("macrelay: config: %w", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("macrelay: config: trailing data after the JSON object")
	}
	cfg := Config{EngineURL: f.EngineURL, Seed: f.Seed, ControlAddr: f.ControlAddr, EventAttempts: f.EventAttempts}
	var err error
	if cfg.EventBackoff, err = parseDuration(f.EventBackoff); err != nil {
		return Config{}, fmt.Errorf("macrelay: config: event_backoff: %w", err)
	}
	for _, m := range f.Macs {
		mc := MacConfig{ID: m.ID, Secret: m.Secret, Addr: m.Addr, Offline: m.Offline}
		for _, l := range m.Lines {
			lat, err := parseDuration(l.Latency)
			if err != nil {
				return Config{}, fmt.Errorf("macrelay: config: mac %q slot %d latency: %w", m.ID, l.Slot, err)
			}
			mc.Lines = append(mc.Lines, LineConfig{Slot: l.Slot, Phone: l.Phone, Offline: l.Offline,
				Banned: l.Banned, FailureRatio: l.FailureRatio, Latency: lat})
		}
		cfg.Macs = append(cfg.Macs, mc)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("macrelay: config: %w", err)
	}
	return cfg, nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}
