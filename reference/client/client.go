// Package client is a Go client of poolkit's HTTP API: the public Blooio v2 surface, the
// admin API and the relay event endpoint. The conformance suite, the scenario runner and
// the simulator use it against any deployment.
//
// Every method returns the decoded body and an error; a non-2xx response is an *Error
// whose Code is the API's error code, so callers compare codes (CodeOf), never prose.
// The raw exchange of the latest call (LastExchange), or of every call (WithObserver),
// is there for evidence.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"poolkit/reference/pool"
)

// Client calls one deployment. It is safe for concurrent use.
type Client struct {
	base       string
	apiKey     string
	adminToken string
	hc         *http.Client
	observe    func(Exchange)

	mu   *sync.Mutex
	last *Exchange
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sets the API key secret sent as the bearer token of the public API.
func WithAPIKey(secret string) Option { return func(c *Client) { c.apiKey = secret } }

// WithAdminToken sets the bearer token of the admin API.
func WithAdminToken(token string) Option { return func(c *Client) { c.adminToken = token } }

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithObserver calls fn with every exchange, after it completes; fn must be safe for
// concurrent use when the client is.
func WithObserver(fn func(Exchange)) Option { return func(c *Client) { c.observe = fn } }

// New returns a client of the deployment at baseURL (for example "http://127.0.0.1:8080").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base: strings.TrimRight(baseURL, "/"),
		hc:   &http.Client{Timeout: 30 * time.Second},
		mu:   new(sync.Mutex), last: new(Exchange),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// ForKey returns a client that shares c's settings but authenticates with another API
// key. Its LastExchange is its own.
func (c *Client) ForKey(secret string) *Client {
	d := *c
	d.apiKey = secret
	d.mu, d.last = new(sync.Mutex), new(Exchange)
	return &d
}

// BaseURL returns the deployment's base URL.
func (c *Client) BaseURL() string { return c.base }

// Exchange is one request and its response, for evidence. The Authorization header is
// redacted.
type Exchange struct {
	Method        string
	URL           string
	RequestHeader http.Header
	RequestBody   []byte
	Status        int
	Header        http.Header
	Body          []byte
	Duration      time.Duration
	// Err is the transport error, if the request got no response.
	Err error
}

// LastExchange returns the latest exchange of this client. Under concurrent use it is
// whichever finished last; use WithObserver to see every one.
func (c *Client) LastExchange() Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.last
}

// Error is a non-2xx response of the API: {"error":"ApiError","status":…,"code":…,
// "message":…, <context fields>}.
type Error struct {
	Status  int
	Code    pool.Code
	Message string
	// Fields are the body's fields beside error, status, code and message (for example
	// allocation_id and external_id).
	Fields map[string]any
	// RetryAfter is the Retry-After header, if any.
	RetryAfter string
	// Body is the raw response body.
	Body []byte
}

// Error implements error.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("poolkit: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("poolkit: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Field returns the context field name as a string, or "".
func (e *Error) Field(name string) string {
	s, _ := e.Fields[name].(string)
	return s
}

// CodeOf returns the API error code of err: the Code of an *Error in its chain, "" for
// nil and for errors that are not API responses (transport failures).
func CodeOf(err error) pool.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// StatusOf returns the HTTP status of an *Error in err's chain, 0 otherwise.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Auth says which credential a raw request carries.
type Auth int

// The credentials of a raw request.
const (
	AuthAPIKey Auth = iota // the client's API key
	AuthAdmin              // the client's admin token
	AuthNone               // no Authorization header (unless Header sets one)
)

// Request is a raw request, for checks that need to send what the typed methods never
// would (malformed JSON, a literal '+' in a path, odd headers).
type Request struct {
	Method string
	// Path is the escaped path and query, such as "/v2/api/chats/%2B15551234567/messages".
	Path   string
	Header http.Header
	Body   []byte
	Auth   Auth
}

// Response is a raw response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a raw request. Any HTTP status is a response, not an error; the error is a
// transport failure.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, req.Method, c.base+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		hreq.Body, hreq.ContentLength = http.NoBody, 0
	}
	for k, vs := range req.Header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	if req.Body != nil && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Accept", "application/json")
	if hreq.Header.Get("Authorization") == "" {
		switch {
		case req.Auth == AuthAPIKey && c.apiKey != "":
			hreq.Header.Set("Authorization", "Bearer "+c.apiKey)
		case req.Auth == AuthAdmin && c.adminToken != "":
			hreq.Header.Set("Authorization", "Bearer "+c.adminToken)
		}
	}
	ex := Exchange{Method: req.Method, URL: hreq.URL.String(), RequestHeader: redacted(hreq.Header), RequestBody: req.Body}
	start := time.Now()
	resp, err := c.hc.Do(hreq)
	var out *Response
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			out = &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
			ex.Status, ex.Header, ex.Body = resp.StatusCode, resp.Header, body
		}
	}
	ex.Duration, ex.Err = time.Since(start), err
	c.mu.Lock()
	*c.last = ex
	c.mu.Unlock()
	if c.observe != nil {
		c.observe(ex)
	}
	return out, err
}

func redacted(h http.Header) http.Header {
	out := h.Clone()
	if out.Get("Authorization") != "" {
		out.Set("Authorization", "REDACTED")
	}
	return out
}

// call sends a JSON request (in may be nil) and decodes a 2xx body into out (which may
// be nil). It returns the HTTP status.
func (c *Client) call(ctx context.Context, auth Auth, method, path string, header http.Header, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	resp, err := c.Do(ctx, Request{Method: method, Path: path, Header: header, Body: body, Auth: auth})
	if err != nil {
		return 0, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return resp.Status, decodeError(resp)
	}
	if out != nil && resp.Status != http.StatusNoContent {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp.Status, fmt.Errorf("poolkit: decoding the %d response of %s %s: %w", resp.Status, method, path, err)
		}
	}
	return resp.Status, nil
}

// decodeError reads an error response. A body that is not the API's error shape still
// gives an *Error, with the status and the body as its message.
func decodeError(resp *Response) *Error {
	e := &Error{Status: resp.Status, RetryAfter: resp.Header.Get("Retry-After"), Body: resp.Body}
	var m map[string]any
	if json.Unmarshal(resp.Body, &m) != nil || m == nil {
		e.Message = strings.TrimSpace(string(resp.Body))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
		return e
	}
	code, _ := m["code"].(string)
	e.Code = pool.Code(code)
	e.Message, _ = m["message"].(string)
	for k, v := range m {
		switch k {
		case "error", "status", "code", "message":
		default:
			if e.Fields == nil {
				e.Fields = make(map[string]any)
			}
			e.Fields[k] = v
		}
	}
	return e
}
