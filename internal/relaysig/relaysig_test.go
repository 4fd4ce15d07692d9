package relaysig_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/internal/relaysig"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"line.status"}`)
	h := relaysig.Sign("s3cret", now, body)
	require.Regexp(t, `^t=1800000000,v1=[0-9a-f]{64}$`, h)
	require.NoError(t, relaysig.Verify("s3cret", h, body, now))
	require.NoError(t, relaysig.Verify("s3cret", h, body, now.Add(relaysig.Tolerance)))
	require.NoError(t, relaysig.Verify("s3cret", h, body, now.Add(-relaysig.Tolerance)))
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"wrong secret":  {"other", h, body, now},
		"changed body":  {"s3cret", h, []byte(`{"type":"x"}`), now},
		"stale":         {"s3cret", h, body, now.Add(relaysig.Tolerance + time.Second)},
		"future":        {"s3cret", h, body, now.Add(-relaysig.Tolerance - time.Second)},
		"missing":       {"s3cret", "", body, now},
		"no v1":         {"s3cret", "t=1800000000", body, now},
		"bad hex":       {"s3cret", "t=1800000000,v1=zz", body, now},
		"bad t":         {"s3cret", "t=abc,v1=00", body, now},
		"garbage":       {"s3cret", "hello", body, now},
		"empty secret":  {"", relaysig.Sign("", now, body), body, now},
		"other version": {"s3cret", "t=1800000000,v0=" + h[len("t=1800000000,v1="):], body, now},
	} {
		require.ErrorIs(t, relaysig.Verify(c.secret, c.header, c.body, c.now), relaysig.ErrInvalid, name)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add(relaysig.Sign("k", now, []byte("{}")), []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if relaysig.Verify("k", header, body, now) == nil && header != relaysig.Sign("k", now, body) {
			// Only the exact signature of this body (or one within tolerance) verifies.
			require.Contains(t, header, "v1=")
		}
	})
}
