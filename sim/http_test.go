package sim_test

import (
	"bytes"
	"context"
	"math"
	"poolkit/target"
	"strings"
	"testing"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/sim"
)

func embedded(tb testing.TB) *target.Deployment {
	tb.Helper()
	emb, err := target.Embedded{}.Open(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { emb.Close() })
	return emb
}

// TestHTTP_AgainstTheReference provisions two pools on an embedded reference over HTTP,
// with fake Mac relays, runs a few seconds of real traffic with a failing line, and
// checks what the driver measured.
func TestHTTP_AgainstTheReference(t *testing.T) {
	emb := embedded(t)
	p := load(t, "testdata/http-small.yaml")
	r := run(t, p, sim.Options{Driver: sim.DriverHTTP, Target: sim.HTTPTarget{URL: emb.URL, AdminToken: emb.AdminToken, Concurrency: 8}})
	keepOnFailure(t, r)
	if r.Driver != "http" || r.Pools != 2 || r.Target != emb.URL {
		t.Errorf("driver %q, pools %d, target %q", r.Driver, r.Pools, r.Target)
	}
	tr := r.Traffic
	if tr.Sends != 600 || tr.Accepted+tr.Rejected != tr.Sends || tr.Accepted < 550 {
		t.Errorf("traffic %+v", tr)
	}
	if tr.Inbound == 0 {
		t.Error("no reply reached the target through the fake relays")
	}
	if tr.Delivered+tr.Failed == 0 {
		t.Error("no delivery outcome came back from the fake relays")
	}
	l := r.Latency
	if l == nil || l.Count != tr.Sends || l.P50Ms <= 0 || l.P99Ms < l.P50Ms || l.MaxMs < l.P99Ms || len(l.Histogram) == 0 {
		t.Fatalf("latency %+v", l)
	}
	var inHist int64
	for _, b := range l.Histogram {
		inHist += b.Count
	}
	if inHist != l.Count {
		t.Errorf("the histogram holds %d sends, want %d", inHist, l.Count)
	}
	if r.Stickiness.Violations != 0 || r.Stickiness.Checked == 0 {
		t.Errorf("stickiness %+v", r.Stickiness)
	}
	// The failing line (+14155551000, failures from 1s to 3s) must have been degraded.
	degraded := false
	for _, row := range r.Timeline.Health {
		degraded = degraded || row[0] == "degraded"
	}
	if !degraded || r.Numbers[0].Failed == 0 {
		t.Errorf("the failing line was never seen degraded (failed %d)", r.Numbers[0].Failed)
	}
	// Its failures step from 100 % to 0 at 3s.
	for _, rr := range r.Rotation {
		if rr.OnsetSeconds != 1 || rr.OutSeconds == nil || rr.RecoverySeconds == nil || math.Abs(*rr.RecoverySeconds-3) > 0.01 {
			t.Errorf("rotation %+v", rr)
		}
	}
	if len(r.Rotation) != 2 {
		t.Errorf("%d rotation results, want one per pool", len(r.Rotation))
	}
	if !r.Passed() {
		t.Errorf("verdict %s: %+v", r.Verdict, r.Thresholds)
	}
	var html bytes.Buffer
	if err := sim.WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if n := len(svgsOf(t, html.String())); n != 3 {
		t.Errorf("%d SVG charts, want 3 (with the latency histogram)", n)
	}
}

// TestHTTP_ExistingKeys: against keys it did not provision, the driver sends and
// measures, and lists what it had to skip.
func TestHTTP_ExistingKeys(t *testing.T) {
	emb := embedded(t)
	ctx := context.Background()
	admin := client.New(emb.URL, client.WithAdminToken(emb.AdminToken))
	org, err := admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "staging", Strategy: "round_robin"})
	if err != nil {
		t.Fatal(err)
	}
	// The deployment's own Mac relay, which the driver knows nothing of.
	phones := []string{"+14155550301", "+14155550302", "+12125550303"}
	mac := macrelay.MacConfig{ID: "staging-mac", Secret: "s3cret"}
	for i, ph := range phones {
		mac.Lines = append(mac.Lines, macrelay.LineConfig{Slot: i + 1, Phone: ph})
	}
	fleet, err := macrelay.New(macrelay.Config{EngineURL: emb.URL, Macs: []macrelay.MacConfig{mac}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	if err := fleet.Start(); err != nil {
		t.Fatal(err)
	}
	rl := fleet.Relays()[0]
	if _, err := admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: rl.RelayID, URL: rl.URL, Secret: rl.Secret}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateKey(ctx, org.OrganizationID, "fixture")
	if err != nil {
		t.Fatal(err)
	}
	for i, ph := range phones {
		slot := i + 1
		if _, err := admin.RegisterNumber(ctx, org.OrganizationID, client.RegisterNumberRequest{PhoneNumber: ph, RelayID: rl.RelayID, LineSlot: &slot}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.AssignNumbers(ctx, key.KeyID, client.AssignRequest{PhoneNumbers: phones}); err != nil {
		t.Fatal(err)
	}
	var nums []sim.ExistingNumber
	for _, ph := range phones {
		nums = append(nums, sim.ExistingNumber{Phone: ph})
	}
	p := load(t, "testdata/http-small.yaml")
	r := run(t, p, sim.Options{Driver: sim.DriverHTTP, Duration: 2 * time.Second, Rate: 60,
		Target: sim.HTTPTarget{URL: emb.URL, Keys: []sim.ExistingKey{{Secret: key.APIKey, Numbers: nums}}}})
	keepOnFailure(t, r)
	if r.Pools != 1 || len(r.Numbers) != 3 || r.Traffic.Sends != 120 || r.Traffic.Inbound != 0 {
		t.Errorf("pools %d, numbers %d, traffic %+v", r.Pools, len(r.Numbers), r.Traffic)
	}
	if r.Traffic.Rejected != 0 || r.Fairness.Picks < 30 || r.Fairness.Jain < 0.99 {
		t.Errorf("fairness %+v", r.Fairness)
	}
	if got := strings.Join(r.Skipped, "\n"); !strings.Contains(got, "faults") || !strings.Contains(got, "inbound") {
		t.Errorf("skipped %q", got)
	}
	// A key whose numbers are not the ones given is refused.
	wrong := []sim.ExistingKey{{Secret: key.APIKey, Numbers: nums[:2]}}
	if _, err := sim.Run(ctx, p, sim.Options{Driver: sim.DriverHTTP, Target: sim.HTTPTarget{URL: emb.URL, Keys: wrong}}); err == nil {
		t.Error("a wrong pool was accepted")
	}
}
