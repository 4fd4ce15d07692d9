// Package twiliosig is Twilio's request signature (X-Twilio-Signature) on form-encoded
// POSTs: the fake Twilio signs its callbacks and webhooks with it, and the reference
// verifies them with it.
package twiliosig

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Header is the name of the signature header.
const Header = "X-Twilio-Signature"

// Sign returns the signature Twilio puts on a form-encoded POST of params to url:
// base64(HMAC-SHA1(authToken, url + every parameter's name and value)), the parameters
// sorted by name (a repeated name's values sorted too). url is the full URL exactly as
// configured, query string included.
func Sign(authToken, url string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(url)
	for _, k := range names {
		values := slices.Clone(params[k])
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether sig is the signature of a POST of params to url signed with
// authToken, comparing in constant time.
func Valid(authToken, url string, params url.Values, sig string) bool {
	return subtle.ConstantTimeCompare([]byte(Sign(authToken, url, params)), []byte(sig)) == 1
}
