package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

// check is one test of one rule. Its spec is provisioned (or bound to the target's
// fixture) before Run; needs are the capabilities it cannot do without.
type check struct {
	// Name is unique and stable ("sticky-repeat"); reports and -run filters use it.
	Name string
	// Rule is the SPEC rule id the check judges.
	Rule string
	// Doc says in one sentence what the check shows.
	Doc   string
	Spec  target.Spec
	Needs []target.Capability
	Run   func(c *C)
}

// C is a running check: its workspace, and what it found.
type C struct {
	ctx      context.Context
	ws       *target.Workspace
	failures []Failure
	skip     string
	notes    []string
}

// Failure is one broken expectation, with the exchange that showed it.
type Failure struct {
	// Message says what was expected and what happened.
	Message string `json:"message"`
	// Request and Response are the exchange ("POST /v2/api/… {body}", "403 {body}").
	Request  string `json:"request,omitempty"`
	Response string `json:"response,omitempty"`
	// Allowed is what the rule allows.
	Allowed string `json:"allowed,omitempty"`
}

// stop unwinds a check that cannot go on (Fatalf, Skipf).
type stop struct{}

// Ctx is the check's context.
func (c *C) Ctx() context.Context { return c.ctx }

// Workspace is the check's workspace.
func (c *C) Workspace() *target.Workspace { return c.ws }

// Phone is the phone number of the spec number name.
func (c *C) Phone(name string) string { return c.ws.Phone(name) }

// Phones maps names to phone numbers.
func (c *C) Phones(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = c.ws.Phone(n)
	}
	return out
}

// Key returns the spec key name (the check stops if it does not exist).
func (c *C) Key(name string) target.Key {
	k, ok := c.ws.Key(name)
	if !ok {
		c.Fatalf("the check has no key %q", name)
	}
	return k
}

// Contact maps a contact handle to one the check may message (the fixture's safe
// recipients on a real deployment); the check is skipped when none is left.
func (c *C) Contact(handle string) string {
	m, err := c.ws.Contact(c.ctx, handle)
	if why, ok := target.IsSkip(err); ok {
		c.Skipf("%s", why)
	}
	if err != nil {
		c.Fatalf("contact %s: %v", handle, err)
	}
	return m
}

// Contacts returns n distinct fresh contacts, "+1555 01x xxxx" by index, mapped.
func (c *C) Contacts(prefix string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = c.Contact(fmt.Sprintf("+1%s%07d", prefix, i))
	}
	return out
}

// Sent is what a send answered.
type Sent struct {
	Status     int
	Code       string // the error code ("" on success)
	From       string // from_number ("" on error)
	MessageID  string
	RetryAfter string
	Body       map[string]any
	Request    string
	Response   string
}

// OK reports whether the send was accepted (202) or replayed (200).
func (s Sent) OK() bool { return s.Status == http.StatusAccepted || s.Status == http.StatusOK }

// String is "202 from +1555…" or "403 number_banned".
func (s Sent) String() string {
	if s.OK() {
		return fmt.Sprintf("%d from %s", s.Status, s.From)
	}
	return fmt.Sprintf("%d %s", s.Status, s.Code)
}

// SendOpt changes a send.
type SendOpt func(*sendReq)

type sendReq struct {
	body   map[string]any
	header http.Header
}

// From sets from_number.
func From(phone string) SendOpt { return func(r *sendReq) { r.body["from_number"] = phone } }

// Texts sends a text array.
func Texts(t ...string) SendOpt { return func(r *sendReq) { r.body["text"] = t } }

// Idempotency sets the Idempotency-Key header.
func Idempotency(k string) SendOpt { return func(r *sendReq) { r.header.Set("Idempotency-Key", k) } }

// Send posts a message from key to chat (already a mapped contact, a grp_ id or a
// participant list) and returns what the deployment answered. A transport failure
// stops the check as failed.
func (c *C) Send(key, chat string, opts ...SendOpt) Sent {
	s, err := c.send(c.Key(key), chat, opts)
	if err != nil {
		c.failures = append(c.failures, Failure{Message: "the send got no response: " + err.Error(), Request: s.Request})
		panic(stop{})
	}
	return s
}

// SendConcurrent posts n identical sends at once (n goroutines released together) and
// returns the answers in goroutine order: the way to race first sends (POOL-STICKY-4).
// A transport failure of any of them stops the check as failed, after all have ended.
func (c *C) SendConcurrent(n int, key, chat string, opts ...SendOpt) []Sent {
	k := c.Key(key)
	out := make([]Sent, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = c.send(k, chat, opts)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c.failures = append(c.failures, Failure{Message: "the send got no response: " + err.Error(), Request: out[i].Request})
			panic(stop{})
		}
	}
	return out
}

// send posts one message; it touches nothing of c but its context, so that sends may
// run concurrently. err is a transport failure.
func (c *C) send(k target.Key, chat string, opts []SendOpt) (Sent, error) {
	req := sendReq{body: map[string]any{"text": "poolkit conformance"}, header: http.Header{}}
	for _, o := range opts {
		o(&req)
	}
	body, _ := json.Marshal(req.body)
	path := "/v2/api/chats/" + client.PathEscape(chat) + "/messages"
	resp, err := k.Client.Do(c.ctx, client.Request{Method: http.MethodPost, Path: path, Header: req.header, Body: body, Auth: client.AuthAPIKey})
	s := Sent{Request: "POST " + path + " " + string(body)}
	if err != nil {
		return s, err
	}
	s.Status = resp.Status
	s.Response = fmt.Sprintf("%d %s", resp.Status, strings.TrimSpace(string(resp.Body)))
	s.RetryAfter = resp.Header.Get("Retry-After")
	_ = json.Unmarshal(resp.Body, &s.Body)
	s.Code, _ = s.Body["code"].(string)
	s.From, _ = s.Body["from_number"].(string)
	s.MessageID, _ = s.Body["message_id"].(string)
	return s, nil
}

// Get calls a public GET route with key and returns the status and decoded body.
func (c *C) Get(key, path string) (int, map[string]any, string) {
	k := c.Key(key)
	resp, err := k.Client.Do(c.ctx, client.Request{Method: http.MethodGet, Path: path, Auth: client.AuthAPIKey})
	if err != nil {
		c.Fatalf("GET %s: %v", path, err)
	}
	var body map[string]any
	_ = json.Unmarshal(resp.Body, &body)
	return resp.Status, body, fmt.Sprintf("%d %s", resp.Status, strings.TrimSpace(string(resp.Body)))
}

// Admin returns the admin client (the check needs provisioning).
func (c *C) Admin() *client.Client {
	if c.ws.Admin == nil {
		c.Skipf("needs provisioning: %s", c.ws.Capabilities().Why(target.Provisioning))
	}
	return c.ws.Admin
}

// Must stops the check as failed when err is not nil (an operation that had to work).
func (c *C) Must(err error, what string) {
	if err != nil {
		if why, ok := target.IsSkip(err); ok {
			c.Skipf("%s", why)
		}
		c.Fatalf("%s: %v", what, err)
	}
}

// Inbound makes contact from write to number to (1:1, or in group).
func (c *C) Inbound(to, from string, group *macrelay.Group) target.InboundResult {
	res, err := c.ws.Inbound(c.ctx, target.InboundMessage{To: to, From: from, Text: "poolkit conformance inbound", Group: group})
	c.Must(err, "inbound "+from+" → "+to)
	if res.Status/100 != 2 {
		c.Fatalf("inbound %s → %s: the deployment answered %d %s", from, to, res.Status, res.Body)
	}
	return res
}

// Line changes a number's line on the check's fake relay.
func (c *C) Line(phone string, ch target.LineChange) {
	res, err := c.ws.Line(c.ctx, phone, ch)
	c.Must(err, "line change of "+phone)
	if res.Status/100 != 2 {
		c.Fatalf("line change of %s: the deployment answered %d %s", phone, res.Status, res.Body)
	}
}

// Advance moves the deployment's clock.
func (c *C) Advance(d time.Duration) { c.Must(c.ws.AdvanceClock(c.ctx, d), "advance the clock") }

// Eventually polls cond every 20 ms until it holds or timeout passes; it reports whether
// it held (asynchronous effects: deliveries, health).
func (c *C) Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || c.ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Expect records a failure unless ok: allowed says what the rule allows, s is the
// exchange that showed it (may be zero).
func (c *C) Expect(ok bool, s Sent, allowed string, format string, args ...any) bool {
	if !ok {
		c.failures = append(c.failures, Failure{Message: fmt.Sprintf(format, args...), Request: s.Request, Response: s.Response, Allowed: allowed})
	}
	return ok
}

// ExpectFrom expects an accepted send from one of phones.
func (c *C) ExpectFrom(s Sent, phones ...string) bool {
	ok := s.OK()
	if ok {
		ok = false
		for _, p := range phones {
			ok = ok || s.From == p
		}
	}
	allowed := "202 from " + strings.Join(phones, " or ")
	return c.Expect(ok, s, allowed, "expected %s, got %s", allowed, s)
}

// ExpectCode expects a refusal with status and code.
func (c *C) ExpectCode(s Sent, status int, code string) bool {
	allowed := fmt.Sprintf("%d %s", status, code)
	return c.Expect(s.Status == status && s.Code == code, s, allowed, "expected %s, got %s", allowed, s)
}

// Errorf records a failure without an exchange.
func (c *C) Errorf(format string, args ...any) {
	c.failures = append(c.failures, Failure{Message: fmt.Sprintf(format, args...)})
}

// Fatalf records a failure and stops the check.
func (c *C) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(stop{})
}

// Skipf stops the check as skipped, with the reason.
func (c *C) Skipf(format string, args ...any) {
	c.skip = fmt.Sprintf(format, args...)
	panic(stop{})
}

// Logf adds a note to the check's result (measured figures of statistical checks).
func (c *C) Logf(format string, args ...any) { c.notes = append(c.notes, fmt.Sprintf(format, args...)) }
