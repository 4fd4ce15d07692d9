package model_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

// testGeo is a small numbering table: NANP numbers "+1NPANXXXXXX" have area code NPA.
type testGeo map[string][]string

func (g testGeo) AreaCode(e164 string) (string, bool) {
	if len(e164) != 12 || !strings.HasPrefix(e164, "+1") {
		return "", false
	}
	return e164[2:5], true
}

func (g testGeo) Regions(ac string) []string { return g[ac] }

var geo = testGeo{
	"415": {"US-CA"}, "213": {"US-CA"}, "310": {"US-CA"},
	"212": {"US-NY"}, "718": {"US-NY"},
	"512": {"US-TX"},
	"902": {"CA-NS", "CA-PE"}, "782": {"CA-NS", "CA-PE"},
	"345": {"KY"},
	// 800 (toll-free) has no regions.
}

// world is a model with one org "o" and one key "k", plus helpers to drive it.
type world struct {
	tb    testing.TB
	m     *model.Model
	fresh int // recipients handed out by sendN
}

// newWorld builds a world in reference (exact) mode unless opts say otherwise.
func newWorld(tb testing.TB, strategy model.Strategy, opts ...model.Option) *world {
	tb.Helper()
	opts = append([]model.Option{model.WithGeo(geo), model.WithExact()}, opts...)
	return newWorldWith(tb, model.CreateOrg{Org: "o", Strategy: strategy}, opts...)
}

// newRealWorld builds a world in real-deployment mode (no WithExact).
func newRealWorld(tb testing.TB, strategy model.Strategy) *world {
	tb.Helper()
	return newWorldWith(tb, model.CreateOrg{Org: "o", Strategy: strategy}, model.WithGeo(geo))
}

func newWorldWith(tb testing.TB, org model.CreateOrg, opts ...model.Option) *world {
	tb.Helper()
	w := &world{tb: tb, m: model.New(opts...)}
	w.ok(org)
	w.ok(model.CreateKey{Org: org.Org, Key: "k"})
	return w
}

// ok steps op with the success the model allows (the exact from number for a send) and
// requires an OK verdict.
func (w *world) ok(op model.Op) string {
	w.tb.Helper()
	a := w.m.Allowed(op)
	require.True(w.tb, a.SuccessAllowed(), "op %#v: allowed %+v", op, a)
	out := model.Outcome{From: a.Exact}
	v := w.m.Step(op, out)
	require.Equal(w.tb, model.OK, v.Kind, "op %#v: %s", op, v)
	return a.Exact
}

// fail steps op with the error code and requires the model to allow exactly that code.
func (w *world) fail(op model.Op, code, rule string) {
	w.tb.Helper()
	a := w.m.Allowed(op)
	require.Equal(w.tb, []string{code}, a.Codes, "op %#v: allowed %+v", op, a)
	require.Empty(w.tb, a.From)
	require.Equal(w.tb, rule, a.Rule, "op %#v", op)
	v := w.m.Step(op, model.Outcome{Code: code})
	require.Equal(w.tb, model.OK, v.Kind, "op %#v: %s", op, v)
}

// violation steps op with out and requires a Violation of rule, with the state unchanged.
func (w *world) violation(op model.Op, out model.Outcome, rule string) {
	w.tb.Helper()
	before := w.m.Clone()
	v := w.m.Step(op, out)
	require.Equal(w.tb, model.Violation, v.Kind, "op %#v: %s", op, v)
	require.Equal(w.tb, rule, v.Rule, "op %#v: %s", op, v)
	require.Equal(w.tb, before.Allowed(op), w.m.Allowed(op), "a violation must not change the state")
}

// number registers phone in org "o" and assigns it to key.
func (w *world) number(key, phone string, provider model.Provider, plan model.PlanKind, weight int) {
	w.tb.Helper()
	w.ok(model.RegisterNumber{Org: "o", Phone: phone, Provider: provider, PlanKind: plan, Weight: weight})
	w.ok(model.Assign{Key: key, Phones: []string{phone}})
}

// blooio adds dedicated Blooio numbers of weight 1 to key.
func (w *world) blooio(key string, phones ...string) {
	w.tb.Helper()
	for _, p := range phones {
		w.number(key, p, model.ProviderBlooio, model.PlanDedicated, 1)
	}
}

// send steps an accepted auto-selected send of one text and returns its from number.
func (w *world) send(key, recipient string) string {
	w.tb.Helper()
	return w.ok(model.Send{Key: key, Recipient: recipient, Texts: 1})
}

// sendN sends to n fresh recipients (new conversations) and returns the from numbers in
// order.
func (w *world) sendN(key string, n int) []string {
	w.tb.Helper()
	var got []string
	for range n {
		got = append(got, w.send(key, recipientN(w.fresh)))
		w.fresh++
	}
	return got
}

// recipientN is a distinct recipient handle per i.
func recipientN(i int) string { return "c" + strconv.Itoa(i) + "@example.com" }

// allowed requires Allowed(op) to equal want.
func (w *world) allowed(op model.Op, want model.Allowed) {
	w.tb.Helper()
	if diff := cmp.Diff(want, w.m.Allowed(op)); diff != "" {
		w.tb.Fatalf("Allowed(%#v) mismatch (-want +got):\n%s", op, diff)
	}
}

// outcomes feeds n delivery outcomes for phone.
func (w *world) outcomes(phone string, delivered bool, n int) {
	w.tb.Helper()
	for range n {
		w.ok(model.DeliveryOutcome{Phone: phone, Delivered: delivered})
	}
}

const (
	a415 = "+14155550001"
	b415 = "+14155550002"
	c212 = "+12125550003"
	d213 = "+12135550004"
	e512 = "+15125550005"
	t1   = "+15125550101"
	t2   = "+15125550102"
	t3   = "+15125550103"

	alice = "+14155551000"
	bob   = "+12125552000"
	carol = "carol@example.com"
)

func ptr[T any](v T) *T { return &v }
