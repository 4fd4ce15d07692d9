package twilio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	twilio "poolkit/fakes/twilio"
)

// counting counts the requests that go through it.
type counting struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestListIncomingPhoneNumber_WalksPages(t *testing.T) {
	fake, a := newFake(t, twilio.Config{})
	want := []string{from}
	for i := 2; i <= 5; i++ {
		phone := fmt.Sprintf("+1555000010%d", i)
		a.AddNumber(phone, "", "")
		want = append(want, phone)
	}
	hc := fake.HTTPClient()
	count := &counting{next: hc.Transport}
	hc.Transport = count
	rc := newClientHTTP(hc, keySid, keySecret, accountSid)

	p := &api.ListIncomingPhoneNumberParams{}
	p.SetPageSize(2)
	got, err := rc.Api.ListIncomingPhoneNumber(p)
	require.NoError(t, err)
	var phones []string
	for _, n := range got {
		phones = append(phones, *n.PhoneNumber)
		require.Equal(t, accountSid, *n.AccountSid)
		require.Regexp(t, `^PN[0-9a-f]{32}$`, *n.Sid)
		require.True(t, n.Capabilities.Sms)
	}
	require.Equal(t, want, phones, "every number once, in order")
	require.EqualValues(t, 3, count.n.Load(), "5 numbers in pages of 2 take 3 requests")
	require.Empty(t, fake.Unexpected())
}

func TestListIncomingPhoneNumber_PageFields(t *testing.T) {
	fake, a := newFake(t, twilio.Config{})
	for i := 2; i <= 5; i++ {
		a.AddNumber(fmt.Sprintf("+1555000010%d", i), "", "")
	}
	rc := keyClient(t, fake)
	base := "/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers.json"
	p := &api.ListIncomingPhoneNumberParams{}
	p.SetPageSize(2)

	first, err := rc.Api.PageIncomingPhoneNumber(p, "", "")
	require.NoError(t, err)
	require.Equal(t, 0, first.Page)
	require.Equal(t, 2, first.PageSize)
	require.Equal(t, 0, first.Start)
	require.Equal(t, 1, first.End)
	require.Equal(t, base+"?PageSize=2&Page=0", first.FirstPageUri)
	require.Equal(t, base+"?PageSize=2&Page=0", first.Uri)
	require.Nil(t, first.PreviousPageUri)
	require.NotNil(t, first.NextPageUri)
	require.Equal(t, base+"?PageSize=2&Page=1&PageToken=PA"+*first.IncomingPhoneNumbers[1].Sid, *first.NextPageUri)

	// The last page, reached by Page and PageToken as twilio-go does, has a null next.
	last, err := rc.Api.PageIncomingPhoneNumber(p, "PA"+*first.IncomingPhoneNumbers[1].Sid, "1")
	require.NoError(t, err)
	require.Equal(t, 2, last.Start)
	last, err = rc.Api.PageIncomingPhoneNumber(p, "", "2")
	require.NoError(t, err)
	require.Len(t, last.IncomingPhoneNumbers, 1)
	require.Equal(t, 4, last.Start)
	require.Equal(t, 4, last.End)
	require.Nil(t, last.NextPageUri)
	require.NotNil(t, last.PreviousPageUri)

	// A malformed token is Twilio's 400, not a silent first page.
	_, err = rc.Api.PageIncomingPhoneNumber(p, "PAnothing", "1")
	require.Equal(t, 400, restError(t, err).Status)
}

func TestListIncomingPhoneNumber_RawJSONNulls(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
		fake.URL()+"/2010-04-01/Accounts/"+accountSid+"/IncomingPhoneNumbers.json", nil)
	require.NoError(t, err)
	req.SetBasicAuth(accountSid, authToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var raw map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	for _, k := range []string{"next_page_uri", "previous_page_uri"} {
		v, ok := raw[k]
		require.True(t, ok, k)
		require.Nil(t, v, "%s is null on the only page", k)
	}
	require.Len(t, raw["incoming_phone_numbers"], 1)
}

func TestUpdateIncomingPhoneNumber_SmsUrl(t *testing.T) {
	fake, a := newFake(t, twilio.Config{})
	h := newHook(t)
	rc := keyClient(t, fake)
	sid := a.Numbers()[0].Sid

	p := &api.UpdateIncomingPhoneNumberParams{}
	p.SetSmsUrl(h.srv.URL + "/inbound")
	n, err := rc.Api.UpdateIncomingPhoneNumber(sid, p)
	require.NoError(t, err)
	require.Equal(t, h.srv.URL+"/inbound", *n.SmsUrl)

	fetched, err := rc.Api.FetchIncomingPhoneNumber(sid, nil)
	require.NoError(t, err)
	require.Equal(t, h.srv.URL+"/inbound", *fetched.SmsUrl)

	status, err := a.SendInbound(context.Background(), "+15557770001", from, "to the new URL")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, h.requests(), 1)
	require.Empty(t, fake.Unexpected())
}
