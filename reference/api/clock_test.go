package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
	"poolkit/reference/client"
)

// TestClock serves GET/POST /admin/v1/clock only when the deployment has a movable clock.
func TestClock(t *testing.T) {
	ctx := context.Background()
	get := func(s *apitest.Server) *client.Response {
		resp, err := s.Admin.Do(ctx, client.Request{Method: http.MethodGet, Path: "/admin/v1/clock", Auth: client.AuthAdmin})
		require.NoError(t, err)
		return resp
	}
	plain := apitest.Start(t)
	assert.Equal(t, http.StatusNotFound, get(plain).Status, "no clock route without Options.Clock")

	late := &lateClock{}
	s := apitest.StartWith(t, func(o *api.Options, _ string) { o.Clock = late })
	late.s = s // the server's own manual clock, known once it started
	resp := get(s)
	require.Equal(t, http.StatusOK, resp.Status)
	var c struct {
		UnixMs int64 `json:"unix_ms"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &c))
	assert.Equal(t, apitest.Epoch.UnixMilli(), c.UnixMs)

	for _, bad := range []string{`{}`, `{"advance_seconds":0}`, `{"advance_seconds":-5}`, `{"advance_seconds":"10"}`, `{"advance_seconds":1e12}`} {
		resp, err := s.Admin.Do(ctx, client.Request{Method: http.MethodPost, Path: "/admin/v1/clock", Auth: client.AuthAdmin, Body: []byte(bad)})
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.Status, bad)
	}
	assert.Equal(t, apitest.Epoch, s.Clock.Now(), "a refused request moves nothing")

	resp, err := s.Admin.Do(ctx, client.Request{Method: http.MethodPost, Path: "/admin/v1/clock", Auth: client.AuthAdmin, Body: []byte(`{"advance_seconds":90000}`)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.Status)
	assert.Equal(t, apitest.Epoch.Add(25*time.Hour), s.Clock.Now())

	resp, err = s.Admin.Do(ctx, client.Request{Method: http.MethodPost, Path: "/admin/v1/clock", Auth: client.AuthNone, Body: []byte(`{"advance_seconds":1}`)})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.Status)
}

// lateClock is the apitest server's clock, which exists only after the options are made.
type lateClock struct{ s *apitest.Server }

func (c *lateClock) Now() time.Time          { return c.s.Clock.Now() }
func (c *lateClock) Advance(d time.Duration) { c.s.Clock.Advance(d) }
