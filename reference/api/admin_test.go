package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

// adminRoutes are every admin route, with a body where it takes one.
var adminRoutes = []struct{ method, path, body string }{
	{"POST", "/admin/v1/orgs", `{"name":"x"}`},
	{"GET", "/admin/v1/orgs/org_1", ""},
	{"PATCH", "/admin/v1/orgs/org_1", `{}`},
	{"POST", "/admin/v1/orgs/org_1/keys", `{"name":"k"}`},
	{"POST", "/admin/v1/orgs/org_1/numbers", `{"phone_number":"+15551110009","relay_id":"mac-1","line_slot":99}`},
	{"DELETE", "/admin/v1/keys/key_1", ""},
	{"GET", "/admin/v1/keys/key_1/numbers", ""},
	{"POST", "/admin/v1/keys/key_1/numbers", `{"phone_numbers":["+15551110001"]}`},
	{"DELETE", "/admin/v1/keys/key_1/numbers/%2B15551110001", ""},
	{"GET", "/admin/v1/keys/key_1/bindings/%2B15557654321", ""},
	{"DELETE", "/admin/v1/keys/key_1/bindings/%2B15557654321", ""},
	{"POST", "/admin/v1/relays", `{"relay_id":"mac-9","url":"http://127.0.0.1:1","secret":"s"}`},
	{"PATCH", "/admin/v1/numbers/%2B15551110001", `{"health":"banned"}`},
	{"GET", "/admin/v1/numbers/%2B15551110001/health", ""},
}

func TestAdmin_Unauthorized(t *testing.T) {
	f := newFixture(t)
	before, err := f.Admin.KeyNumbers(f.ctx, f.a.ID)
	require.NoError(t, err)
	for _, rt := range adminRoutes {
		for name, h := range map[string]http.Header{
			"no token":    nil,
			"wrong token": {"Authorization": {"Bearer " + apitest.AdminToken + "x"}},
			"prefix":      {"Authorization": {"Bearer " + apitest.AdminToken[:4]}},
			"API key":     {"Authorization": {"Bearer " + f.a.Secret}},
		} {
			req := client.Request{Method: rt.method, Path: rt.path, Header: h, Auth: client.AuthNone}
			if rt.body != "" {
				req.Body = []byte(rt.body)
			}
			resp, body := raw(t, f.Admin, req)
			require.Equal(t, 401, resp.Status, "%s %s %s", name, rt.method, rt.path)
			require.Equal(t, "unauthorized", body["code"])
		}
	}
	after, err := f.Admin.KeyNumbers(f.ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestAdmin_Disabled(t *testing.T) {
	// A server without an admin token refuses every admin request, even an empty token.
	h := newHandler(t, nil, "")
	c := client.New(h.URL, client.WithHTTPClient(h.Client))
	resp, body := raw(t, c, client.Request{Method: "POST", Path: "/admin/v1/orgs", Body: []byte(`{"name":"x"}`), Header: http.Header{"Authorization": {"Bearer "}}})
	require.Equal(t, 401, resp.Status)
	require.Equal(t, "unauthorized", body["code"])
}

func TestAdmin_Orgs(t *testing.T) {
	s := apitest.Start(t)
	ctx := t.Context()
	org, err := s.Admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "acme"})
	require.NoError(t, err)
	require.Equal(t, 201, s.Admin.LastExchange().Status)
	require.True(t, strings.HasPrefix(org.OrganizationID, "org_"))
	require.Equal(t, "round_robin", org.Strategy)
	require.Equal(t, int64(0), org.StickyTTLSeconds)
	require.Equal(t, client.HealthSettings{Window: 50, MinSamples: 20, DegradeBelow: 0.8, RecoverAt: 0.9}, org.Health)
	require.Equal(t, apitest.Epoch.UnixMilli(), org.CreatedAt)

	w, err := s.Admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "w", Strategy: "weighted", StickyTTLSeconds: ptr(int64(3600)), Health: &client.HealthPatch{Window: ptr(10), MinSamples: ptr(5)}})
	require.NoError(t, err)
	require.Equal(t, "weighted", w.Strategy)
	require.Equal(t, int64(3600), w.StickyTTLSeconds)
	require.Equal(t, client.HealthSettings{Window: 10, MinSamples: 5, DegradeBelow: 0.8, RecoverAt: 0.9}, w.Health)

	got, err := s.Admin.Org(ctx, w.OrganizationID)
	require.NoError(t, err)
	require.Equal(t, w, got)
	_, err = s.Admin.Org(ctx, "org_nope")
	requireCode(t, err, 404, pool.CodeOrgNotFound)

	for name, body := range map[string]string{
		"bad strategy":  `{"name":"x","strategy":"random"}`,
		"empty strat":   `{"name":"x","strategy":""}`,
		"negative ttl":  `{"name":"x","sticky_ttl_seconds":-1}`,
		"huge ttl":      `{"name":"x","sticky_ttl_seconds":9223372036854775807}`,
		"no name":       `{}`,
		"bad health":    `{"name":"x","health":{"min_samples":100}}`,
		"wrong type":    `{"name":5}`,
		"not an object": `[]`,
		"long name":     `{"name":"` + strings.Repeat("n", 201) + `"}`,
	} {
		resp, b := raw(t, s.Admin, client.Request{Method: "POST", Path: "/admin/v1/orgs", Body: []byte(body), Auth: client.AuthAdmin})
		require.Equal(t, 400, resp.Status, name)
		require.Equal(t, "invalid_request", b["code"], name)
	}
	resp, b := raw(t, s.Admin, client.Request{Method: "POST", Path: "/admin/v1/orgs", Body: []byte(`{"name":`), Auth: client.AuthAdmin})
	require.Equal(t, 400, resp.Status)
	require.Equal(t, "invalid_json", b["code"])
	resp, b = raw(t, s.Admin, client.Request{Method: "POST", Path: "/admin/v1/orgs", Body: []byte(`{"name":"` + strings.Repeat("n", 1<<20) + `"}`), Auth: client.AuthAdmin})
	require.Equal(t, 413, resp.Status)
	require.Equal(t, "payload_too_large", b["code"])

	up, err := s.Admin.UpdateOrg(ctx, org.OrganizationID, client.UpdateOrgRequest{Strategy: ptr("geographic"), StickyTTLSeconds: ptr(int64(60)), Health: &client.HealthPatch{RecoverAt: ptr(0.95)}})
	require.NoError(t, err)
	require.Equal(t, 200, s.Admin.LastExchange().Status)
	require.Equal(t, "geographic", up.Strategy)
	require.Equal(t, int64(60), up.StickyTTLSeconds)
	require.Equal(t, client.HealthSettings{Window: 50, MinSamples: 20, DegradeBelow: 0.8, RecoverAt: 0.95}, up.Health)
	up, err = s.Admin.UpdateOrg(ctx, org.OrganizationID, client.UpdateOrgRequest{})
	require.NoError(t, err)
	require.Equal(t, "geographic", up.Strategy, "absent fields keep their value")

	_, err = s.Admin.UpdateOrg(ctx, org.OrganizationID, client.UpdateOrgRequest{Strategy: ptr("nope")})
	requireCode(t, err, 400, pool.CodeInvalidRequest)
	_, err = s.Admin.UpdateOrg(ctx, org.OrganizationID, client.UpdateOrgRequest{Health: &client.HealthPatch{DegradeBelow: ptr(0.99)}})
	requireCode(t, err, 400, pool.CodeInvalidRequest)
	_, err = s.Admin.UpdateOrg(ctx, "org_nope", client.UpdateOrgRequest{Strategy: ptr("weighted")})
	requireCode(t, err, 404, pool.CodeOrgNotFound)
	_, err = s.Admin.UpdateOrg(ctx, "org_nope", client.UpdateOrgRequest{Health: &client.HealthPatch{Window: ptr(5)}})
	requireCode(t, err, 404, pool.CodeOrgNotFound)
	got, err = s.Admin.Org(ctx, org.OrganizationID)
	require.NoError(t, err)
	require.Equal(t, up, got, "rejected patches change nothing")
}

func TestAdmin_Keys(t *testing.T) {
	f := newFixture(t)
	k, err := f.Admin.CreateKey(f.ctx, f.org.OrganizationID, "sales")
	require.NoError(t, err)
	require.Equal(t, 201, f.Admin.LastExchange().Status)
	require.True(t, strings.HasPrefix(k.APIKey, pool.SecretPrefix))
	require.True(t, strings.HasPrefix(k.KeyID, "key_"))
	require.Equal(t, "sales", k.Name)
	require.Equal(t, f.org.OrganizationID, k.OrganizationID)
	require.Nil(t, k.Protocol)
	require.Contains(t, string(f.Admin.LastExchange().Body), `"protocol":null`)

	me, err := f.Client(k.APIKey).Me(f.ctx)
	require.NoError(t, err)
	require.Equal(t, k.KeyID, me.KeyID)

	_, err = f.Admin.CreateKey(f.ctx, "org_nope", "x")
	requireCode(t, err, 404, pool.CodeOrgNotFound)
	resp, b := raw(t, f.Admin, client.Request{Method: "POST", Path: "/admin/v1/orgs/" + f.org.OrganizationID + "/keys", Body: []byte(`{"name":1}`), Auth: client.AuthAdmin})
	require.Equal(t, 400, resp.Status)
	require.Equal(t, "invalid_request", b["code"])

	// Revoking A unassigns its numbers (they can go to another key) and drops its access.
	require.NoError(t, f.Admin.RevokeKey(f.ctx, f.a.ID))
	require.Equal(t, 204, f.Admin.LastExchange().Status)
	require.Empty(t, f.Admin.LastExchange().Body)
	_, err = f.a.Me(f.ctx)
	requireCode(t, err, 401, pool.CodeUnauthorized)
	err = f.Admin.RevokeKey(f.ctx, f.a.ID)
	requireCode(t, err, 404, pool.CodeKeyNotFound)
	err = f.Admin.RevokeKey(f.ctx, "key_nope")
	requireCode(t, err, 404, pool.CodeKeyNotFound)
	nums, err := f.Admin.KeyNumbers(f.ctx, f.a.ID)
	require.NoError(t, err)
	require.Empty(t, nums.Numbers)
	_, err = f.Admin.AssignNumbers(f.ctx, k.KeyID, client.AssignRequest{PhoneNumbers: f.aNums})
	require.NoError(t, err)
	_, err = f.Admin.KeyNumbers(f.ctx, "key_nope")
	requireCode(t, err, 404, pool.CodeKeyNotFound)
}

func TestAdmin_Relays(t *testing.T) {
	s := apitest.Start(t)
	ctx := t.Context()
	r, err := s.Admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: "mac-1", URL: "http://10.0.0.1:7000", Secret: "top-secret"})
	require.NoError(t, err)
	require.Equal(t, 201, s.Admin.LastExchange().Status)
	require.Equal(t, client.Relay{RelayID: "mac-1", URL: "http://10.0.0.1:7000"}, r)
	require.NotContains(t, string(s.Admin.LastExchange().Body), "top-secret", "the secret is never echoed")

	_, err = s.Admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: "mac-1", URL: "http://10.0.0.2", Secret: "s"})
	requireCode(t, err, 409, pool.CodeRelayAlreadyRegistered)
	for _, bad := range []client.RegisterRelayRequest{
		{URL: "http://x", Secret: "s"},
		{RelayID: "mac 2", URL: "http://x", Secret: "s"},
		{RelayID: "mac-2", Secret: "s"},
		{RelayID: "mac-2", URL: "ftp://x", Secret: "s"},
		{RelayID: "mac-2", URL: "/relative", Secret: "s"},
		{RelayID: "mac-2", URL: "http://x"},
	} {
		_, err = s.Admin.RegisterRelay(ctx, bad)
		requireCode(t, err, 400, pool.CodeInvalidRequest)
	}
}

func TestAdmin_RegisterNumber(t *testing.T) {
	f := newFixture(t)
	org := f.org.OrganizationID
	n, err := f.Admin.RegisterNumber(f.ctx, org, client.RegisterNumberRequest{PhoneNumber: "+15556660001", RelayID: relayID, LineSlot: ptr(500), PlanKind: "shared", Weight: ptr(3)})
	require.NoError(t, err)
	require.Equal(t, 201, f.Admin.LastExchange().Status)
	require.Equal(t, client.Number{
		PhoneNumber: "+15556660001", OrganizationID: org, Provider: "blooio", RelayID: ptr(relayID), LineSlot: ptr(500),
		PlanKind: "shared", Weight: 3, Health: "active", CreatedAt: apitest.Epoch.UnixMilli(),
	}, n)

	tw, err := f.Admin.RegisterNumber(f.ctx, org, client.RegisterNumberRequest{PhoneNumber: "+15556660002", Provider: "twilio"})
	require.NoError(t, err)
	require.Equal(t, "twilio", tw.Provider)
	require.Nil(t, tw.RelayID)
	require.Nil(t, tw.LineSlot)
	require.Equal(t, "dedicated", tw.PlanKind)
	require.Equal(t, 1, tw.Weight)

	for _, tc := range []struct {
		req    client.RegisterNumberRequest
		status int
		code   pool.Code
	}{
		{client.RegisterNumberRequest{PhoneNumber: "+15556660001", RelayID: relayID, LineSlot: ptr(501)}, 409, pool.CodeNumberAlreadyRegistered},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID, LineSlot: ptr(500)}, 409, pool.CodeLineSlotTaken},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: "mac-9", LineSlot: ptr(1)}, 404, pool.CodeRelayNotFound},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", LineSlot: ptr(502)}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID, LineSlot: ptr(-1)}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "5556660003", RelayID: relayID, LineSlot: ptr(502)}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID, LineSlot: ptr(502), PlanKind: "gold"}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID, LineSlot: ptr(502), Weight: ptr(-1)}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", Provider: "twilio", PlanKind: "inbound"}, 400, pool.CodeInvalidRequest},
		{client.RegisterNumberRequest{PhoneNumber: "+15556660003", Provider: "carrier-pigeon"}, 400, pool.CodeInvalidRequest},
	} {
		_, err := f.Admin.RegisterNumber(f.ctx, org, tc.req)
		requireCode(t, err, tc.status, tc.code)
	}
	_, err = f.Admin.RegisterNumber(f.ctx, "org_nope", client.RegisterNumberRequest{PhoneNumber: "+15556660003", RelayID: relayID, LineSlot: ptr(503)})
	requireCode(t, err, 404, pool.CodeOrgNotFound)
}

func TestAdmin_Assign_POOL_PROTO(t *testing.T) {
	f := newFixture(t)
	org := f.org.OrganizationID
	k := f.Key(org)
	f.Blooio(org, relayID, "+15556660001", "")
	f.Blooio(org, relayID, "+15556660002", "")
	f.Twilio(org, "+15557770001")
	f.Twilio(org, "+15557770002")

	got, err := f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: []string{"+15556660002", "+15556660001"}, PlanKind: "shared", Weight: ptr(2)})
	require.NoError(t, err)
	require.Equal(t, 200, f.Admin.LastExchange().Status)
	require.Len(t, got.Allocations, 2)
	require.Equal(t, "+15556660002", got.Allocations[0].PhoneNumber)
	require.Equal(t, 1, got.Allocations[0].Position)
	require.Equal(t, 2, got.Allocations[1].Position)
	require.Equal(t, "shared", got.Allocations[1].PlanKind)
	require.Equal(t, 2, got.Allocations[1].Weight)

	again, err := f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: []string{"+15556660001"}})
	require.NoError(t, err)
	require.Equal(t, got.Allocations[1], again.Allocations[0], "assigning a number already in the pool is a no-op")

	for _, tc := range []struct {
		phones []string
		status int
		code   pool.Code
		msg    string
	}{
		{[]string{"+15559999999"}, 404, pool.CodeNumberNotFound, ""},
		{[]string{"+15557770001", "+15556660003"}, 404, pool.CodeNumberNotFound, ""},
		{[]string{"+15557770001", "+15552220001"}, 400, pool.CodeMixedProtocols, ""},
		{[]string{"+15552220001"}, 409, pool.CodeNumberAlreadyAllocated, ""},
		{[]string{"+15557770001"}, 409, pool.CodeKeyProtocolConflict, "API key already owns Blooio numbers"},
		{[]string{}, 400, pool.CodeInvalidRequest, ""},
	} {
		_, err := f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: tc.phones})
		ae := requireCode(t, err, tc.status, tc.code)
		if tc.msg != "" {
			require.Equal(t, tc.msg, ae.Message)
		}
	}
	_, err = f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: []string{"+15556660001"}, PlanKind: "gold"})
	requireCode(t, err, 400, pool.CodeInvalidRequest)
	_, err = f.Admin.AssignNumbers(f.ctx, "key_nope", client.AssignRequest{PhoneNumbers: []string{"+15556660001"}})
	requireCode(t, err, 404, pool.CodeKeyNotFound)
	resp, b := raw(t, f.Admin, client.Request{Method: "POST", Path: "/admin/v1/keys/" + k.ID + "/numbers", Body: []byte(`{"phone_numbers":"+15556660001"}`), Auth: client.AuthAdmin})
	require.Equal(t, 400, resp.Status)
	require.Equal(t, "invalid_request", b["code"])
	nums, err := f.Admin.KeyNumbers(f.ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"+15556660002", "+15556660001"}, nums.Phones(), "failed assignments assign nothing")

	// POOL-PROTO-3: once empty, the key takes Twilio numbers; then it refuses Blooio ones.
	require.NoError(t, f.Admin.UnassignNumber(f.ctx, k.ID, "+15556660001"))
	require.Equal(t, 204, f.Admin.LastExchange().Status)
	resp, _ = raw(t, f.Admin, client.Request{Method: "DELETE", Path: "/admin/v1/keys/" + k.ID + "/numbers/+15556660002", Auth: client.AuthAdmin})
	require.Equal(t, 204, resp.Status, "a literal + in the phone path works")
	_, err = f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: []string{"+15557770001"}})
	require.NoError(t, err)
	_, err = f.Admin.AssignNumbers(f.ctx, k.ID, client.AssignRequest{PhoneNumbers: []string{"+15556660001"}})
	ae := requireCode(t, err, 409, pool.CodeKeyProtocolConflict)
	require.Equal(t, "API key already owns Twilio numbers", ae.Message)
	me, err := k.Me(f.ctx)
	require.NoError(t, err)
	require.Equal(t, ptr("sms"), me.Protocol)

	err = f.Admin.UnassignNumber(f.ctx, k.ID, "+15556660001")
	requireCode(t, err, 404, pool.CodeNumberNotFound)
	err = f.Admin.UnassignNumber(f.ctx, k.ID, "+15559999999")
	requireCode(t, err, 404, pool.CodeNumberNotFound)
	err = f.Admin.UnassignNumber(f.ctx, "key_nope", "+15557770001")
	requireCode(t, err, 404, pool.CodeKeyNotFound)
}

func TestAdmin_UpdateNumber(t *testing.T) {
	f := newFixture(t)
	p := f.aNums[0]
	n, err := f.Admin.UpdateNumber(f.ctx, p, client.UpdateNumberRequest{PlanKind: ptr("trial"), Weight: ptr(7)})
	require.NoError(t, err)
	require.Equal(t, "trial", n.PlanKind)
	require.Equal(t, 7, n.Weight)
	n, err = f.Admin.UpdateNumber(f.ctx, "+15551110001", client.UpdateNumberRequest{Health: ptr("banned")})
	require.NoError(t, err)
	require.Equal(t, "banned", n.Health)
	n, err = f.Admin.UpdateNumber(f.ctx, p, client.UpdateNumberRequest{Health: ptr("active")})
	require.NoError(t, err)
	require.Equal(t, "active", n.Health)

	for _, bad := range []client.UpdateNumberRequest{
		{Health: ptr("offline")}, {Health: ptr("degraded")}, {PlanKind: ptr("gold")}, {Weight: ptr(1001)},
	} {
		_, err = f.Admin.UpdateNumber(f.ctx, p, bad)
		requireCode(t, err, 400, pool.CodeInvalidRequest)
	}
	_, err = f.Admin.UpdateNumber(f.ctx, "+15559999999", client.UpdateNumberRequest{Weight: ptr(1)})
	requireCode(t, err, 404, pool.CodeNumberNotFound)
	n, err = f.Admin.UpdateNumber(f.ctx, p, client.UpdateNumberRequest{})
	require.NoError(t, err)
	require.Equal(t, 7, n.Weight, "rejected patches change nothing")
}

func TestAdmin_NumberHealth(t *testing.T) {
	f := newFixture(t)
	h, err := f.Admin.NumberHealth(f.ctx, f.aNums[0])
	require.NoError(t, err)
	require.Equal(t, client.NumberHealth{PhoneNumber: f.aNums[0], Status: "active", Window: 50}, h)
	require.Contains(t, string(f.Admin.LastExchange().Body), `"delivered_ratio":null`)

	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}}, client.SendOptions{FromHeader: f.aNums[0]})
	require.NoError(t, err)
	for i, st := range []string{"delivered", "failed"} {
		_, err := f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), client.RelayEvent{Type: "message.status", RelayID: relayID, MessageID: res.MessageIDs[i], Status: st})
		require.NoError(t, err)
	}
	h, err = f.Admin.NumberHealth(f.ctx, f.aNums[0])
	require.NoError(t, err)
	require.Equal(t, ptr(0.5), h.DeliveredRatio)
	require.Equal(t, 2, h.Samples)

	_, err = f.Admin.NumberHealth(f.ctx, "+15559999999")
	requireCode(t, err, 404, pool.CodeNumberNotFound)
}

func TestAdmin_Bindings(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	f.Clock.Advance(1500 * 1e6)

	b, err := f.Admin.Binding(f.ctx, f.a.ID, "+15557654321")
	require.NoError(t, err)
	require.Equal(t, client.Binding{Recipient: "+15557654321", AllocationID: res.AllocationID, PhoneNumber: res.FromNumber, UpdatedAt: apitest.Epoch.UnixMilli()}, b)
	resp, _ := raw(t, f.Admin, client.Request{Method: "GET", Path: "/admin/v1/keys/" + f.a.ID + "/bindings/+15557654321", Auth: client.AuthAdmin})
	require.Equal(t, 200, resp.Status, "a literal + works too")

	require.NoError(t, f.Admin.ResetBinding(f.ctx, f.a.ID, "+15557654321"))
	require.Equal(t, 204, f.Admin.LastExchange().Status)
	_, err = f.Admin.Binding(f.ctx, f.a.ID, "+15557654321")
	requireCode(t, err, 404, pool.CodeBindingNotFound)
	err = f.Admin.ResetBinding(f.ctx, f.a.ID, "+15557654321")
	requireCode(t, err, 404, pool.CodeBindingNotFound)

	// The next send selects afresh: round robin moves on.
	again, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	require.NotEqual(t, res.FromNumber, again.FromNumber)

	g, err := f.a.Send(f.ctx, "bob@example.com,+15557000001", client.SendBody{Text: "g"}, client.SendOptions{})
	require.NoError(t, err)
	for _, r := range []string{g.GroupID, "+15557000001,Bob@Example.com"} {
		b, err := f.Admin.Binding(f.ctx, f.a.ID, r)
		require.NoError(t, err, r)
		require.Equal(t, g.GroupID, b.Recipient)
	}

	_, err = f.Admin.Binding(f.ctx, f.a.ID, "not-a-handle")
	requireCode(t, err, 400, pool.CodeInvalidChatID)
	err = f.Admin.ResetBinding(f.ctx, f.a.ID, "not-a-handle")
	requireCode(t, err, 400, pool.CodeInvalidChatID)
	_, err = f.Admin.Binding(f.ctx, "key_nope", "+15557654321")
	requireCode(t, err, 404, pool.CodeKeyNotFound)
	_, err = f.Admin.Binding(f.ctx, f.b.ID, "+15557654321")
	requireCode(t, err, 404, pool.CodeBindingNotFound)
}
