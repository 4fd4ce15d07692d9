package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"poolkit/reference/api"
)

// Document is the API's OpenAPI document, loaded and validated once.
type Document struct {
	Doc    *openapi3.T
	Router routers.Router
}

var (
	docOnce sync.Once
	doc     *Document
	docErr  error
)

// LoadOpenAPI loads api.OpenAPI with kin-openapi, validates it as an OpenAPI 3.1
// document and builds its router. It fails tb when the document is invalid.
func LoadOpenAPI(tb testing.TB) *Document {
	tb.Helper()
	docOnce.Do(func() {
		// The Twilio inbound webhook answers TwiML; its body is checked as a string.
		openapi3filter.RegisterBodyDecoder("text/xml", openapi3filter.PlainBodyDecoder)
		loader := openapi3.NewLoader()
		var t *openapi3.T
		if t, docErr = loader.LoadFromData(api.OpenAPI); docErr != nil {
			return
		}
		if docErr = t.Validate(loader.Context); docErr != nil {
			return
		}
		var r routers.Router
		if r, docErr = legacy.NewRouter(t); docErr != nil {
			return
		}
		doc = &Document{Doc: t, Router: r}
	})
	if docErr != nil {
		tb.Fatalf("openapi.json: %v", docErr)
	}
	return doc
}

// ValidatingTransport wraps next so that every response is checked against the OpenAPI
// document with openapi3filter.ValidateResponse: a status, header or body the document
// does not describe fails tb. A response to a path or method the document does not have
// must be an error body of the Error schema. Every non-2xx body's "status" must be the
// HTTP status. Failures are reported with tb.Errorf, so the transport may be used from
// any goroutine.
func ValidatingTransport(tb testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &validatingTransport{tb: tb, doc: LoadOpenAPI(tb), next: next}
}

type validatingTransport struct {
	tb   testing.TB
	doc  *Document
	next http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	if verr := v.doc.ValidateResponse(req, resp.StatusCode, resp.Header, body); verr != nil {
		v.tb.Errorf("OpenAPI: %s %s → %d: %v\nbody: %s", req.Method, req.URL.RequestURI(), resp.StatusCode, verr, truncate(body))
	}
	return resp, nil
}

// ValidateResponse checks one response to req against the document.
func (d *Document) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if status >= 300 {
		if err := d.validateErrorBody(status, header, body); err != nil {
			return err
		}
	}
	route, params, err := d.Router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && status >= 400 {
			return nil // not a route of the document: the error shape was checked above
		}
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	if ref := route.Operation.Responses.Status(status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(body) > 0 {
		return errors.New("the document describes no body for this status, but the response has one")
	}
	return nil
}

// validateErrorBody checks an error response against the Error schema, and that its
// status field is the HTTP status.
func (d *Document) validateErrorBody(status int, header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return errors.New("error response with Content-Type " + ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	schema := d.Doc.Components.Schemas["Error"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return err
	}
	if s, _ := v.(map[string]any)["status"].(float64); int(s) != status {
		return errors.New("error body's status differs from the HTTP status")
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
