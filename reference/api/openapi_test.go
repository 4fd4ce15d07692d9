package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/api"
	"poolkit/reference/api/apitest"
)

func TestOpenAPI_Served(t *testing.T) {
	f := newFixture(t)
	doc := apitest.LoadOpenAPI(t)
	require.Equal(t, "3.1.0", doc.Doc.OpenAPI)
	served, err := f.a.OpenAPI(f.ctx)
	require.NoError(t, err)
	require.JSONEq(t, string(api.OpenAPI), string(served))
}

// TestOpenAPI_ValidatorCatches feeds the response validator responses the document does
// not allow, so that a passing suite means something.
func TestOpenAPI_ValidatorCatches(t *testing.T) {
	doc := apitest.LoadOpenAPI(t)
	jsonHeader := func(extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	send, _ := http.NewRequest(http.MethodPost, "http://x/v2/api/chats/%2B15551234567/messages", nil)
	me, _ := http.NewRequest(http.MethodGet, "http://x/v2/api/me", nil)
	revoke, _ := http.NewRequest(http.MethodDelete, "http://x/admin/v1/keys/key_1", nil)
	nowhere, _ := http.NewRequest(http.MethodGet, "http://x/nowhere", nil)
	good := `{"message_id":"m","status":"queued","from_number":"+15551110001","allocation_id":"a","protocol":"imessage","chat_id":"+15551234567"}`
	errBody := func(status int, code string) string {
		b, _ := json.Marshal(map[string]any{"error": "ApiError", "status": status, "code": code, "message": "m"})
		return string(b)
	}
	require.NoError(t, doc.ValidateResponse(send, 202, jsonHeader(), []byte(good)))
	require.NoError(t, doc.ValidateResponse(send, 503, jsonHeader("Retry-After", "5"), []byte(errBody(503, "no_active_number"))))
	require.NoError(t, doc.ValidateResponse(nowhere, 404, jsonHeader(), []byte(errBody(404, "not_found"))))

	for name, tc := range map[string]struct {
		req    *http.Request
		status int
		header http.Header
		body   string
	}{
		"missing field":          {send, 202, jsonHeader(), `{"message_id":"m"}`},
		"undocumented field":     {send, 202, jsonHeader(), good[:len(good)-1] + `,"extra":1}`},
		"wrong enum":             {send, 202, jsonHeader(), `{"message_id":"m","status":"sent","from_number":"+15551110001","allocation_id":"a","protocol":"imessage","chat_id":"c"}`},
		"undocumented status":    {me, 418, jsonHeader(), errBody(418, "teapot")},
		"503 without RetryAfter": {send, 503, jsonHeader(), errBody(503, "no_active_number")},
		"error shape":            {send, 403, jsonHeader(), `{"code":"from_number_not_in_pool"}`},
		"status field mismatch":  {send, 403, jsonHeader(), errBody(400, "invalid_request")},
		"plain-text error":       {nowhere, 404, http.Header{"Content-Type": {"text/plain"}}, "404 page not found"},
		"body on a 204":          {revoke, 204, jsonHeader(), `{}`},
	} {
		t.Run(name, func(t *testing.T) {
			require.Error(t, doc.ValidateResponse(tc.req, tc.status, tc.header, []byte(tc.body)))
		})
	}
}
