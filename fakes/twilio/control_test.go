package twilio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	twilio "poolkit/fakes/twilio"
)

func TestUnexpected_UnknownRoutesAreLoud(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)

	// A route twilio-go has but the fake does not model: Twilio's 404 shape, recorded.
	_, err := rc.Api.FetchAccount(accountSid)
	te := restError(t, err)
	require.Equal(t, 20404, te.Code)
	require.Equal(t, 404, te.Status)
	require.Equal(t, "unknown route in fake twilio: GET /2010-04-01/Accounts/"+accountSid+".json", te.Message)

	// A known path with a method the fake does not serve.
	m, err := send(rc, to, "x", "")
	require.NoError(t, err)
	err = rc.Api.DeleteMessage(*m.Sid, nil)
	require.Equal(t, 20404, restError(t, err).Code)

	// An unknown control route, without any credentials.
	resp, err := http.Post(fake.URL()+"/control/nope", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	got := fake.Unexpected()
	require.Len(t, got, 3)
	require.Equal(t, "GET", got[0].Method)
	require.Equal(t, "/2010-04-01/Accounts/"+accountSid+".json", got[0].Path)
	require.Equal(t, "DELETE", got[1].Method)
	require.Equal(t, "/control/nope", got[2].Path)
}

func TestUnexpected_UnmodelledParameters(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	p := &api.CreateMessageParams{}
	p.SetFrom(from).SetTo(to).SetBody("x").SetMediaUrl([]string{"https://example.com/a.png"})
	_, err := keyClient(t, fake).Api.CreateMessage(p)
	require.NoError(t, err)
	got := fake.Unexpected()
	require.Len(t, got, 1)
	require.Contains(t, got[0].Reason, "MediaUrl")
}

// control calls the control API and decodes its JSON answer into out (if not nil).
func control(t *testing.T, fake *twilio.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, fake.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && resp.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(b, out), string(b))
	}
	return resp.StatusCode
}

func TestControlAPI(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)
	h := newHook(t)

	// Faults: a burst of one 429, and undelivered messages to one destination.
	var faults map[string]any
	require.Equal(t, 200, control(t, fake, "POST", "/control/faults",
		`{"throttle":1,"delivery_failures":{"+15559990001":{"ratio":1}}}`, &faults))
	require.EqualValues(t, 1, faults["throttle"])
	require.Equal(t, 400, control(t, fake, "POST", "/control/faults", `{"error_ratio":2}`, nil))
	require.Equal(t, 400, control(t, fake, "POST", "/control/faults", `{"unknown":1}`, nil))
	_, err := send(rc, to, "x", "")
	require.Equal(t, 20429, restError(t, err).Code)
	_, err = send(rc, to, "x", h.srv.URL+"/status")
	require.NoError(t, err)
	require.Equal(t, 204, control(t, fake, "POST", "/control/wait-idle?timeout_ms=5000", "", nil))

	var msgs []twilio.Message
	require.Equal(t, 200, control(t, fake, "GET", "/control/messages", "", &msgs))
	require.Len(t, msgs, 1)
	require.Equal(t, "undelivered", msgs[0].Status)
	require.Equal(t, h.srv.URL+"/status", msgs[0].StatusCallback)
	var cbs []twilio.CallbackRecord
	require.Equal(t, 200, control(t, fake, "GET", "/control/callbacks", "", &cbs))
	require.Len(t, cbs, 2)

	// Accounts and inbound SMS.
	acct := fmt.Sprintf(`{"sid":"AC%032d","auth_token":"tok3","api_keys":[{"sid":"SK3","secret":"s3"}],
		"numbers":[{"phone_number":"+15550000003","friendly_name":"three","sms_url":%q}]}`, 3, h.srv.URL+"/in")
	require.Equal(t, 201, control(t, fake, "POST", "/control/accounts", acct, nil))
	require.Equal(t, 400, control(t, fake, "POST", "/control/accounts", acct, nil), "already exists")
	var inbound struct{ Status int }
	require.Equal(t, 200, control(t, fake, "POST", "/control/inbound",
		`{"from":"+15557770001","to":"+15550000003","body":"hi"}`, &inbound))
	require.Equal(t, 200, inbound.Status)
	last := h.requests()[len(h.requests())-1]
	requireSigned(t, "tok3", last)
	require.Equal(t, 400, control(t, fake, "POST", "/control/inbound",
		`{"from":"+15557770001","to":"+15550009999","body":"hi"}`, nil), "nobody owns the number")

	// Reset forgets the traffic and the faults, keeps the accounts.
	require.Equal(t, 204, control(t, fake, "POST", "/control/reset", "", nil))
	require.Equal(t, 200, control(t, fake, "GET", "/control/messages", "", &msgs))
	require.Empty(t, msgs)
	require.Equal(t, twilio.Faults{}, fake.Faults())
	_, err = send(rc, to, "x", "")
	require.NoError(t, err)
	require.Empty(t, fake.Unexpected())
}

func TestConcurrentSends(t *testing.T) {
	fake, a := newFake(t, twilio.Config{Seed: 7})
	fake.SetDeliveryFailure(twilio.AnyDestination, twilio.DeliveryFailure{Ratio: 0.2})
	h := newHook(t)
	a.AddNumber("+15550000050", "", h.srv.URL+"/in")
	const workers, each = 6, 8

	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			rc := keyClient(t, fake)
			for i := range each {
				if _, err := send(rc, fmt.Sprintf("+1555999%02d%02d", w, i), "x", h.srv.URL+"/status"); err != nil {
					errs <- err
				}
				if _, err := fake.SendInbound(context.Background(), "+15557770001", "+15550000050", "in"); err != nil {
					errs <- err
				}
				fake.Messages()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	waitIdle(t, fake)

	seen := map[string]bool{}
	outbound := 0
	for _, m := range fake.Messages() {
		require.False(t, seen[m.Sid], "duplicate SID %s", m.Sid)
		seen[m.Sid] = true
		if m.Direction == twilio.DirectionOutbound {
			outbound++
			require.Contains(t, []string{"delivered", "undelivered"}, m.Status)
		}
	}
	require.Equal(t, workers*each, outbound)
	require.Len(t, fake.Callbacks(), 2*workers*each)
	require.Len(t, h.requests(), 3*workers*each)
	require.Empty(t, fake.Unexpected())
}
