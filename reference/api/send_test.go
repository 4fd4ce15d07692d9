package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

func TestSend_Accepted(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hello"}, client.SendOptions{})
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, res.Status)
	require.Equal(t, "queued", res.State)
	require.Contains(t, f.aNums, res.FromNumber)
	require.Equal(t, "imessage", res.Protocol)
	require.Equal(t, "+15557654321", res.ChatID)
	require.NotEmpty(t, res.AllocationID)
	require.Nil(t, res.MessageIDs, "message_ids only for a text array")
	require.NotContains(t, string(f.a.LastExchange().Body), "message_ids")
	require.NotContains(t, string(f.a.LastExchange().Body), "group_id")

	msgs := messages(t, f.a, "+15557654321")
	require.Len(t, msgs, 1)
	require.Equal(t, res.MessageID, msgs[0].MessageID)
	require.Equal(t, "outbound", msgs[0].Direction)
	require.Equal(t, res.FromNumber, msgs[0].InternalID)
	require.Equal(t, "+15557654321", msgs[0].ExternalID)
	require.Equal(t, "hello", msgs[0].Text)
	require.Equal(t, "queued", msgs[0].Status)
	require.Equal(t, apitestEpochMillis(), msgs[0].TimeSent)

	// POOL-STICKY-1 through HTTP: the next send uses the same number.
	again, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "again"}, client.SendOptions{})
	require.NoError(t, err)
	require.Equal(t, res.FromNumber, again.FromNumber)
}

func TestSend_TextArray(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"one", "two", "three"}}, client.SendOptions{})
	require.NoError(t, err)
	require.Len(t, res.MessageIDs, 3)
	require.Equal(t, res.MessageIDs[0], res.MessageID)
	msgs := messages(t, f.a, "+15557654321")
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		require.Equal(t, res.MessageIDs[i], m.MessageID)
		require.Equal(t, []string{"one", "two", "three"}[i], m.Text)
	}

	one, err := f.a.Send(f.ctx, "+15557654322", client.SendBody{Text: []string{"solo"}}, client.SendOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{one.MessageID}, one.MessageIDs, "a one-element array is still an array")
}

func TestSend_Attachments(t *testing.T) {
	f := newFixture(t)
	_, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Attachments: []string{"https://example.com/a.png"}}, client.SendOptions{})
	require.NoError(t, err)
	msgs := messages(t, f.a, "+15557654321")
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"https://example.com/a.png"}, msgs[0].Attachments)
	require.Equal(t, "", msgs[0].Text)
}

func TestSend_ChatIDDecoding(t *testing.T) {
	f := newFixture(t)
	send := func(path string) (*client.Response, map[string]any) {
		t.Helper()
		return raw(t, f.a.Client, post("/v2/api/chats/"+path+"/messages", `{"text":"hi"}`, nil))
	}
	for _, tc := range []struct{ name, path, chatID string }{
		{"encoded plus", "%2B15557654321", "+15557654321"},
		{"literal plus", "+15557654321", "+15557654321"},
		{"email", "Alice@Example.com", "alice@example.com"},
		{"encoded email", "bob%40example.com", "bob@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(tc.path)
			require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
			require.Equal(t, tc.chatID, body["chat_id"])
		})
	}
	require.Len(t, messages(t, f.a, "+15557654321"), 2, "both spellings are one conversation")

	var groupID string
	t.Run("participant list", func(t *testing.T) {
		resp, body := send("%2B15557654322,%2B15557654321")
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
		require.Equal(t, true, body["group_created"])
		require.Equal(t, []any{"+15557654321", "+15557654322"}, body["participants"])
		groupID = body["group_id"].(string)
		require.True(t, strings.HasPrefix(groupID, "grp_"))

		// The same set, encoded comma and literal plus, in another order: the same group.
		resp, body = send("+15557654321%2C%2B15557654322")
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
		require.Equal(t, false, body["group_created"])
		require.Equal(t, groupID, body["group_id"])
	})
	t.Run("grp id", func(t *testing.T) {
		resp, body := send(groupID)
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
		require.Equal(t, groupID, body["group_id"])
		require.Equal(t, false, body["group_created"])
		require.Len(t, messages(t, f.a, groupID), 3)
	})
	t.Run("the client escapes", func(t *testing.T) {
		res, err := f.a.Send(f.ctx, "+15557654322,carol@example.com", client.SendBody{Text: "hi"}, client.SendOptions{})
		require.NoError(t, err)
		require.True(t, res.GroupCreated)
		require.Contains(t, f.a.LastExchange().URL, "/chats/%2B15557654322,carol@example.com/messages")
	})
	t.Run("unknown group", func(t *testing.T) {
		_, err := f.a.Send(f.ctx, "grp_doesnotexist", client.SendBody{Text: "hi"}, client.SendOptions{})
		requireCode(t, err, 404, pool.CodeChatNotFound)
	})
	t.Run("another key's group", func(t *testing.T) {
		_, err := f.b.Send(f.ctx, groupID, client.SendBody{Text: "hi"}, client.SendOptions{})
		requireCode(t, err, 404, pool.CodeChatNotFound)
	})
	for _, bad := range []string{"15557654321", "+1", "not-a-handle", "grp_", "grp_a%20b", "a@b", "%2B15557654321,", "%2B1555765432x", "%20"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			resp, body := send(bad)
			require.Equal(t, http.StatusBadRequest, resp.Status, "%s", resp.Body)
			require.Equal(t, "invalid_chat_id", body["code"])
		})
	}
}

func TestSend_FromNumber(t *testing.T) {
	f := newFixture(t)
	from := f.aNums[2]
	t.Run("body", func(t *testing.T) {
		res, err := f.a.Send(f.ctx, "+15557000001", client.SendBody{Text: "hi", FromNumber: from}, client.SendOptions{})
		require.NoError(t, err)
		require.Equal(t, from, res.FromNumber)
	})
	t.Run("header alias", func(t *testing.T) {
		res, err := f.a.Send(f.ctx, "+15557000002", client.SendBody{Text: "hi"}, client.SendOptions{FromHeader: from})
		require.NoError(t, err)
		require.Equal(t, from, res.FromNumber)
	})
	t.Run("body wins", func(t *testing.T) {
		res, err := f.a.Send(f.ctx, "+15557000003", client.SendBody{Text: "hi", FromNumber: f.aNums[1]}, client.SendOptions{FromHeader: from})
		require.NoError(t, err)
		require.Equal(t, f.aNums[1], res.FromNumber)
		_, err = f.a.Send(f.ctx, "+15557000003", client.SendBody{Text: "hi", FromNumber: f.aNums[1]}, client.SendOptions{FromHeader: "garbage"})
		require.NoError(t, err, "a bad header is not looked at when the body has from_number")
	})
	t.Run("empty body from_number counts as absent", func(t *testing.T) {
		resp, body := raw(t, f.a.Client, post("/v2/api/chats/%2B15557000004/messages", `{"text":"hi","from_number":""}`, http.Header{"X-From-Number": {from}}))
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
		require.Equal(t, from, body["from_number"])
		resp, _ = raw(t, f.a.Client, post("/v2/api/chats/%2B15557000005/messages", `{"text":"hi","from_number":null}`, nil))
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
	})
	t.Run("not E.164", func(t *testing.T) {
		for _, bad := range []string{"5551110001", "+1555111000x", "+0123", "+1 555 111 0001"} {
			_, err := f.a.Send(f.ctx, "+15557000006", client.SendBody{Text: "hi", FromNumber: bad}, client.SendOptions{})
			requireCode(t, err, 400, pool.CodeInvalidFromNumber)
			_, err = f.a.Send(f.ctx, "+15557000006", client.SendBody{Text: "hi"}, client.SendOptions{FromHeader: bad})
			requireCode(t, err, 400, pool.CodeInvalidFromNumber)
		}
	})
	t.Run("not a string", func(t *testing.T) {
		for _, v := range []string{`15551110001`, `true`, `["+15551110001"]`, `{}`} {
			resp, body := raw(t, f.a.Client, post("/v2/api/chats/%2B15557000007/messages", `{"text":"hi","from_number":`+v+`}`, nil))
			require.Equal(t, http.StatusBadRequest, resp.Status)
			require.Equal(t, "invalid_request", body["code"])
		}
	})
	t.Run("POOL-FROM-2 another key's number reveals nothing", func(t *testing.T) {
		_, err := f.a.Send(f.ctx, "+15557000008", client.SendBody{Text: "hi", FromNumber: f.bNum}, client.SendOptions{})
		ae := requireCode(t, err, 403, pool.CodeFromNumberNotInPool)
		require.Equal(t, "This API key does not own the specified from_number", ae.Message)
		require.Empty(t, ae.Fields)
		owned := ae.Body
		require.NotContains(t, string(owned), f.b.ID)
		require.NotContains(t, string(owned), f.bNum)

		_, err = f.a.Send(f.ctx, "+15557000008", client.SendBody{Text: "hi", FromNumber: "+15559999999"}, client.SendOptions{})
		ae = requireCode(t, err, 403, pool.CodeFromNumberNotInPool)
		require.Equal(t, string(owned), string(ae.Body), "an owned and an unknown number get the same answer")
		require.Empty(t, messages(t, f.a, "+15557000008"))
	})
}

// TestSend_RequestCheckOrder checks SPEC §2's order: each request has several faults and
// must get the code of the first.
func TestSend_RequestCheckOrder(t *testing.T) {
	f := newFixture(t)
	huge := `{"text":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
	hugeBad := strings.Repeat("{", api.MaxBodyBytes+1)
	other := http.Header{"Authorization": {"Bearer " + f.b.Secret}}
	wrongKey := http.Header{"Authorization": {"Bearer bl_test_wrong"}}
	for _, tc := range []struct {
		name, chat, body string
		header           http.Header
		auth             client.Auth
		status           int
		code             pool.Code
	}{
		{"no key before everything", "not-a-chat", hugeBad, nil, client.AuthNone, 401, pool.CodeUnauthorized},
		{"wrong key", "%2B15557654321", `{"text":"hi"}`, wrongKey, client.AuthNone, 401, pool.CodeUnauthorized},
		{"size before JSON", "not-a-chat", hugeBad, nil, client.AuthAPIKey, 413, pool.CodePayloadTooLarge},
		{"size of valid JSON", "%2B15557654321", huge, nil, client.AuthAPIKey, 413, pool.CodePayloadTooLarge},
		{"JSON before chatId", "not-a-chat", `{"text":`, nil, client.AuthAPIKey, 400, pool.CodeInvalidJSON},
		{"chatId before types", "not-a-chat", `{"text":5}`, nil, client.AuthAPIKey, 400, pool.CodeInvalidChatID},
		{"types before from_number", "%2B15557654321", `{"text":5,"from_number":"bad"}`, nil, client.AuthAPIKey, 400, pool.CodeInvalidRequest},
		{"empty text before from_number", "%2B15557654321", `{"text":"","from_number":"bad"}`, nil, client.AuthAPIKey, 400, pool.CodeInvalidRequest},
		{"from_number before unknown group", "grp_nope", `{"text":"hi","from_number":"bad"}`, nil, client.AuthAPIKey, 400, pool.CodeInvalidFromNumber},
		{"unknown group before pool rules", "grp_nope", `{"text":"hi","from_number":"+15552220001"}`, nil, client.AuthAPIKey, 404, pool.CodeChatNotFound},
		{"pool rules last", "%2B15557654321", `{"text":"hi","from_number":"+15552220001"}`, nil, client.AuthAPIKey, 403, pool.CodeFromNumberNotInPool},
		{"another key's view of A's number", "%2B15557654321", `{"text":"hi","from_number":"+15551110001"}`, other, client.AuthNone, 403, pool.CodeFromNumberNotInPool},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := post("/v2/api/chats/"+tc.chat+"/messages", tc.body, tc.header)
			req.Auth = tc.auth
			resp, body := raw(t, f.a.Client, req)
			require.Equal(t, tc.status, resp.Status, "%.300s", resp.Body)
			require.Equal(t, string(tc.code), body["code"])
			require.Equal(t, "ApiError", body["error"])
			require.Equal(t, float64(tc.status), body["status"])
		})
	}
	require.Empty(t, chats(t, f.a), "rejected requests store nothing")
	require.Empty(t, chats(t, f.b))
}

func TestSend_InvalidBodies(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		body string
		code pool.Code
	}{
		{``, pool.CodeInvalidJSON},
		{`{`, pool.CodeInvalidJSON},
		{`{"text":"hi"} x`, pool.CodeInvalidJSON},
		{`{'text':'hi'}`, pool.CodeInvalidJSON},
		{`nul`, pool.CodeInvalidJSON},
		{`null`, pool.CodeInvalidRequest},
		{`[]`, pool.CodeInvalidRequest},
		{`"hi"`, pool.CodeInvalidRequest},
		{`{}`, pool.CodeInvalidRequest},
		{`{"text":null}`, pool.CodeInvalidRequest},
		{`{"text":5}`, pool.CodeInvalidRequest},
		{`{"text":true}`, pool.CodeInvalidRequest},
		{`{"text":{}}`, pool.CodeInvalidRequest},
		{`{"text":""}`, pool.CodeInvalidRequest},
		{`{"text":[]}`, pool.CodeInvalidRequest},
		{`{"text":[""]}`, pool.CodeInvalidRequest},
		{`{"text":[1]}`, pool.CodeInvalidRequest},
		{`{"text":["a",null]}`, pool.CodeInvalidRequest},
		{`{"text":"a","attachments":"https://x"}`, pool.CodeInvalidRequest},
		{`{"text":"a","attachments":[1]}`, pool.CodeInvalidRequest},
		{`{"attachments":[""]}`, pool.CodeInvalidRequest},
		{`{"attachments":[]}`, pool.CodeInvalidRequest},
	} {
		t.Run(tc.body, func(t *testing.T) {
			resp, body := raw(t, f.a.Client, post("/v2/api/chats/%2B15557654321/messages", tc.body, nil))
			require.Equal(t, http.StatusBadRequest, resp.Status, "%s", resp.Body)
			require.Equal(t, string(tc.code), body["code"])
		})
	}
	t.Run("unknown fields are ignored", func(t *testing.T) {
		resp, _ := raw(t, f.a.Client, post("/v2/api/chats/%2B15557654322/messages", `{"text":"hi","Text":5,"extra":{"a":1}}`, nil))
		require.Equal(t, http.StatusAccepted, resp.Status, "%s", resp.Body)
	})
	t.Run("idempotency key too long", func(t *testing.T) {
		_, err := f.a.Send(f.ctx, "+15557654323", client.SendBody{Text: "hi"}, client.SendOptions{IdempotencyKey: strings.Repeat("k", 256)})
		requireCode(t, err, 400, pool.CodeInvalidRequest)
	})
	require.Empty(t, messages(t, f.a, "+15557654321"))
}

func TestSend_PayloadTooLarge(t *testing.T) {
	f := newFixture(t)
	prefix, suffix := `{"text":"`, `"}`
	fits := prefix + strings.Repeat("x", api.MaxBodyBytes-len(prefix)-len(suffix)) + suffix
	require.Len(t, fits, api.MaxBodyBytes)
	resp, _ := raw(t, f.a.Client, post("/v2/api/chats/%2B15557654321/messages", fits, nil))
	require.Equal(t, http.StatusAccepted, resp.Status, "exactly 1 MiB is allowed")

	over := prefix + strings.Repeat("x", api.MaxBodyBytes-len(prefix)-len(suffix)+1) + suffix
	resp, body := raw(t, f.a.Client, post("/v2/api/chats/%2B15557654322/messages", over, nil))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.Status)
	require.Equal(t, "payload_too_large", body["code"])
	require.Empty(t, messages(t, f.a, "+15557654322"))
}

func TestSend_Idempotency(t *testing.T) {
	f := newFixture(t)
	opts := client.SendOptions{IdempotencyKey: "idem-1"}
	first, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}}, opts)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, first.Status)
	firstBody := f.a.LastExchange().Body

	replay, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}}, opts)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, replay.Status)
	require.Equal(t, string(firstBody), string(f.a.LastExchange().Body), "the replay answers with the original body")

	// The literal '+' spelling is the same normalised chatId.
	resp, _ := raw(t, f.a.Client, client.Request{Method: http.MethodPost, Path: "/v2/api/chats/+15557654321/messages",
		Body: []byte(`{"text":["a","b"]}`), Header: http.Header{"Idempotency-Key": {"idem-1"}}})
	require.Equal(t, http.StatusOK, resp.Status)
	require.Len(t, messages(t, f.a, "+15557654321"), 2)

	_, err = f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "c"}}, opts)
	requireCode(t, err, 409, pool.CodeIdempotencyKeyReused)
	_, err = f.a.Send(f.ctx, "+15557654399", client.SendBody{Text: []string{"a", "b"}}, opts)
	requireCode(t, err, 409, pool.CodeIdempotencyKeyReused)
	_, err = f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}, FromNumber: first.FromNumber}, opts)
	requireCode(t, err, 409, pool.CodeIdempotencyKeyReused)

	t.Run("scoped to the key", func(t *testing.T) {
		res, err := f.b.Send(f.ctx, "+15557654321", client.SendBody{Text: []string{"a", "b"}}, opts)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, res.Status)
	})
	t.Run("the header alias is the same effective request", func(t *testing.T) {
		o := client.SendOptions{IdempotencyKey: "idem-2"}
		res, err := f.a.Send(f.ctx, "+15557654322", client.SendBody{Text: "x", FromNumber: f.aNums[1]}, o)
		require.NoError(t, err)
		o.FromHeader = f.aNums[1]
		again, err := f.a.Send(f.ctx, "+15557654322", client.SendBody{Text: "x"}, o)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, again.Status)
		require.Equal(t, res.MessageID, again.MessageID)
	})
	t.Run("a rejected request is evaluated afresh", func(t *testing.T) {
		o := client.SendOptions{IdempotencyKey: "idem-3"}
		_, err := f.a.Send(f.ctx, "+15557654323", client.SendBody{Text: "x", FromNumber: f.bNum}, o)
		requireCode(t, err, 403, pool.CodeFromNumberNotInPool)
		res, err := f.a.Send(f.ctx, "+15557654323", client.SendBody{Text: "x"}, o)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, res.Status)
	})
	t.Run("concurrent duplicates make one message", func(t *testing.T) {
		const n = 16
		var wg sync.WaitGroup
		results := make([]client.SendResponse, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = f.a.Send(f.ctx, "+15557654324", client.SendBody{Text: "once"}, client.SendOptions{IdempotencyKey: "idem-4"})
			}()
		}
		wg.Wait()
		accepted := 0
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, results[0].MessageID, results[i].MessageID)
			if results[i].Status == http.StatusAccepted {
				accepted++
			} else {
				require.Equal(t, http.StatusOK, results[i].Status)
			}
		}
		require.Equal(t, 1, accepted)
		require.Len(t, messages(t, f.a, "+15557654324"), 1)
	})
}

func TestSend_POOL_EMPTY_1(t *testing.T) {
	f := newFixture(t)
	empty := f.Key(f.org.OrganizationID)
	_, err := empty.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	ae := requireCode(t, err, 403, pool.CodeNoNumbersAssigned)
	require.Equal(t, "No numbers assigned to this API key", ae.Message)
}

func TestSend_Unavailable_RetryAfter(t *testing.T) {
	f := newFixture(t)
	res, err := f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	require.NoError(t, err)
	for _, p := range f.aNums {
		_, err := f.Admin.PostRelayEvent(f.ctx, relaySecret, f.Clock.Now(), client.RelayEvent{
			Type: "line.status", RelayID: relayID, LineSlot: ptr(f.slotOf[p]), Online: ptr(false)})
		require.NoError(t, err)
	}
	_, err = f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	ae := requireCode(t, err, 503, pool.CodeSenderUnavailable)
	require.Equal(t, "5", ae.RetryAfter)

	_, err = f.a.Send(f.ctx, "+15557654399", client.SendBody{Text: "hi"}, client.SendOptions{})
	ae = requireCode(t, err, 503, pool.CodeNoActiveNumber)
	require.Equal(t, "5", ae.RetryAfter)
	require.Equal(t, "No active number available", ae.Message)

	_, err = f.a.Send(f.ctx, "+15557654399", client.SendBody{Text: "hi", FromNumber: res.FromNumber}, client.SendOptions{})
	ae = requireCode(t, err, 503, pool.CodeSenderUnavailable)
	require.Equal(t, "5", ae.RetryAfter)
	require.Len(t, messages(t, f.a, "+15557654321"), 1)
	require.Empty(t, messages(t, f.a, "+15557654399"))
}

func TestSend_POOL_INBOUND_1(t *testing.T) {
	f := newFixture(t)
	k := f.Key(f.org.OrganizationID)
	f.Blooio(f.org.OrganizationID, relayID, "+15553330001", "inbound")
	allocs := f.Assign(k.ID, "+15553330001")
	_, err := k.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
	ae := requireCode(t, err, 403, pool.CodeInboundOnlyNoPriorInbound)
	require.Equal(t, allocs.Allocations[0].AllocationID, ae.Field("allocation_id"))
	require.Equal(t, "+15557654321", ae.Field("external_id"))
	require.Contains(t, string(ae.Body), `"message":`, "context fields sit beside the code")
}

func TestSend_BannedAndTrial(t *testing.T) {
	f := newFixture(t)
	_, err := f.Admin.UpdateNumber(f.ctx, f.aNums[0], client.UpdateNumberRequest{Health: ptr("banned")})
	require.NoError(t, err)
	_, err = f.a.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi", FromNumber: f.aNums[0]}, client.SendOptions{})
	requireCode(t, err, 403, pool.CodeNumberBanned)

	k := f.Key(f.org.OrganizationID)
	f.Blooio(f.org.OrganizationID, relayID, "+15553330002", "trial")
	f.Assign(k.ID, "+15553330002")
	texts := make([]string, pool.TrialLimit)
	for i := range texts {
		texts[i] = fmt.Sprint("m", i)
	}
	_, err = k.Send(f.ctx, "+15557654321", client.SendBody{Text: texts}, client.SendOptions{})
	require.NoError(t, err)
	_, err = k.Send(f.ctx, "+15557654321", client.SendBody{Text: "one more"}, client.SendOptions{})
	requireCode(t, err, 402, pool.CodeTrialLimitReached)
}

func TestSend_Twilio(t *testing.T) {
	f := newFixture(t)
	k := f.Key(f.org.OrganizationID)
	f.Twilio(f.org.OrganizationID, "+15554440001")
	f.Twilio(f.org.OrganizationID, "+15554440002")
	f.Assign(k.ID, "+15554440001", "+15554440002")
	for _, to := range []string{"+15557654321", "+15557654322"} {
		res, err := k.Send(f.ctx, to, client.SendBody{Text: "sms"}, client.SendOptions{})
		require.NoError(t, err)
		require.Equal(t, "+15554440001", res.FromNumber, "POOL-TWILIO-1: the first number")
		require.Equal(t, "sms", res.Protocol)
	}
	for _, chat := range []string{"alice@example.com", "+15557654321,+15557654322", "grp_abc"} {
		_, err := k.Send(f.ctx, chat, client.SendBody{Text: "sms"}, client.SendOptions{})
		requireCode(t, err, 400, pool.CodeInvalidChatID)
	}
	// The SMS rule is a chatId check: it comes before invalid_request.
	resp, body := raw(t, k.Client, post("/v2/api/chats/alice@example.com/messages", `{"text":5}`, nil))
	require.Equal(t, 400, resp.Status)
	require.Equal(t, "invalid_chat_id", body["code"])
}

func TestSend_Unauthorized(t *testing.T) {
	f := newFixture(t)
	for name, h := range map[string]http.Header{
		"missing":    nil,
		"wrong":      {"Authorization": {"Bearer bl_test_000"}},
		"not bearer": {"Authorization": {"Basic " + f.a.Secret}},
		"empty":      {"Authorization": {"Bearer "}},
	} {
		t.Run(name, func(t *testing.T) {
			req := post("/v2/api/chats/%2B15557654321/messages", `{"text":"hi"}`, h)
			req.Auth = client.AuthNone
			resp, body := raw(t, f.a.Client, req)
			require.Equal(t, 401, resp.Status)
			require.Equal(t, "unauthorized", body["code"])
			require.Equal(t, "Invalid or missing API key.", body["message"])
		})
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		req := post("/v2/api/chats/%2B15557654321/messages", `{"text":"hi"}`, http.Header{"Authorization": {"bearer " + f.a.Secret}})
		req.Auth = client.AuthNone
		resp, _ := raw(t, f.a.Client, req)
		require.Equal(t, 202, resp.Status)
	})
	t.Run("revoked", func(t *testing.T) {
		require.NoError(t, f.Admin.RevokeKey(f.ctx, f.b.ID))
		_, err := f.b.Send(f.ctx, "+15557654321", client.SendBody{Text: "hi"}, client.SendOptions{})
		requireCode(t, err, 401, pool.CodeUnauthorized)
		_, err = f.b.Me(f.ctx)
		requireCode(t, err, 401, pool.CodeUnauthorized)
	})
	require.Len(t, messages(t, f.a, "+15557654321"), 1)
	require.False(t, bytes.Contains(f.a.LastExchange().Body, []byte(f.a.Secret)))
}

func ptr[T any](v T) *T { return &v }

func apitestEpochMillis() int64 { return apitest.Epoch.UnixMilli() }
