package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
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
	Skipped Outcome = "skip" // not run: an earlier step failed
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
	Err      error
	Steps    []StepResult
	Duration time.Duration
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
	dep        *Deployment
	hc         *http.Client
	admin      *client.Client
	fleet      *macrelay.Fleet
	orgID      string
	keys       map[string]key
	defaultKey string
	vars       vars
	lines      map[string]lineRef // phone → its relay line
}

type key struct {
	id string
	c  *client.Client
}

type lineRef struct {
	relay string
	slot  int
}

// Run replays one scenario against a fresh deployment of t: setup, then the steps in
// order until one fails (the rest are skipped).
func Run(ctx context.Context, t Target, sc *Scenario, opts Options) *Result {
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
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	r := &run{sc: sc, dep: dep, hc: hc, keys: map[string]key{}, vars: vars{}, lines: map[string]lineRef{},
		admin: client.New(dep.URL, client.WithAdminToken(dep.AdminToken), client.WithHTTPClient(hc))}
	defer func() {
		if r.fleet != nil {
			r.fleet.Close()
		}
	}()
	if err := r.setup(ctx); err != nil {
		res.Err = err
		return res
	}
	failed := false
	for i, st := range sc.Steps {
		sr := StepResult{Index: i, Name: st.label(), At: sc.at(i), Outcome: Skipped}
		if !failed {
			t0 := time.Now()
			if err := r.step(ctx, st); err != nil {
				sr.Outcome, sr.Failure, failed = Failed, err.Error(), true
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

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// setup starts the scenario's relay fleet and provisions its org, relays, numbers and keys.
func (r *run) setup(ctx context.Context) error {
	s := r.sc.Setup
	// Numbers: a block of fresh phone numbers, fixed on a private deployment.
	base := int64(100000)
	if r.dep.Shared {
		n, _ := rand.Int(rand.Reader, big.NewInt(800000))
		base = n.Int64() + 100000
	}
	suffix := ""
	if r.dep.Shared {
		suffix = "-" + randomHex(4)
	}
	phones := make([]string, len(s.Numbers))
	var macs []macrelay.MacConfig
	macIndex := map[string]int{}
	used := map[string]map[int]bool{}
	for _, n := range s.Numbers {
		if n.Provider != "twilio" && n.Slot != 0 {
			relay := cmpOr(n.Relay, "mac-1")
			if used[relay] == nil {
				used[relay] = map[int]bool{}
			}
			used[relay][n.Slot] = true
		}
	}
	for i, n := range s.Numbers {
		phones[i] = fmt.Sprintf("+1%s5%06d", cmpOr(n.AreaCode, "555"), base+int64(i))
		r.vars[n.Name] = phones[i]
		if n.Provider == "twilio" {
			continue
		}
		relay := cmpOr(n.Relay, "mac-1")
		slot := n.Slot
		if used[relay] == nil {
			used[relay] = map[int]bool{}
		}
		for slot == 0 {
			for c := 1; slot == 0; c++ {
				if !used[relay][c] {
					slot = c
				}
			}
			used[relay][slot] = true
		}
		j, ok := macIndex[relay]
		if !ok {
			j = len(macs)
			macIndex[relay] = j
			macs = append(macs, macrelay.MacConfig{ID: relay + suffix, Secret: randomHex(16)})
		}
		macs[j].Lines = append(macs[j].Lines, macrelay.LineConfig{Slot: slot, Phone: phones[i]})
		r.lines[phones[i]] = lineRef{relay: relay + suffix, slot: slot}
	}
	if len(macs) > 0 {
		fleet, err := macrelay.New(macrelay.Config{EngineURL: r.dep.URL, Macs: macs, Seed: time.Now().UnixNano()})
		if err != nil {
			return fmt.Errorf("relay fleet: %w", err)
		}
		if err := fleet.Start(); err != nil {
			return fmt.Errorf("relay fleet: %w", err)
		}
		r.fleet = fleet
	}

	req := client.CreateOrgRequest{Name: r.sc.Name, Strategy: s.Strategy, StickyTTLSeconds: s.StickyTTLSeconds}
	if h := s.Health; h != nil {
		req.Health = &client.HealthPatch{Window: h.Window, MinSamples: h.MinSamples, DegradeBelow: h.DegradeBelow, RecoverAt: h.RecoverAt}
	}
	org, err := r.admin.CreateOrg(ctx, req)
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	r.orgID = org.OrganizationID
	if r.fleet != nil {
		for _, rl := range r.fleet.Relays() {
			if _, err := r.admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: rl.RelayID, URL: rl.URL, Secret: rl.Secret}); err != nil {
				return fmt.Errorf("register relay %s: %w", rl.RelayID, err)
			}
		}
	}
	for i, n := range s.Numbers {
		nr := client.RegisterNumberRequest{PhoneNumber: phones[i], PlanKind: n.PlanKind, Weight: n.Weight}
		if n.Provider == "twilio" {
			nr.Provider = "twilio"
		} else {
			l := r.lines[phones[i]]
			nr.RelayID, nr.LineSlot = l.relay, &l.slot
		}
		if _, err := r.admin.RegisterNumber(ctx, r.orgID, nr); err != nil {
			return fmt.Errorf("register number %s (%s): %w", n.Name, phones[i], err)
		}
	}
	for i, k := range s.Keys {
		ck, err := r.admin.CreateKey(ctx, r.orgID, k.Name)
		if err != nil {
			return fmt.Errorf("create key %s: %w", k.Name, err)
		}
		r.keys[k.Name] = key{id: ck.KeyID, c: client.New(r.dep.URL, client.WithAPIKey(ck.APIKey), client.WithAdminToken(r.dep.AdminToken), client.WithHTTPClient(r.hc))}
		if i == 0 {
			r.defaultKey = k.Name
		}
		if len(k.Numbers) == 0 {
			continue
		}
		var nums []string
		for _, n := range k.Numbers {
			nums = append(nums, r.vars[strings.TrimPrefix(n, "$")])
		}
		allocs, err := r.admin.AssignNumbers(ctx, ck.KeyID, client.AssignRequest{PhoneNumbers: nums})
		if err != nil {
			return fmt.Errorf("assign numbers to key %s: %w", k.Name, err)
		}
		r.saveAllocations(allocs.Allocations)
	}
	return nil
}

func (r *run) saveAllocations(as []client.Allocation) {
	for _, a := range as {
		for _, n := range r.sc.Setup.Numbers {
			if r.vars[n.Name] == a.PhoneNumber {
				r.vars[n.Name+".allocation_id"] = a.AllocationID
			}
		}
	}
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
func (r *run) keyOf(st Step) key { return r.keys[cmpOr(st.Key, r.defaultKey)] }

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
		resp, err := r.call(ctx, r.admin, client.AuthAdmin, http.MethodPost, "/admin/v1/keys/"+client.PathEscape(k.id)+"/numbers", body)
		if err == nil && resp.Status == http.StatusOK {
			var a client.Allocations
			if b, _ := json.Marshal(resp.Body); json.Unmarshal(b, &a) == nil {
				r.saveAllocations(a.Allocations)
			}
		}
		return one(resp, err)
	case st.Unassign != nil:
		phone, err := v.expand(st.Unassign.Number)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, r.admin, client.AuthAdmin, http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(k.id)+"/numbers/"+client.PathEscape(phone), nil))
	case st.SetStrategy != "":
		return one(r.call(ctx, r.admin, client.AuthAdmin, http.MethodPatch, "/admin/v1/orgs/"+client.PathEscape(r.orgID), map[string]any{"strategy": st.SetStrategy}))
	case st.SetNumber != nil:
		phone, err := v.expand(st.SetNumber.Number)
		if err != nil {
			return nil, err
		}
		body := client.UpdateNumberRequest{PlanKind: st.SetNumber.PlanKind, Weight: st.SetNumber.Weight, Health: st.SetNumber.Health}
		return one(r.call(ctx, r.admin, client.AuthAdmin, http.MethodPatch, "/admin/v1/numbers/"+client.PathEscape(phone), body))
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
		return one(r.call(ctx, r.admin, client.AuthAdmin, method, "/admin/v1/keys/"+client.PathEscape(k.id)+"/bindings/"+client.PathEscape(rcpt), nil))
	case st.MyNumbers != nil:
		return one(r.call(ctx, k.c, client.AuthAPIKey, http.MethodGet, "/v2/api/me/numbers", nil))
	case st.Me != nil:
		return one(r.call(ctx, k.c, client.AuthAPIKey, http.MethodGet, "/v2/api/me", nil))
	case st.Chats != nil:
		return one(r.call(ctx, k.c, client.AuthAPIKey, http.MethodGet, "/v2/api/chats", nil))
	case st.NumberHealth != nil:
		phone, err := v.expand(st.NumberHealth.Number)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, r.admin, client.AuthAdmin, http.MethodGet, "/admin/v1/numbers/"+client.PathEscape(phone)+"/health", nil))
	case st.Wait != nil:
		chat, err := v.expand(st.Wait.Chat)
		if err != nil {
			return nil, err
		}
		id, err := v.expand(st.Wait.Message)
		if err != nil {
			return nil, err
		}
		return one(r.call(ctx, k.c, client.AuthAPIKey, http.MethodGet, "/v2/api/chats/"+client.PathEscape(chat)+"/messages/"+client.PathEscape(id)+"/status", nil))
	case st.RevokeKey != nil:
		return one(r.call(ctx, r.admin, client.AuthAdmin, http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(k.id), nil))
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
func (r *run) send(ctx context.Context, k key, s *SendStep) ([]response, error) {
	build := func(i int) (string, client.SendBody, http.Header, error) {
		v := r.vars
		to, err := v.expand(withIndex(s.To, i))
		if err != nil {
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
		return r.callHeader(ctx, k.c, client.AuthAPIKey, http.MethodPost, "/v2/api/chats/"+client.PathEscape(to)+"/messages", h, body)
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

// inbound makes a contact write to a number through the scenario's relay fleet.
func (r *run) inbound(ctx context.Context, in *InboundStep) (response, error) {
	v := r.vars
	to, err := v.expand(in.To)
	if err != nil {
		return response{}, err
	}
	l, err := r.lineOf(to)
	if err != nil {
		return response{}, err
	}
	from, err := v.expand(in.From)
	if err != nil {
		return response{}, err
	}
	msg := macrelay.Inbound{From: from, Text: cmpOr(in.Text, "hello")}
	if g := in.Group; g != nil {
		guid, err := v.expand(g.ChatGUID)
		if err != nil {
			return response{}, err
		}
		parts, err := v.expandList(g.Participants)
		if err != nil {
			return response{}, err
		}
		msg.Group = &macrelay.Group{ChatGUID: guid, Participants: parts, Name: g.Name}
	}
	rec, err := r.fleet.Inject(ctx, l.relay, l.slot, msg)
	return eventResponse(rec, err)
}

func (r *run) lineOf(phone string) (lineRef, error) {
	l, ok := r.lines[phone]
	if !ok || r.fleet == nil {
		return lineRef{}, fmt.Errorf("%s is not a Blooio number of this scenario's relays", phone)
	}
	return l, nil
}

// eventResponse is the engine's answer to a relay event as a step's response.
func eventResponse(rec macrelay.EventRecord, err error) (response, error) {
	if err != nil {
		return response{}, fmt.Errorf("relay event: %w (engine answered %d %s)", err, rec.EngineStatus, rec.EngineBody)
	}
	return response{Status: rec.EngineStatus, Body: decodeBody([]byte(rec.EngineBody))}, nil
}

// line changes a number's line on its fake Mac.
func (r *run) line(ctx context.Context, ls *LineStep) (response, error) {
	phone, err := r.vars.expand(ls.Number)
	if err != nil {
		return response{}, err
	}
	l, err := r.lineOf(phone)
	if err != nil {
		return response{}, err
	}
	resp := response{Status: http.StatusOK}
	if ls.FailureRatio != nil {
		if err := r.fleet.SetFailureRatio(l.relay, l.slot, *ls.FailureRatio); err != nil {
			return response{}, err
		}
	}
	if ls.Banned != nil {
		if resp, err = eventResponse(r.fleet.SetLineBanned(ctx, l.relay, l.slot, *ls.Banned)); err != nil {
			return response{}, err
		}
	}
	if ls.Online != nil {
		if resp, err = eventResponse(r.fleet.SetLineOnline(ctx, l.relay, l.slot, *ls.Online)); err != nil {
			return response{}, err
		}
	}
	return resp, nil
}
