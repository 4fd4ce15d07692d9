package model_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"poolkit/conformance/model"
)

var (
	propOrgs   = []string{"o1", "o2"}
	propKeys   = []string{"k1", "k2", "k3"}
	propPhones = []string{a415, b415, c212, d213, e512, "+18005550001", "+442071234567", "bad"}
	propTo     = []string{alice, bob, carol, "Carol@Example.com", "grp:g1", "grp:g2", "x", "grp:"}
	propCodes  = []string{
		model.CodeNoActiveNumber, model.CodeSenderUnavailable, model.CodeNumberBanned,
		model.CodeInboundOnly, model.CodeInvalidRequest, model.CodeNumberNotFound,
	}
	propPlans      = []model.PlanKind{"", model.PlanShared, model.PlanDedicated, model.PlanInbound, model.PlanTrial, model.Plan2FA, "gold"}
	propStrategies = []model.Strategy{"", model.StrategyRoundRobin, model.StrategyWeighted, model.StrategyGeographic, "random"}
)

func genOp(t *rapid.T) model.Op {
	org := rapid.SampledFrom(propOrgs).Draw(t, "org")
	k := rapid.SampledFrom(propKeys).Draw(t, "key")
	phone := rapid.SampledFrom(propPhones).Draw(t, "phone")
	to := rapid.SampledFrom(propTo).Draw(t, "to")
	switch rapid.IntRange(0, 15).Draw(t, "op") {
	case 0:
		return model.CreateOrg{
			Org:       org,
			Strategy:  rapid.SampledFrom(propStrategies).Draw(t, "strategy"),
			StickyTTL: time.Duration(rapid.IntRange(0, 3).Draw(t, "ttl")) * time.Minute,
			Health:    model.HealthSettings{Window: rapid.IntRange(0, 6).Draw(t, "window"), MinSamples: rapid.IntRange(0, 3).Draw(t, "min")},
		}
	case 1:
		return model.CreateKey{Org: org, Key: k}
	case 2:
		return model.RevokeKey{Key: k}
	case 3:
		return model.RegisterNumber{
			Org: org, Phone: phone,
			Provider: rapid.SampledFrom([]model.Provider{model.ProviderBlooio, model.ProviderTwilio}).Draw(t, "provider"),
			PlanKind: rapid.SampledFrom(propPlans).Draw(t, "plan"),
			Weight:   rapid.IntRange(-1, 3).Draw(t, "weight"),
		}
	case 4:
		return model.Assign{Key: k, Phones: rapid.SliceOfN(rapid.SampledFrom(propPhones), 0, 3).Draw(t, "phones")}
	case 5:
		return model.Unassign{Key: k, Phone: phone}
	case 6:
		op := model.SetNumber{Phone: phone}
		if rapid.Bool().Draw(t, "setPlan") {
			op.PlanKind = ptr(rapid.SampledFrom(propPlans).Draw(t, "plan"))
		}
		if rapid.Bool().Draw(t, "setWeight") {
			op.Weight = ptr(rapid.IntRange(-1, 3).Draw(t, "weight"))
		}
		return op
	case 7:
		return model.SetStrategy{Org: org, Strategy: rapid.SampledFrom(propStrategies).Draw(t, "strategy")}
	case 8:
		return model.Ban{Phone: phone}
	case 9:
		return model.Unban{Phone: phone}
	case 10:
		return model.LineStatus{Phone: phone, Online: rapid.Bool().Draw(t, "online")}
	case 11:
		return model.DeliveryOutcome{Phone: phone, Delivered: rapid.Bool().Draw(t, "delivered")}
	case 12:
		op := model.Inbound{Phone: phone, From: rapid.SampledFrom([]string{alice, bob, carol, "x"}).Draw(t, "from")}
		if rapid.Bool().Draw(t, "group") {
			op.Group = rapid.SampledFrom([]string{"g1", "g2"}).Draw(t, "groupName")
		}
		return op
	case 13:
		return model.ResetBinding{Key: k, Recipient: to}
	case 14:
		return model.Advance{D: time.Duration(rapid.IntRange(-1, 90).Draw(t, "seconds")) * time.Second}
	}
	from := ""
	if rapid.Bool().Draw(t, "explicit") {
		from = phone
	}
	return model.Send{Key: k, Recipient: to, From: from, Texts: rapid.IntRange(0, 12).Draw(t, "texts")}
}

// genOutcome draws an outcome: mostly one the model allows, sometimes anything.
func genOutcome(t *rapid.T, a model.Allowed) model.Outcome {
	switch rapid.IntRange(0, 5).Draw(t, "outcome") {
	case 0:
		return model.Outcome{Code: rapid.SampledFrom(propCodes).Draw(t, "code")}
	case 1:
		return model.Outcome{From: rapid.SampledFrom(propPhones).Draw(t, "from")}
	}
	if len(a.From) > 0 {
		return model.Outcome{From: rapid.SampledFrom(a.From).Draw(t, "allowedFrom")}
	}
	if len(a.Codes) > 0 {
		return model.Outcome{Code: rapid.SampledFrom(a.Codes).Draw(t, "allowedCode")}
	}
	return model.Outcome{}
}

// snapshot renders everything observable about m through its queries and a set of probe
// operations, deterministically.
func snapshot(m *model.Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "now=%v keys=%v\n", m.Now(), m.Keys())
	for _, p := range propPhones {
		fmt.Fprintf(&b, "health %s=%s\n", p, m.Health(p))
		for _, r := range propTo[:5] {
			fmt.Fprintf(&b, "prior %s %s=%v\n", p, r, m.HasPriorInbound(p, r))
		}
	}
	for _, k := range propKeys {
		fmt.Fprintf(&b, "pool %s=%v %s\n", k, m.Pool(k), m.Protocol(k))
		for _, r := range propTo {
			ph, ok := m.Binding(k, r)
			fmt.Fprintf(&b, "binding %s %s=%s %v\n", k, r, ph, ok)
			a := m.Allowed(model.Send{Key: k, Recipient: r, Texts: 1})
			fmt.Fprintf(&b, "send %s %s=%v %v %s %s\n", k, r, a.Codes, a.From, a.Exact, a.Rule)
		}
	}
	return b.String()
}

// checkInvariants checks what must hold in every state.
func checkInvariants(t *rapid.T, m *model.Model) {
	seen := map[string]string{}
	for _, k := range propKeys {
		pool := m.Pool(k)
		for _, p := range pool {
			if other, ok := seen[p]; ok {
				t.Fatalf("POOL-PROTO-2/ISO-1: %s in the pools of %s and %s", p, other, k)
			}
			seen[p] = k
		}
		if len(pool) == 0 && m.Protocol(k) != model.ProtocolNone {
			t.Fatalf("POOL-PROTO-3: empty key %s has protocol %q", k, m.Protocol(k))
		}
		for _, r := range propTo {
			a := m.Allowed(model.Send{Key: k, Recipient: r, Texts: 1})
			if !slices.IsSorted(a.Codes) || !slices.IsSorted(a.From) {
				t.Fatalf("unsorted %+v", a)
			}
			for _, f := range a.From {
				if !slices.Contains(pool, f) {
					t.Fatalf("POOL-ISO-2: allowed from %s not in pool %v of %s", f, pool, k)
				}
			}
			if len(a.From) > 0 && !slices.Contains(a.From, a.Exact) {
				t.Fatalf("exact %q not among %v", a.Exact, a.From)
			}
			if len(a.From) == 0 && (a.Exact != "" || len(a.Codes) == 0) {
				t.Fatalf("send with neither success nor error: %+v", a)
			}
		}
	}
}

func TestModel_property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var opts []model.Option
		if rapid.Bool().Draw(t, "exact") {
			opts = append(opts, model.WithExact())
		}
		opts = append(opts, model.WithGeo(geo))
		m := model.New(opts...)
		twin := model.New(opts...)
		// A little setup so that sends are often accepted.
		for _, op := range []model.Op{
			model.CreateOrg{Org: "o1"}, model.CreateKey{Org: "o1", Key: "k1"},
			model.RegisterNumber{Org: "o1", Phone: a415, Provider: model.ProviderBlooio, Weight: 1},
			model.Assign{Key: "k1", Phones: []string{a415}},
		} {
			m.Step(op, model.Outcome{})
			twin.Step(op, model.Outcome{})
		}
		n := rapid.IntRange(1, 40).Draw(t, "steps")
		for range n {
			op := genOp(t)
			a := m.Allowed(op)
			require.Equal(t, a, m.Allowed(op), "Allowed is pure")
			require.Equal(t, a, twin.Allowed(op), "Allowed is deterministic")

			clone := m.Clone()
			before := snapshot(m)
			out := genOutcome(t, a)
			v := m.Step(op, out)
			require.Equal(t, v, twin.Step(op, out), "Step is deterministic")
			require.Contains(t, []model.Kind{model.OK, model.Violation, model.Unknown}, v.Kind)
			if v.Kind != model.OK || out.Code != "" {
				require.Equal(t, before, snapshot(m), "%s: a rejected or refused outcome changes nothing", v)
			}
			// The clone is independent and replays identically.
			require.Equal(t, before, snapshot(clone))
			require.Equal(t, v, clone.Step(op, out))
			require.Equal(t, snapshot(m), snapshot(clone))
			checkInvariants(t, m)
		}
	})
}
