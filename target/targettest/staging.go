// Package targettest builds deployments for tests of code that runs against targets: a
// "staging" deployment that can only be reached the way a customer reaches a real one —
// API keys and a fixture, no admin API.
package targettest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

// StagingKey describes one key of a staging deployment: its protocol and its numbers'
// plan kinds, in pool order.
type StagingKey struct {
	Name      string
	Protocol  string   // imessage or sms
	PlanKinds []string // one per number: dedicated, inbound, trial
}

// Staging starts an embedded reference deployment, provisions an org with strategy and
// the keys through its admin API (Blooio numbers on a fake Mac relay fleet, so that
// deliveries complete), and returns it as a customer sees it: a Remote target without
// admin token, described by a fixture whose secrets come from getenv-style variables
// already resolved. Recipients are n fresh contacts. Everything stops at the test's end.
func Staging(tb testing.TB, strategy string, keys []StagingKey, recipients int) target.Remote {
	tb.Helper()
	ctx := context.Background()
	dep, err := target.Embedded{}.Open(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dep.Close() })
	admin := client.New(dep.URL, client.WithAdminToken(dep.AdminToken))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "staging", Strategy: strategy})
	if err != nil {
		tb.Fatal(err)
	}
	mac := macrelay.MacConfig{ID: "staging-mac", Secret: "stagingsecret0123456789abcdef"}
	type num struct{ key, phone, kind, provider string }
	var nums []num
	for i, k := range keys {
		for j, kind := range k.PlanKinds {
			phone := fmt.Sprintf("+1415555%02d%02d", i+1, j+1)
			n := num{key: k.Name, phone: phone, kind: kind, provider: "blooio"}
			if k.Protocol == "sms" {
				n.provider = "twilio"
			} else {
				mac.Lines = append(mac.Lines, macrelay.LineConfig{Slot: len(mac.Lines) + 1, Phone: phone})
			}
			nums = append(nums, n)
		}
	}
	if len(mac.Lines) > 0 {
		fleet, err := macrelay.New(macrelay.Config{EngineURL: dep.URL, Macs: []macrelay.MacConfig{mac}, Seed: time.Now().UnixNano()})
		if err != nil {
			tb.Fatal(err)
		}
		if err := fleet.Start(); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { fleet.Close() })
		rl := fleet.Relays()[0]
		if _, err := admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: rl.RelayID, URL: rl.URL, Secret: rl.Secret}); err != nil {
			tb.Fatal(err)
		}
	}
	slot := 0
	for _, n := range nums {
		req := client.RegisterNumberRequest{PhoneNumber: n.phone, PlanKind: n.kind}
		if n.provider == "twilio" {
			req.Provider = "twilio"
		} else {
			slot++
			s := slot
			req.RelayID, req.LineSlot = mac.ID, &s
		}
		if _, err := admin.RegisterNumber(ctx, org.OrganizationID, req); err != nil {
			tb.Fatal(err)
		}
	}
	f := &target.Fixture{File: "staging (test)", Strategy: strategy}
	for _, k := range keys {
		ck, err := admin.CreateKey(ctx, org.OrganizationID, k.Name)
		if err != nil {
			tb.Fatal(err)
		}
		fk := target.FixtureKey{Name: k.Name, SecretEnv: "STAGING_KEY_" + strings.ToUpper(k.Name), Protocol: k.Protocol, Secret: ck.APIKey}
		var phones []string
		for _, n := range nums {
			if n.key == k.Name {
				phones = append(phones, n.phone)
				fk.Numbers = append(fk.Numbers, target.FixtureNumber{Phone: n.phone, PlanKind: n.kind})
			}
		}
		if len(phones) > 0 {
			if _, err := admin.AssignNumbers(ctx, ck.KeyID, client.AssignRequest{PhoneNumbers: phones}); err != nil {
				tb.Fatal(err)
			}
		}
		f.Keys = append(f.Keys, fk)
	}
	for i := range recipients {
		f.Recipients = append(f.Recipients, fmt.Sprintf("+1212555%04d", i))
	}
	return target.Remote{URL: dep.URL, Fixture: f}
}
