package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/fakes/twilio"
	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

const (
	twAccount   = "AC00000000000000000000000000000001"
	twKey       = "SK00000000000000000000000000000001"
	twSecret    = "keysecret1"
	twAuthToken = "authtoken1"
)

// twilioFixture is a server whose Twilio integration routes talk to a fake Twilio with
// one account of n numbers (+1555222xxxx).
type twilioFixture struct {
	*apitest.Server
	ctx     context.Context
	fake    *twilio.Server
	account *twilio.Account
	org     client.Org
	phones  []string
}

func newTwilioFixture(t *testing.T, n int) *twilioFixture {
	t.Helper()
	fake := twilio.New(twilio.Config{Seed: 1})
	require.NoError(t, fake.Start())
	t.Cleanup(fake.Close)
	a := fake.AddAccount(twAccount, twAuthToken)
	a.AddAPIKey(twKey, twSecret)
	f := &twilioFixture{ctx: context.Background(), fake: fake, account: a}
	for i := range n {
		p := fmt.Sprintf("+1555222%04d", i+1)
		a.AddNumber(p, fmt.Sprintf("line %d", i+1), "")
		f.phones = append(f.phones, p)
	}
	f.Server = apitest.StartWith(t, func(o *api.Options, u string) {
		o.TwilioURL, o.PublicURL = fake.URL(), u
	})
	f.org = f.Org("")
	return f
}

func (f *twilioFixture) integrate(t *testing.T, authToken string) client.TwilioIntegration {
	t.Helper()
	in, err := f.Admin.CreateTwilioIntegration(f.ctx, f.org.OrganizationID, client.CreateTwilioIntegrationRequest{
		AccountSID: twAccount, APIKeySID: twKey, APIKeySecret: twSecret, AuthToken: authToken,
	})
	require.NoError(t, err)
	return in
}

func TestTwilio_CreateIntegrationChecksCredentials(t *testing.T) {
	f := newTwilioFixture(t, 1)
	in := f.integrate(t, twAuthToken)
	require.Equal(t, twAccount, in.AccountSID)
	require.NotEmpty(t, in.IntegrationID)
	body := string(f.Admin.LastExchange().Body)
	require.NotContains(t, body, twSecret)
	require.NotContains(t, body, twAuthToken)

	_, err := f.Admin.CreateTwilioIntegration(f.ctx, f.org.OrganizationID, client.CreateTwilioIntegrationRequest{
		AccountSID: twAccount, APIKeySID: twKey, APIKeySecret: "wrongsecret"})
	requireCode(t, err, 400, pool.CodeTwilioAuthFailed)
	_, err = f.Admin.CreateTwilioIntegration(f.ctx, f.org.OrganizationID, client.CreateTwilioIntegrationRequest{
		AccountSID: twAccount, APIKeySID: "not-a-key", APIKeySecret: twSecret})
	requireCode(t, err, 400, pool.CodeInvalidRequest)
	_, err = f.Admin.CreateTwilioIntegration(f.ctx, "org_nope", client.CreateTwilioIntegrationRequest{
		AccountSID: twAccount, APIKeySID: twKey, APIKeySecret: twSecret})
	requireCode(t, err, 404, pool.CodeOrgNotFound)

	// Twilio unreachable → 502.
	down := apitest.StartWith(t, func(o *api.Options, _ string) { o.TwilioURL = "http://127.0.0.1:1" })
	org := down.Org("")
	_, err = down.Admin.CreateTwilioIntegration(f.ctx, org.OrganizationID, client.CreateTwilioIntegrationRequest{
		AccountSID: twAccount, APIKeySID: twKey, APIKeySecret: twSecret})
	requireCode(t, err, 502, pool.CodeTwilioUnavailable)
}

func TestTwilio_ListAndImportNumbers(t *testing.T) {
	f := newTwilioFixture(t, 60) // more than one page of 50
	in := f.integrate(t, "")
	nums, err := f.Admin.TwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID)
	require.NoError(t, err)
	require.Len(t, nums, 60)
	require.Equal(t, f.phones[0], nums[0].PhoneNumber)
	require.Equal(t, "line 1", nums[0].FriendlyName)
	require.True(t, strings.HasPrefix(nums[0].SID, "PN"))
	require.False(t, nums[0].Imported)

	_, err = f.Admin.ImportTwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID, []string{f.phones[0], "+15559999999"})
	requireCode(t, err, 404, pool.CodeNumberNotFound)
	_, err = f.Engine.Number(f.ctx, f.phones[0])
	require.Equal(t, pool.CodeNumberNotFound, pool.ErrorCode(err), "all or nothing")

	imported, err := f.Admin.ImportTwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID, f.phones[:2])
	require.NoError(t, err)
	require.Len(t, imported, 2)
	require.Equal(t, "twilio", imported[0].Provider)
	require.Equal(t, "dedicated", imported[0].PlanKind)

	nums, err = f.Admin.TwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID)
	require.NoError(t, err)
	require.True(t, nums[0].Imported)
	require.True(t, nums[1].Imported)
	require.False(t, nums[2].Imported)

	integ, err := f.Engine.Integration(f.ctx, f.org.OrganizationID, in.IntegrationID)
	require.NoError(t, err)
	hook := f.URL + "/twilio/v1/inbound/" + in.IntegrationID + "/" + integ.Token
	require.Equal(t, hook, f.account.Numbers()[0].SMSURL, "the inbound webhook is set at Twilio")
	require.Empty(t, f.account.Numbers()[2].SMSURL)

	_, err = f.Admin.ImportTwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID, f.phones[1:3])
	requireCode(t, err, 409, pool.CodeNumberAlreadyRegistered)
	_, err = f.Admin.TwilioNumbers(f.ctx, f.org.OrganizationID, "int_nope")
	requireCode(t, err, 404, pool.CodeIntegrationNotFound)
}

// twilioSend imports the account's numbers, assigns them to a new key, sends one message
// and returns the key, the message and the integration.
func (f *twilioFixture) twilioSend(t *testing.T, authToken string) (apitest.Key, client.SendResponse, pool.Integration) {
	t.Helper()
	in := f.integrate(t, authToken)
	_, err := f.Admin.ImportTwilioNumbers(f.ctx, f.org.OrganizationID, in.IntegrationID, f.phones)
	require.NoError(t, err)
	k := f.Key(f.org.OrganizationID)
	f.Assign(k.ID, f.phones...)
	res, err := k.Send(f.ctx, "+15551234567", client.SendBody{Text: "hello"}, client.SendOptions{})
	require.NoError(t, err)
	integ, err := f.Engine.Integration(f.ctx, "", in.IntegrationID)
	require.NoError(t, err)
	return k, res, integ
}

// postForm posts a Twilio webhook form to path, signed with authToken over the server's
// URL ("" for no signature), through the validating client.
func (f *twilioFixture) postForm(t *testing.T, path string, form url.Values, authToken string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authToken != "" {
		req.Header.Set(api.TwilioSignatureHeader, twilio.Signature(authToken, f.URL+path, form))
	}
	resp, err := f.HTTP.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func statusPath(in pool.Integration, token, messageID string) string {
	return "/twilio/v1/status/" + in.ID + "/" + token + "?message_id=" + url.QueryEscape(messageID)
}

func TestTwilio_StatusCallback(t *testing.T) {
	f := newTwilioFixture(t, 1)
	k, res, in := f.twilioSend(t, twAuthToken)
	status := func() string {
		st, err := k.MessageStatus(f.ctx, res.ChatID, res.MessageID)
		require.NoError(t, err)
		return st.Status
	}
	form := func(s string) url.Values {
		return url.Values{"MessageSid": {"SM1"}, "MessageStatus": {s}, "AccountSid": {twAccount}}
	}
	path := statusPath(in, in.Token, res.MessageID)

	// Rejected: nothing applied.
	require.Equal(t, 403, f.postForm(t, path, form("delivered"), "forgedtoken").StatusCode, "forged signature")
	require.Equal(t, 403, f.postForm(t, path, form("delivered"), "").StatusCode, "no signature")
	require.Equal(t, 403, f.postForm(t, statusPath(in, strings.Repeat("0", len(in.Token)), res.MessageID), form("delivered"), twAuthToken).StatusCode, "wrong token")
	require.Equal(t, 403, f.postForm(t, "/twilio/v1/status/int_nope/"+in.Token+"?message_id="+res.MessageID, form("delivered"), twAuthToken).StatusCode, "unknown integration")
	require.Equal(t, "queued", status())

	// Accepted.
	require.Equal(t, 200, f.postForm(t, path, form("queued"), twAuthToken).StatusCode)
	require.Equal(t, "queued", status(), "queued is ignored")
	require.Equal(t, 200, f.postForm(t, path, form("sent"), twAuthToken).StatusCode)
	require.Equal(t, "sent", status())
	require.Equal(t, 200, f.postForm(t, path, form("delivered"), twAuthToken).StatusCode)
	require.Equal(t, "delivered", status())
	h, err := f.Admin.NumberHealth(f.ctx, f.phones[0])
	require.NoError(t, err)
	require.Equal(t, 1, h.Samples, "the outcome feeds the number's health")
}

func TestTwilio_StatusCallbackFailedAndNoAuthToken(t *testing.T) {
	f := newTwilioFixture(t, 1)
	k, res, in := f.twilioSend(t, "")
	path := statusPath(in, in.Token, res.MessageID)
	// Without an auth token only the URL token is checked.
	require.Equal(t, 403, f.postForm(t, statusPath(in, "nope", res.MessageID), url.Values{"MessageStatus": {"failed"}}, "").StatusCode)
	require.Equal(t, 200, f.postForm(t, path, url.Values{"MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}, "").StatusCode)
	st, err := k.MessageStatus(f.ctx, res.ChatID, res.MessageID)
	require.NoError(t, err)
	require.Equal(t, "failed", st.Status)
	require.NotNil(t, st.Error)
	require.Equal(t, "twilio_30003", *st.Error)
}

func TestTwilio_InboundWebhook(t *testing.T) {
	f := newTwilioFixture(t, 1)
	k, _, in := f.twilioSend(t, twAuthToken)
	hook := "/twilio/v1/inbound/" + in.ID + "/" + in.Token
	form := url.Values{"From": {"+15557654321"}, "To": {f.phones[0]}, "Body": {"forged"}, "MessageSid": {"SM9"}}
	require.Equal(t, 403, f.postForm(t, hook, form, "wrongtoken").StatusCode)
	require.Equal(t, 403, f.postForm(t, "/twilio/v1/inbound/"+in.ID+"/nope", form, twAuthToken).StatusCode)
	require.Empty(t, messages(t, k, "+15557654321"), "a rejected webhook records nothing")

	// Through the fake: Twilio's signed incoming-message webhook to the URL set at import.
	code, err := f.account.SendInbound(f.ctx, "+15557654321", f.phones[0], "hi there")
	require.NoError(t, err)
	require.Equal(t, 200, code)
	ms := messages(t, k, "+15557654321")
	require.Len(t, ms, 1)
	require.Equal(t, "hi there", ms[0].Text)
	require.Equal(t, "inbound", ms[0].Direction)

	resp := f.postForm(t, hook, url.Values{"From": {"+15557654321"}, "To": {f.phones[0]}, "Body": {"again"}, "MessageSid": {"SM10"}}, twAuthToken)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "text/xml", resp.Header.Get("Content-Type"))
}
