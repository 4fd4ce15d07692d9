package twilio_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	twilio "poolkit/fakes/twilio"
)

const configJSON = `{
  "seed": 3,
  "accounts": [{
    "sid": "AC00000000000000000000000000000001",
    "auth_token": "token0000000000000000000000000001",
    "api_keys": [{"sid": "SK00000000000000000000000000000001", "secret": "secret000000000000000000000000001"}],
    "numbers": [{"phone_number": "+15550000001", "friendly_name": "main", "sms_url": "http://127.0.0.1:1/in"}]
  }]
}`

func TestLoadConfig(t *testing.T) {
	cfg, err := twilio.LoadConfig(strings.NewReader(configJSON))
	require.NoError(t, err)
	require.Equal(t, int64(3), cfg.Seed)
	require.Len(t, cfg.Accounts, 1)
	require.Equal(t, "+15550000001", cfg.Accounts[0].Numbers[0].PhoneNumber)

	for name, bad := range map[string]string{
		"unknown field":    `{"accounts":[],"extra":1}`,
		"trailing data":    `{"accounts":[]} {}`,
		"not AC":           `{"accounts":[{"sid":"XX1","auth_token":"t"}]}`,
		"token not alnum":  `{"accounts":[{"sid":"AC1","auth_token":"a-b"}]}`,
		"key not SK":       `{"accounts":[{"sid":"AC1","auth_token":"t","api_keys":[{"sid":"AC2","secret":"s"}]}]}`,
		"number not E.164": `{"accounts":[{"sid":"AC1","auth_token":"t","numbers":[{"phone_number":"5551234"}]}]}`,
		"number twice":     `{"accounts":[{"sid":"AC1","auth_token":"t","numbers":[{"phone_number":"+15551234567"}]},{"sid":"AC2","auth_token":"t","numbers":[{"phone_number":"+15551234567"}]}]}`,
		"account twice":    `{"accounts":[{"sid":"AC1","auth_token":"t"},{"sid":"AC1","auth_token":"t"}]}`,
	} {
		_, err := twilio.LoadConfig(strings.NewReader(bad))
		require.Error(t, err, name)
	}
}

func TestRun(t *testing.T) {
	cfg, err := twilio.LoadConfig(strings.NewReader(configJSON))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- twilio.Run(ctx, cfg, pw); pw.Close() }()

	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	url := strings.Fields(strings.TrimPrefix(line, "fake twilio listening on "))[0]
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), line)

	// The configured account works with twilio-go.
	fake := twilio.NewHTTPClient(url)
	rc := newClientHTTP(fake, keySid, keySecret, accountSid)
	m, err := send(rc, to, "from a standalone fake", "")
	require.NoError(t, err)
	require.Equal(t, "queued", *m.Status)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
