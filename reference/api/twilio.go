package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	twilioapi "github.com/twilio/twilio-go/rest/api/v2010"

	"poolkit/internal/twilioclient"
	"poolkit/internal/twiliosig"
	"poolkit/reference/pool"
)

// TwilioSignatureHeader carries Twilio's signature of a webhook (SPEC §7).
const TwilioSignatureHeader = twiliosig.Header

// twilioAdmin serves the Twilio integration routes of the admin API (SPEC §6); every call
// to Twilio goes through twilio-go.
type twilioAdmin struct {
	e         *pool.Engine
	baseURL   string
	hc        *http.Client
	publicURL string
}

func newTwilioAdmin(e *pool.Engine, o Options) *twilioAdmin {
	return &twilioAdmin{e: e, baseURL: o.TwilioURL, hc: o.TwilioHTTPClient, publicURL: strings.TrimSuffix(o.PublicURL, "/")}
}

func (t *twilioAdmin) client(in pool.Integration) *twilio.RestClient {
	return twilioclient.New(t.baseURL, in.AccountSID, in.APIKeySID, in.APIKeySecret, t.hc)
}

// twilioError maps an error of a twilio-go call: Twilio refusing the credentials (401,
// 403, or 404 for an account they do not reach) → twilio_auth_failed; no answer, 429 or
// 5xx → twilio_unavailable.
func twilioError(err error) error {
	var te *twclient.TwilioRestError
	if errors.As(err, &te) && te.Status >= 400 && te.Status < 500 && te.Status != http.StatusTooManyRequests {
		if te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden || te.Status == http.StatusNotFound {
			return pool.Errorf(pool.CodeTwilioAuthFailed, "Twilio rejected the credentials (HTTP %d, code %d)", te.Status, te.Code)
		}
		return pool.Errorf(pool.CodeTwilioUnavailable, "Twilio answered HTTP %d, code %d", te.Status, te.Code)
	}
	if errors.As(err, &te) {
		return pool.Errorf(pool.CodeTwilioUnavailable, "Twilio is unavailable (HTTP %d)", te.Status)
	}
	return pool.Errorf(pool.CodeTwilioUnavailable, "Twilio could not be reached")
}

// handleCreate serves POST /admin/v1/orgs/{org}/integrations/twilio: the credentials are
// checked by listing one page of the account's IncomingPhoneNumbers, then stored. The
// secrets are never echoed.
func (t *twilioAdmin) handleCreate() http.Handler {
	type request struct {
		AccountSID   string `json:"account_sid"`
		APIKeySID    string `json:"api_key_sid"`
		APIKeySecret string `json:"api_key_secret"`
		AuthToken    string `json:"auth_token"`
	}
	type response struct {
		IntegrationID  string `json:"integration_id"`
		OrganizationID string `json:"organization_id"`
		AccountSID     string `json:"account_sid"`
		CreatedAt      int64  `json:"created_at"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		orgID := r.PathValue("org")
		if _, err := t.e.Org(r.Context(), orgID); err != nil {
			encodeError(w, r, err)
			return
		}
		if !twilioSID(req.AccountSID, "AC") || !twilioSID(req.APIKeySID, "SK") || !alnum(req.APIKeySecret) ||
			(req.AuthToken != "" && !alnum(req.AuthToken)) {
			encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest,
				"account_sid (AC…), api_key_sid (SK…) and api_key_secret are required; secrets are alphanumeric"))
			return
		}
		spec := pool.IntegrationSpec{OrgID: orgID, AccountSID: req.AccountSID, APIKeySID: req.APIKeySID,
			APIKeySecret: req.APIKeySecret, AuthToken: req.AuthToken}
		c := t.client(pool.Integration{AccountSID: spec.AccountSID, APIKeySID: spec.APIKeySID, APIKeySecret: spec.APIKeySecret})
		if _, err := c.Api.PageIncomingPhoneNumber(new(twilioapi.ListIncomingPhoneNumberParams).SetPageSize(1), "", ""); err != nil {
			encodeError(w, r, twilioError(err))
			return
		}
		in, err := t.e.CreateIntegration(r.Context(), spec)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, response{IntegrationID: in.ID, OrganizationID: in.OrgID,
			AccountSID: in.AccountSID, CreatedAt: millis(in.CreatedAt)})
	})
}

func twilioSID(s, prefix string) bool {
	return len(s) == 34 && strings.HasPrefix(s, prefix) && alnum(s[2:])
}

func alnum(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// twilioNumberJSON is a number of the Twilio account as the admin API lists it.
type twilioNumberJSON struct {
	PhoneNumber  string `json:"phone_number"`
	SID          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
	Imported     bool   `json:"imported"`
}

// accountNumbers lists every IncomingPhoneNumber of the integration's account, all pages.
func (t *twilioAdmin) accountNumbers(in pool.Integration) ([]twilioapi.ApiV2010IncomingPhoneNumber, error) {
	nums, err := t.client(in).Api.ListIncomingPhoneNumber(new(twilioapi.ListIncomingPhoneNumberParams).SetPageSize(50))
	if err != nil {
		return nil, twilioError(err)
	}
	return nums, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// handleNumbers serves GET /admin/v1/orgs/{org}/integrations/twilio/{id}/numbers.
func (t *twilioAdmin) handleNumbers() http.Handler {
	type response struct {
		Numbers []twilioNumberJSON `json:"numbers"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := t.e.Integration(r.Context(), r.PathValue("org"), r.PathValue("id"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		nums, err := t.accountNumbers(in)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		out := response{Numbers: make([]twilioNumberJSON, 0, len(nums))}
		for _, n := range nums {
			phone := str(n.PhoneNumber)
			reg, err := t.e.Number(r.Context(), phone)
			if err != nil && pool.ErrorCode(err) != pool.CodeNumberNotFound {
				encodeError(w, r, err)
				return
			}
			imported := err == nil && reg.Provider == pool.ProviderTwilio && reg.IntegrationID == in.ID
			out.Numbers = append(out.Numbers, twilioNumberJSON{PhoneNumber: phone, SID: str(n.Sid),
				FriendlyName: str(n.FriendlyName), Imported: imported})
		}
		encode(w, r, http.StatusOK, out)
	})
}

// inboundWebhook is the incoming-message webhook URL of an integration.
func inboundWebhook(publicURL string, in pool.Integration) string {
	return publicURL + "/twilio/v1/inbound/" + url.PathEscape(in.ID) + "/" + url.PathEscape(in.Token)
}

// handleImport serves POST /admin/v1/orgs/{org}/integrations/twilio/{id}/import: every
// number must belong to the Twilio account; they are registered all or nothing, then
// each one's SmsUrl is pointed at the engine's inbound webhook (when PublicURL is set).
func (t *twilioAdmin) handleImport() http.Handler {
	type request struct {
		PhoneNumbers []string `json:"phone_numbers"`
	}
	type response struct {
		Numbers []numberAdminJSON `json:"numbers"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		if len(req.PhoneNumbers) == 0 || len(req.PhoneNumbers) > 1000 {
			encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest, "phone_numbers must list 1 to 1000 numbers"))
			return
		}
		in, err := t.e.Integration(r.Context(), r.PathValue("org"), r.PathValue("id"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		nums, err := t.accountNumbers(in)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		sidOf := map[string]string{}
		for _, n := range nums {
			sidOf[str(n.PhoneNumber)] = str(n.Sid)
		}
		for _, p := range req.PhoneNumbers {
			if _, ok := sidOf[p]; !ok {
				pe := pool.Errorf(pool.CodeNumberNotFound, "%s is not a number of Twilio account %s", p, in.AccountSID)
				pe.Fields = []pool.Field{{Name: "phone_number", Value: p}}
				encodeError(w, r, pe)
				return
			}
		}
		imported, err := t.e.ImportNumbers(r.Context(), in.ID, req.PhoneNumbers)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		if t.publicURL != "" {
			c := t.client(in)
			hook := inboundWebhook(t.publicURL, in)
			for _, n := range imported {
				params := new(twilioapi.UpdateIncomingPhoneNumberParams).SetSmsUrl(hook).SetSmsMethod(http.MethodPost)
				if _, err := c.Api.UpdateIncomingPhoneNumber(sidOf[n.Phone], params); err != nil {
					// The numbers are imported; inbound SMS wait for a webhook set by hand.
					infoOf(r).err = err
				}
			}
		}
		out := response{Numbers: make([]numberAdminJSON, 0, len(imported))}
		for _, n := range imported {
			out.Numbers = append(out.Numbers, toNumberAdminJSON(n))
		}
		encode(w, r, http.StatusCreated, out)
	})
}

var errTwilioForbidden = &pool.Error{Code: CodeForbidden, Message: "Unknown integration, wrong URL token or invalid X-Twilio-Signature"}

// verifyTwilio authenticates a Twilio webhook: the integration must exist, the URL token
// must be its token (constant-time), and with an auth token X-Twilio-Signature must be
// Twilio's signature of the full URL (PublicURL, or the request's own scheme and host,
// plus the path and query as sent) and the form. It parses the form.
func verifyTwilio(e *pool.Engine, publicURL string, w http.ResponseWriter, r *http.Request) (pool.Integration, error) {
	in, err := e.Integration(r.Context(), "", r.PathValue("integration"))
	if pool.ErrorCode(err) == pool.CodeIntegrationNotFound {
		return in, errTwilioForbidden
	}
	if err != nil {
		return in, err
	}
	if subtle.ConstantTimeCompare([]byte(r.PathValue("token")), []byte(in.Token)) != 1 {
		return in, errTwilioForbidden
	}
	if r.ContentLength > MaxBodyBytes {
		return in, errTooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return in, errTooLarge
		}
		return in, pool.Errorf(pool.CodeInvalidRequest, "the body is not a form")
	}
	if in.AuthToken == "" {
		return in, nil
	}
	base := strings.TrimSuffix(publicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI()
	}
	if !twiliosig.Valid(in.AuthToken, base+target, r.PostForm, r.Header.Get(TwilioSignatureHeader)) {
		return in, errTwilioForbidden
	}
	return in, nil
}

// twilioStatuses maps Twilio's message statuses to the engine's; "" ignores one.
var twilioStatuses = map[string]pool.Status{
	"sent":        pool.StatusSent,
	"delivered":   pool.StatusDelivered,
	"failed":      pool.StatusFailed,
	"undelivered": pool.StatusFailed,
}

// handleTwilioStatus serves POST /twilio/v1/status/{integration_id}/{token}?message_id=…:
// Twilio's status callback of a message the engine created. queued, accepted, sending and
// any other non-final status of Twilio's are acknowledged and ignored.
func handleTwilioStatus(e *pool.Engine, publicURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := verifyTwilio(e, publicURL, w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		messageID := r.URL.Query().Get("message_id")
		status, known := twilioStatuses[strings.ToLower(r.PostForm.Get("MessageStatus"))]
		if !known || messageID == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		code := ""
		if status == pool.StatusFailed {
			code = "twilio_" + r.PostForm.Get("ErrorCode")
			if r.PostForm.Get("ErrorCode") == "" {
				code = "twilio_" + strings.ToLower(r.PostForm.Get("MessageStatus"))
			}
		}
		// Only messages sent from this integration's numbers: one account's callbacks
		// cannot touch another's messages.
		if err := e.RecordStatusFrom(r.Context(), pool.Reporter{IntegrationID: in.ID}, messageID, status, code); err != nil {
			encodeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// emptyTwiML answers an incoming-message webhook: no reply.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// handleTwilioInbound serves POST /twilio/v1/inbound/{integration_id}/{token}: Twilio's
// incoming-message webhook for a number of the integration (POOL-TWILIO-2).
func handleTwilioInbound(e *pool.Engine, publicURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := verifyTwilio(e, publicURL, w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		f := r.PostForm
		to := f.Get("To")
		num, err := e.Number(r.Context(), to)
		if err == nil && num.IntegrationID != in.ID {
			err = pool.Errorf(pool.CodeNumberNotFound, "%s is not a number of this integration", to)
		}
		if err != nil {
			encodeError(w, r, err)
			return
		}
		if _, err := e.RecordInbound(r.Context(), pool.InboundMessage{Phone: to, From: f.Get("From"), Text: f.Get("Body"),
			ExternalRef: f.Get("MessageSid")}); err != nil {
			encodeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(emptyTwiML))
	})
}
