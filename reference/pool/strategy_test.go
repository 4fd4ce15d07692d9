package pool_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

func TestStrategy_POOL_RR_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{})
	phones := []string{"+15551110001", "+15551110002", "+15551110003", "+15551110004", "+15551110005"}
	k := w.imessageKey("a", phones...)
	counts := map[string]int{}
	var order []string
	for i, r := range contacts(53) {
		from := w.sent(k, r, "")
		counts[from]++
		if i < 6 {
			order = append(order, from)
		}
		lo, hi := math.MaxInt, 0
		for _, p := range phones {
			lo, hi = min(lo, counts[p]), max(hi, counts[p])
		}
		require.LessOrEqual(t, hi-lo, 1, "after %d new conversations: %v", i+1, counts)
	}
	require.Equal(t, append(phones, phones[0]), order, "position order, wrapping to the lowest")

	// The cursor holds a position: removing the number it points at continues with the next.
	w2 := newWorld(t, pool.OrgSpec{})
	k2 := w2.imessageKey("a", phones[:3]...)
	require.Equal(t, phones[0], w2.sent(k2, "+15551230001", ""))
	require.Equal(t, phones[1], w2.sent(k2, "+15551230002", ""))
	require.NoError(t, w2.e.UnassignNumber(w2.ctx, k2.ID, phones[1]))
	require.Equal(t, phones[2], w2.sent(k2, "+15551230003", ""))
	require.Equal(t, phones[0], w2.sent(k2, "+15551230004", ""))
	// Cursors are per key.
	k3 := w2.imessageKey("b", "+15551110009", "+15551110008")
	require.Equal(t, "+15551110009", w2.sent(k3, "+15551230001", ""))
}

func TestStrategy_POOL_WRR_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{Strategy: pool.StrategyWeighted})
	k := w.key("a")
	w.blooio(pool.PlanDedicated, "+15551110001", "+15551110002", "+15551110003")
	w.assign(k, "+15551110001")
	w.patch("+15551110001", pool.NumberPatch{Weight: ptr(5)})
	w.assign(k, "+15551110002", "+15551110003")
	name := map[string]string{"+15551110001": "a", "+15551110002": "b", "+15551110003": "c"}
	var seq string
	rs := contacts(70)
	for _, r := range rs[:7] {
		seq += name[w.sent(k, r, "")]
	}
	require.Equal(t, "aabacaa", seq, "nginx smooth weighted round-robin with weights 5,1,1")
	// After every k·W picks each candidate has exactly k·w_i.
	counts := map[string]int{}
	for i, r := range rs[7:] {
		counts[name[w.sent(k, r, "")]]++
		if (i+1)%7 == 0 {
			k := (i + 1) / 7
			require.Equal(t, map[string]int{"a": 5 * k, "b": k, "c": k}, counts)
		}
	}
	// A weight change resets the current weights: the sequence starts over.
	w.patch("+15551110002", pool.NumberPatch{Weight: ptr(2)})
	seq = ""
	for i := 0; i < 8; i++ {
		seq += name[w.sent(k, fmt.Sprintf("+1555800%04d", i), "")]
	}
	// weights 5,2,1 (W=8) from a reset; currents after each pick:
	// a(-3,2,1) b(2,-4,2) a(-1,-2,3) a(-4,0,4: tie, lowest position) c(1,2,-3) a(-2,4,-2) b(3,-2,-1) a(0,0,0)
	require.Equal(t, "abaacaba", seq)
}

func TestStrategy_POOL_GEO_1(t *testing.T) {
	w := newWorld(t, pool.OrgSpec{Strategy: pool.StrategyGeographic})
	// 415 and 650 are California, 212 and 718 New York, 800 toll-free.
	k := w.imessageKey("a", "+14155550001", "+14155550002", "+16505550003", "+12125550004", "+18005550005")
	tests := []struct {
		recipient string
		allowed   []string
	}{
		{"+14155551234", []string{"+14155550001", "+14155550002"}}, // tier 1: same area code
		{"+16505551234", []string{"+16505550003"}},
		{"+12125551234", []string{"+12125550004"}},
		{"+17185551234", []string{"+12125550004"}},                                 // tier 2: same state
		{"+13105551234", []string{"+14155550001", "+14155550002", "+16505550003"}}, // 310: California
	}
	for i, tc := range tests {
		for j := 0; j < 4; j++ {
			r := fmt.Sprintf("%s%d", tc.recipient[:len(tc.recipient)-1], j)
			from := w.sent(k, r, "")
			require.Contains(t, tc.allowed, from, "case %d recipient %s", i, r)
		}
	}
	// Tier 1 rotates with its own cursor.
	w2 := newWorld(t, pool.OrgSpec{Strategy: pool.StrategyGeographic})
	k2 := w2.imessageKey("a", "+14155550001", "+12125550004", "+14155550002")
	var got []string
	for j := 0; j < 4; j++ {
		got = append(got, w2.sent(k2, fmt.Sprintf("+1415555300%d", j), ""))
	}
	require.Equal(t, []string{"+14155550001", "+14155550002", "+14155550001", "+14155550002"}, got)
	// Tier 3: emails, non-geographic and non-NANP recipients use the key's round-robin cursor.
	var all []string
	for _, r := range []string{"a@example.com", "+18005551234", "+442071838750"} {
		all = append(all, w2.sent(k2, r, ""))
	}
	require.Equal(t, []string{"+14155550001", "+12125550004", "+14155550002"}, all)
	// No candidate shares area code or state: all candidates.
	require.Equal(t, "+14155550001", w2.sent(k2, "+13055551234", "")) // Florida
}

// TestStrategy_POOL_FAIR_1 checks the reference's spread over many new conversations:
// exact shares for round-robin and weighted pools (a statistical check is for real
// deployments; here the algorithms are exact).
func TestStrategy_POOL_FAIR_1(t *testing.T) {
	for _, tc := range []struct {
		strategy pool.Strategy
		weights  []int
	}{
		{pool.StrategyRoundRobin, []int{1, 1, 1, 1}},
		{pool.StrategyWeighted, []int{3, 1, 2, 4}},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			w := newWorld(t, pool.OrgSpec{Strategy: tc.strategy})
			k := w.key("a")
			var phones []string
			total := 0
			for i, wt := range tc.weights {
				p := fmt.Sprintf("+1555111000%d", i+1)
				phones = append(phones, p)
				w.blooio(pool.PlanDedicated, p)
				w.assign(k, p)
				w.patch(p, pool.NumberPatch{Weight: ptr(wt)})
				total += wt
			}
			const n = 1000
			counts := map[string]int{}
			for i := 0; i < n; i++ {
				counts[w.sent(k, fmt.Sprintf("+1555900%04d", i), "")]++
			}
			for i, p := range phones {
				want := float64(n) * float64(tc.weights[i]) / float64(total)
				require.InDelta(t, want, counts[p], 1, "share of %s", p)
			}
		})
	}
}
