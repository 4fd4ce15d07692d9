package twiliosig_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/internal/twiliosig"
)

// TestSign uses twilio-go's own test vector.
func TestSign(t *testing.T) {
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	params := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	const want = "vOEb5UThFn24KEfnOFLQY2AE5FY="
	require.Equal(t, want, twiliosig.Sign("12345", u, params))
	require.True(t, twiliosig.Valid("12345", u, params, want))
	require.False(t, twiliosig.Valid("54321", u, params, want), "another auth token")
	require.False(t, twiliosig.Valid("12345", u+"&baz=3", params, want), "another URL")
	params.Set("Reason", "other")
	require.False(t, twiliosig.Valid("12345", u, params, want), "another parameter value")
	require.False(t, twiliosig.Valid("12345", u, params, ""), "no signature")
}
