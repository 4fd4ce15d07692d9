package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

// names maps phones to letters for readable sequences.
func names(tb testing.TB, phones []string, letters map[string]string) string {
	tb.Helper()
	var b strings.Builder
	for _, p := range phones {
		l, ok := letters[p]
		require.True(tb, ok, "unexpected phone %s", p)
		b.WriteString(l)
	}
	return b.String()
}

var abc = map[string]string{a415: "a", b415: "b", c212: "c", d213: "d", e512: "e"}

func TestModel_POOL_RR_1(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		n     int
		want  string
	}{
		{"cycle in position order", func(*world) {}, 7, "abcabca"},
		{"candidate set shrinks: smallest position after the cursor", func(w *world) {
			w.sendN("k", 1) // cursor at a
			w.ok(model.LineStatus{Phone: b415})
		}, 4, "caca"},
		{"cursor survives an unassignment; re-assigned number goes last", func(w *world) {
			w.sendN("k", 2) // cursor at b (position 2)
			w.ok(model.Unassign{Key: "k", Phone: b415})
			w.ok(model.Assign{Key: "k", Phones: []string{b415}}) // position 4
		}, 4, "cbac"},
		{"explicit sends do not move the cursor", func(w *world) {
			w.ok(model.Send{Key: "k", Recipient: bob, From: c212, Texts: 1})
		}, 3, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, model.StrategyRoundRobin)
			w.blooio("k", a415, b415, c212)
			tt.setup(w)
			var got []string
			for i := range tt.n {
				got = append(got, w.send("k", "rr"+recipientN(i)))
			}
			require.Equal(t, tt.want, names(t, got, abc))
		})
	}
	t.Run("counts differ by at most 1", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415, c212, d213, e512)
		counts := map[string]int{}
		for i, p := range w.sendN("k", 23) {
			counts[p]++
			lo, hi := i+1, 0
			for _, ph := range []string{a415, b415, c212, d213, e512} {
				lo, hi = min(lo, counts[ph]), max(hi, counts[ph])
			}
			require.LessOrEqual(t, hi-lo, 1, "after %d picks: %v", i+1, counts)
		}
	})
	t.Run("a real deployment may pick any candidate; the cursor follows", func(t *testing.T) {
		w := newRealWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415, c212)
		op := model.Send{Key: "k", Recipient: alice, Texts: 1}
		a := w.m.Allowed(op)
		require.Equal(t, []string{c212, a415, b415}, a.From)
		require.Equal(t, a415, a.Exact)
		require.Equal(t, model.OK, w.m.Step(op, model.Outcome{From: b415}).Kind)
		require.Equal(t, c212, w.m.Allowed(model.Send{Key: "k", Recipient: bob, Texts: 1}).Exact)
	})
}

func TestModel_POOL_WRR_1(t *testing.T) {
	weighted := func(t *testing.T, weights ...int) *world {
		w := newWorld(t, model.StrategyWeighted)
		for i, p := range []string{a415, b415, c212, d213}[:len(weights)] {
			w.number("k", p, model.ProviderBlooio, model.PlanDedicated, weights[i])
		}
		return w
	}
	t.Run("5,1,1 from a reset", func(t *testing.T) {
		w := weighted(t, 5, 1, 1)
		require.Equal(t, "aabacaa", names(t, w.sendN("k", 7), abc))
		require.Equal(t, "aabacaa", names(t, w.sendN("k", 7), abc))
	})
	t.Run("k·W picks give k·w_i", func(t *testing.T) {
		w := weighted(t, 3, 2, 0, 1) // c has weight 0: never chosen
		counts := map[string]int{}
		for _, p := range w.sendN("k", 4*6) {
			counts[p]++
		}
		require.Equal(t, map[string]int{a415: 12, b415: 8, d213: 4}, counts)
	})
	t.Run("a weight change resets current weights", func(t *testing.T) {
		w := weighted(t, 5, 1, 1)
		require.Equal(t, "aa", names(t, w.sendN("k", 2), abc))
		w.ok(model.SetNumber{Phone: c212, Weight: ptr(1)}) // same weight: no reset
		require.Equal(t, "b", names(t, w.sendN("k", 1), abc))
		w.ok(model.SetNumber{Phone: b415, Weight: ptr(2)})
		// From a reset with 5,2,1 (ties → lowest position): a b a a c a b a
		require.Equal(t, "abaacaba", names(t, w.sendN("k", 8), abc))
	})
	t.Run("a change of C resets current weights", func(t *testing.T) {
		w := weighted(t, 5, 1, 1)
		require.Equal(t, "aa", names(t, w.sendN("k", 2), abc))
		w.ok(model.LineStatus{Phone: c212})
		// From a reset with 5,1: a a a b a a
		require.Equal(t, "aaa", names(t, w.sendN("k", 3), abc))
		w.ok(model.LineStatus{Phone: c212, Online: true})
		require.Equal(t, "aabacaa", names(t, w.sendN("k", 7), abc))
	})
	t.Run("all weights 0 among inbound fallback candidates", func(t *testing.T) {
		w := newWorld(t, model.StrategyWeighted)
		w.number("k", a415, model.ProviderBlooio, model.PlanInbound, 0)
		w.number("k", b415, model.ProviderBlooio, model.PlanInbound, 0)
		w.ok(model.Inbound{Phone: a415, From: alice})
		w.ok(model.Inbound{Phone: b415, From: alice})
		w.ok(model.ResetBinding{Key: "k", Recipient: alice})
		require.Equal(t, a415, w.send("k", alice))
	})
	t.Run("weight 0 only: no active number", func(t *testing.T) {
		w := weighted(t, 0, 0)
		w.fail(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.CodeNoActiveNumber, "POOL-NEW-1")
		w.ok(model.SetStrategy{Org: "o", Strategy: model.StrategyRoundRobin})
		require.Equal(t, a415, w.send("k", alice))
	})
}

func TestModel_POOL_GEO_1(t *testing.T) {
	const (
		ns902 = "+19025550001"
		pe782 = "+17825550002"
		tf800 = "+18005550003"
		ky345 = "+13455550004"
		uk    = "+442071234567"
	)
	letters := map[string]string{a415: "a", b415: "b", c212: "c", d213: "d", e512: "e", ns902: "n", pe782: "p", tf800: "t", ky345: "k", uk: "u"}
	geoWorld := func(t *testing.T, phones ...string) *world {
		w := newWorld(t, model.StrategyGeographic)
		w.blooio("k", phones...)
		return w
	}
	tests := []struct {
		name   string
		phones []string
		to     []string
		want   string
	}{
		{"same area code, cursor per area code", []string{c212, a415, d213, b415}, []string{"+14155551000", "+14155551001", "+14155551002", "+14155551003"}, "abab"},
		{"same state when no area code matches", []string{c212, a415, d213}, []string{"+13105551000", "+13105551001", "+13105551002"}, "ada"},
		{"any when no state matches", []string{c212, a415, d213}, []string{"+15125551000", "+15125551001"}, "ca"},
		{"email, group and toll-free use tier 3", []string{c212, a415}, []string{carol, "grp:x", "+18005551000"}, "cac"},
		{"non-NANP recipient uses tier 3", []string{c212, a415}, []string{"+442079460000"}, "c"},
		{"non-geographic candidates never match", []string{tf800, uk, c212}, []string{"+18005551000", "+442079460001"}, "tu"},
		{"a multi-region code matches any of its regions", []string{c212, pe782}, []string{"+19025551000"}, "p"},
		{"country without subdivisions", []string{c212, ky345}, []string{"+13455551000"}, "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := geoWorld(t, tt.phones...)
			var got []string
			for _, r := range tt.to {
				got = append(got, w.send("k", r))
			}
			require.Equal(t, tt.want, names(t, got, letters))
		})
	}
	t.Run("default numbering data", func(t *testing.T) {
		w := newWorldWith(t, model.CreateOrg{Org: "o", Strategy: model.StrategyGeographic}, model.WithExact())
		w.blooio("k", c212, pe782, a415, d213)
		seq := []string{
			w.send("k", "+19025551000"), // 902 and 782 share CA-NS, CA-PE: p
			w.send("k", "+13105551000"), // US-CA: a
			w.send("k", "+13105551001"), // US-CA: d
			w.send("k", "+18005551000"), // toll-free, tier 3: c
		}
		require.Equal(t, "padc", names(t, seq, letters))
	})
	t.Run("cursors are per tier", func(t *testing.T) {
		w := geoWorld(t, a415, c212, b415, d213)
		seq := []string{
			w.send("k", "+14155551000"), // tier 1 (415): a
			w.send("k", "+13105551000"), // tier 2 (US-CA): a
			w.send("k", "+14155551001"), // tier 1 (415): b
			w.send("k", "+13105551001"), // tier 2 (US-CA): b
			w.send("k", carol),          // tier 3, rr cursor: a
			w.send("k", "+15125551000"), // tier 3: c
			w.send("k", "+13105551002"), // tier 2: d
		}
		require.Equal(t, "aabbacd", names(t, seq, letters))
	})
	t.Run("a real deployment may pick any number of the first tier", func(t *testing.T) {
		w := newRealWorld(t, model.StrategyGeographic)
		w.blooio("k", c212, a415, b415, d213)
		op := model.Send{Key: "k", Recipient: alice, Texts: 1}
		w.allowed(op, model.Allowed{From: []string{a415, b415}, Exact: a415, Rule: "POOL-GEO-1"})
		w.violation(op, model.Outcome{From: d213}, "POOL-GEO-1")
		require.Equal(t, model.OK, w.m.Step(op, model.Outcome{From: b415}).Kind)
		// The area-code cursor followed the observed pick.
		require.Equal(t, a415, w.m.Allowed(model.Send{Key: "k", Recipient: "+14155551009", Texts: 1}).Exact)
		// State tier: any same-state candidate.
		w.allowed(model.Send{Key: "k", Recipient: "+13105551000", Texts: 1},
			model.Allowed{From: []string{d213, a415, b415}, Exact: a415, Rule: "POOL-GEO-1"})
	})
}

func TestModel_POOL_FAIR_1(t *testing.T) {
	// The reference is exact, so its shares over whole cycles are exactly 1/n and w_i/W.
	t.Run("round_robin", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.blooio("k", a415, b415, c212, d213)
		counts := map[string]int{}
		for _, p := range w.sendN("k", 400) {
			counts[p]++
		}
		require.Equal(t, map[string]int{a415: 100, b415: 100, c212: 100, d213: 100}, counts)
	})
	t.Run("weighted", func(t *testing.T) {
		w := newWorld(t, model.StrategyWeighted)
		for i, p := range []string{a415, b415, c212} {
			w.number("k", p, model.ProviderBlooio, model.PlanDedicated, []int{1, 3, 6}[i])
		}
		counts := map[string]int{}
		for _, p := range w.sendN("k", 500) {
			counts[p]++
		}
		require.Equal(t, map[string]int{a415: 50, b415: 150, c212: 300}, counts)
	})
}
