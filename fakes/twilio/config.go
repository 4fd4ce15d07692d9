package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// FileConfig is the JSON configuration of a standalone fake (poolkit fake-twilio).
type FileConfig struct {
	// Listen is the host:port to serve on; "" means 127.0.0.1:0 (a fresh port).
	Listen string `json:"listen"`
	// Seed seeds the fake's random choices.
	Seed int64 `json:"seed"`
	// Accounts are created at start, in order.
	Accounts []AccountConfig `json:"accounts"`
}

// AccountConfig is an account, its API keys and its numbers.
type AccountConfig struct {
	Sid       string         `json:"sid"`
	AuthToken string         `json:"auth_token"`
	APIKeys   []APIKeyConfig `json:"api_keys"`
	Numbers   []NumberConfig `json:"numbers"`
}

// APIKeyConfig is an API key (SK…) and its secret.
type APIKeyConfig struct {
	Sid    string `json:"sid"`
	Secret string `json:"secret"`
}

// NumberConfig is an IncomingPhoneNumber and where its inbound SMS go.
type NumberConfig struct {
	PhoneNumber  string `json:"phone_number"`
	FriendlyName string `json:"friendly_name"`
	SMSURL       string `json:"sms_url"`
}

// LoadConfig reads a FileConfig from strict JSON: one object, no unknown field, every
// account, key and number valid and none repeated.
func LoadConfig(r io.Reader) (FileConfig, error) {
	var cfg FileConfig
	if err := decodeStrict(r, &cfg); err != nil {
		return cfg, fmt.Errorf("fake twilio config: %w", err)
	}
	if err := New(Config{}).addAccounts(cfg.Accounts); err != nil {
		return cfg, fmt.Errorf("fake twilio config: %w", err)
	}
	return cfg, nil
}

// decodeStrict decodes one JSON value with no unknown field and nothing after it.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// addAccounts adds the accounts with their keys and numbers. It checks first that none
// of the accounts or numbers exists, so that a conflict adds nothing; an invalid key or
// number may leave the accounts before it added.
func (s *Server) addAccounts(accounts []AccountConfig) error {
	if err := s.checkConflicts(accounts); err != nil {
		return err
	}
	for _, ac := range accounts {
		a, err := s.addAccount(ac.Sid, ac.AuthToken)
		if err != nil {
			return err
		}
		for _, k := range ac.APIKeys {
			if err := a.addAPIKey(k.Sid, k.Secret); err != nil {
				return err
			}
		}
		for _, n := range ac.Numbers {
			if _, err := a.addNumber(n.PhoneNumber, n.FriendlyName, n.SMSURL); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) checkConflicts(accounts []AccountConfig) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ac := range accounts {
		if s.accounts[ac.Sid] != nil {
			return fmt.Errorf("fake twilio: account %s already exists", ac.Sid)
		}
		for _, n := range ac.Numbers {
			for _, o := range s.order {
				if o.numberLocked(n.PhoneNumber) != nil {
					return fmt.Errorf("fake twilio: %s already belongs to account %s", n.PhoneNumber, o.sid)
				}
			}
		}
	}
	return nil
}

// Run serves a fake configured by cfg until ctx is done, then closes it. It writes the
// URL it serves on to stdout.
func Run(ctx context.Context, cfg FileConfig, stdout io.Writer) error {
	s := New(Config{Seed: cfg.Seed})
	if err := s.addAccounts(cfg.Accounts); err != nil {
		return err
	}
	addr := cfg.Listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := s.StartAt(addr); err != nil {
		return fmt.Errorf("fake twilio: %w", err)
	}
	defer s.Close()
	fmt.Fprintf(stdout, "fake twilio listening on %s (%d accounts, seed %d)\n", s.URL(), len(cfg.Accounts), cfg.Seed)
	<-ctx.Done()
	return nil
}
