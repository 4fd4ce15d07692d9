package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"time"

	"poolkit/reference/numbering"
)

// Result is what a run measured and the verdict of its thresholds. An in-process run's
// JSON is a pure function of the profile, the options and the seed: the same seed gives
// the same bytes (wall-clock figures are kept out of it; see Wall).
type Result struct {
	Profile     string `json:"profile"`
	Description string `json:"description,omitempty"`
	File        string `json:"profile_file"`
	Driver      string `json:"driver"`
	Target      string `json:"target,omitempty"`
	Seed        uint64 `json:"seed"`
	// Pools is how many independent pools (shards, or keys over HTTP) shared the run.
	Pools    int    `json:"pools"`
	Strategy string `json:"strategy"`
	// DurationSeconds is the run's length: virtual in-process, measured over HTTP.
	DurationSeconds float64 `json:"duration_seconds"`
	// OfferedRate is the sends per second the profile asked for.
	OfferedRate float64 `json:"offered_rate"`
	Interrupted bool    `json:"interrupted,omitempty"`

	Traffic    TrafficResult    `json:"traffic"`
	Numbers    []NumberResult   `json:"numbers"`
	Fairness   FairnessResult   `json:"fairness"`
	Stickiness StickinessResult `json:"stickiness"`
	Geographic GeoResult        `json:"geographic"`
	// Rejections counts rejected sends by error code.
	Rejections map[string]int64 `json:"rejections"`
	// HealthCorrections counts health changes the in-process driver found only at a
	// bucket boundary, not right after the outcome or fault that caused them: 0 unless
	// the engine changes a number's health on its own (then the expected shares lag).
	HealthCorrections int64            `json:"health_corrections"`
	Rotation          []RotationResult `json:"rotation,omitempty"`
	Timeline          Timeline         `json:"timeline"`
	Latency           *LatencyResult   `json:"latency,omitempty"`
	// Skipped lists parts of the profile a driver could not carry out, with the reason.
	Skipped    []string          `json:"skipped,omitempty"`
	Thresholds []ThresholdResult `json:"thresholds"`
	// Verdict is "pass" when every threshold holds, "fail" otherwise.
	Verdict string `json:"verdict"`

	wall time.Duration
}

// Wall is how long the run took on the wall clock (not part of the JSON).
func (r *Result) Wall() time.Duration { return r.wall }

// Passed reports whether every threshold held.
func (r *Result) Passed() bool { return r.Verdict == "pass" }

// JSON returns the result as indented JSON with a final newline.
func (r *Result) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // thresholds read "latency_p99 < 250ms", not \u003c
	enc.SetIndent("", "  ")
	err := enc.Encode(r)
	return b.Bytes(), err
}

// TrafficResult counts the run's traffic.
type TrafficResult struct {
	// Sends were attempted; Accepted answered 202, Rejected with an error.
	Sends    int64 `json:"sends"`
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	// Inbound messages reached the pool (replies and contacts writing first);
	// RepliesLost were written to a number whose Mac was offline.
	Inbound     int64 `json:"inbound"`
	RepliesLost int64 `json:"replies_lost"`
	// Messages is Sends + Inbound: every message the run simulated.
	Messages   int64 `json:"messages"`
	GroupSends int64 `json:"group_sends"`
	Delivered  int64 `json:"delivered"`
	Failed     int64 `json:"failed"`
}

// NumberResult is one number's share of the run.
type NumberResult struct {
	Phone    string   `json:"phone"`
	Relay    string   `json:"relay"`
	Slot     int      `json:"slot"`
	PlanKind string   `json:"plan_kind"`
	Weight   int      `json:"weight"`
	AreaCode string   `json:"area_code"`
	Regions  []string `json:"regions"`
	// NewConversations is how many conversations the strategy gave the number;
	// Expected what it should have got given the candidates of each pick;
	// Share and ExpectedShare are their fractions of all picks.
	NewConversations int64   `json:"new_conversations"`
	Expected         float64 `json:"expected"`
	Deviation        float64 `json:"deviation"`
	Share            float64 `json:"share"`
	ExpectedShare    float64 `json:"expected_share"`
	// Messages are accepted sends from the number, Inbound messages to it.
	Messages  int64 `json:"messages"`
	Inbound   int64 `json:"inbound"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
	// Health is the worst state the number ended the run in, across pools.
	Health string `json:"health"`
}

// FairnessResult compares the new-conversation counts with their expectation
// (POOL-FAIR-1). Numbers expected to get nothing are left out of the index and the test.
type FairnessResult struct {
	Picks int64 `json:"picks"`
	// FallbackPicks went to reply-only numbers because no number was eligible: no
	// expectation applies to them.
	FallbackPicks int64 `json:"fallback_picks"`
	// Jain is Jain's index of count/expected over the numbers (1 = each got exactly its
	// expected share).
	Jain            float64 `json:"jain"`
	MaxAbsDeviation float64 `json:"max_abs_deviation"`
	MaxRelDeviation float64 `json:"max_rel_deviation"`
	ChiSquare       float64 `json:"chi_square"`
	DF              int     `json:"df"`
	PValue          float64 `json:"p_value"`
}

// StickinessResult checks POOL-STICKY-1: every send of an ongoing conversation whose
// number is still usable must come from that number.
type StickinessResult struct {
	Checked    int64 `json:"checked"`
	Violations int64 `json:"violations"`
	// Reselections are conversations that legitimately moved: their number was banned or
	// unassigned, or their binding expired.
	Reselections int64       `json:"reselections"`
	Examples     []Violation `json:"examples,omitempty"`
}

// GeoResult is the geographic tier of every new-conversation pick: 1 the contact's area
// code, 2 its state or province, 3 anything else (emails, groups and non-geographic
// codes are always 3).
type GeoResult struct {
	Tier1 int64 `json:"tier1"`
	Tier2 int64 `json:"tier2"`
	Tier3 int64 `json:"tier3"`
	// BelowBest counts picks of a worse tier than the best one available (geographic
	// strategy only; POOL-GEO-1 says 0).
	BelowBest int64 `json:"below_best"`
}

// RotationResult is how fast a failing number left rotation and came back, in one pool.
type RotationResult struct {
	Number string `json:"number"`
	Pool   int    `json:"pool"`
	// OnsetSeconds is when the injected failure ratio reached 1 − degrade_below;
	// OutSeconds how long after it the number was degraded (null: never).
	OnsetSeconds float64  `json:"onset_seconds"`
	OutSeconds   *float64 `json:"out_seconds"`
	// DegradedAtSeconds is when the number was first degraded once its failures began
	// to rise (it may precede the onset: chance fills the health window early).
	DegradedAtSeconds *float64 `json:"degraded_at_seconds"`
	// RecoverySeconds is when the ratio fell below 1 − recover_at again (null: not
	// within the run); BackSeconds how long after it the number was active (null: never).
	RecoverySeconds *float64 `json:"recovery_seconds"`
	BackSeconds     *float64 `json:"back_seconds"`
}

// Timeline is the run cut into equal buckets: per bucket and number, new conversations,
// messages and the worst health state seen (across pools).
type Timeline struct {
	BucketSeconds float64    `json:"bucket_seconds"`
	Numbers       []string   `json:"numbers"`
	New           [][]int64  `json:"new"`
	Messages      [][]int64  `json:"messages"`
	Health        [][]string `json:"health"`
}

// Shares returns the new-conversation share of each number in each bucket (NaN for a
// bucket without picks).
func (tl *Timeline) Shares() [][]float64 {
	out := make([][]float64, len(tl.New))
	for b, row := range tl.New {
		var sum int64
		for _, v := range row {
			sum += v
		}
		out[b] = make([]float64, len(row))
		for i, v := range row {
			out[b][i] = math.NaN()
			if sum > 0 {
				out[b][i] = float64(v) / float64(sum)
			}
		}
	}
	return out
}

// part is one pool's model and tally.
type part struct {
	m *model
	t *tally
}

func buildResult(pl *plan, parts []part) *Result {
	pr := pl.prof
	r := &Result{
		Profile: pr.Name, Description: pr.Description, File: pr.File, Driver: pl.driver, Seed: pl.seed,
		Pools: len(parts), Strategy: string(pl.strategy), DurationSeconds: pl.duration.Seconds(),
		OfferedRate: pl.rate, Rejections: map[string]int64{},
	}
	n := len(pl.numbers)
	r.Numbers = make([]NumberResult, n)
	for i, c := range pl.numbers {
		ac, _ := numbering.NANPAreaCode(c.Phone)
		r.Numbers[i] = NumberResult{Phone: c.Phone, Relay: c.Relay, Slot: c.Slot, PlanKind: c.PlanKind, Weight: c.Weight,
			AreaCode: ac, Regions: slices.Clone(numbering.Regions(ac))}
		if r.Numbers[i].Regions == nil {
			r.Numbers[i].Regions = []string{}
		}
	}
	buckets := pr.Report.Buckets
	r.Timeline = Timeline{BucketSeconds: (pl.duration / time.Duration(buckets)).Seconds(),
		New: make([][]int64, buckets), Messages: make([][]int64, buckets), Health: make([][]string, buckets)}
	worst := make([]health, buckets*n)
	final := make([]health, n)
	for b := range buckets {
		r.Timeline.New[b] = make([]int64, n)
		r.Timeline.Messages[b] = make([]int64, n)
	}
	for _, c := range pl.numbers {
		r.Timeline.Numbers = append(r.Timeline.Numbers, c.Phone)
	}
	tr := &r.Traffic
	for pi, p := range parts {
		t := p.t
		tr.Sends += t.sends
		tr.Accepted += t.accepted
		tr.Rejected += t.rejected
		tr.Inbound += t.inbound
		tr.RepliesLost += t.repliesLost
		tr.GroupSends += t.groupSends
		r.Fairness.Picks += t.picks
		r.Fairness.FallbackPicks += t.fallbackPicks
		r.Stickiness.Checked += t.stickyChecked
		r.Stickiness.Violations += t.violations
		r.Stickiness.Reselections += t.reselects
		for _, ex := range t.examples {
			if len(r.Stickiness.Examples) < maxExamples {
				r.Stickiness.Examples = append(r.Stickiness.Examples, ex)
			}
		}
		r.Geographic.Tier1 += t.tiers[1]
		r.Geographic.Tier2 += t.tiers[2]
		r.Geographic.Tier3 += t.tiers[3]
		r.Geographic.BelowBest += t.belowBest
		r.HealthCorrections += t.healthCorrections
		for code, k := range t.rejections {
			r.Rejections[string(code)] += k
		}
		for i := range n {
			nr := &r.Numbers[i]
			nr.NewConversations += t.newPicks[i]
			nr.Expected += p.m.expected[i]
			nr.Messages += t.messages[i]
			nr.Inbound += t.inboundBy[i]
			nr.Delivered += t.delivered[i]
			nr.Failed += t.failed[i]
			tr.Delivered += t.delivered[i]
			tr.Failed += t.failed[i]
			if p.m.nums[i].member {
				final[i] = max(final[i], p.m.nums[i].state())
			}
		}
		for k := range t.tlNew {
			r.Timeline.New[k/n][k%n] += t.tlNew[k]
			r.Timeline.Messages[k/n][k%n] += t.tlMsgs[k]
			if p.m.nums[k%n].member {
				worst[k] = max(worst[k], t.tlHealth[k])
			}
		}
		r.Rotation = append(r.Rotation, rotation(pl, pi, t)...)
	}
	tr.Messages = tr.Sends + tr.Inbound
	for i := range n {
		r.Numbers[i].Health = final[i].String()
	}
	for b := range buckets {
		r.Timeline.Health[b] = make([]string, n)
		for i := range n {
			r.Timeline.Health[b][i] = worst[b*n+i].String()
		}
	}
	fairness(r)
	r.judge(pl)
	return r
}

// fairness fills in the shares and the fairness measures from the counts.
func fairness(r *Result) {
	f := &r.Fairness
	var picks, expected float64
	for _, nr := range r.Numbers {
		picks += float64(nr.NewConversations)
		expected += nr.Expected
	}
	var obs, exp, norm []float64
	for i := range r.Numbers {
		nr := &r.Numbers[i]
		nr.Deviation = float64(nr.NewConversations) - nr.Expected
		if picks > 0 {
			nr.Share = float64(nr.NewConversations) / picks
		}
		if expected > 0 {
			nr.ExpectedShare = nr.Expected / expected
		}
		f.MaxAbsDeviation = max(f.MaxAbsDeviation, math.Abs(nr.Deviation))
		if nr.Expected > 0 {
			f.MaxRelDeviation = max(f.MaxRelDeviation, math.Abs(nr.Deviation)/nr.Expected)
			norm = append(norm, float64(nr.NewConversations)/nr.Expected)
		}
		obs = append(obs, float64(nr.NewConversations))
		exp = append(exp, nr.Expected)
	}
	f.Jain = Jain(norm)
	f.ChiSquare, f.DF, f.PValue = ChiSquare(obs, exp)
	if math.IsInf(f.ChiSquare, 0) {
		f.ChiSquare = math.MaxFloat64 // JSON has no infinity
	}
}

// rotation measures, for each failure ramp of the plan, how fast pool pi took the
// number out of rotation and back.
func rotation(pl *plan, pi int, t *tally) []RotationResult {
	var out []RotationResult
	base := pl.prof.Traffic.Delivery.FailureRatio
	end := pl.duration
	for i, ramps := range pl.ramps {
		if len(ramps) == 0 {
			continue
		}
		total := func(at time.Duration) float64 { return pl.failureAt(i, at) - base }
		// The failure ratio of a number with several ramps is their sum: crossing works on
		// one ramp, so sample the sum as a ramp with a point at every ramp point, twice
		// where it steps.
		merged := ramps[0]
		if len(ramps) > 1 {
			var times []time.Duration
			for _, ramp := range ramps {
				for _, pt := range ramp {
					times = append(times, pt.At.D())
				}
			}
			slices.Sort(times)
			merged = nil
			for _, at := range slices.Compact(times) {
				left, right := total(at), total(at+time.Nanosecond)
				merged = append(merged, RampPoint{At: Duration(at), Ratio: left})
				if right != left {
					merged = append(merged, RampPoint{At: Duration(at), Ratio: right})
				}
			}
		}
		onset, ok := crossing(merged, base, 1-pl.health.DegradeBelow, true, 0, end)
		if !ok {
			continue
		}
		rr := RotationResult{Number: pl.numbers[i].Phone, Pool: pi, OnsetSeconds: onset.Seconds()}
		// Out: 0 when chance had degraded the number already (since its failures began
		// to rise), else the first time it was degraded after the onset.
		if at, ok := firstIn(t.transitions, i, true, merged[0].At.D(), onset); ok {
			rr.OutSeconds = ptr((at - onset).Seconds())
		}
		for _, tr := range t.transitions {
			if tr.num == i && tr.degraded && tr.at >= merged[0].At.D() {
				rr.DegradedAtSeconds = ptr(tr.at.Seconds())
				break
			}
		}
		if rec, ok := crossing(merged, base, 1-pl.health.RecoverAt, false, onset, end); ok {
			rr.RecoverySeconds = ptr(rec.Seconds())
			if at, ok := firstIn(t.transitions, i, false, onset, rec); ok {
				rr.BackSeconds = ptr((at - rec).Seconds())
			}
		}
		out = append(out, rr)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// firstIn returns when number i reached the degraded state want relative to ref: ref
// itself when it was in that state at ref (having entered it at or after since), else
// the first time it entered it after ref.
func firstIn(trs []transition, i int, want bool, since, ref time.Duration) (time.Duration, bool) {
	state, entered := false, time.Duration(-1)
	for _, tr := range trs {
		if tr.num != i {
			continue
		}
		if tr.at <= ref {
			state, entered = tr.degraded, tr.at
			continue
		}
		if state == want && entered >= since {
			return ref, true
		}
		if tr.degraded == want {
			return tr.at, true
		}
		state, entered = tr.degraded, tr.at
	}
	if state == want && entered >= since {
		return ref, true
	}
	return 0, false
}

// judge computes the measures thresholds name and the verdict.
func (r *Result) judge(pl *plan) {
	ms := map[string]measure{}
	set := func(name string, v float64) { ms[name] = measure{v: v, ok: true} }
	f := r.Fairness
	set("jain", f.Jain)
	set("p_value", f.PValue)
	set("chi_square", f.ChiSquare)
	set("max_abs_deviation", f.MaxAbsDeviation)
	set("max_rel_deviation", f.MaxRelDeviation)
	set("stickiness_violations", float64(r.Stickiness.Violations))
	set("rejections", float64(r.Traffic.Rejected))
	if r.Traffic.Sends > 0 {
		set("rejection_rate", float64(r.Traffic.Rejected)/float64(r.Traffic.Sends))
	}
	for code, k := range r.Rejections {
		set("rejections."+code, float64(k))
	}
	if picks := r.Geographic.Tier1 + r.Geographic.Tier2 + r.Geographic.Tier3; picks > 0 {
		set("geo_tier1_share", float64(r.Geographic.Tier1)/float64(picks))
		set("geo_tier2_share", float64(r.Geographic.Tier2)/float64(picks))
		set("geo_tier3_share", float64(r.Geographic.Tier3)/float64(picks))
	}
	set("geo_below_best", float64(r.Geographic.BelowBest))
	notInProfile := measure{skipped: "the profile has no failures fault that crosses degrade_below"}
	ms["rotation_out"], ms["rotation_back"] = notInProfile, notInProfile
	var outMax, backMax float64
	outNever, backNever, anyBack := "", "", false
	for _, rr := range r.Rotation {
		if rr.OutSeconds == nil {
			outNever = "number " + rr.Number + " was never taken out of rotation"
		} else {
			outMax = max(outMax, *rr.OutSeconds)
		}
		if rr.RecoverySeconds != nil {
			anyBack = true
			if rr.BackSeconds == nil {
				backNever = "number " + rr.Number + " never came back into rotation"
			} else {
				backMax = max(backMax, *rr.BackSeconds)
			}
		}
	}
	if len(r.Rotation) > 0 {
		ms["rotation_out"] = measure{v: outMax, ok: outNever == "", note: outNever}
		if anyBack {
			ms["rotation_back"] = measure{v: backMax, ok: backNever == "", note: backNever}
		}
	}
	httpOnly := measure{skipped: "measured by the http driver only"}
	for _, name := range []string{"latency_p50", "latency_p90", "latency_p99", "latency_max", "throughput", "transport_errors"} {
		ms[name] = httpOnly
	}
	if l := r.Latency; l != nil {
		set("latency_p50", l.P50Ms/1000)
		set("latency_p90", l.P90Ms/1000)
		set("latency_p99", l.P99Ms/1000)
		set("latency_max", l.MaxMs/1000)
		set("throughput", l.Throughput)
		set("transport_errors", float64(l.TransportErrors))
	}
	r.Thresholds = evaluate(pl.prof.thresholds, ms)
	r.Verdict = "pass"
	for _, t := range r.Thresholds {
		if !t.Pass {
			r.Verdict = "fail"
		}
	}
}
