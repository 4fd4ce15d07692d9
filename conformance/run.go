package conformance

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"poolkit/target"
)

// Status is a check's or a rule's outcome.
type Status string

// The outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// CheckResult is one check's outcome on a target.
type CheckResult struct {
	Name     string        `json:"name"`
	Rule     string        `json:"rule"`
	Doc      string        `json:"doc"`
	Status   Status        `json:"status"`
	Skip     string        `json:"skip_reason,omitempty"`
	Failures []Failure     `json:"failures,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// runCheck runs one check in a workspace of its own on a deployment of tg.
func runCheck(ctx context.Context, tg target.Target, ck check) (res CheckResult) {
	start := time.Now()
	res = CheckResult{Name: ck.Name, Rule: ck.Rule, Doc: ck.Doc}
	defer func() { res.Duration = time.Since(start) }()
	dep, err := tg.Open(ctx)
	if err != nil {
		res.Status, res.Failures = Fail, []Failure{{Message: "open the target: " + err.Error()}}
		return res
	}
	if dep.Close != nil {
		defer dep.Close()
	}
	ws, err := target.Open(ctx, dep, ck.Spec, ck.Needs...)
	if why, ok := target.IsSkip(err); ok {
		res.Status, res.Skip = Skip, why
		return res
	}
	if err != nil {
		res.Status, res.Failures = Fail, []Failure{{Message: "set up the check: " + err.Error()}}
		return res
	}
	defer ws.Close()
	c := &C{ctx: ctx, ws: ws}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					c.failures = append(c.failures, Failure{Message: fmt.Sprintf("the check panicked: %v\n%s", r, debug.Stack())})
				}
			}
		}()
		ck.Run(c)
	}()
	res.Failures, res.Notes = c.failures, c.notes
	switch {
	case len(c.failures) > 0:
		res.Status = Fail
	case c.skip != "":
		res.Status, res.Skip = Skip, c.skip
	default:
		res.Status = Pass
	}
	return res
}
