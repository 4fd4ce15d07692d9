package model_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"poolkit/conformance/model"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// TestEngineAgreesWithModel runs random sequences of operations on the reference engine
// and on the oracle in exact mode, and judges every outcome of the engine with the
// oracle. rapid shrinks a disagreement to a minimal sequence; the sequence and the
// verdict are written under testdata/failures/ when the test fails.
func TestEngineAgreesWithModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := newHarness(rt)
		steps := rapid.IntRange(1, 80).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			h.step(rt)
		}
	})
}

// phones of the harness: six Blooio numbers in three area codes (415 and 650 are both
// California, 212 is New York) and three Twilio numbers.
var (
	blooioPhones = []string{"+14155550001", "+14155550002", "+16505550003", "+12125550004", "+12125550005", "+18005550006"}
	twilioPhones = []string{"+14155550101", "+12125550102", "+16505550103"}
	allPhones    = append(slices.Clone(blooioPhones), twilioPhones...)
	// recipients: NANP numbers in and out of the pool's regions, a non-NANP number and an email.
	contactsPool = []string{"+14155551001", "+16505551002", "+12125551003", "+13055551004", "+442071838750", "pat@example.com"}
	keyNames     = []string{"k0", "k1", "k2"}
)

type harness struct {
	rt      *rapid.T
	m       *model.Model
	e       *pool.Engine
	now     time.Time
	keys    map[string]pool.Key // model key → engine key
	slot    map[string]int      // Blooio phone → line slot
	alloc   map[string]string   // phone → engine allocation id, while allocated
	groups  map[string]relayGroup
	queued  map[string][]string // phone → outbound messages without a final status
	history []string
}

// relayGroup is a group chat a relay reported: its engine id and the allocation it lives on.
type relayGroup struct{ id, alloc string }

func newHarness(rt *rapid.T) *harness {
	h := &harness{
		rt: rt, m: model.New(model.WithExact()),
		now:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		keys: map[string]pool.Key{}, slot: map[string]int{}, alloc: map[string]string{},
		groups: map[string]relayGroup{}, queued: map[string][]string{},
	}
	h.e = pool.New(mem.New(), pool.WithClock(func() time.Time { return h.now }))
	ctx := context.Background()

	strategy := rapid.SampledFrom([]pool.Strategy{pool.StrategyRoundRobin, pool.StrategyWeighted, pool.StrategyGeographic}).Draw(rt, "strategy")
	ttl := rapid.SampledFrom([]time.Duration{0, 0, time.Hour}).Draw(rt, "sticky_ttl")
	health := pool.HealthSettings{Window: 6, MinSamples: 3, DegradeBelow: 0.8, RecoverAt: 0.9}
	org, err := h.e.CreateOrg(ctx, pool.OrgSpec{Name: "o", Strategy: strategy, StickyTTL: ttl, Health: &health})
	h.must(err)
	h.judge(model.CreateOrg{Org: "o", Strategy: model.Strategy(strategy), StickyTTL: ttl,
		Health: model.HealthSettings{Window: 6, MinSamples: 3, DegradeBelow: 0.8, RecoverAt: 0.9}}, nil, "")
	_, err = h.e.RegisterRelay(ctx, pool.Relay{ID: "mac", URL: "http://127.0.0.1:1", Secret: "s"})
	h.must(err)
	for _, name := range keyNames {
		k, _, err := h.e.CreateKey(ctx, org.ID, name)
		h.must(err)
		h.keys[name] = k
		h.judge(model.CreateKey{Org: "o", Key: name}, nil, "")
	}
	plans := []pool.PlanKind{pool.PlanDedicated, pool.PlanDedicated, pool.PlanShared, pool.PlanInbound, pool.PlanInbound, pool.PlanTrial, pool.Plan2FA}
	for i, p := range allPhones {
		provider, plan := pool.ProviderTwilio, pool.PlanDedicated
		if i < len(blooioPhones) {
			provider = pool.ProviderBlooio
			plan = rapid.SampledFrom(plans).Draw(rt, "plan "+p)
			h.slot[p] = i
		} else if rapid.IntRange(0, 3).Draw(rt, "trial "+p) == 0 {
			plan = pool.PlanTrial
		}
		weight := rapid.IntRange(0, 3).Draw(rt, "weight "+p)
		_, err := h.e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: provider,
			RelayID: "mac", LineSlot: i, PlanKind: plan, Weight: &weight})
		h.must(err)
		h.judge(model.RegisterNumber{Org: "o", Phone: p, Provider: model.Provider(provider), PlanKind: model.PlanKind(plan), Weight: weight}, nil, "")
	}
	return h
}

func (h *harness) must(err error) {
	if err != nil {
		h.rt.Fatalf("setup: %v", err)
	}
}

// step draws one operation, runs it on the engine and judges the outcome.
func (h *harness) step(rt *rapid.T) {
	ctx := context.Background()
	key := rapid.SampledFrom(keyNames).Draw(rt, "key")
	k := h.keys[key]
	phone := rapid.SampledFrom(allPhones).Draw(rt, "phone")
	switch op := rapid.IntRange(0, 99).Draw(rt, "op"); {
	case op < 14: // assign one or two numbers
		phones := []string{phone}
		if rapid.Bool().Draw(rt, "two") {
			phones = append(phones, rapid.SampledFrom(allPhones).Draw(rt, "second"))
		}
		got, err := h.e.AssignNumbers(ctx, k.ID, pool.AssignRequest{Phones: phones})
		if err == nil {
			for _, n := range got {
				h.alloc[n.Number.Phone] = n.Allocation.ID
			}
		}
		h.judge(model.Assign{Key: key, Phones: phones}, err, "")
	case op < 19:
		err := h.e.UnassignNumber(ctx, k.ID, phone)
		if err == nil {
			delete(h.alloc, phone)
		}
		h.judge(model.Unassign{Key: key, Phone: phone}, err, "")
	case op < 55:
		h.send(rt, key, k)
	case op < 67:
		h.inbound(rt, phone)
	case op < 71:
		var err error
		if rapid.Bool().Draw(rt, "ban") {
			_, err = h.e.UpdateNumber(ctx, phone, pool.NumberPatch{Health: ptrTo(pool.HealthBanned)})
			h.judge(model.Ban{Phone: phone}, err, "")
		} else {
			_, err = h.e.UpdateNumber(ctx, phone, pool.NumberPatch{Health: ptrTo(pool.HealthActive)})
			h.judge(model.Unban{Phone: phone}, err, "")
		}
	case op < 77:
		online := rapid.Bool().Draw(rt, "online")
		slot, ok := h.slot[phone]
		if !ok {
			slot = 1000 // Twilio numbers have no relay line
		}
		err := h.e.RecordLineStatus(ctx, pool.LineStatus{RelayID: "mac", LineSlot: slot, Online: online})
		h.judge(model.LineStatus{Phone: phone, Online: online}, err, "")
	case op < 87:
		q := h.queued[phone]
		if len(q) == 0 {
			return
		}
		delivered := rapid.IntRange(0, 2).Draw(rt, "delivered") > 0
		status := pool.StatusFailed
		if delivered {
			status = pool.StatusDelivered
		}
		err := h.e.RecordStatus(ctx, q[0], status, "")
		h.queued[phone] = q[1:]
		h.judge(model.DeliveryOutcome{Phone: phone, Delivered: delivered}, err, "")
	case op < 90:
		s := rapid.SampledFrom([]pool.Strategy{pool.StrategyRoundRobin, pool.StrategyWeighted, pool.StrategyGeographic}).Draw(rt, "strategy")
		_, err := h.e.UpdateOrg(ctx, h.orgID(), pool.OrgPatch{Strategy: &s})
		h.judge(model.SetStrategy{Org: "o", Strategy: model.Strategy(s)}, err, "")
	case op < 93:
		var p pool.NumberPatch
		var mp model.SetNumber
		mp.Phone = phone
		if rapid.Bool().Draw(rt, "set plan") {
			plan := rapid.SampledFrom([]pool.PlanKind{pool.PlanDedicated, pool.PlanInbound, pool.PlanTrial, pool.PlanShared}).Draw(rt, "plan")
			p.PlanKind, mp.PlanKind = &plan, ptrTo(model.PlanKind(plan))
		} else {
			weight := rapid.IntRange(0, 4).Draw(rt, "weight")
			p.Weight, mp.Weight = &weight, &weight
		}
		_, err := h.e.UpdateNumber(ctx, phone, p)
		h.judge(mp, err, "")
	case op < 96:
		r, engineR, ok := h.recipient(rt, key)
		if !ok {
			return
		}
		err := h.e.ResetBinding(ctx, k.ID, engineR)
		h.judge(model.ResetBinding{Key: key, Recipient: r}, err, "")
	case op < 99:
		d := rapid.SampledFrom([]time.Duration{time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}).Draw(rt, "advance")
		h.now = h.now.Add(d)
		h.judge(model.Advance{D: d}, nil, "")
	default:
		err := h.e.RevokeKey(ctx, k.ID)
		if err == nil {
			for p, a := range h.alloc {
				if slices.ContainsFunc(h.poolOf(key), func(x string) bool { return x == p }) {
					_ = a
					delete(h.alloc, p)
				}
			}
		}
		h.judge(model.RevokeKey{Key: key}, err, "")
	}
	h.invariants()
}

func (h *harness) orgID() string {
	return h.keys["k0"].OrgID
}

// poolOf is the model's pool of a key.
func (h *harness) poolOf(key string) []string { return h.m.Pool(key) }

// recipient draws a recipient: a contact, a live relay group, or an ad-hoc group. It
// returns the model's name and the engine's chatId.
func (h *harness) recipient(rt *rapid.T, key string) (string, string, bool) {
	switch rapid.IntRange(0, 9).Draw(rt, "recipient kind") {
	case 0, 1:
		// A relay group, while the allocation it was reported on lives (the model forgets
		// a pin when its allocation ends; the engine's grp_ id then names nothing).
		var live []string
		for name, g := range h.groups {
			if h.alloc[h.phoneOfAlloc(g.alloc)] == g.alloc {
				live = append(live, name)
			}
		}
		if len(live) == 0 {
			return "", "", false
		}
		slices.Sort(live)
		name := rapid.SampledFrom(live).Draw(rt, "group")
		return "grp:" + name, h.groups[name].id, true
	case 2:
		i := rapid.IntRange(0, 2).Draw(rt, "adhoc")
		return fmt.Sprintf("grp:a%d", i), fmt.Sprintf("+1555000100%d,+1555000200%d", i, i), true
	}
	r := rapid.SampledFrom(contactsPool).Draw(rt, "contact")
	return r, r, true
}

func (h *harness) phoneOfAlloc(id string) string {
	for p, a := range h.alloc {
		if a == id {
			return p
		}
	}
	return ""
}

func (h *harness) send(rt *rapid.T, key string, k pool.Key) {
	r, engineR, ok := h.recipient(rt, key)
	if !ok {
		return
	}
	from := ""
	switch rapid.IntRange(0, 5).Draw(rt, "from kind") {
	case 0, 1:
		from = rapid.SampledFrom(allPhones).Draw(rt, "from")
	case 2:
		from = "+15559999999" // registered nowhere
	}
	texts := rapid.IntRange(1, 3).Draw(rt, "texts")
	req := pool.SendRequest{KeyID: k.ID, ChatID: engineR, From: from, Texts: slices.Repeat([]string{"hi"}, texts)}
	res, err := h.e.Send(context.Background(), req)
	if err == nil {
		h.queued[res.From] = append(h.queued[res.From], res.MessageID)
		if res.MessageIDs != nil {
			h.queued[res.From] = append(h.queued[res.From], res.MessageIDs[1:]...)
		}
	}
	h.judge(model.Send{Key: key, Recipient: r, From: from, Texts: texts}, err, res.From)
}

func (h *harness) inbound(rt *rapid.T, phone string) {
	from := rapid.SampledFrom(contactsPool).Draw(rt, "inbound from")
	in := pool.InboundMessage{From: from, Text: "hello"}
	if slot, ok := h.slot[phone]; ok {
		in.RelayID, in.LineSlot = "mac", slot
	} else {
		in.Phone = phone
	}
	group := ""
	if rapid.IntRange(0, 3).Draw(rt, "in group") == 0 {
		// Group names are unique per number: a relay's chat on one line is its own group.
		group = fmt.Sprintf("g%d-%s", rapid.IntRange(0, 1).Draw(rt, "group no"), phone[len(phone)-4:])
		in.Group = &pool.InboundGroup{ChatGUID: group, Participants: []string{from}}
	}
	res, err := h.e.RecordInbound(context.Background(), in)
	if err == nil && res.GroupID != "" {
		h.groups[group] = relayGroup{id: res.GroupID, alloc: res.AllocationID}
	}
	h.judge(model.Inbound{Phone: phone, From: from, Group: group}, err, "")
}

// judge steps the model with the engine's outcome and fails on anything but OK.
func (h *harness) judge(op model.Op, err error, from string) {
	out := model.Outcome{From: from}
	if err != nil {
		var pe *pool.Error
		if !errors.As(err, &pe) {
			h.fail(op, fmt.Sprintf("engine error without a code: %v", err))
		}
		out = model.Outcome{Code: string(pe.Code)}
	}
	v := h.m.Step(op, out)
	h.history = append(h.history, fmt.Sprintf("%#v → %+v", op, out))
	if v.Kind != model.OK {
		h.fail(op, v.String())
	}
}

// invariants compares the engine's pools, protocols and health with the model's.
func (h *harness) invariants() {
	ctx := context.Background()
	for _, name := range keyNames {
		k := h.keys[name]
		var got []string
		nums, err := h.e.KeyNumbers(ctx, k.ID)
		if err == nil {
			for _, n := range nums {
				got = append(got, n.Number.Phone)
			}
		}
		if want := h.m.Pool(name); !slices.Equal(want, got) {
			h.fail(nil, fmt.Sprintf("POOL-ISO-1: pool of %s is %v, the model says %v", name, got, want))
		}
		key, err := h.e.Key(ctx, k.ID)
		if err == nil && string(key.Protocol) != string(h.m.Protocol(name)) {
			h.fail(nil, fmt.Sprintf("POOL-PROTO: protocol of %s is %q, the model says %q", name, key.Protocol, h.m.Protocol(name)))
		}
	}
	for _, p := range allPhones {
		rep, err := h.e.NumberHealth(ctx, p)
		if err != nil {
			h.fail(nil, err.Error())
		}
		if string(rep.Status) != string(h.m.Health(p)) {
			h.fail(nil, fmt.Sprintf("POOL-HEALTH: %s is %s, the model says %s", p, rep.Status, h.m.Health(p)))
		}
	}
}

// fail writes the history under testdata/failures (STYLE: keep artefacts when
// something fails) and fails the check.
func (h *harness) fail(op model.Op, why string) {
	var b strings.Builder
	for i, line := range h.history {
		fmt.Fprintf(&b, "%3d %s\n", i, line)
	}
	if op != nil {
		fmt.Fprintf(&b, "FAILED AT %#v\n", op)
	}
	fmt.Fprintf(&b, "%s\n", why)
	dir := filepath.Join("testdata", "failures")
	if os.MkdirAll(dir, 0o755) == nil {
		_ = os.WriteFile(filepath.Join(dir, "TestEngineAgreesWithModel.txt"), []byte(b.String()), 0o644)
	}
	h.rt.Fatalf("engine and model disagree:\n%s", b.String())
}

func ptrTo[T any](v T) *T { return &v }
