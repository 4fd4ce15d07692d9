package sim

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary writes the terminal summary of a run: traffic, the numbers' shares, the
// measures, every threshold and the verdict.
func WriteSummary(w io.Writer, r *Result) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "poolkit sim: %s (%s driver, seed %d, %d pools, %s)\n", r.Profile, r.Driver, r.Seed, r.Pools, r.Strategy)
	if r.Target != "" {
		fmt.Fprintf(b, "  target     %s\n", r.Target)
	}
	tr := r.Traffic
	clock := "virtual"
	if r.Driver == DriverHTTP {
		clock = "real"
	}
	fmt.Fprintf(b, "  traffic    %s sends + %s inbound = %s messages over %s (%s time); %s accepted, %s rejected\n",
		count(tr.Sends), count(tr.Inbound), count(tr.Messages), seconds(r.DurationSeconds), clock, count(tr.Accepted), count(tr.Rejected))
	if wall := r.Wall(); wall > 0 {
		fmt.Fprintf(b, "  wall       %s: %s messages/s\n", wall.Round(time.Millisecond), count(int64(float64(tr.Messages)/wall.Seconds())))
	}
	if r.Interrupted {
		fmt.Fprintf(b, "  INTERRUPTED: the figures cover the part that ran\n")
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  number\trelay/slot\tplan\tweight\tnew conv.\texpected\tshare\texp. share\tmessages\tinbound\tfailed\thealth\t")
	for _, n := range r.Numbers {
		fmt.Fprintf(tw, "  %s\t%s/%d\t%s\t%d\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n.Phone, n.Relay, n.Slot, n.PlanKind, n.Weight,
			count(n.NewConversations), n.Expected, pct(n.Share), pct(n.ExpectedShare), count(n.Messages), count(n.Inbound), count(n.Failed), n.Health)
	}
	tw.Flush()
	b.WriteString("\n")

	f := r.Fairness
	fmt.Fprintf(b, "  fairness   %s new conversations: Jain %.6f, chi-square %.3f (df %d) p=%.4f, max |count-expected| %.1f (%s of expected)\n",
		count(f.Picks), f.Jain, f.ChiSquare, f.DF, f.PValue, f.MaxAbsDeviation, pct(f.MaxRelDeviation))
	if f.FallbackPicks > 0 {
		fmt.Fprintf(b, "             %s picks fell back to reply-only numbers (no number eligible)\n", count(f.FallbackPicks))
	}
	s := r.Stickiness
	fmt.Fprintf(b, "  stickiness %s sends of ongoing conversations checked: %s violations; %s legitimate reselections\n",
		count(s.Checked), count(s.Violations), count(s.Reselections))
	for _, v := range s.Examples {
		fmt.Fprintf(b, "             pool %d at %s: %s is bound to %s but got %s\n", v.Pool, seconds(v.AtSeconds), v.Recipient, v.Bound, v.Got)
	}
	g := r.Geographic
	if picks := g.Tier1 + g.Tier2 + g.Tier3; picks > 0 {
		fmt.Fprintf(b, "  geography  tier 1 %s, tier 2 %s, tier 3 %s; below the best tier available: %s\n",
			pct(float64(g.Tier1)/float64(picks)), pct(float64(g.Tier2)/float64(picks)), pct(float64(g.Tier3)/float64(picks)), count(g.BelowBest))
	}
	fmt.Fprintf(b, "  rejections %s\n", rejections(r.Rejections))
	if r.HealthCorrections > 0 {
		fmt.Fprintf(b, "  health     %s changes seen only at a bucket boundary (the expected shares lag them)\n", count(r.HealthCorrections))
	}
	for _, rr := range r.Rotation {
		out, back := "never", "never"
		if rr.OutSeconds != nil {
			out = seconds(*rr.OutSeconds)
		}
		if rr.RecoverySeconds == nil {
			back = "n/a (still failing at the end)"
		} else if rr.BackSeconds != nil {
			back = seconds(*rr.BackSeconds)
		}
		at := ""
		if rr.DegradedAtSeconds != nil {
			at = " (degraded at " + seconds(*rr.DegradedAtSeconds) + ")"
		}
		fmt.Fprintf(b, "  rotation   %s (pool %d): failures above 1-degrade_below from %s, out of rotation after %s%s; back in rotation after %s\n",
			rr.Number, rr.Pool, seconds(rr.OnsetSeconds), out, at, back)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(b, "  latency    p50 %.2fms  p90 %.2fms  p99 %.2fms  p99.9 %.2fms  max %.2fms  (%s sends/s achieved of %s offered, %d in flight at most)\n",
			l.P50Ms, l.P90Ms, l.P99Ms, l.P999Ms, l.MaxMs, strconv.FormatFloat(l.Throughput, 'f', 1, 64),
			strconv.FormatFloat(r.OfferedRate, 'f', 1, 64), l.Concurrency)
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(b, "  skipped    %s\n", sk)
	}
	if len(r.Thresholds) > 0 {
		b.WriteString("\n  thresholds\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, t := range r.Thresholds {
			mark, value := "ok  ", ""
			switch {
			case t.Skipped != "":
				mark, value = "skip", t.Skipped
			case !t.Pass:
				mark = "FAIL"
			}
			if t.Value != nil {
				value = strconv.FormatFloat(*t.Value, 'g', 6, 64)
			} else if t.Note != "" {
				value = t.Note
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", mark, t.Threshold, value)
		}
		tw.Flush()
	}
	fmt.Fprintf(b, "\n  verdict: %s\n", strings.ToUpper(r.Verdict))
	_, err := io.WriteString(w, b.String())
	return err
}

func rejections(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s %s", c, count(m[c]))
	}
	return strings.Join(parts, ", ")
}

// count formats an integer with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(100*x, 'f', 2, 64) + "%"
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}
