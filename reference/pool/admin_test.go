package pool_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

func TestAdmin_Validation(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	bad := func(name string, err error, code pool.Code) {
		t.Helper()
		requireCode(t, err, code, name)
	}
	_, err := w.e.CreateOrg(w.ctx, pool.OrgSpec{Strategy: "random"})
	bad("strategy", err, pool.CodeInvalidRequest)
	_, err = w.e.CreateOrg(w.ctx, pool.OrgSpec{Name: strings.Repeat("x", 201)})
	bad("long name", err, pool.CodeInvalidRequest)
	_, err = w.e.CreateOrg(w.ctx, pool.OrgSpec{StickyTTL: -time.Second})
	bad("negative ttl", err, pool.CodeInvalidRequest)
	for name, h := range map[string]pool.HealthSettings{
		"window":     {Window: 0, MinSamples: 1, DegradeBelow: 0.5, RecoverAt: 0.6},
		"samples":    {Window: 10, MinSamples: 11, DegradeBelow: 0.5, RecoverAt: 0.6},
		"ratio":      {Window: 10, MinSamples: 5, DegradeBelow: 1.5, RecoverAt: 0.6},
		"hysteresis": {Window: 10, MinSamples: 5, DegradeBelow: 0.8, RecoverAt: 0.7},
	} {
		_, err := w.e.CreateOrg(w.ctx, pool.OrgSpec{Health: &h})
		bad(name, err, pool.CodeInvalidRequest)
	}
	_, err = w.e.UpdateOrg(w.ctx, "org_nope", pool.OrgPatch{})
	bad("unknown org", err, pool.CodeOrgNotFound)
	_, err = w.e.UpdateOrg(w.ctx, w.org.ID, pool.OrgPatch{Strategy: ptr(pool.Strategy("nope"))})
	bad("bad patch", err, pool.CodeInvalidRequest)
	org, err := w.e.UpdateOrg(w.ctx, w.org.ID, pool.OrgPatch{Health: &pool.HealthSettings{Window: 10, MinSamples: 5, DegradeBelow: 0.5, RecoverAt: 0.6}})
	require.NoError(t, err)
	got, err := w.e.Org(w.ctx, w.org.ID)
	require.NoError(t, err)
	require.Equal(t, org, got)
	_, err = w.e.Org(w.ctx, "org_nope")
	bad("get unknown org", err, pool.CodeOrgNotFound)

	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac 2", URL: "http://x", Secret: "s"})
	bad("relay id", err, pool.CodeInvalidRequest)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-2"})
	bad("relay url", err, pool.CodeInvalidRequest)
	_, err = w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-1", URL: "http://x", Secret: "s"})
	bad("relay twice", err, pool.CodeRelayAlreadyRegistered)
	r, err := w.e.Relay(w.ctx, "mac-1")
	require.NoError(t, err)
	require.Equal(t, "relay-secret", r.Secret)
	_, err = w.e.Relay(w.ctx, "mac-9")
	bad("unknown relay", err, pool.CodeRelayNotFound)

	spec := func(mut func(*pool.NumberSpec)) pool.NumberSpec {
		s := pool.NumberSpec{OrgID: w.org.ID, Phone: "+15551110001", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 1}
		mut(&s)
		return s
	}
	_, err = w.e.RegisterNumber(w.ctx, spec(func(*pool.NumberSpec) {}))
	require.NoError(t, err)
	for name, c := range map[string]struct {
		s    pool.NumberSpec
		code pool.Code
	}{
		"bad phone":     {spec(func(s *pool.NumberSpec) { s.Phone = "555" }), pool.CodeInvalidRequest},
		"bad provider":  {spec(func(s *pool.NumberSpec) { s.Phone, s.Provider = "+15551110002", "sms" }), pool.CodeInvalidRequest},
		"bad plan":      {spec(func(s *pool.NumberSpec) { s.Phone, s.PlanKind = "+15551110002", "gold" }), pool.CodeInvalidRequest},
		"bad weight":    {spec(func(s *pool.NumberSpec) { s.Phone, s.Weight = "+15551110002", ptr(-1) }), pool.CodeInvalidRequest},
		"no relay":      {spec(func(s *pool.NumberSpec) { s.Phone, s.RelayID = "+15551110002", "" }), pool.CodeInvalidRequest},
		"unknown relay": {spec(func(s *pool.NumberSpec) { s.Phone, s.RelayID = "+15551110002", "mac-9" }), pool.CodeRelayNotFound},
		"unknown org":   {spec(func(s *pool.NumberSpec) { s.Phone, s.OrgID = "+15551110002", "org_nope" }), pool.CodeOrgNotFound},
		"registered":    {spec(func(s *pool.NumberSpec) { s.LineSlot = 2 }), pool.CodeNumberAlreadyRegistered},
		"slot taken":    {spec(func(s *pool.NumberSpec) { s.Phone = "+15551110002" }), pool.CodeLineSlotTaken},
		"twilio inbound": {spec(func(s *pool.NumberSpec) {
			s.Phone, s.Provider, s.PlanKind = "+15551110002", pool.ProviderTwilio, pool.PlanInbound
		}), pool.CodeInvalidRequest},
	} {
		_, err := w.e.RegisterNumber(w.ctx, c.s)
		bad(name, err, c.code)
	}
	_, err = w.e.UpdateNumber(w.ctx, "+15559999999", pool.NumberPatch{})
	bad("unknown number", err, pool.CodeNumberNotFound)
	_, err = w.e.UpdateNumber(w.ctx, "+15551110001", pool.NumberPatch{PlanKind: ptr(pool.PlanKind("x"))})
	bad("bad plan patch", err, pool.CodeInvalidRequest)
	_, err = w.e.Number(w.ctx, "+15559999999")
	bad("get unknown number", err, pool.CodeNumberNotFound)
	_, err = w.e.NumberHealth(w.ctx, "+15559999999")
	bad("health of unknown number", err, pool.CodeNumberNotFound)

	k := w.key("a")
	_, _, err = w.e.CreateKey(w.ctx, "org_nope", "x")
	bad("key in unknown org", err, pool.CodeOrgNotFound)
	_, _, err = w.e.CreateKey(w.ctx, w.org.ID, strings.Repeat("x", 201))
	bad("long key name", err, pool.CodeInvalidRequest)
	_, err = w.e.Key(w.ctx, "key_nope")
	bad("unknown key", err, pool.CodeKeyNotFound)
	_, err = w.e.KeyNumbers(w.ctx, "key_nope")
	bad("numbers of unknown key", err, pool.CodeKeyNotFound)
	for name, req := range map[string]pool.AssignRequest{
		"empty":  {},
		"plan":   {Phones: []string{"+15551110001"}, PlanKind: ptr(pool.PlanKind("x"))},
		"weight": {Phones: []string{"+15551110001"}, Weight: ptr(1001)},
	} {
		_, err := w.e.AssignNumbers(w.ctx, k.ID, req)
		bad(name, err, pool.CodeInvalidRequest)
	}
	_, err = w.e.AssignNumbers(w.ctx, "key_nope", pool.AssignRequest{Phones: []string{"+15551110001"}})
	bad("assign to unknown key", err, pool.CodeKeyNotFound)
	bad("unassign from unknown key", w.e.UnassignNumber(w.ctx, "key_nope", "+15551110001"), pool.CodeKeyNotFound)
	bad("unassign unknown number", w.e.UnassignNumber(w.ctx, k.ID, "+15559999999"), pool.CodeNumberNotFound)
	bad("unassign number not in pool", w.e.UnassignNumber(w.ctx, k.ID, "+15551110001"), pool.CodeNumberNotFound)
	// Assign with plan kind and weight sets them on the number.
	got2, err := w.e.AssignNumbers(w.ctx, k.ID, pool.AssignRequest{Phones: []string{"+15551110001", "+15551110001"}, PlanKind: ptr(pool.PlanShared), Weight: ptr(7)})
	require.NoError(t, err)
	require.Len(t, got2, 1, "duplicates in a request are one number")
	require.Equal(t, pool.PlanShared, got2[0].Number.PlanKind)
	require.Equal(t, 7, got2[0].Number.Weight)
	_, err = w.e.Binding(w.ctx, "key_nope", "+15551234567")
	bad("binding of unknown key", err, pool.CodeKeyNotFound)
	_, err = w.e.Binding(w.ctx, k.ID, "bad chat")
	bad("binding of bad chat", err, pool.CodeInvalidChatID)
	_, err = w.e.Binding(w.ctx, k.ID, "+15551234567,+15551234568")
	bad("binding of unknown ad-hoc group", err, pool.CodeBindingNotFound)
	_, err = w.e.Messages(w.ctx, k.ID, "bad chat")
	bad("messages of bad chat", err, pool.CodeInvalidChatID)
	msgs, err := w.e.Messages(w.ctx, k.ID, "+15551234567,+15551234568")
	require.NoError(t, err)
	require.Empty(t, msgs)
	_, err = w.e.Group(w.ctx, k.ID, "grp_nope")
	bad("unknown group", err, pool.CodeChatNotFound)
	_, err = w.e.Message(w.ctx, k.ID, "msg_nope")
	bad("unknown message", err, pool.CodeMessageNotFound)
	requireCode(t, w.e.SetOffline(w.ctx, "+15559999999", true), pool.CodeNumberNotFound)
}

func TestMessagesAreTheKeys(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	a := w.imessageKey("a", "+15551110001")
	b := w.imessageKey("b", "+15551110002")
	res, err := w.send(a, "+15551234567", "")
	require.NoError(t, err)
	m, err := w.e.Message(w.ctx, a.ID, res.MessageID)
	require.NoError(t, err)
	require.Equal(t, pool.StatusQueued, m.Status)
	require.Equal(t, "+15551110001", m.Phone)
	_, err = w.e.Message(w.ctx, b.ID, res.MessageID)
	requireCode(t, err, pool.CodeMessageNotFound, "another key's message is not found")
	convs, err := w.e.Conversations(w.ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, convs, 1)
	convs, err = w.e.Conversations(w.ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, convs)
	g, err := w.send(a, "+15551234567,+15557654321", "")
	require.NoError(t, err)
	group, err := w.e.Group(w.ctx, a.ID, g.GroupID)
	require.NoError(t, err)
	require.Equal(t, []string{"+15551234567", "+15557654321"}, group.Participants)
	_, err = w.e.Group(w.ctx, b.ID, g.GroupID)
	requireCode(t, err, pool.CodeChatNotFound)
}

func TestParseChatID(t *testing.T) {
	for in, want := range map[string]pool.Chat{
		"+15551234567":          {Kind: pool.ChatPhone, ID: "+15551234567"},
		"Pat.Smith@Example.com": {Kind: pool.ChatEmail, ID: "pat.smith@example.com"},
		"grp_abc-123":           {Kind: pool.ChatGroup, ID: "grp_abc-123"},
		"+15557654321, a@b.co,+15551234567": {Kind: pool.ChatParticipants, ID: "+15551234567,+15557654321,a@b.co",
			Participants: []string{"+15551234567", "+15557654321", "a@b.co"}},
	} {
		got, err := pool.ParseChatID(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "grp_", "grp_a/b", "15551234567", "+1555", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@b..co",
		"+15551234567,", ",", "+15551234567,+15551234567", strings.Repeat("a", 250) + "@b.co", "grp_" + strings.Repeat("x", 70)} {
		_, err := pool.ParseChatID(in)
		requireCode(t, err, pool.CodeInvalidChatID, in)
	}
	h, ok := pool.ParseHandle("A@B.CO")
	require.True(t, ok)
	require.Equal(t, "a@b.co", h)
	_, ok = pool.ParseHandle("nope")
	require.False(t, ok)
}

func TestErrors(t *testing.T) {
	require.Equal(t, pool.Code(""), pool.ErrorCode(nil))
	require.Equal(t, pool.CodeInternal, pool.ErrorCode(errors.New("boom")))
	e := pool.Errorf(pool.CodeChatNotFound, "no chat %s", "x")
	require.Equal(t, pool.CodeChatNotFound, pool.ErrorCode(e))
	require.Equal(t, "chat_not_found: no chat x", e.Error())
	require.Equal(t, "", e.Field("allocation_id"))
	require.True(t, pool.PlanTrial.Valid())
	require.False(t, pool.PlanKind("").Valid())
}

func TestIDsAndOptions(t *testing.T) {
	seq := pool.NewSequence()
	require.Equal(t, "msg_000001", seq.NewID("msg"))
	require.Equal(t, "alloc_000002", seq.NewID("alloc"))
	r1, r2 := pool.NewRandom([32]byte{1}), pool.NewRandom([32]byte{1})
	a, b := r1.NewID("msg"), r2.NewID("msg")
	require.Equal(t, a, b, "the same seed gives the same ids")
	require.Len(t, a, len("msg_")+16)
	require.NotEqual(t, a, r1.NewID("msg"))
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := r1.NewID("k")
		require.False(t, seen[id])
		seen[id] = true
	}

	// Injected ids, entropy and geography are used.
	e := pool.New(mem.New(), pool.WithIDs(pool.NewSequence()), pool.WithEntropy(bytes.NewReader(bytes.Repeat([]byte{0xab}, 24))),
		pool.WithGeography(everythingIn415{}), pool.WithClock(func() time.Time { return time.Unix(0, 0) }))
	org, err := e.CreateOrg(t.Context(), pool.OrgSpec{Strategy: pool.StrategyGeographic})
	require.NoError(t, err)
	require.Equal(t, "org_000001", org.ID)
	k, secret, err := e.CreateKey(t.Context(), org.ID, "a")
	require.NoError(t, err)
	require.Equal(t, pool.SecretPrefix+strings.Repeat("ab", 24), secret)
	_, _, err = e.CreateKey(t.Context(), org.ID, "b")
	require.Error(t, err, "the entropy is used up")
	_, err = e.RegisterRelay(t.Context(), pool.Relay{ID: "m", URL: "http://x", Secret: "s"})
	require.NoError(t, err)
	for i, p := range []string{"+12125550001", "+12125550002"} {
		_, err := e.RegisterNumber(t.Context(), pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: "m", LineSlot: i})
		require.NoError(t, err)
	}
	_, err = e.AssignNumbers(t.Context(), k.ID, pool.AssignRequest{Phones: []string{"+12125550001", "+12125550002"}})
	require.NoError(t, err)
	// With a geography that puts every number in one area code, geographic is round-robin.
	var got []string
	for _, r := range []string{"+13055550001", "+13055550002", "+13055550003"} {
		res, err := e.Send(t.Context(), pool.SendRequest{KeyID: k.ID, ChatID: r, Texts: []string{"x"}})
		require.NoError(t, err)
		got = append(got, res.From)
	}
	require.Equal(t, []string{"+12125550001", "+12125550002", "+12125550001"}, got)
}

type everythingIn415 struct{}

func (everythingIn415) AreaCode(string) (string, bool) { return "415", true }
func (everythingIn415) Regions(string) []string        { return []string{"US-CA"} }
