package client

import (
	"context"
	"net/http"
)

// HealthSettings are an organization's health thresholds.
type HealthSettings struct {
	Window       int     `json:"window"`
	MinSamples   int     `json:"min_samples"`
	DegradeBelow float64 `json:"degrade_below"`
	RecoverAt    float64 `json:"recover_at"`
}

// HealthPatch sets some health thresholds; nil fields keep their value.
type HealthPatch struct {
	Window       *int     `json:"window,omitempty"`
	MinSamples   *int     `json:"min_samples,omitempty"`
	DegradeBelow *float64 `json:"degrade_below,omitempty"`
	RecoverAt    *float64 `json:"recover_at,omitempty"`
}

// CreateOrgRequest is the body of POST /admin/v1/orgs.
type CreateOrgRequest struct {
	Name             string       `json:"name"`
	Strategy         string       `json:"strategy,omitempty"`
	StickyTTLSeconds *int64       `json:"sticky_ttl_seconds,omitempty"`
	Health           *HealthPatch `json:"health,omitempty"`
}

// UpdateOrgRequest is the body of PATCH /admin/v1/orgs/{org}; nil fields keep their value.
type UpdateOrgRequest struct {
	Strategy         *string      `json:"strategy,omitempty"`
	StickyTTLSeconds *int64       `json:"sticky_ttl_seconds,omitempty"`
	Health           *HealthPatch `json:"health,omitempty"`
}

// Org is an organization.
type Org struct {
	OrganizationID   string         `json:"organization_id"`
	Name             string         `json:"name"`
	Strategy         string         `json:"strategy"`
	StickyTTLSeconds int64          `json:"sticky_ttl_seconds"`
	Health           HealthSettings `json:"health"`
	CreatedAt        int64          `json:"created_at"`
}

// CreateOrg creates an organization.
func (c *Client) CreateOrg(ctx context.Context, req CreateOrgRequest) (Org, error) {
	var out Org
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/orgs", nil, req, &out)
	return out, err
}

// Org returns an organization.
func (c *Client) Org(ctx context.Context, orgID string) (Org, error) {
	var out Org
	_, err := c.call(ctx, AuthAdmin, http.MethodGet, "/admin/v1/orgs/"+PathEscape(orgID), nil, nil, &out)
	return out, err
}

// UpdateOrg changes an organization's strategy, sticky TTL or health thresholds.
func (c *Client) UpdateOrg(ctx context.Context, orgID string, req UpdateOrgRequest) (Org, error) {
	var out Org
	_, err := c.call(ctx, AuthAdmin, http.MethodPatch, "/admin/v1/orgs/"+PathEscape(orgID), nil, req, &out)
	return out, err
}

// CreatedKey is a new API key; APIKey, its secret, is never shown again.
type CreatedKey struct {
	KeyID          string  `json:"key_id"`
	APIKey         string  `json:"api_key"`
	Name           string  `json:"name"`
	OrganizationID string  `json:"organization_id"`
	Protocol       *string `json:"protocol"`
	CreatedAt      int64   `json:"created_at"`
}

// CreateKey creates an API key in an organization.
func (c *Client) CreateKey(ctx context.Context, orgID, name string) (CreatedKey, error) {
	var out CreatedKey
	in := struct {
		Name string `json:"name"`
	}{name}
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/orgs/"+PathEscape(orgID)+"/keys", nil, in, &out)
	return out, err
}

// RevokeKey revokes an API key.
func (c *Client) RevokeKey(ctx context.Context, keyID string) error {
	_, err := c.call(ctx, AuthAdmin, http.MethodDelete, "/admin/v1/keys/"+PathEscape(keyID), nil, nil, nil)
	return err
}

// KeyNumbers returns a key's pool, as the key sees it in /me/numbers.
func (c *Client) KeyNumbers(ctx context.Context, keyID string) (PoolNumbers, error) {
	var out PoolNumbers
	_, err := c.call(ctx, AuthAdmin, http.MethodGet, "/admin/v1/keys/"+PathEscape(keyID)+"/numbers", nil, nil, &out)
	return out, err
}

// AssignRequest is the body of POST /admin/v1/keys/{key}/numbers.
type AssignRequest struct {
	PhoneNumbers []string `json:"phone_numbers"`
	PlanKind     string   `json:"plan_kind,omitempty"`
	Weight       *int     `json:"weight,omitempty"`
}

// Allocation is a number assigned to a key.
type Allocation struct {
	AllocationID string `json:"allocation_id"`
	PhoneNumber  string `json:"phone_number"`
	PlanKind     string `json:"plan_kind"`
	Weight       int    `json:"weight"`
	Position     int    `json:"position"`
}

// Allocations are the allocations of an assignment's numbers, in request order.
type Allocations struct {
	Allocations []Allocation `json:"allocations"`
}

// AssignNumbers assigns numbers to a key, all or nothing.
func (c *Client) AssignNumbers(ctx context.Context, keyID string, req AssignRequest) (Allocations, error) {
	var out Allocations
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/keys/"+PathEscape(keyID)+"/numbers", nil, req, &out)
	return out, err
}

// UnassignNumber removes a number from a key's pool.
func (c *Client) UnassignNumber(ctx context.Context, keyID, phone string) error {
	path := "/admin/v1/keys/" + PathEscape(keyID) + "/numbers/" + PathEscape(phone)
	_, err := c.call(ctx, AuthAdmin, http.MethodDelete, path, nil, nil, nil)
	return err
}

// RegisterRelayRequest is the body of POST /admin/v1/relays.
type RegisterRelayRequest struct {
	RelayID string `json:"relay_id"`
	URL     string `json:"url"`
	Secret  string `json:"secret"`
}

// Relay is a registered Mac relay (its secret is never echoed).
type Relay struct {
	RelayID string `json:"relay_id"`
	URL     string `json:"url"`
}

// RegisterRelay registers a Mac relay.
func (c *Client) RegisterRelay(ctx context.Context, req RegisterRelayRequest) (Relay, error) {
	var out Relay
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/relays", nil, req, &out)
	return out, err
}

// RegisterNumberRequest is the body of POST /admin/v1/orgs/{org}/numbers. Provider is
// "blooio" (the default; RelayID and LineSlot required) or "twilio".
type RegisterNumberRequest struct {
	PhoneNumber string `json:"phone_number"`
	Provider    string `json:"provider,omitempty"`
	RelayID     string `json:"relay_id,omitempty"`
	LineSlot    *int   `json:"line_slot,omitempty"`
	PlanKind    string `json:"plan_kind,omitempty"`
	Weight      *int   `json:"weight,omitempty"`
}

// Number is a registered number.
type Number struct {
	PhoneNumber    string  `json:"phone_number"`
	OrganizationID string  `json:"organization_id"`
	Provider       string  `json:"provider"`
	RelayID        *string `json:"relay_id"`
	LineSlot       *int    `json:"line_slot"`
	PlanKind       string  `json:"plan_kind"`
	Weight         int     `json:"weight"`
	Health         string  `json:"health"`
	CreatedAt      int64   `json:"created_at"`
}

// RegisterNumber registers a number in an organization.
func (c *Client) RegisterNumber(ctx context.Context, orgID string, req RegisterNumberRequest) (Number, error) {
	var out Number
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/orgs/"+PathEscape(orgID)+"/numbers", nil, req, &out)
	return out, err
}

// UpdateNumberRequest is the body of PATCH /admin/v1/numbers/{phone}; Health is "banned"
// or "active" (lifts a ban).
type UpdateNumberRequest struct {
	PlanKind *string `json:"plan_kind,omitempty"`
	Weight   *int    `json:"weight,omitempty"`
	Health   *string `json:"health,omitempty"`
}

// UpdateNumber changes a number's plan kind, weight or ban.
func (c *Client) UpdateNumber(ctx context.Context, phone string, req UpdateNumberRequest) (Number, error) {
	var out Number
	_, err := c.call(ctx, AuthAdmin, http.MethodPatch, "/admin/v1/numbers/"+PathEscape(phone), nil, req, &out)
	return out, err
}

// NumberHealth is a number's health and delivery window.
type NumberHealth struct {
	PhoneNumber string `json:"phone_number"`
	Status      string `json:"status"`
	// DeliveredRatio is nil while the window has no samples.
	DeliveredRatio *float64 `json:"delivered_ratio"`
	Samples        int      `json:"samples"`
	Window         int      `json:"window"`
}

// NumberHealth returns a number's health.
func (c *Client) NumberHealth(ctx context.Context, phone string) (NumberHealth, error) {
	var out NumberHealth
	_, err := c.call(ctx, AuthAdmin, http.MethodGet, "/admin/v1/numbers/"+PathEscape(phone)+"/health", nil, nil, &out)
	return out, err
}

// Binding is a conversation's sticky binding.
type Binding struct {
	Recipient    string `json:"recipient"`
	AllocationID string `json:"allocation_id"`
	PhoneNumber  string `json:"phone_number"`
	UpdatedAt    int64  `json:"updated_at"`
}

// Binding returns the sticky binding of a key's conversation with recipient.
func (c *Client) Binding(ctx context.Context, keyID, recipient string) (Binding, error) {
	var out Binding
	path := "/admin/v1/keys/" + PathEscape(keyID) + "/bindings/" + PathEscape(recipient)
	_, err := c.call(ctx, AuthAdmin, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// ResetBinding removes the sticky binding of a key's conversation with recipient.
func (c *Client) ResetBinding(ctx context.Context, keyID, recipient string) error {
	path := "/admin/v1/keys/" + PathEscape(keyID) + "/bindings/" + PathEscape(recipient)
	_, err := c.call(ctx, AuthAdmin, http.MethodDelete, path, nil, nil, nil)
	return err
}
