package pool

import (
	"context"
	"time"

	"poolkit/reference/numbering"
)

// OrgSpec describes a new organization. Zero values take the SPEC's defaults.
type OrgSpec struct {
	Name      string
	Strategy  Strategy
	StickyTTL time.Duration
	Health    *HealthSettings
}

// CreateOrg creates an organization.
//
// Errors: invalid_request.
func (e *Engine) CreateOrg(ctx context.Context, spec OrgSpec) (Org, error) {
	org := Org{Name: spec.Name, Strategy: spec.Strategy, StickyTTL: spec.StickyTTL, Health: DefaultHealth}
	if org.Strategy == "" {
		org.Strategy = StrategyRoundRobin
	}
	if spec.Health != nil {
		org.Health = *spec.Health
	}
	if err := validateOrg(&org); err != nil {
		return Org{}, err
	}
	err := e.update(ctx, func(tx Tx) error {
		org.ID, org.CreatedAt = e.ids.NewID("org"), e.now()
		return tx.PutOrg(org)
	})
	return org, err
}

func validateOrg(o *Org) error {
	switch {
	case len(o.Name) > 200:
		return Errorf(CodeInvalidRequest, "name is longer than 200 bytes")
	case !o.Strategy.Valid():
		return Errorf(CodeInvalidRequest, "strategy must be round_robin, weighted or geographic")
	case o.StickyTTL < 0:
		return Errorf(CodeInvalidRequest, "sticky_ttl_seconds must not be negative")
	}
	return o.Health.Validate()
}

// OrgPatch changes an organization's settings; nil fields stay.
type OrgPatch struct {
	Strategy  *Strategy
	StickyTTL *time.Duration
	Health    *HealthSettings
}

// UpdateOrg changes an organization's strategy, sticky TTL or health thresholds.
//
// Errors: org_not_found, invalid_request.
func (e *Engine) UpdateOrg(ctx context.Context, id string, p OrgPatch) (Org, error) {
	var org Org
	err := e.update(ctx, func(tx Tx) error {
		var err error
		if org, err = tx.Org(id); err != nil {
			return notFound(err, CodeOrgNotFound, "no organization %s", id)
		}
		if p.Strategy != nil {
			org.Strategy = *p.Strategy
		}
		if p.StickyTTL != nil {
			org.StickyTTL = *p.StickyTTL
		}
		if p.Health != nil {
			org.Health = *p.Health
		}
		if err := validateOrg(&org); err != nil {
			return err
		}
		return tx.PutOrg(org)
	})
	return org, err
}

// Org returns an organization.
//
// Errors: org_not_found.
func (e *Engine) Org(ctx context.Context, id string) (Org, error) {
	var org Org
	err := e.view(ctx, func(tx Tx) error {
		var err error
		org, err = tx.Org(id)
		return notFound(err, CodeOrgNotFound, "no organization %s", id)
	})
	return org, err
}

// RegisterRelay registers a Mac relay.
//
// Errors: invalid_request, relay_already_registered.
func (e *Engine) RegisterRelay(ctx context.Context, r Relay) (Relay, error) {
	if r.ID == "" || len(r.ID) > 100 || !isToken(r.ID) {
		return Relay{}, Errorf(CodeInvalidRequest, "relay_id must be 1-100 letters, digits, '_' or '-'")
	}
	if r.URL == "" || r.Secret == "" {
		return Relay{}, Errorf(CodeInvalidRequest, "url and secret are required")
	}
	err := e.update(ctx, func(tx Tx) error {
		if _, err := tx.Relay(r.ID); err != ErrNotFound {
			if err == nil {
				return Errorf(CodeRelayAlreadyRegistered, "relay %s is already registered", r.ID)
			}
			return err
		}
		return tx.PutRelay(r)
	})
	return r, err
}

// Relay returns a registered relay.
//
// Errors: relay_not_found.
func (e *Engine) Relay(ctx context.Context, id string) (Relay, error) {
	var r Relay
	err := e.view(ctx, func(tx Tx) error {
		var err error
		r, err = tx.Relay(id)
		return notFound(err, CodeRelayNotFound, "no relay %s", id)
	})
	return r, err
}

// NumberSpec describes a number to register in an organization.
type NumberSpec struct {
	OrgID    string
	Phone    string
	Provider Provider
	// RelayID and LineSlot place a Blooio number on its iMessage line.
	RelayID  string
	LineSlot int
	// IntegrationID is the Twilio integration a Twilio number comes from.
	IntegrationID string
	// PlanKind defaults to dedicated, Weight to 1.
	PlanKind PlanKind
	Weight   *int
}

// RegisterNumber registers a Blooio or Twilio number in an organization.
//
// Errors: invalid_request, org_not_found, relay_not_found, number_already_registered,
// line_slot_taken.
func (e *Engine) RegisterNumber(ctx context.Context, s NumberSpec) (Number, error) {
	num := Number{
		Phone: s.Phone, OrgID: s.OrgID, Provider: s.Provider, RelayID: s.RelayID, LineSlot: s.LineSlot,
		IntegrationID: s.IntegrationID, PlanKind: s.PlanKind, Weight: 1,
	}
	if num.PlanKind == "" {
		num.PlanKind = PlanDedicated
	}
	if s.Weight != nil {
		num.Weight = *s.Weight
	}
	if err := validateNumber(&num); err != nil {
		return Number{}, err
	}
	if num.Provider == ProviderBlooio && (num.RelayID == "" || num.LineSlot < 0) {
		return Number{}, Errorf(CodeInvalidRequest, "a Blooio number needs relay_id and a line_slot >= 0")
	}
	err := e.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(num.OrgID); err != nil {
			return notFound(err, CodeOrgNotFound, "no organization %s", num.OrgID)
		}
		if _, err := tx.Number(num.Phone); err != ErrNotFound {
			if err == nil {
				return Errorf(CodeNumberAlreadyRegistered, "number %s is already registered", num.Phone)
			}
			return err
		}
		if num.Provider == ProviderBlooio {
			if _, err := tx.Relay(num.RelayID); err != nil {
				return notFound(err, CodeRelayNotFound, "no relay %s", num.RelayID)
			}
			if _, err := tx.NumberBySlot(num.RelayID, num.LineSlot); err != ErrNotFound {
				if err == nil {
					return Errorf(CodeLineSlotTaken, "relay %s already has a number in slot %d", num.RelayID, num.LineSlot)
				}
				return err
			}
		}
		num.CreatedAt = e.now()
		return tx.PutNumber(num)
	})
	return num, err
}

func validateNumber(n *Number) error {
	switch {
	case !numbering.ValidE164(n.Phone):
		return Errorf(CodeInvalidRequest, "phone_number must be an E.164 number")
	case n.Provider != ProviderBlooio && n.Provider != ProviderTwilio:
		return Errorf(CodeInvalidRequest, "provider must be blooio or twilio")
	case !n.PlanKind.Valid():
		return Errorf(CodeInvalidRequest, "plan_kind must be shared, dedicated, inbound, trial or 2fa")
	case n.Provider == ProviderTwilio && n.PlanKind == PlanInbound:
		return Errorf(CodeInvalidRequest, "Twilio numbers cannot be inbound")
	case n.Weight < 0 || n.Weight > 1000:
		return Errorf(CodeInvalidRequest, "weight must be between 0 and 1000")
	}
	return nil
}

// NumberPatch changes a number; nil fields stay. Health may be HealthBanned (ban) or
// HealthActive (lift a ban, and nothing else).
type NumberPatch struct {
	PlanKind *PlanKind
	Weight   *int
	Health   *Health
}

// UpdateNumber changes a number's plan kind, weight, or ban (POOL-HEALTH-3). A ban drops
// every binding to the number.
//
// Errors: number_not_found, invalid_request.
func (e *Engine) UpdateNumber(ctx context.Context, phone string, p NumberPatch) (Number, error) {
	var num Number
	err := e.update(ctx, func(tx Tx) error {
		var err error
		if num, err = tx.Number(phone); err != nil {
			return notFound(err, CodeNumberNotFound, "number %s is not registered", phone)
		}
		if p.PlanKind != nil {
			num.PlanKind = *p.PlanKind
		}
		if p.Weight != nil {
			num.Weight = *p.Weight
		}
		if err := validateNumber(&num); err != nil {
			return err
		}
		if p.Health == nil {
			return tx.PutNumber(num)
		}
		switch *p.Health {
		case HealthBanned:
			num.Banned = true
			return e.ban(tx, num)
		case HealthActive:
			num.Banned = false
			return tx.PutNumber(num)
		}
		return Errorf(CodeInvalidRequest, `health must be "active" or "banned"`)
	})
	return num, err
}

// Number returns a registered number.
//
// Errors: number_not_found.
func (e *Engine) Number(ctx context.Context, phone string) (Number, error) {
	var num Number
	err := e.view(ctx, func(tx Tx) error {
		var err error
		num, err = tx.Number(phone)
		return notFound(err, CodeNumberNotFound, "number %s is not registered", phone)
	})
	return num, err
}
