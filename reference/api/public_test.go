package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

func TestMe(t *testing.T) {
	f := newFixture(t)
	me, err := f.a.Me(f.ctx)
	require.NoError(t, err)
	require.Equal(t, "api_key", me.AuthType)
	require.True(t, me.Valid)
	require.Equal(t, f.org.OrganizationID, me.OrganizationID)
	require.Equal(t, f.a.ID, me.KeyID)
	require.Equal(t, ptr("imessage"), me.Protocol)
	require.Len(t, me.Devices, 3)
	for i, d := range me.Devices {
		require.Equal(t, f.aNums[i], d.PhoneNumber)
		require.True(t, d.IsActive)
		require.Nil(t, d.LastActive)
		require.Equal(t, "dedicated", d.PlanKind)
	}

	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	me, err = f.a.Me(f.ctx)
	require.NoError(t, err)
	for _, d := range me.Devices {
		if d.PhoneNumber == res.FromNumber {
			require.Equal(t, ptr(apitest.Epoch.UnixMilli()), d.LastActive)
		}
	}

	empty := f.Key(f.org.OrganizationID)
	me, err = empty.Me(f.ctx)
	require.NoError(t, err)
	require.Nil(t, me.Protocol, "an empty key's protocol is null")
	require.Empty(t, me.Devices)
	require.Contains(t, string(empty.LastExchange().Body), `"protocol":null`)
}

func TestMeNumbers_POOL_ISO_1(t *testing.T) {
	s := apitest.Start(t)
	ctx := t.Context()
	org, err := s.Admin.CreateOrg(ctx, client.CreateOrgRequest{Name: "h", Health: &client.HealthPatch{Window: ptr(4), MinSamples: ptr(2)}})
	require.NoError(t, err)
	s.Relay(relayID, relaySecret)
	a, b := s.Key(org.OrganizationID), s.Key(org.OrganizationID)
	phones := []string{"+15551110001", "+15551110002", "+15551110003", "+15551110004"}
	kinds := []string{"dedicated", "shared", "inbound", "2fa"}
	slots := map[string]int{}
	for i, p := range phones {
		slots[p] = s.Blooio(org.OrganizationID, relayID, p, kinds[i])
	}
	s.Blooio(org.OrganizationID, relayID, "+15552220001", "")
	s.Assign(a.ID, phones...)
	s.Assign(b.ID, "+15552220001")

	// +15551110001 degraded (two failed outcomes), +15551110002 offline, +15551110004 banned.
	for range 2 {
		res, err := a.Send(ctx, "+15557654321", client.SendBody{Text: "x"}, client.SendOptions{})
		require.NoError(t, err)
		require.Equal(t, phones[0], res.FromNumber)
		_, err = s.Admin.PostRelayEvent(ctx, relaySecret, s.Clock.Now(), client.RelayEvent{Type: "message.status", RelayID: relayID, MessageID: res.MessageID, Status: "failed"})
		require.NoError(t, err)
	}
	_, err = s.Admin.PostRelayEvent(ctx, relaySecret, s.Clock.Now(), client.RelayEvent{Type: "line.status", RelayID: relayID, LineSlot: ptr(slots[phones[1]]), Online: ptr(false)})
	require.NoError(t, err)
	_, err = s.Admin.UpdateNumber(ctx, phones[3], client.UpdateNumberRequest{Health: ptr("banned")})
	require.NoError(t, err)

	nums, err := a.MyNumbers(ctx)
	require.NoError(t, err)
	require.Equal(t, phones, nums.Phones(), "position order")
	want := []struct {
		health string
		active bool
	}{{"degraded", true}, {"offline", false}, {"active", true}, {"banned", false}}
	for i, n := range nums.Numbers {
		require.Equal(t, kinds[i], n.Type)
		require.Equal(t, n.Type, n.PlanKind)
		require.Equal(t, "imessage", n.Protocol)
		require.NotEmpty(t, n.AllocationID)
		require.Equal(t, want[i].health, n.Health, n.PhoneNumber)
		require.Equal(t, want[i].active, n.IsActive, n.PhoneNumber)
	}
	require.NotNil(t, nums.Numbers[0].LastActive)
	last, err := time.Parse(time.RFC3339, *nums.Numbers[0].LastActive)
	require.NoError(t, err)
	require.True(t, last.Equal(apitest.Epoch))
	require.Nil(t, nums.Numbers[2].LastActive)

	other, err := b.MyNumbers(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"+15552220001"}, other.Phones())

	admin, err := s.Admin.KeyNumbers(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, nums, admin, "the admin view is the key's view")
}

func TestChats(t *testing.T) {
	f := newFixture(t)
	recipients := []string{"+15557000001", "alice@example.com", "+15557000003"}
	for _, r := range recipients {
		_, err := f.a.Send(f.ctx, r, client.SendBody{Text: "hi"}, client.SendOptions{})
		require.NoError(t, err)
		f.Clock.Advance(time.Second)
	}
	g, err := f.a.Send(f.ctx, "+15557000001,+15557000002", client.SendBody{Text: "group"}, client.SendOptions{})
	require.NoError(t, err)
	f.Clock.Advance(time.Second)

	all := chats(t, f.a)
	require.Len(t, all, 4)
	require.Equal(t, g.GroupID, all[0].ChatID, "most recent first")
	require.True(t, all[0].IsGroup)
	require.Equal(t, &g.GroupID, all[0].GroupID)
	require.Equal(t, []string{"+15557000001", "+15557000002"}, all[0].Participants)
	require.Equal(t, &g.FromNumber, all[0].InternalID)
	require.Equal(t, "+15557000003", all[1].ChatID)
	require.Equal(t, "alice@example.com", all[2].ChatID)
	require.False(t, all[2].IsGroup)
	require.Nil(t, all[2].GroupID)
	require.Equal(t, []string{"alice@example.com"}, all[2].Participants)
	require.Equal(t, apitest.Epoch.Add(1*time.Second).UnixMilli(), all[2].LastMessageAt)

	page, err := f.a.Chats(f.ctx, client.Page{Limit: 2, Offset: 1})
	require.NoError(t, err)
	require.Equal(t, client.Pagination{Limit: 2, Offset: 1, Total: 4, HasMore: true}, page.Pagination)
	require.Equal(t, []client.Chat{all[1], all[2]}, page.Chats)
	page, err = f.a.Chats(f.ctx, client.Page{Offset: 10})
	require.NoError(t, err)
	require.Equal(t, client.Pagination{Limit: 50, Offset: 10, Total: 4}, page.Pagination)
	require.Empty(t, page.Chats)

	for _, q := range []string{"limit=0", "limit=201", "limit=x", "offset=-1", "offset=1.5"} {
		resp, body := raw(t, f.a.Client, client.Request{Method: http.MethodGet, Path: "/v2/api/chats?" + q})
		require.Equal(t, 400, resp.Status, q)
		require.Equal(t, "invalid_request", body["code"])
	}
	require.Empty(t, chats(t, f.b), "POOL-ISO: another key sees none of them")
}

func TestMessages(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"one", "two"}}, client.SendOptions{})
	require.NoError(t, err)
	f.Clock.Advance(time.Second)
	_, err = f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), client.RelayEvent{
		Type: "message.inbound", RelayID: relayID, LineSlot: ptr(f.slotOf[res.FromNumber]), From: "+15557654321", Text: "reply"})
	require.NoError(t, err)

	all, err := f.a.Messages(f.ctx, "+15557654321", client.Page{})
	require.NoError(t, err)
	require.Equal(t, "+15557654321", all.ChatID)
	require.Len(t, all.Messages, 3)
	require.Equal(t, []string{"outbound", "outbound", "inbound"}, []string{all.Messages[0].Direction, all.Messages[1].Direction, all.Messages[2].Direction})
	in := all.Messages[2]
	require.Equal(t, "reply", in.Text)
	require.Equal(t, "received", in.Status)
	require.Equal(t, res.FromNumber, in.InternalID)
	require.Equal(t, apitest.Epoch.Add(time.Second).UnixMilli(), in.TimeSent)

	page, err := f.a.Messages(f.ctx, "+15557654321", client.Page{Limit: 1, Offset: 1})
	require.NoError(t, err)
	require.Equal(t, []client.Message{all.Messages[1]}, page.Messages)
	require.Equal(t, client.Pagination{Limit: 1, Offset: 1, Total: 3, HasMore: true}, page.Pagination)

	none, err := f.b.Messages(f.ctx, "+15557654321", client.Page{})
	require.NoError(t, err)
	require.Empty(t, none.Messages, "another key's conversation is not visible")

	_, err = f.a.Messages(f.ctx, "grp_unknown", client.Page{})
	requireCode(t, err, 404, pool.CodeChatNotFound)
	_, err = f.a.Messages(f.ctx, "nobody", client.Page{})
	requireCode(t, err, 400, pool.CodeInvalidChatID)
	_, err = f.a.Messages(f.ctx, "+15557654321", client.Page{Limit: 500})
	requireCode(t, err, 400, pool.CodeInvalidRequest)

	// The group's messages, by grp_ id and by participant list.
	g, err := f.a.Send(f.ctx, "+15557000001,+15557000002", client.SendBody{Text: "g"}, client.SendOptions{})
	require.NoError(t, err)
	require.Len(t, messages(t, f.a, g.GroupID), 1)
	require.Len(t, messages(t, f.a, "+15557000002,+15557000001"), 1)
}

func TestMessageStatus(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}}, client.SendOptions{})
	require.NoError(t, err)
	st, err := f.a.MessageStatus(f.ctx, "+15557654321", res.MessageID)
	require.NoError(t, err)
	require.Equal(t, client.MessageStatus{
		MessageID: res.MessageID, Status: "queued", Protocol: "imessage", InternalID: res.FromNumber,
		TimeSent: apitest.Epoch.UnixMilli(),
	}, st)

	f.Clock.Advance(3 * time.Second)
	ev := client.RelayEvent{Type: "message.status", RelayID: relayID, MessageID: res.MessageID, Status: "delivered"}
	_, err = f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), ev)
	require.NoError(t, err)
	ev.MessageID, ev.Status, ev.ErrorCode = res.MessageIDs[1], "failed", "E42"
	_, err = f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), ev)
	require.NoError(t, err)

	st, err = f.a.MessageStatus(f.ctx, "+15557654321", res.MessageID)
	require.NoError(t, err)
	require.Equal(t, "delivered", st.Status)
	require.Equal(t, ptr(apitest.Epoch.Add(3*time.Second).UnixMilli()), st.TimeDelivered)
	require.Nil(t, st.Error)
	st, err = f.a.MessageStatus(f.ctx, "+15557654321", res.MessageIDs[1])
	require.NoError(t, err)
	require.Equal(t, "failed", st.Status)
	require.Equal(t, ptr("E42"), st.Error)

	_, err = f.a.MessageStatus(f.ctx, "+15557654399", res.MessageID)
	requireCode(t, err, 404, pool.CodeMessageNotFound)
	_, err = f.b.MessageStatus(f.ctx, "+15557654321", res.MessageID)
	requireCode(t, err, 404, pool.CodeMessageNotFound)
	_, err = f.a.MessageStatus(f.ctx, "+15557654321", "msg_nope")
	requireCode(t, err, 404, pool.CodeMessageNotFound)
	_, err = f.a.MessageStatus(f.ctx, "bad", res.MessageID)
	requireCode(t, err, 400, pool.CodeInvalidChatID)

	g, err := f.a.Send(f.ctx, "+15557000001,+15557000002", client.SendBody{Text: "g"}, client.SendOptions{})
	require.NoError(t, err)
	for _, chat := range []string{g.GroupID, "+15557000002,+15557000001"} {
		st, err := f.a.MessageStatus(f.ctx, chat, g.MessageID)
		require.NoError(t, err, chat)
		require.Equal(t, g.MessageID, st.MessageID)
	}
	_, err = f.a.MessageStatus(f.ctx, "+15557000001,+15557000003", g.MessageID)
	requireCode(t, err, 404, pool.CodeMessageNotFound)
}

func TestPublic_Unauthorized(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{
		"/v2/api/me", "/v2/api/me/numbers", "/v2/api/chats",
		"/v2/api/chats/%2B15557654321/messages", "/v2/api/chats/%2B15557654321/messages/msg_1/status",
	} {
		resp, body := raw(t, f.a.Client, client.Request{Method: http.MethodGet, Path: path, Auth: client.AuthNone})
		require.Equal(t, 401, resp.Status, path)
		require.Equal(t, "unauthorized", body["code"], path)
		resp, _ = raw(t, f.a.Client, client.Request{Method: http.MethodGet, Path: path, Auth: client.AuthAdmin})
		require.Equal(t, 401, resp.Status, "the admin token is not an API key: %s", path)
	}
}
