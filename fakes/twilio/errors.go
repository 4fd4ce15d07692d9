package twilio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Twilio error codes the fake answers with (https://www.twilio.com/docs/api/errors).
const (
	CodeInvalidParameter = 20001 // a malformed paging parameter
	CodeAuthenticate     = 20003 // missing or wrong credentials, or another account's path
	CodeNotFound         = 20404 // unknown resource, or a route the fake does not implement
	CodeTooManyRequests  = 20429 // rate limited (the Throttle fault)
	CodeInternal         = 20500 // internal error (the error-ratio fault)
	CodeInvalidTo        = 21211 // To is not a valid phone number
	CodeInvalidURL       = 21502 // a webhook URL (SmsUrl) is not an absolute http(s) URL
	CodeToEqualsFrom     = 21266 // To and From are the same number
	CodeBodyRequired     = 21602 // no Body
	CodeFromRequired     = 21603 // no From
	CodeToRequired       = 21604 // no To
	CodeFromNotOwned     = 21606 // From is not an SMS number of the account
	CodeInvalidCallback  = 21609 // StatusCallback is not an absolute http(s) URL
	CodeBodyTooLong      = 21617 // Body over 1600 characters
)

// apiError is Twilio's error body, the one twilio-go decodes into *client.TwilioRestError.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func newError(status, code int, format string, args ...any) *apiError {
	return &apiError{
		Code:     code,
		Message:  fmt.Sprintf(format, args...),
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
		Status:   status,
	}
}

func errNotFound(r *http.Request) *apiError {
	return newError(http.StatusNotFound, CodeNotFound, "The requested resource %s was not found", r.URL.Path)
}

// writeError writes e as Twilio does.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.Code == CodeAuthenticate {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	writeJSON(w, e.Status, e)
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(newError(http.StatusInternalServerError, CodeInternal, "fake twilio: encoding the response: %v", err))
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
