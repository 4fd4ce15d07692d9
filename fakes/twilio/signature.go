package twilio

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

// Signature returns the X-Twilio-Signature Twilio puts on a form-encoded POST of params
// to url: base64(HMAC-SHA1(authToken, url + every parameter's name and value)), the
// parameters sorted by name (a repeated name's values sorted too). url is the full URL
// exactly as configured, query string included.
func Signature(authToken, url string, params url.Values) string {
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

// ValidSignature reports whether sig is the X-Twilio-Signature of a POST of params to
// url signed with authToken, comparing in constant time.
func ValidSignature(authToken, url string, params url.Values, sig string) bool {
	want := Signature(authToken, url, params)
	return subtle.ConstantTimeCompare([]byte(want), []byte(sig)) == 1
}
