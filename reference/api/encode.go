package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"poolkit/reference/pool"
)

// MaxBodyBytes is the largest request body the API reads (SPEC §5: 1 MiB).
const MaxBodyBytes = 1 << 20

// encode writes v as the JSON body of a response with status.
func encode[T any](w http.ResponseWriter, r *http.Request, status int, v T) {
	b, err := json.Marshal(v)
	if err != nil {
		encodeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decode reads the JSON body of r into a T. Its errors are the request checks of SPEC §2
// in order: payload_too_large, invalid_json, then invalid_request for JSON of the wrong
// shape. Unknown fields are ignored.
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	body, err := readBody(w, r)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, invalidShape(err)
	}
	return v, nil
}

// readBody reads a request body of at most MaxBodyBytes that is one JSON value.
//
// Errors: payload_too_large, invalid_json.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge
	case err != nil:
		return nil, err
	case !json.Valid(body):
		return nil, errInvalidJSON
	}
	return body, nil
}

var (
	errTooLarge    = &pool.Error{Code: pool.CodePayloadTooLarge, Message: "Request body is larger than 1 MiB"}
	errInvalidJSON = &pool.Error{Code: pool.CodeInvalidJSON, Message: "Request body is not valid JSON"}
)

// invalidShape turns an Unmarshal error of syntactically valid JSON into invalid_request,
// naming the field when encoding/json knows it.
func invalidShape(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return pool.Errorf(pool.CodeInvalidRequest, "%s must be of type %s", te.Field, jsonType(te.Type.Kind().String()))
	}
	return pool.Errorf(pool.CodeInvalidRequest, "Request body does not have the expected shape")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}

// encodeError writes the error body of SPEC §5 for err:
// {"error":"ApiError","status":N,"code":…,"message":…, <context fields>}, with
// Retry-After when the error carries one. An error without a code is answered as a
// generic 500 and kept for the request log.
func encodeError(w http.ResponseWriter, r *http.Request, err error) {
	pe, internal := apiError(err)
	if internal {
		infoOf(r).err = err
	}
	writeError(w, pe)
}

// writeError writes pe as an error response.
func writeError(w http.ResponseWriter, pe *pool.Error) {
	status := Status(pe.Code)
	var b bytes.Buffer
	b.WriteString(`{"error":"ApiError","status":`)
	b.WriteString(strconv.Itoa(status))
	b.WriteString(`,"code":`)
	writeJSONString(&b, string(pe.Code))
	b.WriteString(`,"message":`)
	writeJSONString(&b, pe.Message)
	for _, f := range pe.Fields {
		if f.Name == "error" || f.Name == "status" || f.Name == "code" || f.Name == "message" {
			continue
		}
		b.WriteByte(',')
		writeJSONString(&b, f.Name)
		b.WriteByte(':')
		writeJSONString(&b, f.Value)
	}
	b.WriteString("}\n")
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	switch {
	case pe.RetryAfter > 0:
		h.Set("Retry-After", strconv.Itoa(pe.RetryAfter))
	case status == http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(pool.RetryAfterSeconds)) // SPEC §4: every 503
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}
