package twilio

import (
	"net/url"

	"poolkit/internal/twiliosig"
)

// Signature returns the X-Twilio-Signature Twilio puts on a form-encoded POST of params
// to url (see internal/twiliosig): the fake signs its status callbacks and webhooks with it.
func Signature(authToken, url string, params url.Values) string {
	return twiliosig.Sign(authToken, url, params)
}

// ValidSignature reports whether sig is the X-Twilio-Signature of a POST of params to
// url signed with authToken, comparing in constant time.
func ValidSignature(authToken, url string, params url.Values, sig string) bool {
	return twiliosig.Valid(authToken, url, params, sig)
}
