package pool

import (
	"context"
	"encoding/hex"
	"io"
	"strings"
	"time"
)

// Dispatch is a message of the outbox with everything needed to send it: the number it
// goes out from and that number's relay line or Twilio integration.
type Dispatch struct {
	Message Message
	Number  Number
	// Relay is set for Blooio numbers, Integration for Twilio numbers.
	Relay       Relay
	Integration Integration
	// To lists the handles to send to: the contact of a 1:1 chat, or the participants of
	// an ad-hoc group. ChatGUID replaces it for a group a relay reported.
	To       []string
	ChatGUID string
}

// Outbox returns up to limit messages due for dispatch (accepted, not yet accepted by
// their relay or Twilio, and not waiting for a retry), the earliest due first (SPEC §7:
// dispatch happens after the commit, at least once).
func (e *Engine) Outbox(ctx context.Context, limit int) ([]Dispatch, error) {
	var out []Dispatch
	err := e.update(ctx, func(tx Tx) error {
		msgs, err := tx.PendingMessages(e.now(), limit)
		if err != nil {
			return err
		}
		out = make([]Dispatch, 0, len(msgs))
		for _, m := range msgs {
			d := Dispatch{Message: m}
			if d.Number, err = tx.Number(m.Phone); err != nil {
				return err
			}
			switch d.Number.Provider {
			case ProviderBlooio:
				d.Relay, err = tx.Relay(d.Number.RelayID)
			default:
				d.Integration, err = tx.Integration(d.Number.IntegrationID)
				if err == ErrNotFound {
					err = nil // a Twilio number registered without an integration: the sender fails it
				}
			}
			if err != nil {
				return err
			}
			if strings.HasPrefix(m.Recipient, "grp_") {
				g, err := tx.Group(m.Recipient)
				if err != nil {
					return err
				}
				if d.ChatGUID = g.ChatGUID; d.ChatGUID == "" {
					d.To = g.Participants
				}
			} else {
				d.To = []string{m.Recipient}
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// MarkDispatched records that a message's relay or Twilio accepted it: it leaves the
// outbox. externalRef is the provider's id (a Twilio SID), if any.
//
// Errors: message_not_found.
func (e *Engine) MarkDispatched(ctx context.Context, messageID, externalRef string) error {
	return e.updateOutbound(ctx, messageID, func(m *Message) {
		m.Dispatched = true
		if externalRef != "" {
			m.ExternalRef = externalRef
		}
	})
}

// RetryDispatch records a failed dispatch attempt that may succeed later: the message
// stays in the outbox and is due again at at.
//
// Errors: message_not_found.
func (e *Engine) RetryDispatch(ctx context.Context, messageID string, at time.Time) error {
	return e.updateOutbound(ctx, messageID, func(m *Message) {
		m.Attempts++
		m.NextAttemptAt = at
	})
}

func (e *Engine) updateOutbound(ctx context.Context, messageID string, change func(*Message)) error {
	return e.update(ctx, func(tx Tx) error {
		m, err := tx.Message(messageID)
		if err != nil || m.Direction != Outbound {
			return notFound(orNotFound(err), CodeMessageNotFound, "no outbound message %s", messageID)
		}
		change(&m)
		return tx.PutMessage(m)
	})
}

// RelayLines is a relay with the numbers on its lines.
type RelayLines struct {
	Relay Relay
	Lines []Number
}

// OfflineRelays lists the relays that have at least one offline line, with all their
// lines: the relays the engine polls until they are back (POOL-HEALTH-2).
func (e *Engine) OfflineRelays(ctx context.Context) ([]RelayLines, error) {
	var out []RelayLines
	err := e.view(ctx, func(tx Tx) error {
		relays, err := tx.Relays()
		if err != nil {
			return err
		}
		for _, r := range relays {
			lines, err := tx.NumbersOnRelay(r.ID)
			if err != nil {
				return err
			}
			for _, n := range lines {
				if n.Offline {
					out = append(out, RelayLines{Relay: r, Lines: lines})
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// IntegrationSpec connects an organization's Twilio account (SPEC §6).
type IntegrationSpec struct {
	OrgID        string
	AccountSID   string
	APIKeySID    string
	APIKeySecret string
	AuthToken    string
}

// CreateIntegration stores a Twilio integration with a fresh callback URL token. The
// caller checks the credentials with Twilio first.
//
// Errors: invalid_request, org_not_found.
func (e *Engine) CreateIntegration(ctx context.Context, s IntegrationSpec) (Integration, error) {
	if !twilioSID(s.AccountSID, "AC") || !twilioSID(s.APIKeySID, "SK") || s.APIKeySecret == "" {
		return Integration{}, Errorf(CodeInvalidRequest, "account_sid (AC…), api_key_sid (SK…) and api_key_secret are required")
	}
	var raw [16]byte
	if _, err := io.ReadFull(e.entropy, raw[:]); err != nil {
		return Integration{}, err
	}
	in := Integration{OrgID: s.OrgID, AccountSID: s.AccountSID, APIKeySID: s.APIKeySID, APIKeySecret: s.APIKeySecret,
		AuthToken: s.AuthToken, Token: hex.EncodeToString(raw[:])}
	err := e.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(s.OrgID); err != nil {
			return notFound(err, CodeOrgNotFound, "no organization %s", s.OrgID)
		}
		in.ID, in.CreatedAt = e.ids.NewID("int"), e.now()
		return tx.PutIntegration(in)
	})
	return in, err
}

// twilioSID reports whether s looks like a Twilio SID with prefix: two letters and 32
// letters or digits (Twilio's credentials are alphanumeric).
func twilioSID(s, prefix string) bool {
	return len(s) == 34 && strings.HasPrefix(s, prefix) && isAlnum(s[2:])
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Integration returns a Twilio integration of an organization.
//
// Errors: integration_not_found (also for another organization's).
func (e *Engine) Integration(ctx context.Context, orgID, id string) (Integration, error) {
	var in Integration
	err := e.view(ctx, func(tx Tx) error {
		var err error
		in, err = tx.Integration(id)
		if err == nil && orgID != "" && in.OrgID != orgID {
			err = ErrNotFound
		}
		return notFound(err, CodeIntegrationNotFound, "no Twilio integration %s", id)
	})
	return in, err
}

// ImportNumbers registers numbers of a Twilio integration's account as Twilio numbers of
// its organization (plan kind dedicated), all or nothing. The caller checks with Twilio
// that the account owns them.
//
// Errors: invalid_request, integration_not_found, number_already_registered.
func (e *Engine) ImportNumbers(ctx context.Context, integrationID string, phones []string) ([]Number, error) {
	if len(phones) == 0 || len(phones) > 1000 {
		return nil, Errorf(CodeInvalidRequest, "phone_numbers must list 1 to 1000 numbers")
	}
	phones = uniqueInOrder(phones)
	var out []Number
	err := e.update(ctx, func(tx Tx) error {
		in, err := tx.Integration(integrationID)
		if err != nil {
			return notFound(err, CodeIntegrationNotFound, "no Twilio integration %s", integrationID)
		}
		out = make([]Number, 0, len(phones))
		for _, p := range phones {
			n := Number{Phone: p, OrgID: in.OrgID, Provider: ProviderTwilio, IntegrationID: in.ID,
				PlanKind: PlanDedicated, Weight: 1, CreatedAt: e.now()}
			if err := validateNumber(&n); err != nil {
				return err
			}
			if _, err := tx.Number(p); err != ErrNotFound {
				if err == nil {
					return Errorf(CodeNumberAlreadyRegistered, "number %s is already registered", p)
				}
				return err
			}
			if err := tx.PutNumber(n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}
