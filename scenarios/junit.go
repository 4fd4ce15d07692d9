package scenarios

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes results as JUnit XML: a test suite per scenario file, a test case per
// step (and one for the setup when it failed).
func WriteJUnit(w io.Writer, results []*Result) error {
	out := junitSuites{}
	var total time.Duration
	for _, r := range results {
		s := junitSuite{Name: r.Scenario.File, Time: seconds(r.Duration)}
		total += r.Duration
		if r.Err != nil {
			s.Cases = append(s.Cases, junitCase{Name: "setup", Classname: r.Scenario.File,
				Failure: &junitFailure{Message: "setup failed", Text: r.Summary()}})
			s.Failures++
		}
		if r.Skipped != "" && len(r.Steps) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "scenario", Classname: r.Scenario.File, Skipped: &junitSkipped{Message: r.Skipped}})
			s.Skipped++
		}
		for _, st := range r.Steps {
			c := junitCase{Name: fmt.Sprintf("%d %s", st.Index+1, st.Name), Classname: r.Scenario.File, Time: seconds(st.Duration)}
			switch st.Outcome {
			case Failed:
				c.Failure = &junitFailure{Message: st.At + ": step failed", Text: st.Failure}
				s.Failures++
			case Skipped:
				c.Skipped = &junitSkipped{Message: st.Failure}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
	}
	out.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
