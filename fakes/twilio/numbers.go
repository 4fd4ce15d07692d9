package twilio

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// rfc2822 is the layout of every date in Twilio's 2010-04-01 JSON, always in GMT.
const rfc2822 = time.RFC1123Z

// apiVersion is the API version of every resource.
const apiVersion = "2010-04-01"

// numberJSON is Twilio's IncomingPhoneNumber resource.
type numberJSON struct {
	AccountSid             string            `json:"account_sid"`
	AddressRequirements    string            `json:"address_requirements"`
	AddressSid             *string           `json:"address_sid"`
	APIVersion             string            `json:"api_version"`
	Beta                   bool              `json:"beta"`
	BundleSid              *string           `json:"bundle_sid"`
	Capabilities           map[string]bool   `json:"capabilities"`
	DateCreated            string            `json:"date_created"`
	DateUpdated            string            `json:"date_updated"`
	EmergencyAddressSid    *string           `json:"emergency_address_sid"`
	EmergencyAddressStatus string            `json:"emergency_address_status"`
	EmergencyStatus        string            `json:"emergency_status"`
	FriendlyName           string            `json:"friendly_name"`
	IdentitySid            *string           `json:"identity_sid"`
	Origin                 string            `json:"origin"`
	PhoneNumber            string            `json:"phone_number"`
	Sid                    string            `json:"sid"`
	SmsApplicationSid      string            `json:"sms_application_sid"`
	SmsFallbackMethod      string            `json:"sms_fallback_method"`
	SmsFallbackURL         string            `json:"sms_fallback_url"`
	SmsMethod              string            `json:"sms_method"`
	SmsURL                 string            `json:"sms_url"`
	Status                 string            `json:"status"`
	StatusCallback         string            `json:"status_callback"`
	StatusCallbackMethod   string            `json:"status_callback_method"`
	SubresourceURIs        map[string]string `json:"subresource_uris"`
	TrunkSid               *string           `json:"trunk_sid"`
	URI                    string            `json:"uri"`
	VoiceApplicationSid    *string           `json:"voice_application_sid"`
	VoiceCallerIDLookup    bool              `json:"voice_caller_id_lookup"`
	VoiceFallbackMethod    string            `json:"voice_fallback_method"`
	VoiceFallbackURL       *string           `json:"voice_fallback_url"`
	VoiceMethod            string            `json:"voice_method"`
	VoiceReceiveMode       string            `json:"voice_receive_mode"`
	VoiceURL               *string           `json:"voice_url"`
}

func (n *number) json(accountSid string) numberJSON {
	base := "/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers/" + n.Sid
	return numberJSON{
		AccountSid:             accountSid,
		AddressRequirements:    "none",
		APIVersion:             apiVersion,
		Capabilities:           map[string]bool{"fax": false, "mms": true, "sms": true, "voice": true},
		DateCreated:            n.created.Format(rfc2822),
		DateUpdated:            n.updated.Format(rfc2822),
		EmergencyAddressStatus: "unregistered",
		EmergencyStatus:        "Inactive",
		FriendlyName:           n.FriendlyName,
		Origin:                 "twilio",
		PhoneNumber:            n.PhoneNumber,
		Sid:                    n.Sid,
		SmsFallbackMethod:      "POST",
		SmsMethod:              "POST",
		SmsURL:                 n.SMSURL,
		Status:                 "in-use",
		StatusCallbackMethod:   "POST",
		SubresourceURIs:        map[string]string{"assigned_add_ons": base + "/AssignedAddOns.json"},
		URI:                    base + ".json",
		VoiceFallbackMethod:    "POST",
		VoiceMethod:            "POST",
		VoiceReceiveMode:       "voice",
	}
}

// handleListNumbers serves GET …/IncomingPhoneNumbers.json: the account's numbers in the
// order they were added, filtered by PhoneNumber (digits contained), FriendlyName (equal)
// and Origin (all are "twilio"; Beta changes nothing), paged as Twilio pages.
func (s *Server) handleListNumbers() http.Handler {
	type response struct {
		pageMeta
		IncomingPhoneNumbers []numberJSON `json:"incoming_phone_numbers"`
	}
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		q := r.URL.Query()
		s.recordUnknownParams(r, q, "PageSize", "Page", "PageToken", "PhoneNumber", "FriendlyName", "Origin", "Beta")
		filters := url.Values{}
		for _, k := range []string{"Beta", "FriendlyName", "Origin", "PhoneNumber"} {
			if v, ok := q[k]; ok {
				filters[k] = v
			}
		}
		s.mu.Lock()
		var match []*number
		var sids []string
		for _, n := range a.numbers {
			if numberMatches(n, q) {
				match = append(match, n)
				sids = append(sids, n.Sid)
			}
		}
		from, to, meta, e := paginate(r, sids, filters)
		resp := response{pageMeta: meta, IncomingPhoneNumbers: []numberJSON{}}
		if e == nil {
			for _, n := range match[from:to] {
				resp.IncomingPhoneNumbers = append(resp.IncomingPhoneNumbers, n.json(a.sid))
			}
		}
		s.mu.Unlock()
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

func numberMatches(n *number, q url.Values) bool {
	if v := q.Get("PhoneNumber"); v != "" && !strings.Contains(digits(n.PhoneNumber), digits(v)) {
		return false
	}
	if v := q.Get("FriendlyName"); v != "" && v != n.FriendlyName {
		return false
	}
	if v := q.Get("Origin"); v != "" && v != "twilio" {
		return false
	}
	return true
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// handleFetchNumber serves GET …/IncomingPhoneNumbers/{Sid}.json.
func (s *Server) handleFetchNumber() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		sid := fileSid(r)
		s.mu.Lock()
		n := a.numberBySidLocked(sid)
		var body numberJSON
		if n != nil {
			body = n.json(a.sid)
		}
		s.mu.Unlock()
		if n == nil {
			writeError(w, errNotFound(r))
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// handleUpdateNumber serves POST …/IncomingPhoneNumbers/{Sid}.json for the parameters the
// fake models: SmsUrl, SmsMethod (POST only) and FriendlyName. Others are recorded as
// unexpected and ignored.
func (s *Server) handleUpdateNumber() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request, a *Account) {
		sid := fileSid(r)
		form, e := parseForm(w, r)
		if e != nil {
			writeError(w, e)
			return
		}
		s.recordUnknownParams(r, form, "SmsUrl", "SmsMethod", "FriendlyName")
		if m := form.Get("SmsMethod"); m != "" && m != "POST" {
			s.recordUnexpected(r, "SmsMethod "+m+" is not modelled: the fake posts incoming-message webhooks")
		}
		smsURL, setURL := form["SmsUrl"]
		if setURL && smsURL[0] != "" && !isWebhookURL(smsURL[0]) {
			writeError(w, newError(http.StatusBadRequest, CodeInvalidURL, "SmsUrl is not valid: %s", smsURL[0]))
			return
		}
		s.mu.Lock()
		n := a.numberBySidLocked(sid)
		var body numberJSON
		if n != nil {
			if setURL {
				n.SMSURL = smsURL[0]
			}
			if name, ok := form["FriendlyName"]; ok {
				n.FriendlyName = name[0]
			}
			n.updated = s.now()
			body = n.json(a.sid)
		}
		s.mu.Unlock()
		if n == nil {
			writeError(w, errNotFound(r))
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// parseForm parses a form-encoded request body of at most 1 MiB.
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, *apiError) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, newError(http.StatusBadRequest, CodeInvalidParameter, "Invalid form body: %v", err)
	}
	return r.PostForm, nil
}

// isWebhookURL reports whether u is an absolute http(s) URL, what Twilio accepts for its
// webhooks and callbacks.
func isWebhookURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}
