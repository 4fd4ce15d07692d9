// Package relaysig is the signature scheme of Mac relay events (SPEC §7), the same as
// Blooio's webhook signatures: X-Relay-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, "<t>.<body>")>. The fake relays sign with it; the reference's relay
// endpoint verifies with it.
package relaysig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the signature header.
const Header = "X-Relay-Signature"

// Tolerance is how far a signature's timestamp may be from the verifier's clock.
const Tolerance = 300 * time.Second

// ErrInvalid is returned for a missing, malformed, wrong or stale signature. It says no
// more on purpose: a caller learns nothing about which part was wrong.
var ErrInvalid = errors.New("relaysig: invalid signature")

// Sign returns the header value that signs body with secret at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks a header value against body and secret at time now: a timestamp within
// Tolerance of now and a valid v1 HMAC. Several v1 entries may be given (a relay rotating
// its secret signs with both); one valid is enough. HMACs are compared in constant time.
func Verify(secret, header string, body []byte, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrInvalid
		}
		switch {
		case k == "t" && ts == "":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secret == "" || strconv.FormatInt(t, 10) != ts { // only the canonical form
		return ErrInvalid
	}
	if d := now.Sub(time.Unix(t, 0)); d > Tolerance || d < -Tolerance {
		return ErrInvalid
	}
	want := mac(secret, ts, body)
	valid := false
	for _, sig := range sigs {
		got, err := hex.DecodeString(sig)
		valid = valid || err == nil && hmac.Equal(got, want)
	}
	if !valid {
		return ErrInvalid
	}
	return nil
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
