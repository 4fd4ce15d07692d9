package twilio_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	twilio "poolkit/fakes/twilio"
)

// statuses returns the MessageStatus of each callback, requiring each to be signed with
// the account's auth token and to describe message sid.
func statuses(t *testing.T, h *hook, sid string) []string {
	t.Helper()
	var out []string
	for _, req := range h.requests() {
		requireSigned(t, authToken, req)
		require.Equal(t, sid, req.Form.Get("MessageSid"))
		require.Equal(t, accountSid, req.Form.Get("AccountSid"))
		require.Equal(t, from, req.Form.Get("From"))
		require.Equal(t, "2010-04-01", req.Form.Get("ApiVersion"))
		out = append(out, req.Form.Get("MessageStatus"))
	}
	return out
}

func TestStatusCallbacks_SentThenDelivered(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	h := newHook(t)
	callback := h.srv.URL + "/twilio/v1/status/int1/tok?x=1"

	m, err := send(keyClient(t, fake), to, "hi", callback)
	require.NoError(t, err)
	waitIdle(t, fake)

	require.Equal(t, []string{"sent", "delivered"}, statuses(t, h, *m.Sid))
	for _, req := range h.requests() {
		require.Equal(t, callback, req.URL, "posted to the URL exactly as given")
		require.Equal(t, to, req.Form.Get("To"))
		require.Empty(t, req.Form.Get("ErrorCode"))
	}
	got := fake.Messages()
	require.Equal(t, "delivered", got[0].Status)
	require.Equal(t, callback, got[0].StatusCallback)
	require.Len(t, fake.Callbacks(), 2)
}

func TestStatusCallbacks_Failures(t *testing.T) {
	for _, tc := range []struct {
		failure twilio.DeliveryFailure
		want    []string
		code    string
	}{
		{twilio.DeliveryFailure{Ratio: 1}, []string{"sent", "undelivered"}, "30003"},
		{twilio.DeliveryFailure{Ratio: 1, Status: "failed", ErrorCode: 30006}, []string{"failed"}, "30006"},
	} {
		t.Run(tc.failure.Status, func(t *testing.T) {
			fake, _ := newFake(t, twilio.Config{})
			fake.SetDeliveryFailure(to, tc.failure)
			h := newHook(t)
			rc := keyClient(t, fake)

			m, err := send(rc, to, "hi", h.srv.URL+"/status")
			require.NoError(t, err)
			waitIdle(t, fake)
			require.Equal(t, tc.want, statuses(t, h, *m.Sid))
			last := h.requests()[len(tc.want)-1]
			require.Equal(t, tc.code, last.Form.Get("ErrorCode"))

			fetched, err := rc.Api.FetchMessage(*m.Sid, nil)
			require.NoError(t, err)
			require.Equal(t, tc.want[len(tc.want)-1], *fetched.Status)
			require.Equal(t, tc.code, strconv.Itoa(*fetched.ErrorCode))

			// Other destinations are not affected.
			_, err = send(rc, "+15559990002", "hi", "")
			require.NoError(t, err)
			waitIdle(t, fake)
			require.Equal(t, "delivered", fake.Messages()[1].Status)
		})
	}
}

func TestStatusCallbacks_RetriedOn5xx(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{CallbackAttempts: 3, CallbackBackoff: 1})
	h := newHook(t, http.StatusServiceUnavailable, http.StatusInternalServerError)

	_, err := send(keyClient(t, fake), to, "hi", h.srv.URL+"/status")
	require.NoError(t, err)
	waitIdle(t, fake)

	reqs := h.requests()
	require.Len(t, reqs, 4, "sent: 503, 500, 200; delivered: 200")
	for _, r := range reqs[:3] {
		require.Equal(t, "sent", r.Form.Get("MessageStatus"))
	}
	cbs := fake.Callbacks()
	require.Len(t, cbs, 2)
	require.Equal(t, 3, cbs[0].Attempts)
	require.Equal(t, 200, cbs[0].StatusCode)
	require.Equal(t, 1, cbs[1].Attempts)
}

func TestStatusCallbacks_BoundedRetriesOnConnectionError(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{CallbackAttempts: 2, CallbackBackoff: 1})
	h := newHook(t)
	dead := h.srv.URL + "/status"
	h.srv.Close() // nothing listens any more

	_, err := send(keyClient(t, fake), to, "hi", dead)
	require.NoError(t, err)
	waitIdle(t, fake)
	cbs := fake.Callbacks()
	require.Len(t, cbs, 2, "the message is still delivered; each callback gives up")
	for _, cb := range cbs {
		require.Equal(t, 2, cb.Attempts)
		require.Zero(t, cb.StatusCode)
		require.NotEmpty(t, cb.Error)
	}
}

func TestSignature_KnownValue(t *testing.T) {
	// The test vector of twilio-go's own request validator.
	params := url.Values{
		"Digits":                {"1234"},
		"CallSid":               {"CA1234567890ABCDE"},
		"To":                    {"+18005551212"},
		"Caller":                {"+14158675309"},
		"From":                  {"+14158675309"},
		"ReasonConferenceEnded": {"test"},
		"Reason":                {"Participant"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	const want = "vOEb5UThFn24KEfnOFLQY2AE5FY="
	require.Equal(t, want, twilio.Signature("12345", u, params))
	require.True(t, twilio.ValidSignature("12345", u, params, want))
	require.False(t, twilio.ValidSignature("12345", u, params, "vOEb5UThFn24KEfnOFLQY2AE5FZ="))
	require.False(t, twilio.ValidSignature("54321", u, params, want))
	require.False(t, twilio.ValidSignature("12345", u+"&baz=3", params, want))
}

func TestSendInbound_SignedWebhook(t *testing.T) {
	fake, a := newFake(t, twilio.Config{})
	h := newHook(t)
	phone := "+15550000099"
	a.AddNumber(phone, "inbound line", h.srv.URL+"/twilio/v1/inbound/int1/tok")

	status, err := a.SendInbound(context.Background(), "+15557770001", phone, "hello there")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)

	reqs := h.requests()
	require.Len(t, reqs, 1)
	req := reqs[0]
	requireSigned(t, authToken, req)
	require.Equal(t, h.srv.URL+"/twilio/v1/inbound/int1/tok", req.URL)
	require.Equal(t, "+15557770001", req.Form.Get("From"))
	require.Equal(t, phone, req.Form.Get("To"))
	require.Equal(t, "hello there", req.Form.Get("Body"))
	require.Equal(t, accountSid, req.Form.Get("AccountSid"))
	require.Equal(t, "0", req.Form.Get("NumMedia"))
	require.Regexp(t, `^SM[0-9a-f]{32}$`, req.Form.Get("MessageSid"))

	// The inbound message is a Message of the account, fetchable as on Twilio.
	m, err := keyClient(t, fake).Api.FetchMessage(req.Form.Get("MessageSid"), nil)
	require.NoError(t, err)
	require.Equal(t, "inbound", *m.Direction)
	require.Equal(t, "received", *m.Status)

	// The webhook's answer comes back; a number without an SMS URL is an error.
	h.answer(http.StatusForbidden)
	status, err = fake.SendInbound(context.Background(), "+15557770001", phone, "again")
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, status)
	_, err = a.SendInbound(context.Background(), "+15557770001", from, "no url")
	require.Error(t, err)
}
