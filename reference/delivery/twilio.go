package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"poolkit/internal/twilioclient"
	"strconv"
	"strings"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	twilioapi "github.com/twilio/twilio-go/rest/api/v2010"

	"poolkit/reference/pool"
)

// sendTwilio creates a message with Twilio through the number's integration: API Key SID
// and secret as Basic auth, the Account SID in the path (SPEC §7). A message this
// process already saw Twilio accept is only marked again, never created again. Error
// 429/20429, 5xx and no answer retry; any other Twilio error (21211 invalid To, 21606
// From not owned, 20003 credentials, …) fails the message as "twilio_<code>".
func (d *Dispatcher) sendTwilio(ctx context.Context, job pool.Dispatch) result {
	in, id := job.Integration, job.Message.ID
	if in.ID == "" {
		return result{verdict: final, code: "no_integration"}
	}
	d.mu.Lock()
	sid, seen := d.accepted[id]
	d.mu.Unlock()
	if seen {
		return result{verdict: accepted, ref: sid}
	}
	if job.ChatGUID != "" || len(job.To) != 1 {
		return result{verdict: final, code: "twilio_group_unsupported"}
	}
	params := &twilioapi.CreateMessageParams{}
	params.SetFrom(job.Number.Phone).SetTo(job.To[0]).SetBody(job.Message.Text)
	if cb := d.statusCallback(in, id); cb != "" {
		params.SetStatusCallback(cb)
	}
	msg, err := d.twilioClient(in).Api.CreateMessage(params)
	if err != nil {
		return twilioFailure(err)
	}
	if msg.Sid != nil {
		sid = *msg.Sid
	}
	d.mu.Lock()
	d.accepted[id] = sid // until MarkDispatched succeeds: see recordAccepted
	d.mu.Unlock()
	return result{verdict: accepted, ref: sid}
}

// twilioFailure classifies a CreateMessage error.
func twilioFailure(err error) result {
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		// No Twilio answer (or one twilio-go could not read). Retrying may create a
		// second message if Twilio did apply the request: Messages have no idempotency
		// key. A failure to connect cannot have.
		return result{verdict: retryable, code: "twilio_unreachable", err: err}
	}
	code := te.Code
	if code == 0 {
		code = te.Status
	}
	res := result{verdict: final, code: "twilio_" + strconv.Itoa(code), err: err}
	if te.Status == http.StatusTooManyRequests || te.Code == 20429 || te.Status >= 500 {
		res.verdict = retryable
	}
	return res
}

// statusCallback is where Twilio reports the message's statuses: the engine's
// /twilio/v1/status/{integration_id}/{token}, with the message id in the query.
func (d *Dispatcher) statusCallback(in pool.Integration, messageID string) string {
	if d.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(d.cfg.PublicURL, "/") + "/twilio/v1/status/" + url.PathEscape(in.ID) + "/" +
		url.PathEscape(in.Token) + "?message_id=" + url.QueryEscape(messageID)
}

// twilioClient returns a twilio-go client with the integration's credentials whose
// requests go to TwilioURL. twilio-go takes no context: a create is bounded by the HTTP
// client's timeout, and like a relay send it is not cut short when Run stops.
func (d *Dispatcher) twilioClient(in pool.Integration) *twilio.RestClient {
	return twilioclient.New(d.cfg.TwilioURL, in.AccountSID, in.APIKeySID, in.APIKeySecret, d.cfg.HTTPClient)
}
