package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// SkipError says a run cannot happen on this deployment, and why: a capability it lacks,
// or a spec the fixture cannot satisfy. Runs report it as skipped, never as passed.
type SkipError struct {
	Reason string
}

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skipf returns a *SkipError.
func Skipf(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...)}
}

// IsSkip reports whether err is a *SkipError and returns its reason.
func IsSkip(err error) (string, bool) {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}

// Key is one API key of a workspace.
type Key struct {
	Name string
	// ID is the key's id for the admin API ("" on a fixture deployment).
	ID string
	// Client calls the API with the key (and the admin token when there is one).
	Client *client.Client
}

// Workspace is one run's corner of a deployment: its keys, its numbers (by symbolic
// name), and the means to act as a contact or an operator there.
type Workspace struct {
	dep  *Deployment
	caps Capabilities
	// Admin calls the admin API; nil without provisioning.
	Admin *client.Client
	// OrgID is the provisioned organization ("" on a fixture).
	OrgID string
	// Bound says the spec was bound to a fixture's existing keys and numbers instead of
	// provisioned.
	Bound bool

	keys       map[string]Key
	keyOrder   []string
	vars       map[string]string
	fleet      *macrelay.Fleet
	lines      map[string]lineRef // phone → its fake relay line
	recipients *recipientMap
}

type lineRef struct {
	relay string
	slot  int
}

// Open gives a run a workspace on dep for spec: provisioned when the deployment offers
// provisioning, otherwise bound to its fixture. A spec that cannot be bound, or a
// need the deployment lacks, is a *SkipError.
func Open(ctx context.Context, dep *Deployment, spec Spec, need ...Capability) (*Workspace, error) {
	caps := dep.Capabilities(ctx)
	if c, why, ok := caps.Lack(need...); !ok {
		return nil, Skipf("needs %s: %s", c, why)
	}
	w := &Workspace{dep: dep, caps: caps, keys: map[string]Key{}, vars: map[string]string{}, lines: map[string]lineRef{}}
	if caps.Has(Provisioning) {
		w.Admin = client.New(dep.URL, client.WithAdminToken(dep.AdminToken), client.WithHTTPClient(dep.Client()))
		w.recipients = &recipientMap{identity: true}
		if err := w.provision(ctx, spec); err != nil {
			w.Close()
			return nil, err
		}
		return w, nil
	}
	if dep.Fixture == nil {
		return nil, Skipf("the deployment cannot be provisioned (%s) and no fixture describes it", caps.Why(Provisioning))
	}
	if err := w.bind(ctx, spec, dep.Fixture); err != nil {
		return nil, err
	}
	return w, nil
}

// Capabilities are the deployment's.
func (w *Workspace) Capabilities() Capabilities { return w.caps }

// Deployment is the deployment the workspace lives on.
func (w *Workspace) Deployment() *Deployment { return w.dep }

// Key returns the key named name.
func (w *Workspace) Key(name string) (Key, bool) {
	k, ok := w.keys[name]
	return k, ok
}

// Keys returns the keys in spec order.
func (w *Workspace) Keys() []Key {
	out := make([]Key, len(w.keyOrder))
	for i, n := range w.keyOrder {
		out[i] = w.keys[n]
	}
	return out
}

// Vars returns the workspace's variables: each number's phone ($name) and, where known,
// its allocation id ($name.allocation_id). The map is the caller's.
func (w *Workspace) Vars() map[string]string {
	out := make(map[string]string, len(w.vars))
	for k, v := range w.vars {
		out[k] = v
	}
	return out
}

// Phone returns the phone number of the spec number named name.
func (w *Workspace) Phone(name string) string { return w.vars[name] }

// SaveAllocations records allocation ids ($name.allocation_id) of the workspace's numbers.
func (w *Workspace) SaveAllocations(as []client.Allocation) {
	byPhone := map[string]string{}
	for name, v := range w.vars {
		if !strings.Contains(name, ".") {
			byPhone[v] = name
		}
	}
	for _, a := range as {
		if name, ok := byPhone[a.PhoneNumber]; ok {
			w.vars[name+".allocation_id"] = a.AllocationID
		}
	}
}

// Contact maps a contact handle (an E.164 number or an email a run writes to) to one it
// may really message: itself on a provisioned deployment, the fixture's next safe
// recipient on a bound one (the same handle always maps to the same recipient).
// Handles that are numbers of the workspace, grp_ ids and comma-separated participant
// lists (mapped element-wise) are handled too.
func (w *Workspace) Contact(ctx context.Context, handle string) (string, error) {
	if w.recipients.identity || handle == "" || strings.HasPrefix(handle, "grp_") {
		return handle, nil
	}
	if strings.Contains(handle, ",") {
		parts := strings.Split(handle, ",")
		for i, p := range parts {
			m, err := w.Contact(ctx, strings.TrimSpace(p))
			if err != nil {
				return "", err
			}
			parts[i] = m
		}
		return strings.Join(parts, ","), nil
	}
	for name, v := range w.vars {
		if v == handle && !strings.Contains(name, ".") {
			return handle, nil
		}
	}
	return w.recipients.get(ctx, w, handle)
}

// MappedContact returns what handle was mapped to, or handle when it was not (for
// expectations that name a contact).
func (w *Workspace) MappedContact(handle string) string {
	if w.recipients.identity {
		return handle
	}
	w.recipients.mu.Lock()
	defer w.recipients.mu.Unlock()
	if m, ok := w.recipients.m[handle]; ok {
		return m
	}
	return handle
}

// InboundMessage is a contact writing to one of the workspace's numbers.
type InboundMessage struct {
	To, From, Text string
	Group          *macrelay.Group
}

// InboundResult is how the deployment answered an inbound message: the engine's answer
// to the relay event, or, through a fixture hook, 200 with the hook's output.
type InboundResult struct {
	Status int
	Body   []byte
}

// Inbound makes a contact write to a number: through the workspace's fake Mac relay, or
// the fixture's inbound command hook.
func (w *Workspace) Inbound(ctx context.Context, in InboundMessage) (InboundResult, error) {
	if in.Text == "" {
		in.Text = "hello"
	}
	if w.fleet != nil {
		l, err := w.lineOf(in.To)
		if err != nil {
			return InboundResult{}, err
		}
		rec, err := w.fleet.Inject(ctx, l.relay, l.slot, macrelay.Inbound{From: in.From, Text: in.Text, Group: in.Group})
		return eventResult(rec, err)
	}
	if w.dep.Fixture != nil && len(w.dep.Fixture.Hooks.Inbound) > 0 {
		out, err := w.dep.Fixture.runInboundHook(ctx, in)
		if err != nil {
			return InboundResult{}, err
		}
		return InboundResult{Status: http.StatusOK, Body: out}, nil
	}
	return InboundResult{}, Skipf("needs %s: %s", Inbound, w.caps.Why(Inbound))
}

// LineChange changes a number's line on the workspace's fake Mac relay; nil fields stay.
type LineChange struct {
	Online       *bool
	Banned       *bool
	FailureRatio *float64
}

// Line changes the line of one of the workspace's Blooio numbers and returns the engine's
// answer to the last relay event it caused (200 with no body when none).
func (w *Workspace) Line(ctx context.Context, phone string, c LineChange) (InboundResult, error) {
	if !w.caps.Has(HealthControl) || w.fleet == nil {
		return InboundResult{}, Skipf("needs %s: %s", HealthControl, w.caps.Why(HealthControl))
	}
	l, err := w.lineOf(phone)
	if err != nil {
		return InboundResult{}, err
	}
	res := InboundResult{Status: http.StatusOK}
	if c.FailureRatio != nil {
		if err := w.fleet.SetFailureRatio(l.relay, l.slot, *c.FailureRatio); err != nil {
			return InboundResult{}, err
		}
	}
	if c.Banned != nil {
		if res, err = eventResult(w.fleet.SetLineBanned(ctx, l.relay, l.slot, *c.Banned)); err != nil {
			return InboundResult{}, err
		}
	}
	if c.Online != nil {
		if res, err = eventResult(w.fleet.SetLineOnline(ctx, l.relay, l.slot, *c.Online)); err != nil {
			return InboundResult{}, err
		}
	}
	return res, nil
}

// AdvanceClock moves the deployment's clock forward by d (capability clock).
func (w *Workspace) AdvanceClock(ctx context.Context, d time.Duration) error {
	if !w.caps.Has(Clock) {
		return Skipf("needs %s: %s", Clock, w.caps.Why(Clock))
	}
	resp, err := w.Admin.Do(ctx, client.Request{Method: http.MethodPost, Path: "/admin/v1/clock", Auth: client.AuthAdmin,
		Body: fmt.Appendf(nil, `{"advance_seconds":%g}`, d.Seconds())})
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("advance the clock: %d %s", resp.Status, resp.Body)
	}
	return nil
}

// Close releases the workspace's fake relays. The provisioned org stays (the admin API
// deletes nothing); its numbers are random and never reused.
func (w *Workspace) Close() {
	w.recipients.release()
	if w.fleet != nil {
		w.fleet.Close()
		w.fleet = nil
	}
}

func (w *Workspace) lineOf(phone string) (lineRef, error) {
	l, ok := w.lines[phone]
	if !ok || w.fleet == nil {
		return lineRef{}, fmt.Errorf("%s is not a Blooio number on this run's fake relays", phone)
	}
	return l, nil
}

func eventResult(rec macrelay.EventRecord, err error) (InboundResult, error) {
	if err != nil {
		return InboundResult{}, fmt.Errorf("relay event: %w (engine answered %d %s)", err, rec.EngineStatus, rec.EngineBody)
	}
	return InboundResult{Status: rec.EngineStatus, Body: []byte(rec.EngineBody)}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// provision starts the workspace's relay fleet and creates its org, relays, numbers and
// keys through the admin API.
func (w *Workspace) provision(ctx context.Context, s Spec) error {
	// Numbers: a block of fresh phone numbers, fixed on a private deployment.
	base := int64(100000)
	suffix := ""
	if w.dep.Shared {
		n, _ := rand.Int(rand.Reader, big.NewInt(800000))
		base = n.Int64() + 100000
		suffix = "-" + randomHex(4)
	}
	phones := make([]string, len(s.Numbers))
	var macs []macrelay.MacConfig
	macIndex := map[string]int{}
	used := map[string]map[int]bool{}
	for _, n := range s.Numbers {
		if n.provider() != "twilio" && n.Slot != 0 {
			relay := cmpOr(n.Relay, "mac-1")
			if used[relay] == nil {
				used[relay] = map[int]bool{}
			}
			used[relay][n.Slot] = true
		}
	}
	for i, n := range s.Numbers {
		phones[i] = fmt.Sprintf("+1%s5%06d", cmpOr(n.AreaCode, "555"), base+int64(i))
		w.vars[n.Name] = phones[i]
		if n.provider() == "twilio" {
			continue
		}
		relay := cmpOr(n.Relay, "mac-1")
		slot := n.Slot
		if used[relay] == nil {
			used[relay] = map[int]bool{}
		}
		for c := 1; slot == 0; c++ {
			if !used[relay][c] {
				slot = c
			}
		}
		used[relay][slot] = true
		j, ok := macIndex[relay]
		if !ok {
			j = len(macs)
			macIndex[relay] = j
			macs = append(macs, macrelay.MacConfig{ID: relay + suffix, Secret: randomHex(16)})
		}
		macs[j].Lines = append(macs[j].Lines, macrelay.LineConfig{Slot: slot, Phone: phones[i]})
		w.lines[phones[i]] = lineRef{relay: relay + suffix, slot: slot}
	}
	if len(macs) > 0 {
		fleet, err := macrelay.New(macrelay.Config{EngineURL: w.dep.URL, Macs: macs, Seed: time.Now().UnixNano()})
		if err != nil {
			return fmt.Errorf("relay fleet: %w", err)
		}
		if err := fleet.Start(); err != nil {
			return fmt.Errorf("relay fleet: %w", err)
		}
		w.fleet = fleet
	}

	req := client.CreateOrgRequest{Name: "poolkit run", Strategy: s.Strategy, StickyTTLSeconds: s.StickyTTLSeconds}
	if h := s.Health; h != nil {
		req.Health = &client.HealthPatch{Window: h.Window, MinSamples: h.MinSamples, DegradeBelow: h.DegradeBelow, RecoverAt: h.RecoverAt}
	}
	org, err := w.Admin.CreateOrg(ctx, req)
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	w.OrgID = org.OrganizationID
	if w.fleet != nil {
		for _, rl := range w.fleet.Relays() {
			if _, err := w.Admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: rl.RelayID, URL: rl.URL, Secret: rl.Secret}); err != nil {
				return fmt.Errorf("register relay %s: %w", rl.RelayID, err)
			}
		}
	}
	for i, n := range s.Numbers {
		nr := client.RegisterNumberRequest{PhoneNumber: phones[i], PlanKind: n.PlanKind, Weight: n.Weight}
		if n.provider() == "twilio" {
			nr.Provider = "twilio"
		} else {
			l := w.lines[phones[i]]
			nr.RelayID, nr.LineSlot = l.relay, &l.slot
		}
		if _, err := w.Admin.RegisterNumber(ctx, w.OrgID, nr); err != nil {
			return fmt.Errorf("register number %s (%s): %w", n.Name, phones[i], err)
		}
	}
	for _, k := range s.Keys {
		ck, err := w.Admin.CreateKey(ctx, w.OrgID, k.Name)
		if err != nil {
			return fmt.Errorf("create key %s: %w", k.Name, err)
		}
		w.addKey(Key{Name: k.Name, ID: ck.KeyID, Client: client.New(w.dep.URL, client.WithAPIKey(ck.APIKey), client.WithAdminToken(w.dep.AdminToken), client.WithHTTPClient(w.dep.Client()))})
		if len(k.Numbers) == 0 {
			continue
		}
		var nums []string
		for _, n := range k.Numbers {
			nums = append(nums, w.vars[strings.TrimPrefix(n, "$")])
		}
		allocs, err := w.Admin.AssignNumbers(ctx, ck.KeyID, client.AssignRequest{PhoneNumbers: nums})
		if err != nil {
			return fmt.Errorf("assign numbers to key %s: %w", k.Name, err)
		}
		w.SaveAllocations(allocs.Allocations)
	}
	return nil
}

func (w *Workspace) addKey(k Key) {
	w.keys[k.Name] = k
	w.keyOrder = append(w.keyOrder, k.Name)
}

// recipientMap hands out safe recipients on a fixture deployment.
type recipientMap struct {
	identity bool
	fixture  *Fixture
	mu       sync.Mutex
	m        map[string]string
	busy     map[string]bool // handles with a conversation before the run
}
