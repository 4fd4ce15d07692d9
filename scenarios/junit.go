package scenarios

import (
	"fmt"
	"io"
	"time"

	"poolkit/internal/junit"
)

// WriteJUnit writes results as JUnit XML: a test suite per scenario file, a test case per
// step (one for the setup when it failed, one for the scenario when it was skipped whole).
func WriteJUnit(w io.Writer, results []*Result) error {
	out := junit.Suites{}
	var total time.Duration
	for _, r := range results {
		s := junit.Suite{Name: r.Scenario.File, Time: junit.Seconds(r.Duration)}
		total += r.Duration
		if r.Err != nil {
			s.Add(junit.Case{Name: "setup", Classname: r.Scenario.File, Failure: &junit.Message{Message: "setup failed", Text: r.Summary()}})
		}
		if r.Skipped != "" && len(r.Steps) == 0 {
			s.Add(junit.Case{Name: "scenario", Classname: r.Scenario.File, Skipped: &junit.Message{Message: r.Skipped}})
		}
		for _, st := range r.Steps {
			c := junit.Case{Name: fmt.Sprintf("%d %s", st.Index+1, st.Name), Classname: r.Scenario.File, Time: junit.Seconds(st.Duration)}
			switch st.Outcome {
			case Failed:
				c.Failure = &junit.Message{Message: st.At + ": step failed", Text: st.Failure}
			case Skipped:
				c.Skipped = &junit.Message{Message: st.Failure}
			}
			s.Add(c)
		}
		out.Suites = append(out.Suites, s)
	}
	out.Time = junit.Seconds(total)
	return out.Write(w)
}
