// Package twilioclient builds twilio-go clients whose requests go to a configurable base
// URL: Twilio's own (https://api.twilio.com) or a stand-in such as the fake Twilio.
// twilio-go has no base-URL option; the client's transport rewrites each request.
package twilioclient

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// ParseBaseURL checks that base ("" means DefaultBaseURL) is an absolute URL.
func ParseBaseURL(base string) (*url.URL, error) {
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errors.New("twilio base URL " + base + " is not an absolute URL")
	}
	return u, nil
}

// New returns a twilio-go client authenticated with an API key (keySID and keySecret as
// Basic auth, accountSID in the paths) whose requests go to baseURL ("" means
// DefaultBaseURL). hc supplies the transport and timeout (nil: http.DefaultTransport and
// 10 s). An invalid baseURL makes every request fail.
func New(baseURL, accountSID, keySID, keySecret string, hc *http.Client) *twilio.RestClient {
	var next http.RoundTripper = http.DefaultTransport
	timeout := 10 * time.Second
	if hc != nil {
		if hc.Transport != nil {
			next = hc.Transport
		}
		if hc.Timeout > 0 {
			timeout = hc.Timeout
		}
	}
	base, err := ParseBaseURL(baseURL)
	c := &client.Client{
		Credentials: client.NewCredentials(keySID, keySecret),
		HTTPClient: &http.Client{
			Transport: &Rewrite{Base: base, Err: err, Next: next},
			Timeout:   timeout,
			// Twilio redirects nothing of this API; following one would resend elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(accountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// Rewrite sends each request to Base: its scheme and host, its path as a prefix. With Err
// set it fails every request with Err.
type Rewrite struct {
	Base *url.URL
	Err  error
	Next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, t.Err
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.Base.Scheme, t.Base.Host, ""
	if p := strings.TrimSuffix(t.Base.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		r.URL.RawPath = ""
	}
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}
