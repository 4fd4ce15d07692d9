package pool_test

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"poolkit/reference/numbering"
	"poolkit/reference/pool"
)

// propertyWorld builds a world inside a rapid check (rapid.T is a testing.TB).
func propertyWorld(t *rapid.T, strategy pool.Strategy) *world {
	return newWorld(t, pool.OrgSpec{Strategy: strategy})
}

// TestProperty_POOL_RR_1: while the candidates are unchanged, the new-conversation counts
// of any two candidates differ by at most 1, after every pick.
func TestProperty_POOL_RR_1(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := propertyWorld(t, pool.StrategyRoundRobin)
		n := rapid.IntRange(1, 9).Draw(t, "numbers")
		var phones []string
		for i := 0; i < n; i++ {
			phones = append(phones, fmt.Sprintf("+1555111%04d", i))
		}
		k := w.imessageKey("a", phones...)
		// Some ongoing conversations in between must not disturb the spread.
		old := w.sent(k, "+15559000000", "")
		counts := map[string]int{old: 1}
		picks := rapid.IntRange(1, 60).Draw(t, "picks")
		for i := 0; i < picks; i++ {
			if rapid.Bool().Draw(t, "sticky") {
				if got := w.sent(k, "+15559000000", ""); got != old {
					t.Fatalf("sticky conversation moved from %s to %s", old, got)
				}
			}
			counts[w.sent(k, fmt.Sprintf("+1555800%04d", i), "")]++
			lo, hi := 1<<30, 0
			for _, p := range phones {
				lo, hi = min(lo, counts[p]), max(hi, counts[p])
			}
			if hi-lo > 1 {
				t.Fatalf("after %d picks counts are %v", i+1, counts)
			}
		}
	})
}

// TestProperty_POOL_WRR_1: from a reset, after every k·W picks each candidate has
// exactly k·w_i new conversations.
func TestProperty_POOL_WRR_1(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := propertyWorld(t, pool.StrategyWeighted)
		weights := rapid.SliceOfN(rapid.IntRange(1, 6), 1, 5).Draw(t, "weights")
		k := w.key("a")
		total := 0
		var phones []string
		for i, wt := range weights {
			p := fmt.Sprintf("+1555111%04d", i)
			phones = append(phones, p)
			w.blooio(pool.PlanDedicated, p)
			w.patch(p, pool.NumberPatch{Weight: ptr(wt)})
			total += wt
		}
		w.assign(k, phones...)
		rounds := rapid.IntRange(1, 4).Draw(t, "rounds")
		counts := map[string]int{}
		for i := 0; i < rounds*total; i++ {
			counts[w.sent(k, fmt.Sprintf("+1555800%04d", i), "")]++
			if (i+1)%total == 0 {
				for j, p := range phones {
					if want := (i + 1) / total * weights[j]; counts[p] != want {
						t.Fatalf("after %d picks %s has %d, want %d (weights %v)", i+1, p, counts[p], want, weights)
					}
				}
			}
		}
	})
}

// TestProperty_POOL_GEO_1: if some candidate shares the recipient's area code the pick
// shares it; else if one shares the recipient's state, the pick does.
func TestProperty_POOL_GEO_1(t *testing.T) {
	codes := []string{"415", "650", "310", "212", "718", "305", "416", "867", "800"}
	rapid.Check(t, func(t *rapid.T) {
		w := propertyWorld(t, pool.StrategyGeographic)
		k := w.key("a")
		n := rapid.IntRange(1, 6).Draw(t, "numbers")
		var phones []string
		for i := 0; i < n; i++ {
			ac := rapid.SampledFrom(codes).Draw(t, "number area code")
			p := fmt.Sprintf("+1%s555%04d", ac, i)
			phones = append(phones, p)
			w.blooio(pool.PlanDedicated, p)
		}
		w.assign(k, phones...)
		for i := 0; i < rapid.IntRange(1, 20).Draw(t, "sends"); i++ {
			ac := rapid.SampledFrom(codes).Draw(t, "recipient area code")
			r := fmt.Sprintf("+1%s777%04d", ac, i)
			from := w.sent(k, r, "")
			fromAC, _ := numbering.NANPAreaCode(from)
			sameAC := slices.ContainsFunc(phones, func(p string) bool { c, _ := numbering.NANPAreaCode(p); return c == ac })
			sameState := slices.ContainsFunc(phones, func(p string) bool {
				c, _ := numbering.NANPAreaCode(p)
				return numbering.SameRegion(c, ac)
			})
			switch {
			case len(numbering.Regions(ac)) == 0:
				// Non-geographic recipients use tier 3: any candidate.
			case sameAC && fromAC != ac:
				t.Fatalf("recipient %s: %s was picked although a number shares the area code (%v)", r, from, phones)
			case !sameAC && sameState && !numbering.SameRegion(fromAC, ac):
				t.Fatalf("recipient %s: %s was picked although a number shares the state (%v)", r, from, phones)
			}
		}
	})
}
