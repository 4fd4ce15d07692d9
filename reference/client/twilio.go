package client

import (
	"context"
	"net/http"
)

// CreateTwilioIntegrationRequest is the body of POST
// /admin/v1/orgs/{org}/integrations/twilio; AuthToken is optional.
type CreateTwilioIntegrationRequest struct {
	AccountSID   string `json:"account_sid"`
	APIKeySID    string `json:"api_key_sid"`
	APIKeySecret string `json:"api_key_secret"`
	AuthToken    string `json:"auth_token,omitempty"`
}

// TwilioIntegration is a Twilio integration (its secrets are never echoed).
type TwilioIntegration struct {
	IntegrationID  string `json:"integration_id"`
	OrganizationID string `json:"organization_id"`
	AccountSID     string `json:"account_sid"`
	CreatedAt      int64  `json:"created_at"`
}

// CreateTwilioIntegration connects a Twilio account to an organization; the server checks
// the credentials with Twilio first.
func (c *Client) CreateTwilioIntegration(ctx context.Context, orgID string, req CreateTwilioIntegrationRequest) (TwilioIntegration, error) {
	var out TwilioIntegration
	_, err := c.call(ctx, AuthAdmin, http.MethodPost, "/admin/v1/orgs/"+PathEscape(orgID)+"/integrations/twilio", nil, req, &out)
	return out, err
}

// TwilioAccountNumber is a number of an integration's Twilio account.
type TwilioAccountNumber struct {
	PhoneNumber  string `json:"phone_number"`
	SID          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
	Imported     bool   `json:"imported"`
}

// TwilioNumbers lists every number of an integration's Twilio account.
func (c *Client) TwilioNumbers(ctx context.Context, orgID, integrationID string) ([]TwilioAccountNumber, error) {
	var out struct {
		Numbers []TwilioAccountNumber `json:"numbers"`
	}
	_, err := c.call(ctx, AuthAdmin, http.MethodGet,
		"/admin/v1/orgs/"+PathEscape(orgID)+"/integrations/twilio/"+PathEscape(integrationID)+"/numbers", nil, nil, &out)
	return out.Numbers, err
}

// ImportTwilioNumbers registers numbers of an integration's Twilio account as Twilio
// numbers of the organization, all or nothing.
func (c *Client) ImportTwilioNumbers(ctx context.Context, orgID, integrationID string, phones []string) ([]Number, error) {
	in := struct {
		PhoneNumbers []string `json:"phone_numbers"`
	}{phones}
	var out struct {
		Numbers []Number `json:"numbers"`
	}
	_, err := c.call(ctx, AuthAdmin, http.MethodPost,
		"/admin/v1/orgs/"+PathEscape(orgID)+"/integrations/twilio/"+PathEscape(integrationID)+"/import", nil, in, &out)
	return out.Numbers, err
}
