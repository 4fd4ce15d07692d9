package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"poolkit/internal/junit"
	"poolkit/target"
)

// Report is a conformance run's verdict: per rule, per check, the property sequences
// and the scenario library.
type Report struct {
	Target       string              `json:"target"`
	Capabilities target.Capabilities `json:"capabilities"`
	Started      time.Time           `json:"started"`
	Duration     time.Duration       `json:"duration_ns"`
	Rules        []RuleResult        `json:"rules"`
	Sequences    *SequenceResult     `json:"sequences,omitempty"`
	Scenarios    []ScenarioResult    `json:"scenarios,omitempty"`
	Summary      Summary             `json:"summary"`
}

// RuleResult is one rule's verdict: fail when a check (or the property sequences) found
// it broken, pass when a check passed and none failed, skip when none could run.
type RuleResult struct {
	Rule   string        `json:"rule"`
	Status Status        `json:"status"`
	Checks []CheckResult `json:"checks"`
	// Sequence is the property sequences' failure blamed on this rule, if any.
	Sequence *SequenceFailure `json:"sequence_failure,omitempty"`
}

// ScenarioResult is one replayed scenario.
type ScenarioResult struct {
	File     string        `json:"file"`
	Name     string        `json:"name"`
	Rules    []string      `json:"rules"`
	Status   Status        `json:"status"`
	Skip     string        `json:"skip_reason,omitempty"`
	Failure  string        `json:"failure,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Summary counts outcomes.
type Summary struct {
	Rules     Counts `json:"rules"`
	Checks    Counts `json:"checks"`
	Scenarios Counts `json:"scenarios"`
	// Sequences is pass, fail or skip.
	Sequences Status `json:"sequences,omitempty"`
	Verdict   Status `json:"verdict"`
}

// Counts are outcomes by status.
type Counts struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	default:
		c.Skip++
	}
}

// Failed reports whether anything failed: a rule, the sequences or a scenario.
func (r *Report) Failed() bool { return r.Summary.Verdict == Fail }

// NothingChecked reports whether every check, sequence and scenario was skipped: the
// target offered nothing the suite could judge (no fixture, no admin token…).
func (r *Report) NothingChecked() bool { return r.Summary.Verdict == Skip }

// Rule returns the result of rule id (zero when the run had none).
func (r *Report) Rule(id string) RuleResult {
	for _, rr := range r.Rules {
		if rr.Rule == id {
			return rr
		}
	}
	return RuleResult{}
}

// FailedRules lists the rules that failed.
func (r *Report) FailedRules() []string {
	var out []string
	for _, rr := range r.Rules {
		if rr.Status == Fail {
			out = append(out, rr.Rule)
		}
	}
	return out
}

// finish groups check results by rule, blames the sequence failure and counts.
func (r *Report) finish(checks []CheckResult) {
	byRule := map[string]*RuleResult{}
	for _, c := range checks {
		rr := byRule[c.Rule]
		if rr == nil {
			rr = &RuleResult{Rule: c.Rule}
			byRule[c.Rule] = rr
		}
		rr.Checks = append(rr.Checks, c)
		r.Summary.Checks.add(c.Status)
	}
	if s := r.Sequences; s != nil && s.Failure != nil {
		rr := byRule[s.Failure.Rule]
		if rr == nil {
			rr = &RuleResult{Rule: s.Failure.Rule}
			byRule[s.Failure.Rule] = rr
		}
		rr.Sequence = s.Failure
	}
	for _, rr := range byRule {
		rr.Status = Skip
		for _, c := range rr.Checks {
			switch {
			case c.Status == Fail:
				rr.Status = Fail
			case c.Status == Pass && rr.Status == Skip:
				rr.Status = Pass
			}
		}
		if rr.Sequence != nil {
			rr.Status = Fail
		}
		r.Rules = append(r.Rules, *rr)
		r.Summary.Rules.add(rr.Status)
	}
	sort.Slice(r.Rules, func(i, j int) bool { return ruleLess(r.Rules[i].Rule, r.Rules[j].Rule) })
	for _, s := range r.Scenarios {
		r.Summary.Scenarios.add(s.Status)
	}
	if s := r.Sequences; s != nil {
		switch {
		case s.Failure != nil, s.Error != "":
			r.Summary.Sequences = Fail
		case s.Skipped != "":
			r.Summary.Sequences = Skip
		default:
			r.Summary.Sequences = Pass
		}
	}
	switch {
	case r.Summary.Rules.Fail > 0 || r.Summary.Scenarios.Fail > 0 || r.Summary.Sequences == Fail:
		r.Summary.Verdict = Fail
	case r.Summary.Rules.Pass == 0 && r.Summary.Scenarios.Pass == 0 && r.Summary.Sequences != Pass:
		// Nothing could run: a misconfigured target must not look green.
		r.Summary.Verdict = Skip
	default:
		r.Summary.Verdict = Pass
	}
}

// ruleOrder is SPEC order: §2, §3, §4.
var ruleOrder = []string{"EMPTY", "FROM", "TWILIO", "STICKY", "NEW", "INBOUND", "PROTO", "ISO", "RR", "WRR", "GEO", "FAIR", "HEALTH"}

func ruleLess(a, b string) bool {
	rank := func(id string) (int, string) {
		parts := strings.Split(id, "-")
		if len(parts) == 3 {
			for i, g := range ruleOrder {
				if g == parts[1] {
					return i, fmt.Sprintf("%04s", parts[2])
				}
			}
		}
		return len(ruleOrder), id
	}
	ra, sa := rank(a)
	rb, sb := rank(b)
	if ra != rb {
		return ra < rb
	}
	return sa < sb
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a terminal: a line per rule, the evidence of every
// failure, the sequences, the scenarios and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "poolkit check: %s\n", r.Target)
	fmt.Fprintf(&b, "capabilities: %s\n\n", r.Capabilities)
	for _, rr := range r.Rules {
		passed := 0
		for _, c := range rr.Checks {
			if c.Status == Pass {
				passed++
			}
		}
		status := map[Status]string{Pass: "pass", Fail: "FAIL", Skip: "skip"}[rr.Status]
		fmt.Fprintf(&b, "%-15s %-4s  %d/%d checks passed\n", rr.Rule, status, passed, len(rr.Checks))
		for _, c := range rr.Checks {
			switch c.Status {
			case Fail:
				fmt.Fprintf(&b, "    ✗ %s — %s\n", c.Name, c.Doc)
				for _, f := range c.Failures {
					writeFailure(&b, f)
				}
			case Skip:
				fmt.Fprintf(&b, "    - %s skipped: %s\n", c.Name, c.Skip)
			}
			for _, n := range c.Notes {
				fmt.Fprintf(&b, "      %s: %s\n", c.Name, n)
			}
		}
		if s := rr.Sequence; s != nil {
			fmt.Fprintf(&b, "    ✗ property sequence: %s\n", s.Message)
			for i, st := range s.Steps {
				fmt.Fprintf(&b, "        %d. %s\n", i+1, st)
			}
			writeFailure(&b, Failure{Request: s.Request, Response: s.Response})
			if s.ScenarioFile != "" {
				fmt.Fprintf(&b, "        replay: poolkit replay %s\n", s.ScenarioFile)
			}
		}
	}
	if s := r.Sequences; s != nil {
		switch {
		case s.Skipped != "":
			fmt.Fprintf(&b, "\nproperty sequences: skipped: %s\n", s.Skipped)
		case s.Failure != nil:
			fmt.Fprintf(&b, "\nproperty sequences: FAIL on %s after %d sequences (seed %d)\n", s.Failure.Rule, s.Sequences, s.Seed)
		case s.Error != "":
			fmt.Fprintf(&b, "\nproperty sequences: ERROR after %d sequences (seed %d): %s\n", s.Sequences, s.Seed, s.Error)
		default:
			fmt.Fprintf(&b, "\nproperty sequences: %d sequences, %d operations, seed %d: the target agrees with the model (%s)\n", s.Sequences, s.Ops, s.Seed, s.Duration.Round(time.Millisecond))
		}
	}
	if len(r.Scenarios) > 0 {
		fmt.Fprintf(&b, "scenarios: %d passed, %d failed, %d skipped\n", r.Summary.Scenarios.Pass, r.Summary.Scenarios.Fail, r.Summary.Scenarios.Skip)
		for _, s := range r.Scenarios {
			switch s.Status {
			case Fail:
				fmt.Fprintf(&b, "    ✗ %s (%s)\n", s.File, strings.Join(s.Rules, ", "))
				for _, line := range strings.Split(strings.TrimRight(s.Failure, "\n"), "\n") {
					fmt.Fprintf(&b, "        %s\n", line)
				}
			case Skip:
				fmt.Fprintf(&b, "    - %s skipped: %s\n", s.File, s.Skip)
			}
		}
	}
	sm := r.Summary
	verdict := map[Status]string{Pass: "PASS", Fail: "FAIL", Skip: "NOTHING CHECKED"}[sm.Verdict]
	fmt.Fprintf(&b, "\n%s: rules %d passed, %d failed, %d skipped; checks %d/%d/%d; %s\n", verdict,
		sm.Rules.Pass, sm.Rules.Fail, sm.Rules.Skip, sm.Checks.Pass, sm.Checks.Fail, sm.Checks.Skip, r.Duration.Round(time.Millisecond))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFailure(b *strings.Builder, f Failure) {
	if f.Message != "" {
		fmt.Fprintf(b, "        %s\n", f.Message)
	}
	if f.Request != "" {
		fmt.Fprintf(b, "        request:  %s\n", f.Request)
	}
	if f.Response != "" {
		fmt.Fprintf(b, "        response: %s\n", f.Response)
	}
	if f.Allowed != "" {
		fmt.Fprintf(b, "        allowed:  %s\n", f.Allowed)
	}
}

// WriteJUnit writes the report as JUnit XML: a suite per rule (a case per check), one
// for the property sequences and one for the scenarios.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junit.Suites{Name: "poolkit check " + r.Target, Time: junit.Seconds(r.Duration)}
	for _, rr := range r.Rules {
		s := junit.Suite{Name: rr.Rule}
		var total time.Duration
		for _, c := range rr.Checks {
			jc := junit.Case{Name: c.Name, Classname: rr.Rule, Time: junit.Seconds(c.Duration)}
			total += c.Duration
			switch c.Status {
			case Fail:
				var b strings.Builder
				for _, f := range c.Failures {
					writeFailure(&b, f)
				}
				msg := c.Doc
				if len(c.Failures) > 0 {
					msg = c.Failures[0].Message
				}
				jc.Failure = &junit.Message{Message: msg, Text: b.String()}
			case Skip:
				jc.Skipped = &junit.Message{Message: c.Skip}
			}
			s.Add(jc)
		}
		if sf := rr.Sequence; sf != nil {
			var b strings.Builder
			for i, st := range sf.Steps {
				fmt.Fprintf(&b, "%d. %s\n", i+1, st)
			}
			writeFailure(&b, Failure{Request: sf.Request, Response: sf.Response})
			fmt.Fprintf(&b, "replay: poolkit replay %s\n", sf.ScenarioFile)
			s.Add(junit.Case{Name: "property sequence", Classname: rr.Rule, Failure: &junit.Message{Message: sf.Message, Text: b.String()}})
		}
		s.Time = junit.Seconds(total)
		out.Suites = append(out.Suites, s)
	}
	if sq := r.Sequences; sq != nil {
		s := junit.Suite{Name: "property sequences", Time: junit.Seconds(sq.Duration)}
		jc := junit.Case{Name: fmt.Sprintf("%d sequences (seed %d)", sq.Sequences, sq.Seed), Classname: "sequences", Time: junit.Seconds(sq.Duration)}
		switch {
		case sq.Skipped != "":
			jc.Skipped = &junit.Message{Message: sq.Skipped}
		case sq.Failure != nil:
			jc.Failure = &junit.Message{Message: sq.Failure.Rule + ": " + sq.Failure.Message, Text: strings.Join(sq.Failure.Steps, "\n")}
		case sq.Error != "":
			jc.Failure = &junit.Message{Message: "the sequences could not be carried out", Text: sq.Error}
		}
		s.Add(jc)
		out.Suites = append(out.Suites, s)
	}
	if len(r.Scenarios) > 0 {
		s := junit.Suite{Name: "scenarios"}
		var total time.Duration
		for _, sc := range r.Scenarios {
			jc := junit.Case{Name: sc.File, Classname: "scenarios", Time: junit.Seconds(sc.Duration)}
			total += sc.Duration
			switch sc.Status {
			case Fail:
				jc.Failure = &junit.Message{Message: sc.Name, Text: sc.Failure}
			case Skip:
				jc.Skipped = &junit.Message{Message: sc.Skip}
			}
			s.Add(jc)
		}
		s.Time = junit.Seconds(total)
		out.Suites = append(out.Suites, s)
	}
	return out.Write(w)
}
