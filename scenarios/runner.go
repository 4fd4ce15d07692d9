package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

// Options tune Run.
type Options struct {
	// OnStep, when set, is called with each step's result as soon as it is known.
	OnStep func(sc *Scenario, r StepResult)
	// HTTPClient calls the deployment; default a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Outcome is a step's outcome.
type Outcome string

// The outcomes of a step.
const (
	Passed  Outcome = "pass"
	Failed  Outcome = "fail"
	Skipped Outcome = "skip" // not run: an earlier step failed, or the target cannot run it
)

// StepResult is what one step did.
type StepResult struct {
	Index int
	Name  string
	// At is the step's file:line.
	At      string
	Outcome Outcome
	// Failure explains a failed step: a go-cmp diff (-want +got) or an error.
	Failure  string
	Duration time.Duration
}

// Result is a scenario's replay.
type Result struct {
	Scenario *Scenario
	// Err is a failure before the steps: opening the target or the setup.
	Err error
	// Skipped is why the scenario could not run on the target (a capability it lacks, a
	// setup its fixture cannot satisfy); "" when it ran.
	Skipped  string
	Steps    []StepResult
	Duration time.Duration
}

// Outcome is the scenario's outcome: fail when the setup or a step failed, skip when it
// could not run on the target, pass otherwise.
func (r *Result) Outcome() Outcome {
	switch {
	case r.Failed():
		return Failed
	case r.Skipped != "":
		return Skipped
	}
	return Passed
}

// Failed reports whether the setup or a step failed.
func (r *Result) Failed() bool {
	if r.Err != nil {
		return true
	}
	for _, s := range r.Steps {
		if s.Outcome == Failed {
			return true
		}
	}
	return false
}

// Summary is a one-paragraph account of a failed result: the first failure with its
// file:line, or "" when the result passed.
func (r *Result) Summary() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: setup: %v", r.Scenario.at(-1), r.Err)
	}
	for _, s := range r.Steps {
		if s.Outcome == Failed {
			return fmt.Sprintf("%s: step %d (%s) failed:\n%s", s.At, s.Index+1, s.Name, s.Failure)
		}
	}
	return ""
}

// run is one scenario's replay state.
type run struct {
	sc         *Scenario
	ws         *target.Workspace
	hc         *http.Client
	defaultKey string
	vars       vars
}

// Run replays one scenario against a deployment of t: setup (provisioned or bound to
// the target's fixture), then the steps in order until one fails (the rest are skipped).
// A scenario that needs what the target lacks is skipped whole, with the reason.
func Run(ctx context.Context, t target.Target, sc *Scenario, opts Options) *Result {
	start := time.Now()
	res := &Result{Scenario: sc}
	defer func() { res.Duration = time.Since(start) }()
	dep, err := t.Open(ctx)
	if err != nil {
		res.Err = fmt.Errorf("open target: %w", err)
		return res
	}
	if dep.Close != nil {
		defer dep.Close()
	}
	if opts.HTTPClient != nil {
		dep.HTTPClient = opts.HTTPClient
	}
	ws, err := target.Open(ctx, dep, sc.Setup, sc.Needs()...)
	if why, ok := target.IsSkip(err); ok {
		res.Skipped = why
		return res
	}
	if err != nil {
		res.Err = err
		return res
	}
	defer ws.Close()
	if ws.Bound {
		for i, st := range sc.Steps {
			if e := st.Expect; e != nil && (len(e.FromSequence) > 0 || len(e.FromCounts) > 0) && sc.rotates(cmpOr(st.Key, sc.Setup.Keys[0].Name)) {
				res.Skipped = fmt.Sprintf("step %d asserts a rotation order from a fresh key; a fixture key's rotation state is unknown", i+1)
				return res
			}
			for _, ref := range refs(st) {
				if strings.HasSuffix(ref, ".allocation_id") {
					res.Skipped = fmt.Sprintf("step %d refers to $%s: a fixture deployment does not expose allocation ids", i+1, ref)
					return res
				}
			}
		}
	}
	r := &run{sc: sc, ws: ws, hc: dep.Client(), vars: vars(ws.Vars())}
	r.vars["run"] = runID()
	if keys := ws.Keys(); len(keys) > 0 {
		r.defaultKey = keys[0].Name
	}
	failed := false
	for i, st := range sc.Steps {
		sr := StepResult{Index: i, Name: st.label(), At: sc.at(i), Outcome: Skipped}
		if !failed {
			t0 := time.Now()
			if err := r.step(ctx, st); err != nil {
				if why, ok := target.IsSkip(err); ok {
					res.Skipped = fmt.Sprintf("step %d: %s", i+1, why)
					sr.Failure = why
				} else {
					sr.Outcome, sr.Failure = Failed, err.Error()
				}
				failed = true
			} else {
				sr.Outcome = Passed
			}
			sr.Duration = time.Since(t0)
		}
		res.Steps = append(res.Steps, sr)
		if opts.OnStep != nil {
			opts.OnStep(sc, sr)
		}
	}
	return res
}

// label names a step in reports.
func (st Step) label() string {
	if st.Name != "" {
		return st.Name
	}
	if a := st.actions(); len(a) == 1 {
		return a[0]
	}
	return "step"
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// response is what a step observed: an HTTP status and the decoded JSON body.
type response struct {
	Status int
	Body   any
}

func (r response) str(path string) string {
	v, ok := lookup(r.Body, path)
	if !ok {
		return ""
	}
	return text(v)
}

// step runs one step with its expectations, retrying while eventually allows.
func (r *run) step(ctx context.Context, st Step) error {
	exp := st.Expect
	wait, _ := parseDuration(st.Eventually, 0)
	if st.Wait != nil {
		e := Expect{}
		if exp != nil {
			e = *exp
		}
		e.Fields = map[string]any{"status": st.Wait.Status}
		for k, v := range exp.fieldsOrNil() {
			e.Fields[k] = v
		}
		exp = &e
		wait, _ = parseDuration(st.Wait.Timeout, 10*time.Second)
	}
	deadline := time.Now().Add(wait)
	for {
		resps, err := r.do(ctx, st)
		if err == nil {
			err = r.check(exp, st, resps)
		}
		if err == nil {
			return r.save(st, resps)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *Expect) fieldsOrNil() map[string]any {
	if e == nil {
		return nil
	}
	return e.Fields
}

func (r *run) save(st Step, resps []response) error {
	if len(st.Save) == 0 {
		return nil
	}
	last := resps[len(resps)-1]
	for name, path := range st.Save {
		v, ok := lookup(last.Body, path)
		if !ok {
			return fmt.Errorf("save %s: the response has no %q: %s", name, path, compact(last.Body))
		}
		r.vars[name] = text(v)
	}
	return nil
}

func compact(body any) string {
	b, _ := json.Marshal(body)
	return string(b)
}

// keyOf returns the step's key.
func (r *run) keyOf(st Step) target.Key {
	k, _ := r.ws.Key(cmpOr(st.Key, r.defaultKey))
	return k
}

// do performs a step's action and returns what it observed; an error means the action
// could not be performed at all (transport failure, unknown line).
func (r *run) do(ctx context.Context, st Step) ([]response, error) {
	k := r.keyOf(st)
	one := func(resp response, err error) ([]response, error) {
		if err != nil {
			return nil, err
		}
		return []response{resp}, nil
	}
	v := r.vars
	switch {
	case st.Send != nil:
		return r.send(ctx, k, st.Send)
	case st.Inbound != nil:
		return one(r.inbound(ctx, st.Inbound))
	case st.Assign != nil:
		nums, err := v.expandList(st.Assign.Numbers)
		if err != nil {
			return nil, err
		}
		body := client.AssignRequest{PhoneNumbers: nums, PlanKind: st.Assign.PlanKind, Weight: st.Assign.Weight}
		resp, err := r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodPost, "/admin/v1/keys/"+client.PathEscape(k.ID)+"/numbers", body)
		if err == nil && resp.Status == http.StatusOK {
			var a client.Allocations
			if b, _ := json.Marshal(resp.Body); json.Unmarshal(b, &a) == nil {
				r.ws.SaveAllocations(a.Allocations)
				r.saveAllocations(a.Allocations)
			}
		}
		return one(resp, err)
	case st.Unassign != nil:
		phone, err := v.expand(st.Unassign.Number)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(k.ID)+"/numbers/"+client.PathEscape(phone), nil))
	case st.SetStrategy != "":
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodPatch, "/admin/v1/orgs/"+client.PathEscape(r.ws.OrgID), map[string]any{"strategy": st.SetStrategy}))
	case st.SetNumber != nil:
		phone, err := v.expand(st.SetNumber.Number)
		if err != nil {
			return nil, err
		}
		body := client.UpdateNumberRequest{PlanKind: st.SetNumber.PlanKind, Weight: st.SetNumber.Weight, Health: st.SetNumber.Health}
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodPatch, "/admin/v1/numbers/"+client.PathEscape(phone), body))
	case st.Line != nil:
		return one(r.line(ctx, st.Line))
	case st.ResetBinding != nil, st.GetBinding != nil:
		b, method := st.ResetBinding, http.MethodDelete
		if b == nil {
			b, method = st.GetBinding, http.MethodGet
		}
		rcpt, err := v.expand(b.Recipient)
		if err != nil {
			return nil, err
		}
		if rcpt, err = r.ws.Contact(ctx, rcpt); err != nil {
			return nil, err
		}
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, method, "/admin/v1/keys/"+client.PathEscape(k.ID)+"/bindings/"+client.PathEscape(rcpt), nil))
	case st.MyNumbers != nil:
		return one(r.call(ctx, k.Client, client.AuthAPIKey, http.MethodGet, "/v2/api/me/numbers", nil))
	case st.Me != nil:
		return one(r.call(ctx, k.Client, client.AuthAPIKey, http.MethodGet, "/v2/api/me", nil))
	case st.Chats != nil:
		return one(r.call(ctx, k.Client, client.AuthAPIKey, http.MethodGet, "/v2/api/chats", nil))
	case st.NumberHealth != nil:
		phone, err := v.expand(st.NumberHealth.Number)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodGet, "/admin/v1/numbers/"+client.PathEscape(phone)+"/health", nil))
	case st.Wait != nil:
		chat, err := v.expand(st.Wait.Chat)
		if err != nil {
			return nil, err
		}
		if chat, err = r.ws.Contact(ctx, chat); err != nil {
			return nil, err
		}
		id, err := v.expand(st.Wait.Message)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, k.Client, client.AuthAPIKey, http.MethodGet, "/v2/api/chats/"+client.PathEscape(chat)+"/messages/"+client.PathEscape(id)+"/status", nil))
	case st.AdvanceClock != "":
		d, err := parseDuration(st.AdvanceClock, 0)
		if err != nil {
			return nil, err
		}
		if err := r.ws.AdvanceClock(ctx, d); err != nil {
			return nil, err
		}
		return []response{{Status: http.StatusOK}}, nil
	case st.RevokeKey != nil:
		return one(r.call(ctx, r.ws.Admin, client.AuthAdmin, http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(k.ID), nil))
	}
	return nil, errors.New("the step has no action")
}

// call sends one JSON request and decodes the response body, whatever its status.
func (r *run) call(ctx context.Context, c *client.Client, auth client.Auth, method, path string, in any) (response, error) {
	return r.callHeader(ctx, c, auth, method, path, nil, in)
}

func (r *run) callHeader(ctx context.Context, c *client.Client, auth client.Auth, method, path string, h http.Header, in any) (response, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return response{}, err
		}
	}
	resp, err := c.Do(ctx, client.Request{Method: method, Path: path, Header: h, Body: body, Auth: auth})
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.Status, Body: decodeBody(resp.Body)}, nil
}

func decodeBody(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	return v
}

// send performs a send step: once, repeat times in order, or concurrent times at once.
func (r *run) send(ctx context.Context, k target.Key, s *SendStep) ([]response, error) {
	build := func(i int) (string, client.SendBody, http.Header, error) {
		v := r.vars
		to, err := v.expand(withIndex(s.To, i))
		if err != nil {
			return "", client.SendBody{}, nil, err
		}
		if to, err = r.ws.Contact(ctx, to); err != nil {
			return "", client.SendBody{}, nil, err
		}
		var body client.SendBody
		switch t := s.Text.(type) {
		case string:
			if body.Text, err = v.expand(withIndex(t, i)); err != nil {
				return "", body, nil, err
			}
		case []any:
			var texts []string
			for _, e := range t {
				x, err := v.expand(withIndex(e.(string), i))
				if err != nil {
					return "", body, nil, err
				}
				texts = append(texts, x)
			}
			body.Text = texts
		}
		if body.FromNumber, err = v.expand(s.From); err != nil {
			return "", body, nil, err
		}
		body.Attachments = s.Attachments
		h := http.Header{}
		if s.IdempotencyKey != "" {
			ik, err := v.expand(withIndex(s.IdempotencyKey, i))
			if err != nil {
				return "", body, nil, err
			}
			h.Set("Idempotency-Key", ik)
		}
		if s.FromHeader != "" {
			fh, err := v.expand(s.FromHeader)
			if err != nil {
				return "", body, nil, err
			}
			h.Set("X-From-Number", fh)
		}
		return to, body, h, nil
	}
	do := func(i int) (response, error) {
		to, body, h, err := build(i)
		if err != nil {
			return response{}, err
		}
		return r.callHeader(ctx, k.Client, client.AuthAPIKey, http.MethodPost, "/v2/api/chats/"+client.PathEscape(to)+"/messages", h, body)
	}
	n := max(s.Repeat, s.Concurrent, 1)
	out := make([]response, n)
	errs := make([]error, n)
	if s.Concurrent > 0 {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { out[i], errs[i] = do(0) })
		}
		wg.Wait()
	} else {
		for i := range n {
			if out[i], errs[i] = do(i); errs[i] != nil {
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// inbound makes a contact write to a number through the workspace (its fake Mac relay,
// or the fixture's inbound hook).
func (r *run) inbound(ctx context.Context, in *InboundStep) (response, error) {
	v := r.vars
	to, err := v.expand(in.To)
	if err != nil {
		return response{}, err
	}
	from, err := v.expand(in.From)
	if err != nil {
		return response{}, err
	}
	if from, err = r.ws.Contact(ctx, from); err != nil {
		return response{}, err
	}
	msg := target.InboundMessage{To: to, From: from, Text: cmpOr(in.Text, "hello")}
	if g := in.Group; g != nil {
		guid, err := v.expand(g.ChatGUID)
		if err != nil {
			return response{}, err
		}
		parts, err := v.expandList(g.Participants)
		if err != nil {
			return response{}, err
		}
		for i, p := range parts {
			if parts[i], err = r.ws.Contact(ctx, p); err != nil {
				return response{}, err
			}
		}
		msg.Group = &macrelay.Group{ChatGUID: guid, Participants: parts, Name: g.Name}
	}
	res, err := r.ws.Inbound(ctx, msg)
	if err != nil {
		return response{}, err
	}
	return response{Status: res.Status, Body: decodeBody(res.Body)}, nil
}

// line changes a number's line on its fake Mac.
func (r *run) line(ctx context.Context, ls *LineStep) (response, error) {
	phone, err := r.vars.expand(ls.Number)
	if err != nil {
		return response{}, err
	}
	res, err := r.ws.Line(ctx, phone, target.LineChange{Online: ls.Online, Banned: ls.Banned, FailureRatio: ls.FailureRatio})
	if err != nil {
		return response{}, err
	}
	return response{Status: res.Status, Body: decodeBody(res.Body)}, nil
}

// saveAllocations takes the allocation ids the workspace learnt into the variables.
func (r *run) saveAllocations([]client.Allocation) {
	for k, v := range r.ws.Vars() {
		if strings.HasSuffix(k, ".allocation_id") {
			r.vars[k] = v
		}
	}
}

// runID names one replay: $run, for idempotency keys and texts that must not collide
// with an earlier replay on the same deployment.
func runID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rotates reports whether the key's setup pool rotates: two or more Blooio numbers that
// can start conversations.
func (sc *Scenario) rotates(key string) bool {
	kinds := map[string]NumberSpec{}
	for _, n := range sc.Setup.Numbers {
		kinds[n.Name] = n
	}
	rotating := 0
	for _, k := range sc.Setup.Keys {
		if k.Name != key {
			continue
		}
		for _, name := range k.Numbers {
			n := kinds[strings.TrimPrefix(name, "$")]
			if n.Provider != "twilio" && n.PlanKind != "inbound" {
				rotating++
			}
		}
	}
	return rotating > 1
}
