package twilio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	twilio "poolkit/fakes/twilio"
)

var clock = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func TestCreateMessage_APIKeyAuth(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{Seed: 1, Now: func() time.Time { return clock }})

	m, err := send(keyClient(t, fake), to, "hello", "")
	require.NoError(t, err)

	require.True(t, strings.HasPrefix(*m.Sid, "SM") && len(*m.Sid) == 34, *m.Sid)
	require.Equal(t, accountSid, *m.AccountSid)
	require.Equal(t, "2010-04-01", *m.ApiVersion)
	require.Equal(t, "hello", *m.Body)
	require.Equal(t, from, *m.From)
	require.Equal(t, to, *m.To)
	require.Equal(t, "queued", *m.Status)
	require.Equal(t, "outbound-api", *m.Direction)
	require.Equal(t, "1", *m.NumSegments)
	require.Equal(t, "0", *m.NumMedia)
	require.Nil(t, m.Price, "price is null until sent")
	require.Nil(t, m.DateSent, "date_sent is null until sent")
	require.Nil(t, m.ErrorCode)
	require.Nil(t, m.ErrorMessage)
	require.Equal(t, "Sat, 14 Mar 2026 15:09:26 +0000", *m.DateCreated)
	require.Equal(t, *m.DateCreated, *m.DateUpdated)
	require.Equal(t, "/2010-04-01/Accounts/"+accountSid+"/Messages/"+*m.Sid+".json", *m.Uri)

	sent := fake.Messages()
	require.Len(t, sent, 1)
	require.Equal(t, *m.Sid, sent[0].Sid)
	require.Equal(t, "hello", sent[0].Body)
	require.Empty(t, fake.Unexpected())
}

func TestCreateMessage_AccountAuth(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := newClient(t, fake, accountSid, authToken, accountSid)

	m, err := send(rc, to, strings.Repeat("a", 161), "")
	require.NoError(t, err)
	require.Equal(t, "queued", *m.Status)
	require.Equal(t, "2", *m.NumSegments, "161 GSM-7 characters take two segments")

	m, err = send(rc, to, strings.Repeat("é", 60)+"😀", "")
	require.NoError(t, err)
	require.Equal(t, "1", *m.NumSegments, "62 UTF-16 units fit one UCS-2 segment")
	require.Empty(t, fake.Unexpected())
}

func TestFetchMessage(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{Now: func() time.Time { return clock }})
	rc := keyClient(t, fake)
	created, err := send(rc, to, "hi", "")
	require.NoError(t, err)
	waitIdle(t, fake)

	m, err := rc.Api.FetchMessage(*created.Sid, nil)
	require.NoError(t, err)
	require.Equal(t, *created.Sid, *m.Sid)
	require.Equal(t, "delivered", *m.Status)
	require.NotNil(t, m.DateSent)
	_, err = time.Parse(time.RFC1123Z, *m.DateSent)
	require.NoError(t, err)
	require.NotNil(t, m.Price)
	require.Equal(t, "-0.00790", *m.Price)
	require.Equal(t, "USD", *m.PriceUnit)

	// An unknown message, and a message of another account, are Twilio's 404s, not
	// unexpected routes.
	_, err = rc.Api.FetchMessage("SM00000000000000000000000000000000", nil)
	te := restError(t, err)
	require.Equal(t, 20404, te.Code)
	require.Equal(t, 404, te.Status)
	other := newClient(t, fake, otherSid, otherToken, otherSid)
	_, err = other.Api.FetchMessage(*created.Sid, nil)
	require.Equal(t, 20404, restError(t, err).Code)
	require.Empty(t, fake.Unexpected())
}

func TestListMessage(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)
	var sids []string
	for i, dest := range []string{to, "+15559990002", to, to} {
		m, err := send(rc, dest, "n"+string(rune('0'+i)), "")
		require.NoError(t, err)
		sids = append(sids, *m.Sid)
	}

	p := &api.ListMessageParams{}
	p.SetTo(to).SetPageSize(2)
	got, err := rc.Api.ListMessage(p)
	require.NoError(t, err)
	var gotSids []string
	for _, m := range got {
		gotSids = append(gotSids, *m.Sid)
	}
	require.Equal(t, []string{sids[3], sids[2], sids[0]}, gotSids, "newest first, filtered by To")
	require.Empty(t, fake.Unexpected())
}

func TestCreateMessage_Errors(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)

	for _, tc := range []struct {
		name       string
		rc         func() error
		code, http int
	}{
		{"wrong secret 20003", func() error {
			_, err := send(newClient(t, fake, keySid, "wrong", accountSid), to, "x", "")
			return err
		}, 20003, 401},
		{"wrong auth token 20003", func() error {
			_, err := send(newClient(t, fake, accountSid, "wrong", accountSid), to, "x", "")
			return err
		}, 20003, 401},
		{"another account's path 20003", func() error {
			_, err := send(newClient(t, fake, keySid, keySecret, otherSid), to, "x", "")
			return err
		}, 20003, 401},
		{"unknown account 20003", func() error {
			_, err := send(newClient(t, fake, "AC99", "token", "AC99"), to, "x", "")
			return err
		}, 20003, 401},
		{"invalid To 21211", func() error { _, err := send(rc, "555-1234", "x", ""); return err }, 21211, 400},
		{"From not owned 21606", func() error {
			p := &api.CreateMessageParams{}
			p.SetFrom("+15550000002").SetTo(to).SetBody("x") // the other account's number
			_, err := rc.Api.CreateMessage(p)
			return err
		}, 21606, 400},
		{"no Body 21602", func() error { _, err := send(rc, to, "", ""); return err }, 21602, 400},
		{"To equals From 21266", func() error { _, err := send(rc, from, "x", ""); return err }, 21266, 400},
		{"bad StatusCallback 21609", func() error { _, err := send(rc, to, "x", "not a url"); return err }, 21609, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := restError(t, tc.rc())
			require.Equal(t, tc.code, te.Code)
			require.Equal(t, tc.http, te.Status)
			require.Contains(t, te.MoreInfo, "https://www.twilio.com/docs/errors/")
		})
	}
	require.Empty(t, fake.Messages(), "no failed create stores a message")
	require.Empty(t, fake.Unexpected())
}

func TestCreateMessage_Throttle20429(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)
	fake.Throttle(2)

	for range 2 {
		_, err := send(rc, to, "x", "")
		te := restError(t, err)
		require.Equal(t, 20429, te.Code)
		require.Equal(t, 429, te.Status)
	}
	_, err := send(rc, to, "x", "")
	require.NoError(t, err, "the burst is over")
	require.Len(t, fake.Messages(), 1)
}

func TestCreateMessage_ErrorRatio(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	rc := keyClient(t, fake)
	fake.SetErrorRatio(1)
	_, err := send(rc, to, "x", "")
	te := restError(t, err)
	require.Equal(t, 20500, te.Code)
	require.Equal(t, 500, te.Status)
	require.Empty(t, fake.Messages())

	fake.SetErrorRatio(0)
	_, err = send(rc, to, "x", "")
	require.NoError(t, err)
}

func TestLatency(t *testing.T) {
	fake, _ := newFake(t, twilio.Config{})
	fake.SetLatency(40 * time.Millisecond)
	start := time.Now()
	_, err := send(keyClient(t, fake), to, "x", "")
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
}

// Two fakes with the same seed, fed the same requests, answer the same SIDs and fail
// the same deliveries.
func TestDeterministicWithSeed(t *testing.T) {
	run := func() (sids, statuses []string) {
		fake, _ := newFake(t, twilio.Config{Seed: 42})
		fake.SetDeliveryFailure(twilio.AnyDestination, twilio.DeliveryFailure{Ratio: 0.5})
		fake.SetErrorRatio(0.3)
		rc := keyClient(t, fake)
		for range 12 {
			m, err := send(rc, to, "x", "")
			if err != nil {
				sids = append(sids, "error")
				continue
			}
			sids = append(sids, *m.Sid)
		}
		waitIdle(t, fake)
		for _, m := range fake.Messages() {
			statuses = append(statuses, m.Status)
		}
		return sids, statuses
	}
	sids1, st1 := run()
	sids2, st2 := run()
	require.Equal(t, sids1, sids2)
	require.Equal(t, st1, st2)
	require.Contains(t, sids1, "error")
	require.Contains(t, st1, "undelivered")
	require.Contains(t, st1, "delivered")
}
