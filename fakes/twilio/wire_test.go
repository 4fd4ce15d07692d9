package twilio_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	twilio "poolkit/fakes/twilio"
)

// rawPost posts a form to the fake with Basic auth and returns the status and body.
func rawPost(t *testing.T, fake *twilio.Server, path, user, pass string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, fake.URL()+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func TestWire_AuthenticateErrorBody(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	status, body := rawPost(t, fake, "/2010-04-01/Accounts/"+accountSid+"/Messages.json", keySid, "wrong", url.Values{})
	require.Equal(t, http.StatusUnauthorized, status)
	require.JSONEq(t, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`, string(body))
}

func TestWire_MessageTypes(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	status, body := rawPost(t, fake, "/2010-04-01/Accounts/"+accountSid+"/Messages.json", keySid, keySecret,
		url.Values{"From": {from}, "To": {to}, "Body": {"hi"}})
	require.Equal(t, http.StatusCreated, status, string(body))
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	for _, k := range []string{"num_segments", "num_media", "status", "direction", "sid", "uri", "api_version", "date_created", "date_updated"} {
		require.IsType(t, "", m[k], k)
	}
	for _, k := range []string{"price", "error_code", "error_message", "date_sent", "messaging_service_sid"} {
		v, ok := m[k]
		require.True(t, ok, "%s is present", k)
		require.Nil(t, v, "%s is null while queued", k)
	}
	_, err := time.Parse(time.RFC1123Z, m["date_created"].(string))
	require.NoError(t, err)
}

// The zero Server is usable (STYLE lesson 6).
func TestZeroValueServer(t *testing.T) {
	var fake twilio.Server
	t.Cleanup(fake.Close)
	require.NoError(t, fake.Start())
	a := fake.AddAccount(accountSid, authToken)
	a.AddNumber(from, "", "")
	_, err := send(newClient(t, &fake, accountSid, authToken, accountSid), to, "x", "")
	require.NoError(t, err)
	require.Len(t, fake.Messages(), 1)
}
