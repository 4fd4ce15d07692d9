package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"poolkit/internal/relaysig"
	"poolkit/reference/pool"
)

// RelaySignatureHeader is the header that carries a relay event's signature (SPEC §7).
const RelaySignatureHeader = relaysig.Header

// MaxRelaySkew is how far a signature's timestamp may be from the server's clock.
const MaxRelaySkew = relaysig.Tolerance

// SignRelayBody returns the X-Relay-Signature value of body signed with a relay's secret
// at time t (see internal/relaysig).
func SignRelayBody(secret string, t time.Time, body []byte) string {
	return relaysig.Sign(secret, t, body)
}

var errInvalidSignature = &pool.Error{Code: pool.CodeInvalidSignature, Message: "Missing or invalid X-Relay-Signature"}

// verifyRelay checks a relay event's signature against the secret registered for the
// body's relay_id (internal/relaysig: constant-time HMAC, timestamp within 300 s).
//
// Errors: invalid_signature (unknown relay, bad HMAC, stale or missing signature).
func verifyRelay(ctx context.Context, e *pool.Engine, now time.Time, header string, body []byte) error {
	var head struct {
		RelayID string `json:"relay_id"`
	}
	if header == "" || json.Unmarshal(body, &head) != nil || head.RelayID == "" {
		return errInvalidSignature
	}
	relay, err := e.Relay(ctx, head.RelayID)
	if pool.ErrorCode(err) == pool.CodeRelayNotFound {
		return errInvalidSignature
	}
	if err != nil {
		return err
	}
	if relaysig.Verify(relay.Secret, header, body, now) != nil {
		return errInvalidSignature
	}
	return nil
}

// handleRelayEvents serves POST /relay/v1/events (SPEC §7): message.inbound,
// message.status and line.status, signed by the relay. A request that fails the signature
// check applies nothing.
func handleRelayEvents(e *pool.Engine, now func() time.Time) http.Handler {
	type group struct {
		ChatGUID     string   `json:"chat_guid"`
		Participants []string `json:"participants"`
		Name         string   `json:"name"`
	}
	type event struct {
		Type      string  `json:"type"`
		RelayID   string  `json:"relay_id"`
		LineSlot  *int    `json:"line_slot"`
		From      *string `json:"from"`
		Text      string  `json:"text"`
		Group     *group  `json:"group"`
		MessageID *string `json:"message_id"`
		Status    *string `json:"status"`
		ErrorCode string  `json:"error_code"`
		Online    *bool   `json:"online"`
		Banned    bool    `json:"banned"`
	}
	type response struct {
		OK        bool   `json:"ok"`
		Recorded  *bool  `json:"recorded,omitempty"`
		MessageID string `json:"message_id,omitempty"`
	}
	invalid := func(format string, args ...any) error {
		return pool.Errorf(pool.CodeInvalidRequest, format, args...)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if pool.ErrorCode(err) == pool.CodeInvalidJSON {
			err = errInvalidSignature // an unparsable body names no relay, so it is unsigned
		}
		if err == nil {
			err = verifyRelay(r.Context(), e, now(), r.Header.Get(RelaySignatureHeader), body)
		}
		if err != nil {
			encodeError(w, r, err)
			return
		}
		var ev event
		if err := json.Unmarshal(body, &ev); err != nil {
			encodeError(w, r, invalidShape(err))
			return
		}
		out := response{OK: true}
		ctx := r.Context()
		switch ev.Type {
		case "message.inbound":
			if ev.LineSlot == nil || ev.From == nil {
				err = invalid("message.inbound needs line_slot and from")
				break
			}
			in := pool.InboundMessage{RelayID: ev.RelayID, LineSlot: *ev.LineSlot, From: *ev.From, Text: ev.Text}
			if ev.Group != nil {
				in.Group = &pool.InboundGroup{ChatGUID: ev.Group.ChatGUID, Participants: ev.Group.Participants, Name: ev.Group.Name}
			}
			var res pool.InboundResult
			if res, err = e.RecordInbound(ctx, in); err == nil {
				out.Recorded, out.MessageID = &res.Recorded, res.MessageID
			}
		case "message.status":
			if ev.MessageID == nil || ev.Status == nil {
				err = invalid("message.status needs message_id and status")
				break
			}
			// Only messages sent from this relay's lines: one relay cannot set the status
			// of another's messages.
			err = e.RecordStatusFrom(ctx, pool.Reporter{RelayID: ev.RelayID}, *ev.MessageID, pool.Status(*ev.Status), ev.ErrorCode)
		case "line.status":
			if ev.LineSlot == nil || ev.Online == nil {
				err = invalid("line.status needs line_slot and online")
				break
			}
			err = e.RecordLineStatus(ctx, pool.LineStatus{RelayID: ev.RelayID, LineSlot: *ev.LineSlot, Online: *ev.Online, Banned: ev.Banned})
		default:
			err = invalid("type must be message.inbound, message.status or line.status")
		}
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, out)
	})
}
