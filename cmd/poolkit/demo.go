package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/fakes/twilio"
	"poolkit/reference/client"
)

// The demo deployment (poolkit serve --demo): its fakes' numbers and credentials.
var (
	demoDedicated = []string{"+15551110001", "+15551110002", "+15551110003"} // mac-a slots 1–3
	demoInbound   = []string{"+15559990001", "+15559990002"}                 // mac-b slots 1–2
	demoTwilio    = []string{"+15552220001", "+15552220002", "+15552220003"}
)

const (
	demoAccountSID = "AC0000000000000000000000000000demo"
	demoAPIKeySID  = "SK0000000000000000000000000000demo"
	demoKeySecret  = "demoapikeysecret"
	demoAuthToken  = "demoauthtoken"
)

// demoHookKey is the context key of a func(*demoEnv) that serve calls once the demo is
// provisioned: the end-to-end tests reach the fakes through it.
type demoHookKey struct{}

// demoEnv is the demo deployment: the fakes and what was provisioned.
type demoEnv struct {
	fleet       *macrelay.Fleet
	twilio      *twilio.Server
	account     *twilio.Account
	orgID       string
	iMessageKey client.CreatedKey
	twilioKey   client.CreatedKey
	integration client.TwilioIntegration
}

// startDemoFakes starts the fake Mac relays (posting their events to engineURL) and the
// fake Twilio account.
func startDemoFakes(engineURL string) (*demoEnv, error) {
	secret := func() string {
		var raw [16]byte
		rand.Read(raw[:])
		return hex.EncodeToString(raw[:])
	}
	cfg := macrelay.Config{EngineURL: engineURL, Seed: time.Now().UnixNano()}
	macA := macrelay.MacConfig{ID: "mac-a", Secret: secret()}
	for i, p := range demoDedicated {
		macA.Lines = append(macA.Lines, macrelay.LineConfig{Slot: i + 1, Phone: p})
	}
	macB := macrelay.MacConfig{ID: "mac-b", Secret: secret()}
	for i, p := range demoInbound {
		macB.Lines = append(macB.Lines, macrelay.LineConfig{Slot: i + 1, Phone: p})
	}
	cfg.Macs = []macrelay.MacConfig{macA, macB}
	fleet, err := macrelay.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := fleet.Start(); err != nil {
		return nil, err
	}
	tw := twilio.New(twilio.Config{Seed: time.Now().UnixNano()})
	account := tw.AddAccount(demoAccountSID, demoAuthToken)
	account.AddAPIKey(demoAPIKeySID, demoKeySecret)
	for i, p := range demoTwilio {
		account.AddNumber(p, fmt.Sprintf("Demo SMS %d", i+1), "")
	}
	if err := tw.Start(); err != nil {
		fleet.Close()
		return nil, err
	}
	return &demoEnv{fleet: fleet, twilio: tw, account: account}, nil
}

func (d *demoEnv) close() {
	d.fleet.Close()
	d.twilio.Close()
}

// provision sets the demo up through the admin API at baseURL, as an operator would:
// org, relays, Blooio numbers, the iMessage key, the Twilio integration (credentials
// checked with the fake Twilio, numbers imported) and the Twilio key. Then it prints how
// to use it.
func (d *demoEnv) provision(ctx context.Context, baseURL, adminToken string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin := client.New(baseURL, client.WithAdminToken(adminToken), client.WithHTTPClient(&http.Client{Timeout: 15 * time.Second}))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "demo"})
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	d.orgID = org.OrganizationID
	for _, r := range d.fleet.Relays() {
		if _, err := admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: r.RelayID, URL: r.URL, Secret: r.Secret}); err != nil {
			return fmt.Errorf("register relay %s: %w", r.RelayID, err)
		}
	}
	register := func(relay string, phones []string, kind string) error {
		for i, p := range phones {
			slot := i + 1
			if _, err := admin.RegisterNumber(ctx, org.OrganizationID, client.RegisterNumberRequest{
				PhoneNumber: p, RelayID: relay, LineSlot: &slot, PlanKind: kind}); err != nil {
				return fmt.Errorf("register %s: %w", p, err)
			}
		}
		return nil
	}
	if err := register("mac-a", demoDedicated, "dedicated"); err != nil {
		return err
	}
	if err := register("mac-b", demoInbound, "inbound"); err != nil {
		return err
	}
	if d.iMessageKey, err = admin.CreateKey(ctx, org.OrganizationID, "demo-imessage"); err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	if _, err := admin.AssignNumbers(ctx, d.iMessageKey.KeyID, client.AssignRequest{
		PhoneNumbers: append(append([]string(nil), demoDedicated...), demoInbound...)}); err != nil {
		return fmt.Errorf("assign iMessage numbers: %w", err)
	}
	if d.integration, err = admin.CreateTwilioIntegration(ctx, org.OrganizationID, client.CreateTwilioIntegrationRequest{
		AccountSID: demoAccountSID, APIKeySID: demoAPIKeySID, APIKeySecret: demoKeySecret, AuthToken: demoAuthToken}); err != nil {
		return fmt.Errorf("create the Twilio integration: %w", err)
	}
	if _, err := admin.ImportTwilioNumbers(ctx, org.OrganizationID, d.integration.IntegrationID, demoTwilio); err != nil {
		return fmt.Errorf("import Twilio numbers: %w", err)
	}
	if d.twilioKey, err = admin.CreateKey(ctx, org.OrganizationID, "demo-twilio"); err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	if _, err := admin.AssignNumbers(ctx, d.twilioKey.KeyID, client.AssignRequest{PhoneNumbers: demoTwilio}); err != nil {
		return fmt.Errorf("assign Twilio numbers: %w", err)
	}
	d.print(out, baseURL, adminToken)
	return nil
}

func (d *demoEnv) print(out io.Writer, baseURL, adminToken string) {
	im, tw := d.iMessageKey.APIKey, d.twilioKey.APIKey
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	send := func(key, body string) string {
		return fmt.Sprintf("curl -X POST '%s/v2/api/chats/%%2B15551234567/messages' \\\n  -H 'Authorization: Bearer %s' \\\n  -H 'Content-Type: application/json' \\\n  -d '%s'", baseURL, key, body)
	}
	p("poolkit demo: organization %q (%s)", "demo", d.orgID)
	p("poolkit demo: admin token: %s", adminToken)
	p("poolkit demo: iMessage API key: %s", im)
	p("  numbers: %s (mac-a, dedicated), %s (mac-b, inbound)", strings.Join(demoDedicated, " "), strings.Join(demoInbound, " "))
	p("poolkit demo: Twilio API key: %s", tw)
	p("  numbers: %s (Twilio account %s, integration %s)", strings.Join(demoTwilio, " "), demoAccountSID, d.integration.IntegrationID)
	p("poolkit demo: fake Mac relays control API: %s", d.fleet.URL())
	p("poolkit demo: fake Twilio: %s (control API under /control/)", d.twilio.URL())
	p("")
	p("# Send an iMessage; the pool picks the number and keeps the conversation on it:")
	p("%s", send(im, `{"text": "Hello!"}`))
	p("")
	p("# Send from a specific number:")
	p("%s", send(im, `{"text": "Hello!", "from_number": "+15551110002"}`))
	p("")
	p("# Send an SMS through Twilio:")
	p("%s", send(tw, `{"text": "Hello via SMS!"}`))
	p("")
	p("# Send an SMS from a specific Twilio number:")
	p("%s", send(tw, `{"text": "Hello via SMS!", "from_number": "+15552220001"}`))
	p("")
	p("# The key's numbers:")
	p("curl '%s/v2/api/me/numbers' -H 'Authorization: Bearer %s'", baseURL, im)
	p("")
	p("# A contact writes to the inbound line mac-b slot 1 (%s); the key can then reply from it:", demoInbound[0])
	p(`curl -X POST '%s/control/macs/mac-b/lines/1/inbound' -H 'Content-Type: application/json' -d '{"from":"+15551234567","text":"hi"}'`, d.fleet.URL())
	p("")
	p("# Follow a message (put its message_id):")
	p("curl '%s/v2/api/chats/%%2B15551234567/messages/MESSAGE_ID/status' -H 'Authorization: Bearer %s'", baseURL, im)
	io.WriteString(out, b.String())
}
