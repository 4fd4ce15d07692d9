package sim

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Threshold is one pass/fail criterion of a profile, k6-style: "jain >= 0.99",
// "stickiness_violations == 0", "latency_p99 < 250ms". A run whose thresholds all hold
// passes; `poolkit sim` exits non-zero otherwise.
type Threshold struct {
	// Source is the threshold as written.
	Source string
	Metric string
	// Op is one of < <= > >= == !=.
	Op    string
	Value float64
}

// metric describes one measure thresholds can name.
type metric struct {
	duration bool // values are seconds, written as durations ("250ms")
	help     string
}

// metrics are the measures a threshold may name. rejections.<code> names the count of
// one error code (rejections.sender_unavailable).
var metrics = map[string]metric{
	"jain":                  {help: "Jain's fairness index of the new-conversation counts normalised by their expected shares (1 = perfectly fair)"},
	"p_value":               {help: "the chi-square goodness-of-fit p-value of the new-conversation counts against their expected shares"},
	"chi_square":            {help: "the chi-square statistic of the new-conversation counts"},
	"max_abs_deviation":     {help: "the largest |count − expected| of new conversations over the numbers"},
	"max_rel_deviation":     {help: "the largest |count − expected| / expected over the numbers"},
	"stickiness_violations": {help: "sends of an ongoing conversation answered from another number while its own was usable"},
	"rejection_rate":        {help: "rejected sends / sends"},
	"rejections":            {help: "rejected sends"},
	"geo_tier1_share":       {help: "share of new conversations given a number with the contact's area code"},
	"geo_tier2_share":       {help: "share of new conversations given a number in the contact's state or province, not its area code"},
	"geo_tier3_share":       {help: "share of new conversations given any other number"},
	"geo_below_best":        {help: "new conversations given a number of a worse tier than the best one available (POOL-GEO-1)"},
	"rotation_out":          {duration: true, help: "longest time from a number's failure ratio crossing 1 − degrade_below to it being degraded (out of rotation)"},
	"rotation_back":         {duration: true, help: "longest time from a number's failure ratio falling below 1 − recover_at to it being active again"},
	"latency_p50":           {duration: true, help: "median send latency (HTTP driver)"},
	"latency_p90":           {duration: true, help: "90th percentile send latency (HTTP driver)"},
	"latency_p99":           {duration: true, help: "99th percentile send latency (HTTP driver)"},
	"latency_max":           {duration: true, help: "slowest send (HTTP driver)"},
	"throughput":            {help: "sends per second achieved (HTTP driver)"},
	"transport_errors":      {help: "sends that got no HTTP response (HTTP driver)"},
}

// MetricNames lists the metrics thresholds can name, sorted, with their meaning.
func MetricNames() [][2]string {
	var out [][2]string
	for name, m := range metrics {
		out = append(out, [2]string{name, m.help})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

var thresholdRE = regexp.MustCompile(`^\s*([a-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$`)

// ParseThreshold parses "metric op value".
func ParseThreshold(s string) (Threshold, error) {
	g := thresholdRE.FindStringSubmatch(s)
	if g == nil {
		return Threshold{}, fmt.Errorf("threshold %q is not \"metric op value\" such as \"jain >= 0.99\"", s)
	}
	name, op, val := g[1], g[2], g[3]
	m, ok := metrics[name]
	if code, isCode := strings.CutPrefix(name, "rejections."); isCode && code != "" {
		m, ok = metric{}, true
	}
	if !ok {
		return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q (see sim/README.md for the list)", s, name)
	}
	t := Threshold{Source: strings.TrimSpace(s), Metric: name, Op: op}
	if m.duration {
		d, err := time.ParseDuration(val)
		if err != nil {
			return Threshold{}, fmt.Errorf("threshold %q: %s is measured in time: write a duration such as 250ms", s, name)
		}
		t.Value = d.Seconds()
		return t, nil
	}
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return Threshold{}, fmt.Errorf("threshold %q: %q is not a number", s, val)
	}
	t.Value = f
	return t, nil
}

// holds reports whether v satisfies the threshold.
func (t Threshold) holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

// ThresholdResult is one threshold's outcome.
type ThresholdResult struct {
	Threshold string `json:"threshold"`
	// Value is the measured value (seconds for durations); null when not measured.
	Value *float64 `json:"value"`
	Pass  bool     `json:"pass"`
	// Skipped says why a threshold was not evaluated (the driver does not measure it);
	// a skipped threshold does not fail the run.
	Skipped string `json:"skipped,omitempty"`
	// Note explains a failure without a value (a number never rotated out).
	Note string `json:"note,omitempty"`
}

// measure is a metric's value in one run.
type measure struct {
	v       float64
	ok      bool
	skipped string // not measured by this driver or profile
	note    string // measured, but infinite (never happened)
}

// evaluate judges every threshold against the run's measures.
func evaluate(ts []Threshold, values map[string]measure) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		r := ThresholdResult{Threshold: t.Source}
		m, ok := values[t.Metric]
		if !ok && strings.HasPrefix(t.Metric, "rejections.") {
			m, ok = measure{v: 0, ok: true}, true // no rejection with that code
		}
		switch {
		case !ok || m.skipped != "":
			r.Skipped = m.skipped
			if r.Skipped == "" {
				r.Skipped = "not measured in this run"
			}
			r.Pass = true
		case !m.ok:
			r.Note = m.note
			r.Pass = false
		default:
			v := m.v
			r.Value = &v
			r.Pass = t.holds(v)
		}
		out = append(out, r)
	}
	return out
}
