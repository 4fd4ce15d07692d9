package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"poolkit/reference/pool"
)

// RelaySignatureHeader is the header that carries a relay event's signature (SPEC §7).
const RelaySignatureHeader = "X-Relay-Signature"

// MaxRelaySkew is how far a signature's timestamp may be from the server's clock.
const MaxRelaySkew = 300 * time.Second

// SignRelayBody returns the X-Relay-Signature value of body signed with a relay's secret
// at time t: "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>".
func SignRelayBody(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(relayMAC(secret, ts, body))
}

func relayMAC(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

var errInvalidSignature = &pool.Error{Code: pool.CodeInvalidSignature, Message: "Missing or invalid X-Relay-Signature"}

// verifyRelay checks a relay event's signature against the secret registered for the
// body's relay_id, in constant time, and the timestamp against now.
//
// Errors: invalid_signature (unknown relay, bad HMAC, stale or missing signature).
func verifyRelay(ctx context.Context, e *pool.Engine, now time.Time, header string, body []byte) error {
	ts, sigs := parseSignature(header)
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errInvalidSignature
	}
	skew := int64(MaxRelaySkew / time.Second)
	if unix := now.Unix(); t < unix-skew || t > unix+skew {
		return errInvalidSignature
	}
	var head struct {
		RelayID string `json:"relay_id"`
	}
	if json.Unmarshal(body, &head) != nil || head.RelayID == "" {
		return errInvalidSignature
	}
	relay, err := e.Relay(ctx, head.RelayID)
	if pool.ErrorCode(err) == pool.CodeRelayNotFound {
		return errInvalidSignature
	}
	if err != nil {
		return err
	}
	want := relayMAC(relay.Secret, ts, body)
	ok := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return errInvalidSignature
	}
	return nil
}

// parseSignature splits "t=…,v1=…[,v1=…]" into the timestamp and the v1 signatures.
func parseSignature(h string) (ts string, sigs []string) {
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
		case k == "t" && ts == "":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	return ts, sigs
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
			err = e.RecordStatus(ctx, *ev.MessageID, pool.Status(*ev.Status), ev.ErrorCode)
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
