package model

import (
	"fmt"
	"slices"
	"strings"
)

// Outcome is what a target answered: Code "" for an accepted send (202) or a successful
// admin call or event, otherwise the error code; From is the from_number of an accepted
// send.
type Outcome struct {
	Code string
	From string
}

// String renders the outcome for reports.
func (o Outcome) String() string {
	switch {
	case o.Code != "":
		return o.Code
	case o.From != "":
		return "202 from " + o.From
	}
	return "ok"
}

// Kind is the kind of a Verdict. The zero Kind is not a verdict.
type Kind int

// The verdict kinds.
const (
	// OK: the observed outcome is allowed.
	OK Kind = iota + 1
	// Violation: the observed outcome breaks the rule named in the Verdict.
	Violation
	// Unknown: the model cannot judge: an operation it does not know, or in real-deployment
	// mode the 503 a line drop the model never heard of would cause (POOL-HEALTH-2: a
	// failed dispatch takes a line offline too).
	Unknown
)

// String returns "ok", "violation" or "unknown".
func (k Kind) String() string {
	switch k {
	case OK:
		return "ok"
	case Violation:
		return "violation"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Verdict is the judgement of one observed outcome.
type Verdict struct {
	Kind Kind
	Rule string // the rule that decides (for a Violation: the rule broken)
	Want string // the allowed outcomes, human-readable
	Got  string // the observed outcome
}

// String renders the verdict for reports.
func (v Verdict) String() string {
	return fmt.Sprintf("%s %s: want %s, got %s", v.Kind, v.Rule, v.Want, v.Got)
}

// Allowed is the set of outcomes allowed for an operation.
type Allowed struct {
	Codes []string // allowed error codes (sorted); empty when only success is allowed
	From  []string // allowed from numbers of an accepted send (sorted); empty when no send success is allowed
	Exact string   // the from number the reference algorithms of SPEC §3 pick ("" unless a send success)
	Rule  string   // the rule id that decides the operation
}

// SuccessAllowed reports whether success (202, or 2xx for admin calls and events) is
// allowed.
func (a Allowed) SuccessAllowed() bool { return len(a.Codes) == 0 || len(a.From) > 0 }

// want renders a for a Verdict.
func (a Allowed) want(exact bool) string {
	var parts []string
	switch {
	case len(a.From) > 0 && exact:
		parts = append(parts, "202 from "+a.Exact)
	case len(a.From) == 1:
		parts = append(parts, "202 from "+a.From[0])
	case len(a.From) > 1:
		parts = append(parts, "202 from one of {"+strings.Join(a.From, ", ")+"}")
	case len(a.Codes) == 0:
		parts = append(parts, "ok")
	}
	parts = append(parts, a.Codes...)
	return strings.Join(parts, " | ")
}

func (m *Model) judge(d decision, out Outcome) Verdict {
	a := d.allowed
	v := Verdict{Kind: OK, Rule: a.Rule, Want: a.want(m.exact), Got: out.String()}
	if d.unknown {
		v.Kind = Unknown
		return v
	}
	if out.Code != "" {
		if slices.Contains(a.Codes, out.Code) {
			return v
		}
		if !m.exact && d.unseen != "" && out.Code == d.unseen {
			v.Kind = Unknown
			return v
		}
		v.Kind = Violation
		if a.SuccessAllowed() && d.errRule != "" {
			v.Rule = d.errRule
		}
		return v
	}
	if !a.SuccessAllowed() {
		v.Kind = Violation
		return v
	}
	p := d.send
	if p == nil {
		return v
	}
	switch {
	case !slices.Contains(m.Pool(p.key.id), out.From):
		v.Kind, v.Rule = Violation, "POOL-ISO-2"
	case !slices.Contains(a.From, out.From):
		v.Kind, v.Rule = Violation, m.blame(p, out.From)
	case m.exact && out.From != a.Exact:
		v.Kind = Violation
	}
	return v
}
