package relaysig_test

import (
	"strconv"
	"strings"
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
	rotating := h + ",v1=" + relaysig.Sign("old", now, body)[len("t=1800000000,v1="):]
	require.NoError(t, relaysig.Verify("s3cret", rotating, body, now), "one valid v1 of several")
	require.NoError(t, relaysig.Verify("old", rotating, body, now))
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
		"signed t":      {"s3cret", "t=+1800000000,v1=" + h[len("t=1800000000,v1="):], body, now},
		"other version": {"s3cret", "t=1800000000,v0=" + h[len("t=1800000000,v1="):], body, now},
	} {
		require.ErrorIs(t, relaysig.Verify(c.secret, c.header, c.body, c.now), relaysig.ErrInvalid, name)
	}
}

// FuzzVerify: Verify never panics, and any header it accepts carries exactly the MAC of
// its own timestamp and the body, under the right secret.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add(relaysig.Sign("k", now, []byte("{}")), []byte("{}"))
	f.Add(relaysig.Sign("k", now.Add(-time.Minute), []byte("x")), []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if relaysig.Verify("k", header, body, now) != nil {
			return
		}
		var ts string
		var sigs []string
		for _, part := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch {
			case k == "t" && ts == "":
				ts = v
			case k == "v1":
				sigs = append(sigs, strings.ToLower(v))
			}
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		require.NoError(t, err)
		want := relaysig.Sign("k", time.Unix(sec, 0), body)
		require.Contains(t, sigs, want[strings.Index(want, "v1=")+3:])
		require.Error(t, relaysig.Verify("other", header, body, now), "another secret never verifies")
	})
}
