package twilio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	twiliogo "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	twilio "poolkit/fakes/twilio"
)

// The account every test uses, and a second one to prove isolation.
const (
	accountSid = "AC00000000000000000000000000000001"
	authToken  = "token0000000000000000000000000001"
	keySid     = "SK00000000000000000000000000000001"
	keySecret  = "secret000000000000000000000000001"
	otherSid   = "AC00000000000000000000000000000002"
	otherToken = "token0000000000000000000000000002"
	from       = "+15550000001"
	to         = "+15559990001"
)

// newFake starts a fake with the test account, its API key and one number (from).
func newFake(tb testing.TB, cfg twilio.Config) (*twilio.Server, *twilio.Account) {
	tb.Helper()
	fake := twilio.New(cfg)
	tb.Cleanup(fake.Close)
	require.NoError(tb, fake.Start())
	a := fake.AddAccount(accountSid, authToken)
	a.AddAPIKey(keySid, keySecret)
	a.AddNumber(from, "main line", "")
	fake.AddAccount(otherSid, otherToken).AddNumber("+15550000002", "", "")
	return fake, a
}

// newClient returns the real twilio-go client authenticated as user:pass for account,
// pointed at the fake the way the engine points it: through its HTTP client.
func newClient(tb testing.TB, fake *twilio.Server, user, pass, account string) *twiliogo.RestClient {
	tb.Helper()
	return newClientHTTP(fake.HTTPClient(), user, pass, account)
}

// newClientHTTP returns the real twilio-go client sending through hc.
func newClientHTTP(hc *http.Client, user, pass, account string) *twiliogo.RestClient {
	c := &client.Client{Credentials: client.NewCredentials(user, pass), HTTPClient: hc}
	c.SetAccountSid(account)
	return twiliogo.NewRestClientWithParams(twiliogo.ClientParams{Client: c})
}

// keyClient is newClient with the test account's API key.
func keyClient(tb testing.TB, fake *twilio.Server) *twiliogo.RestClient {
	tb.Helper()
	return newClient(tb, fake, keySid, keySecret, accountSid)
}

// send creates a message from the test number.
func send(rc *twiliogo.RestClient, to, body, callback string) (*api.ApiV2010Message, error) {
	p := &api.CreateMessageParams{}
	p.SetFrom(from).SetTo(to).SetBody(body)
	if callback != "" {
		p.SetStatusCallback(callback)
	}
	return rc.Api.CreateMessage(p)
}

// restError returns err as the Twilio error twilio-go decoded, failing the test if it is
// not one.
func restError(tb testing.TB, err error) *client.TwilioRestError {
	tb.Helper()
	var te *client.TwilioRestError
	require.True(tb, errors.As(err, &te), "want *client.TwilioRestError, got %T: %v", err, err)
	return te
}

// waitIdle waits for every delivery of the fake, with a deadline.
func waitIdle(tb testing.TB, fake *twilio.Server) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(tb, fake.WaitIdle(ctx))
}

// hook is a webhook receiver: it records every request and answers the scripted
// statuses in turn, then 200.
type hook struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []hookRequest
	answers []int
}

type hookRequest struct {
	URL    string // the URL as the sender addressed it
	Form   url.Values
	Header http.Header
}

func newHook(tb testing.TB, answers ...int) *hook {
	tb.Helper()
	h := &hook{answers: answers}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, hookRequest{URL: h.srv.URL + r.URL.RequestURI(), Form: form, Header: r.Header.Clone()})
		status := http.StatusOK
		if len(h.answers) > 0 {
			status, h.answers = h.answers[0], h.answers[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	tb.Cleanup(h.srv.Close)
	return h
}

// answer scripts the next answers of the hook.
func (h *hook) answer(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers = append(h.answers, statuses...)
}

func (h *hook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// requireSigned checks that a request carries Twilio's signature with token.
func requireSigned(tb testing.TB, token string, req hookRequest) {
	tb.Helper()
	sig := req.Header.Get("X-Twilio-Signature")
	require.NotEmpty(tb, sig)
	require.True(tb, twilio.ValidSignature(token, req.URL, req.Form, sig), "signature of %s", req.URL)
	// twilio-go's own validator, the one a Twilio user would use, agrees.
	v := client.NewRequestValidator(token)
	params := map[string]string{}
	for k := range req.Form {
		params[k] = req.Form.Get(k)
	}
	require.True(tb, v.Validate(req.URL, params, sig), "twilio-go validator on %s", req.URL)
}
