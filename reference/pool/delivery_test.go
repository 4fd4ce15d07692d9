package pool_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

const (
	accountSID = "AC" + "0123456789abcdef0123456789abcdef"
	apiKeySID  = "SK" + "0123456789abcdef0123456789abcdef"
)

func outboxIDs(t *testing.T, w *world) []string {
	t.Helper()
	ds, err := w.e.Outbox(w.ctx, 100)
	require.NoError(t, err)
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.Message.ID)
	}
	return ids
}

func TestOutbox(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.imessageKey("a", "+15551110001")
	first, err := w.send(k, "+15551230001", "")
	require.NoError(t, err)
	multi, err := w.e.Send(w.ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15551230002", Texts: []string{"a", "b"}})
	require.NoError(t, err)
	w.inbound("+15551110001", "+15551230003") // inbound messages are never dispatched
	require.Equal(t, []string{first.MessageID, multi.MessageIDs[0], multi.MessageIDs[1]}, outboxIDs(t, w))

	ds, err := w.e.Outbox(w.ctx, 1)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	d := ds[0]
	require.Equal(t, []string{"+15551230001"}, d.To)
	require.Equal(t, "mac-1", d.Relay.ID)
	require.Equal(t, "relay-secret", d.Relay.Secret)
	require.Equal(t, 1, d.Number.LineSlot)

	require.NoError(t, w.e.MarkDispatched(w.ctx, first.MessageID, ""))
	require.NoError(t, w.e.RetryDispatch(w.ctx, multi.MessageIDs[0], w.clock.Now().Add(time.Minute)))
	require.Equal(t, []string{multi.MessageIDs[1]}, outboxIDs(t, w), "dispatched left; the retry waits")
	w.clock.Advance(time.Minute)
	require.Equal(t, []string{multi.MessageIDs[1], multi.MessageIDs[0]}, outboxIDs(t, w), "the earliest due first")
	m, err := w.e.Message(w.ctx, k.ID, multi.MessageIDs[0])
	require.NoError(t, err)
	require.Equal(t, 1, m.Attempts)
	// A final failure takes it out too, and counts as a delivery outcome.
	require.NoError(t, w.e.RecordStatus(w.ctx, multi.MessageIDs[0], pool.StatusFailed, "line_offline"))
	require.Equal(t, []string{multi.MessageIDs[1]}, outboxIDs(t, w))
	rep, err := w.e.NumberHealth(w.ctx, "+15551110001")
	require.NoError(t, err)
	require.Equal(t, 1, rep.Samples)

	in := w.inbound("+15551110001", "+15551230004")
	requireCode(t, w.e.MarkDispatched(w.ctx, in.MessageID, ""), pool.CodeMessageNotFound)
	requireCode(t, w.e.RetryDispatch(w.ctx, "msg_nope", time.Time{}), pool.CodeMessageNotFound)
}

func TestOutbox_Groups(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	k := w.key("a")
	w.blooio(pool.PlanInbound, "+15559990001")
	w.blooio(pool.PlanDedicated, "+15551110001")
	w.assign(k, "+15559990001", "+15551110001")
	res, err := w.e.RecordInbound(w.ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 1, From: "+15551230001",
		Group: &pool.InboundGroup{ChatGUID: "iMessage;+;chat123", Participants: []string{"+15551230002"}}})
	require.NoError(t, err)
	reply, err := w.send(k, res.GroupID, "")
	require.NoError(t, err)
	adhoc, err := w.send(k, "+15551230005,+15551230006", "")
	require.NoError(t, err)
	ds, err := w.e.Outbox(w.ctx, 10)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	require.Equal(t, reply.MessageID, ds[0].Message.ID)
	require.Equal(t, "iMessage;+;chat123", ds[0].ChatGUID, "a relay's group is addressed by its chat guid")
	require.Empty(t, ds[0].To)
	require.Equal(t, adhoc.MessageID, ds[1].Message.ID)
	require.Equal(t, []string{"+15551230005", "+15551230006"}, ds[1].To, "an ad-hoc group by its participants")
}

func TestIntegrations(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	for name, spec := range map[string]pool.IntegrationSpec{
		"no account":     {OrgID: w.org.ID, APIKeySID: apiKeySID, APIKeySecret: "s"},
		"bad key sid":    {OrgID: w.org.ID, AccountSID: accountSID, APIKeySID: "SK1", APIKeySecret: "s"},
		"no secret":      {OrgID: w.org.ID, AccountSID: accountSID, APIKeySID: apiKeySID},
		"not alphanumer": {OrgID: w.org.ID, AccountSID: "AC" + strings.Repeat("-", 32), APIKeySID: apiKeySID, APIKeySecret: "s"},
	} {
		_, err := w.e.CreateIntegration(w.ctx, spec)
		requireCode(t, err, pool.CodeInvalidRequest, name)
	}
	_, err := w.e.CreateIntegration(w.ctx, pool.IntegrationSpec{OrgID: "org_nope", AccountSID: accountSID, APIKeySID: apiKeySID, APIKeySecret: "s"})
	requireCode(t, err, pool.CodeOrgNotFound)
	in, err := w.e.CreateIntegration(w.ctx, pool.IntegrationSpec{OrgID: w.org.ID, AccountSID: accountSID, APIKeySID: apiKeySID, APIKeySecret: "s"})
	require.NoError(t, err)
	require.Len(t, in.Token, 32)
	got, err := w.e.Integration(w.ctx, w.org.ID, in.ID)
	require.NoError(t, err)
	require.Equal(t, in, got)
	_, err = w.e.Integration(w.ctx, "org_other", in.ID)
	requireCode(t, err, pool.CodeIntegrationNotFound, "another org's integration")

	w.twilio("+15552220009") // registered before: the import of it fails whole
	_, err = w.e.ImportNumbers(w.ctx, in.ID, []string{"+15552220001", "+15552220009"})
	requireCode(t, err, pool.CodeNumberAlreadyRegistered)
	_, err = w.e.Number(w.ctx, "+15552220001")
	requireCode(t, err, pool.CodeNumberNotFound, "all or nothing")
	_, err = w.e.ImportNumbers(w.ctx, in.ID, nil)
	requireCode(t, err, pool.CodeInvalidRequest)
	_, err = w.e.ImportNumbers(w.ctx, "int_nope", []string{"+15552220001"})
	requireCode(t, err, pool.CodeIntegrationNotFound)
	nums, err := w.e.ImportNumbers(w.ctx, in.ID, []string{"+15552220001", "+15552220002", "+15552220001"})
	require.NoError(t, err)
	require.Len(t, nums, 2)
	require.Equal(t, in.ID, nums[0].IntegrationID)
	require.Equal(t, pool.PlanDedicated, nums[0].PlanKind)

	k := w.key("sms")
	w.assign(k, "+15552220002", "+15552220001")
	res, err := w.send(k, "+15551234567", "")
	require.NoError(t, err)
	require.Equal(t, "+15552220002", res.From)
	ds, err := w.e.Outbox(w.ctx, 10)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, in, ds[0].Integration)
	require.Equal(t, pool.ProviderTwilio, ds[0].Number.Provider)
	require.NoError(t, w.e.MarkDispatched(w.ctx, res.MessageID, "SM123"))
	m, err := w.e.Message(w.ctx, k.ID, res.MessageID)
	require.NoError(t, err)
	require.Equal(t, "SM123", m.ExternalRef)
}

func TestOfflineRelays(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	_, err := w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-2", URL: "http://127.0.0.1:2", Secret: "s2"})
	require.NoError(t, err)
	w.imessageKey("a", "+15551110001", "+15551110002")
	_, err = w.e.RegisterNumber(w.ctx, pool.NumberSpec{OrgID: w.org.ID, Phone: "+15551110003", Provider: pool.ProviderBlooio, RelayID: "mac-2", LineSlot: 1})
	require.NoError(t, err)
	got, err := w.e.OfflineRelays(w.ctx)
	require.NoError(t, err)
	require.Empty(t, got)
	require.NoError(t, w.e.SetOffline(w.ctx, "+15551110002", true))
	got, err = w.e.OfflineRelays(w.ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "mac-1", got[0].Relay.ID)
	require.Len(t, got[0].Lines, 2, "all lines of the relay, to compare with its health report")
	require.True(t, got[0].Lines[1].Offline)
}

func TestRecordStatusFrom(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	_, err := w.e.RegisterRelay(w.ctx, pool.Relay{ID: "mac-2", URL: "http://127.0.0.1:2", Secret: "s2"})
	require.NoError(t, err)
	k := w.imessageKey("a", "+15551110001") // on mac-1
	in, err := w.e.CreateIntegration(w.ctx, pool.IntegrationSpec{OrgID: w.org.ID, AccountSID: accountSID, APIKeySID: apiKeySID, APIKeySecret: "s"})
	require.NoError(t, err)
	other, err := w.e.CreateIntegration(w.ctx, pool.IntegrationSpec{OrgID: w.org.ID, AccountSID: accountSID, APIKeySID: apiKeySID, APIKeySecret: "s"})
	require.NoError(t, err)
	_, err = w.e.ImportNumbers(w.ctx, in.ID, []string{"+15552220001"})
	require.NoError(t, err)
	sms := w.key("sms")
	w.assign(sms, "+15552220001")
	imsg, err := w.send(k, "+15551230001", "")
	require.NoError(t, err)
	text, err := w.send(sms, "+15551230001", "")
	require.NoError(t, err)

	for name, c := range map[string]struct {
		from pool.Reporter
		id   string
	}{
		"another relay":        {pool.Reporter{RelayID: "mac-2"}, imsg.MessageID},
		"a relay, sms message": {pool.Reporter{RelayID: "mac-1"}, text.MessageID},
		"another integration":  {pool.Reporter{IntegrationID: other.ID}, text.MessageID},
		"integration, imsg":    {pool.Reporter{IntegrationID: in.ID}, imsg.MessageID},
	} {
		requireCode(t, w.e.RecordStatusFrom(w.ctx, c.from, c.id, pool.StatusDelivered, ""), pool.CodeMessageNotFound, name)
	}
	for _, id := range []string{imsg.MessageID, text.MessageID} {
		m, err := w.e.Message(w.ctx, map[string]string{imsg.MessageID: k.ID, text.MessageID: sms.ID}[id], id)
		require.NoError(t, err)
		require.Equal(t, pool.StatusQueued, m.Status, "a foreign report changes nothing")
	}
	require.NoError(t, w.e.RecordStatusFrom(w.ctx, pool.Reporter{RelayID: "mac-1"}, imsg.MessageID, pool.StatusDelivered, ""))
	require.NoError(t, w.e.RecordStatusFrom(w.ctx, pool.Reporter{IntegrationID: in.ID}, text.MessageID, pool.StatusDelivered, ""))
}
