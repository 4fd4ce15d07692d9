package target_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/client"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
	"poolkit/target"
	"poolkit/target/targettest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseFixture_Example(t *testing.T) {
	f, err := target.LoadFixture("testdata/fixture.example.yaml", env(map[string]string{
		"STAGING_KEY_OUTREACH": "sk_outreach", "STAGING_KEY_AGENT": "sk_agent", "STAGING_KEY_SMS": "sk_sms",
	}))
	require.NoError(t, err)
	require.Len(t, f.Keys, 3)
	assert.Equal(t, "https://staging.example.com", f.URL)
	assert.Equal(t, "round_robin", f.Strategy)
	assert.Equal(t, "sk_outreach", f.Keys[0].Secret)
	assert.Equal(t, "+12125550103", f.Keys[0].Numbers[2].Phone)
	assert.Equal(t, "inbound", f.Keys[1].Numbers[0].PlanKind)
	assert.Equal(t, "sms", f.Keys[2].Protocol)
	assert.Equal(t, []string{"+13105550177"}, f.ForeignNumbers)
	assert.Equal(t, "{from}", f.Hooks.Inbound[3])
	require.NotNil(t, f.FreshRecipients)
}

func TestParseFixture_Errors(t *testing.T) {
	secrets := env(map[string]string{"K": "very-secret-value"})
	cases := []struct{ name, yaml, want string }{
		{"unknown key", "keys: []\nrecipeints: []\n", "f.yaml:2: field recipeints not found"},
		{"type error", "keys:\n  - name: a\n    numbers: 3\n", "f.yaml:3:"},
		{"unset secret", "keys:\n  - {name: a, secret_env: MISSING, protocol: imessage}\n", "$MISSING is not set"},
		{"bad protocol", "keys:\n  - {name: a, secret_env: K, protocol: rcs}\n", "protocol must be imessage or sms"},
		{"bad phone", "keys:\n  - {name: a, secret_env: K, protocol: sms, numbers: [{phone: \"555\"}]}\n", "is not E.164"},
		{"number in two keys", "keys:\n  - {name: a, secret_env: K, protocol: sms, numbers: [{phone: \"+15551110001\"}]}\n  - {name: b, secret_env: K, protocol: sms, numbers: [{phone: \"+15551110001\"}]}\n", "at most one pool"},
		{"bad plan kind", "keys:\n  - {name: a, secret_env: K, protocol: sms, numbers: [{phone: \"+15551110001\", plan_kind: vip}]}\n", "plan_kind \"vip\""},
		{"bad strategy", "strategy: random\n", "strategy: \"random\""},
		{"bad recipient", "recipients: [\"hello\"]\n", "neither E.164 nor an email"},
		{"foreign is own", "keys:\n  - {name: a, secret_env: K, protocol: sms, numbers: [{phone: \"+15551110001\"}]}\nforeign_numbers: [\"+15551110001\"]\n", "is a number of this fixture"},
		{"bad timeout", "hooks: {timeout: soon}\n", "hooks.timeout"},
		{"empty", "", "f.yaml:1: empty fixture"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := target.ParseFixture("f.yaml", []byte(c.yaml), secrets)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "very-secret-value", "secrets never appear in errors")
		})
	}
}

func TestConfig_Resolve(t *testing.T) {
	tg, err := target.Config{}.Resolve(env(nil))
	require.NoError(t, err)
	assert.IsType(t, target.Embedded{}, tg)

	_, err = target.Config{FixtureFile: filepath.Join(t.TempDir(), "none.yaml")}.Resolve(env(nil))
	require.Error(t, err)

	file := filepath.Join(t.TempDir(), "f.yaml")
	require.NoError(t, os.WriteFile(file, []byte("url: http://staging.test\nadmin_token_env: TOK\n"), 0o600))
	tg, err = target.Config{FixtureFile: file}.Resolve(env(map[string]string{"TOK": "t0k"}))
	require.NoError(t, err)
	r := tg.(target.Remote)
	assert.Equal(t, "http://staging.test", r.URL)
	assert.Equal(t, "t0k", r.AdminToken)
	tg, err = target.Config{URL: "http://other.test", FixtureFile: file, AdminToken: "flag"}.Resolve(env(map[string]string{"TOK": "t0k"}))
	require.NoError(t, err)
	assert.Equal(t, "http://other.test", tg.(target.Remote).URL, "the flag wins over the fixture")
	assert.Equal(t, "flag", tg.(target.Remote).AdminToken)
}

// TestCapabilities_Detected probes deployments that offer more or less.
func TestCapabilities_Detected(t *testing.T) {
	ctx := context.Background()
	emb, err := target.Embedded{}.Open(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { emb.Close() })
	all := emb.Capabilities(ctx)
	for _, c := range target.AllCapabilities {
		assert.True(t, all.Has(c), c)
	}

	// The same embedded deployment reached as a remote one with its token: detected.
	dep, err := target.Remote{URL: emb.URL, AdminToken: emb.AdminToken}.Open(ctx)
	require.NoError(t, err)
	assert.Equal(t, all.String(), dep.Capabilities(ctx).String())

	// A wrong token: no provisioning, and so no relays of the run's own.
	dep, _ = target.Remote{URL: emb.URL, AdminToken: "wrong"}.Open(ctx)
	caps := dep.Capabilities(ctx)
	_, why, ok := caps.Lack(target.Provisioning)
	require.False(t, ok)
	assert.Contains(t, why, "refused (401)")
	assert.False(t, caps.Has(target.Inbound))
	assert.False(t, caps.Has(target.HealthControl))
	assert.NotContains(t, caps.String(), "wrong", "the token never appears")

	// No token but a fixture with an inbound hook: inbound only.
	dep, _ = target.Remote{URL: emb.URL, Fixture: &target.Fixture{Hooks: target.Hooks{Inbound: []string{"true"}}}}.Open(ctx)
	caps = dep.Capabilities(ctx)
	assert.True(t, caps.Has(target.Inbound))
	assert.False(t, caps.Has(target.Provisioning))
	assert.Contains(t, caps.Why(target.Provisioning), "no admin token")

	// A reference served without --test-clock: everything but the clock.
	srv := httptest.NewServer(api.New(pool.New(mem.New()), api.Options{AdminToken: "tok"}))
	t.Cleanup(srv.Close)
	dep, _ = target.Remote{URL: srv.URL, AdminToken: "tok"}.Open(ctx)
	caps = dep.Capabilities(ctx)
	assert.True(t, caps.Has(target.Provisioning))
	assert.False(t, caps.Has(target.Clock))
	assert.Contains(t, caps.Why(target.Clock), "--test-clock")

	// Something that is not poolkit at all.
	other := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(other.Close)
	dep, _ = target.Remote{URL: other.URL, AdminToken: "tok"}.Open(ctx)
	assert.Contains(t, dep.Capabilities(ctx).Why(target.Provisioning), "no admin API")
}

func spec(strategy string, keys ...target.KeySpec) target.Spec {
	s := target.Spec{Strategy: strategy, Keys: keys}
	for _, k := range keys {
		for _, n := range k.Numbers {
			s.Numbers = append(s.Numbers, target.NumberSpec{Name: n})
		}
	}
	return s
}

// TestOpen_BindsAFixture binds specs to a staging deployment's existing keys, and skips
// (with the reason) what it cannot offer.
func TestOpen_BindsAFixture(t *testing.T) {
	ctx := context.Background()
	staging := targettest.Staging(t, "round_robin", []targettest.StagingKey{
		{Name: "outreach", Protocol: "imessage", PlanKinds: []string{"dedicated", "dedicated", "dedicated"}},
		{Name: "agent", Protocol: "imessage", PlanKinds: []string{"inbound"}},
		{Name: "sms", Protocol: "sms", PlanKinds: []string{"dedicated", "dedicated"}},
	}, 2)
	dep, err := staging.Open(ctx)
	require.NoError(t, err)

	ws, err := target.Open(ctx, dep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b", "c"}}))
	require.NoError(t, err)
	t.Cleanup(ws.Close)
	require.True(t, ws.Bound)
	assert.Equal(t, staging.Fixture.Keys[0].Numbers[1].Phone, ws.Phone("b"))
	k, ok := ws.Key("k")
	require.True(t, ok)

	// Contacts map to the fixture's recipients, one each, stable.
	r1, err := ws.Contact(ctx, "+15550001111")
	require.NoError(t, err)
	assert.Equal(t, staging.Fixture.Recipients[0], r1)
	again, _ := ws.Contact(ctx, "+15550001111")
	assert.Equal(t, r1, again)
	assert.Equal(t, ws.Phone("a"), must(ws.Contact(ctx, ws.Phone("a"))), "the run's own numbers are not contacts")
	_, err = k.Client.Send(ctx, r1, client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	ws.Close()

	// A new run: the first recipient has a conversation with the key now, so the next
	// one is taken; then none is left.
	ws2, err := target.Open(ctx, dep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b", "c"}}))
	require.NoError(t, err)
	t.Cleanup(ws2.Close)
	r2, err := ws2.Contact(ctx, "+15550001111")
	require.NoError(t, err)
	assert.Equal(t, staging.Fixture.Recipients[1], r2)
	_, err = ws2.Contact(ctx, "+15550002222")
	why, skipped := target.IsSkip(err)
	require.True(t, skipped, "%v", err)
	assert.Contains(t, why, "needs a fresh phone recipient")

	// Two keys: an imessage pool and a Twilio one.
	two := target.Spec{
		Numbers: []target.NumberSpec{{Name: "x", PlanKind: "inbound"}, {Name: "t1", Provider: "twilio"}, {Name: "t2", Provider: "twilio"}},
		Keys:    []target.KeySpec{{Name: "agent", Numbers: []string{"x"}}, {Name: "sms", Numbers: []string{"t1", "t2"}}},
	}
	ws3, err := target.Open(ctx, dep, two)
	require.NoError(t, err)
	ws3.Close()
	assert.Equal(t, staging.Fixture.Keys[2].Numbers[0].Phone, ws3.Phone("t1"))

	skips := []struct {
		name string
		spec target.Spec
		why  string
	}{
		{"pool size", spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b"}}), "no fixture key matches key k"},
		{"strategy", spec("weighted", target.KeySpec{Name: "k", Numbers: []string{"a", "b", "c"}}), "strategy round_robin, need weighted"},
		{"health", target.Spec{Health: &target.HealthConfig{}, Keys: []target.KeySpec{{Name: "k"}}}, "health thresholds"},
		{"ttl", target.Spec{StickyTTLSeconds: ptr(int64(60)), Keys: []target.KeySpec{{Name: "k"}}}, "sticky_ttl_seconds 60"},
		{"unassigned number", target.Spec{Numbers: []target.NumberSpec{{Name: "z"}}, Keys: []target.KeySpec{{Name: "k"}}}, "number z is not in a key's pool"},
	}
	for _, s := range skips {
		t.Run(s.name, func(t *testing.T) {
			_, err := target.Open(ctx, dep, s.spec)
			why, ok := target.IsSkip(err)
			require.True(t, ok, "%v", err)
			assert.Contains(t, why, s.why)
		})
	}

	// A need the deployment lacks.
	_, err = target.Open(ctx, dep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b", "c"}}), target.HealthControl)
	why, ok = target.IsSkip(err)
	require.True(t, ok)
	assert.Contains(t, why, "needs health_control")

	// A stale fixture is an error, not a skip: it would judge the wrong pool.
	stale := &target.Fixture{Strategy: "round_robin", Keys: append([]target.FixtureKey(nil), staging.Fixture.Keys...)}
	stale.Keys[0].Numbers = append([]target.FixtureNumber(nil), stale.Keys[0].Numbers...)
	stale.Keys[0].Numbers[0], stale.Keys[0].Numbers[1] = stale.Keys[0].Numbers[1], stale.Keys[0].Numbers[0]
	sdep, _ := target.Remote{URL: staging.URL, Fixture: stale}.Open(ctx)
	_, err = target.Open(ctx, sdep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b", "c"}}))
	require.Error(t, err)
	_, skipped = target.IsSkip(err)
	assert.False(t, skipped)
	assert.Contains(t, err.Error(), "the fixture is stale")
}

// TestInboundHook runs the fixture's command template with the message's fields.
func TestInboundHook(t *testing.T) {
	ctx := context.Background()
	staging := targettest.Staging(t, "round_robin", []targettest.StagingKey{{Name: "main", Protocol: "imessage", PlanKinds: []string{"dedicated"}}}, 1)
	out := filepath.Join(t.TempDir(), "hook.txt")
	staging.Fixture.Hooks.Inbound = []string{"sh", "-c", `printf '%s|%s|%s|%s' "$0" "$1" "$2" "$3" > ` + out, "{from}", "{to}", "{text}", "{group}"}
	dep, _ := staging.Open(ctx)
	require.True(t, dep.Capabilities(ctx).Has(target.Inbound))
	ws, err := target.Open(ctx, dep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a"}}), target.Inbound)
	require.NoError(t, err)
	t.Cleanup(ws.Close)
	from := must(ws.Contact(ctx, "+15550009999"))
	res, err := ws.Inbound(ctx, target.InboundMessage{To: ws.Phone("a"), From: from, Text: "it's me"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, strings.Join([]string{from, ws.Phone("a"), "it's me", ""}, "|"), string(got))

	staging.Fixture.Hooks.Inbound = []string{"sh", "-c", "echo no phone attached >&2; exit 3"}
	_, err = ws.Inbound(ctx, target.InboundMessage{To: ws.Phone("a"), From: from})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no phone attached")
}

// TestWorkspace_Provisioned provisions a spec with relays, and moves the clock.
func TestWorkspace_Provisioned(t *testing.T) {
	ctx := context.Background()
	dep, err := target.Embedded{}.Open(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { dep.Close() })
	ws, err := target.Open(ctx, dep, spec("", target.KeySpec{Name: "k", Numbers: []string{"a", "b"}}))
	require.NoError(t, err)
	t.Cleanup(ws.Close)
	assert.False(t, ws.Bound)
	assert.NotEmpty(t, ws.Vars()["a.allocation_id"])
	k, _ := ws.Key("k")
	res, err := k.Client.Send(ctx, "+15550001234", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	assert.Equal(t, ws.Phone("a"), res.FromNumber)

	// Offline through the run's own fake relay: the engine hears it.
	off := false
	_, err = ws.Line(ctx, ws.Phone("a"), target.LineChange{Online: &off})
	require.NoError(t, err)
	_, err = k.Client.Send(ctx, "+15550001234", client.SendBody{Text: "hi"}, client.SendOptions{})
	assert.Equal(t, pool.CodeSenderUnavailable, client.CodeOf(err))

	// Inbound through the relay.
	in, err := ws.Inbound(ctx, target.InboundMessage{To: ws.Phone("b"), From: "+15550004321"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, in.Status)
	b, err := ws.Admin.Binding(ctx, k.ID, "+15550004321")
	require.NoError(t, err)
	assert.Equal(t, ws.Phone("b"), b.PhoneNumber)

	// The clock: a TTL of one hour expires after it moves.
	require.NoError(t, ws.AdvanceClock(ctx, 2*60*60e9))
}

func ptr[T any](v T) *T { return &v }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestCapabilities_DetectedOncePerRemote: the deployments a shared Remote opens (one per
// check or scenario) share one detection.
func TestCapabilities_DetectedOncePerRemote(t *testing.T) {
	var probes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	r := target.Remote{URL: srv.URL, AdminToken: "tok"}.Shared()
	for range 5 {
		dep, err := r.Open(ctx)
		require.NoError(t, err)
		assert.False(t, dep.Capabilities(ctx).Has(target.Provisioning))
	}
	assert.EqualValues(t, 1, probes.Load(), "one probe for five deployments")
	plain := target.Remote{URL: srv.URL, AdminToken: "tok"}
	for range 2 {
		dep, _ := plain.Open(ctx)
		dep.Capabilities(ctx)
	}
	assert.EqualValues(t, 3, probes.Load(), "without Shared every deployment detects")
}
