package conformance

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"poolkit/conformance/model"
	"poolkit/reference/api"
	"poolkit/reference/pool"
	"poolkit/scenarios"
	"poolkit/target"
)

// A shrunk sequence is written as a scenario whose expectations are what the model
// allows at each step, so that any conforming deployment passes it and the broken one
// fails where it failed.
//
// Where the model allows several numbers (a new conversation), a later step may depend
// on which one the deployment picked: "the same number again" (sticky), or "any but the
// one picked then" (after a ban). The writer enumerates every choice a conforming
// deployment may make at such steps (the branches of the model), and expresses each
// later step's allowed outcomes in terms of the numbers those steps picked: the step
// saves its from_number as $sN and a later step expects from_number: $sN, or
// from_number_in: [...] with from_number_not: [$sN]. A step whose allowed outcomes no
// such expression captures keeps the outcomes allowed after the choices this target made,
// and the description says so.

// seqBranchLimit bounds the branches the writer enumerates.
const seqBranchLimit = 4096

// seqSeen is one branch's view of a step: what earlier sends picked, and what the model
// allows then.
type seqSeen struct {
	picked  map[int]string // step index → from_number of an accepted send
	allowed model.Allowed
}

// seqBranches runs the model over every choice a conforming deployment may make and
// returns, per step, what each branch allows; ok is false beyond seqBranchLimit branches.
func seqBranches(root *model.Model, ops []model.Op) (per [][]seqSeen, ok bool) {
	type branch struct {
		m      *model.Model
		picked map[int]string
	}
	per = make([][]seqSeen, len(ops))
	bs := []branch{{m: root, picked: map[int]string{}}}
	for i, op := range ops {
		if op == nil { // my numbers: no model operation, the pool depends on no choice
			for _, b := range bs {
				per[i] = append(per[i], seqSeen{picked: b.picked})
			}
			continue
		}
		_, send := op.(model.Send)
		var next []branch
		for _, b := range bs {
			a := b.m.Allowed(op)
			per[i] = append(per[i], seqSeen{picked: b.picked, allowed: a})
			switch {
			case len(a.Codes) > 0: // a refused operation changes nothing
				next = append(next, b)
			case send:
				for _, f := range a.From {
					m := b.m.Clone()
					m.Step(op, model.Outcome{From: f})
					p := maps.Clone(b.picked)
					p[i] = f
					next = append(next, branch{m: m, picked: p})
				}
			default:
				b.m.Step(op, model.Outcome{})
				next = append(next, b)
			}
			if len(next) > seqBranchLimit {
				return nil, false
			}
		}
		bs = next
	}
	return per, true
}

// seqExpectation is a step's expectation: an error code, or success with a from_number
// constraint given with $names.
type seqExpectation struct {
	code string
	from string   // from_number
	in   []string // from_number_in
	not  []string // from_number_not
	uses []int    // steps whose saved from_number it refers to
}

// seqFit expresses what the branches allow at step i; ok is false when no expression
// fits every branch.
func seqFit(i int, seen []seqSeen, send bool, name func(string) string) (seqExpectation, bool) {
	codes := 0
	for _, s := range seen {
		if len(s.allowed.Codes) > 0 {
			codes++
		}
	}
	switch {
	case codes == len(seen):
		c := seen[0].allowed.Codes[0]
		for _, s := range seen {
			if len(s.allowed.Codes) != 1 || s.allowed.Codes[0] != c {
				return seqExpectation{}, false
			}
		}
		return seqExpectation{code: c}, true
	case codes > 0:
		return seqExpectation{}, false
	case !send:
		return seqExpectation{}, true
	}
	names := func(ps []string) []string {
		out := make([]string, len(ps))
		for j, p := range ps {
			out[j] = name(p)
		}
		return out
	}
	// The same numbers in every branch.
	constant := true
	for _, s := range seen {
		constant = constant && slices.Equal(s.allowed.From, seen[0].allowed.From)
	}
	if constant {
		if from := seen[0].allowed.From; len(from) == 1 {
			return seqExpectation{from: name(from[0])}, true
		}
		return seqExpectation{in: names(seen[0].allowed.From)}, true
	}
	// Earlier sends that picked a number in every branch.
	var vars []int
	for j := range i {
		all := true
		for _, s := range seen {
			_, ok := s.picked[j]
			all = all && ok
		}
		if all {
			vars = append(vars, j)
		}
	}
	// Exactly the number an earlier send picked.
	for _, j := range vars {
		fits := true
		for _, s := range seen {
			fits = fits && len(s.allowed.From) == 1 && s.allowed.From[0] == s.picked[j]
		}
		if fits {
			return seqExpectation{from: seqVar(j), uses: []int{j}}, true
		}
	}
	// All of U but the numbers some earlier sends picked.
	var union []string
	for _, s := range seen {
		union = append(union, s.allowed.From...)
	}
	slices.Sort(union)
	union = slices.Compact(union)
	for _, set := range seqSubsets(vars, 3) {
		fits := true
		for _, s := range seen {
			want := slices.DeleteFunc(slices.Clone(union), func(p string) bool {
				return slices.ContainsFunc(set, func(j int) bool { return s.picked[j] == p })
			})
			fits = fits && slices.Equal(want, s.allowed.From)
		}
		if fits {
			e := seqExpectation{in: names(union), uses: set}
			for _, j := range set {
				e.not = append(e.not, seqVar(j))
			}
			return e, true
		}
	}
	return seqExpectation{}, false
}

// seqSubsets lists the non-empty subsets of xs with at most n elements, smallest first.
func seqSubsets(xs []int, n int) [][]int {
	var out [][]int
	var grow func(start int, cur []int)
	grow = func(start int, cur []int) {
		if len(cur) > 0 {
			out = append(out, slices.Clone(cur))
		}
		if len(cur) == n {
			return
		}
		for k := start; k < len(xs); k++ {
			grow(k+1, append(cur, xs[k]))
		}
	}
	grow(0, nil)
	slices.SortStableFunc(out, func(a, b []int) int { return len(a) - len(b) })
	return out
}

// seqVar is the variable a step saves its from_number in.
func seqVar(step int) string { return fmt.Sprintf("$s%d", step+1) }

// The YAML shapes of the scenario file: the scenarios format (scenarios.Scenario), with
// empty fields left out.
type (
	seqYAML struct {
		Name         string     `yaml:"name"`
		Description  string     `yaml:"description"`
		Rules        []string   `yaml:"rules,flow"`
		Capabilities []string   `yaml:"capabilities,flow"`
		Setup        seqYSetup  `yaml:"setup"`
		Steps        []seqYStep `yaml:"steps"`
	}
	seqYSetup struct {
		Strategy         string       `yaml:"strategy,omitempty"`
		StickyTTLSeconds int64        `yaml:"sticky_ttl_seconds,omitempty"`
		Numbers          []seqYNumber `yaml:"numbers"`
		Keys             []seqYKey    `yaml:"keys"`
	}
	seqYNumber struct {
		Name     string `yaml:"name"`
		Provider string `yaml:"provider,omitempty"`
		PlanKind string `yaml:"plan_kind,omitempty"`
		Weight   *int   `yaml:"weight,omitempty"`
		AreaCode string `yaml:"area_code,omitempty"`
		Relay    string `yaml:"relay,omitempty"`
	}
	seqYKey struct {
		Name    string   `yaml:"name"`
		Numbers []string `yaml:"numbers,flow"`
	}
	seqYStep struct {
		Name         string            `yaml:"name"`
		Key          string            `yaml:"key,omitempty"`
		Send         *seqYSend         `yaml:"send,omitempty,flow"`
		Inbound      *seqYInbound      `yaml:"inbound,omitempty,flow"`
		Assign       *seqYAssign       `yaml:"assign,omitempty,flow"`
		Unassign     *seqYRef          `yaml:"unassign,omitempty,flow"`
		SetStrategy  string            `yaml:"set_strategy,omitempty"`
		SetNumber    *seqYSetNumber    `yaml:"set_number,omitempty,flow"`
		Line         *seqYLine         `yaml:"line,omitempty,flow"`
		ResetBinding *seqYBinding      `yaml:"reset_binding,omitempty,flow"`
		AdvanceClock string            `yaml:"advance_clock,omitempty"`
		MyNumbers    *struct{}         `yaml:"my_numbers,omitempty,flow"`
		Expect       *seqYExpect       `yaml:"expect,omitempty,flow"`
		Save         map[string]string `yaml:"save,omitempty,flow"`
	}
	seqYSend struct {
		To   string `yaml:"to"`
		Text any    `yaml:"text,flow"`
		From string `yaml:"from,omitempty"`
	}
	seqYInbound struct {
		To    string     `yaml:"to"`
		From  string     `yaml:"from"`
		Text  string     `yaml:"text,omitempty"`
		Group *seqYGroup `yaml:"group,omitempty"`
	}
	seqYGroup struct {
		ChatGUID     string   `yaml:"chat_guid"`
		Participants []string `yaml:"participants"`
	}
	seqYAssign struct {
		Numbers []string `yaml:"numbers,flow"`
	}
	seqYRef struct {
		Number string `yaml:"number"`
	}
	seqYSetNumber struct {
		Number string `yaml:"number"`
		Health string `yaml:"health"`
	}
	seqYLine struct {
		Number string `yaml:"number"`
		Online bool   `yaml:"online"`
	}
	seqYBinding struct {
		Recipient string `yaml:"recipient"`
	}
	seqYExpect struct {
		Status        int            `yaml:"status,omitempty"`
		Code          string         `yaml:"code,omitempty"`
		FromNumber    string         `yaml:"from_number,omitempty"`
		FromNumberIn  []string       `yaml:"from_number_in,omitempty,flow"`
		FromNumberNot []string       `yaml:"from_number_not,omitempty,flow"`
		Fields        map[string]any `yaml:"fields,omitempty"`
	}
)

var seqRuleID = regexp.MustCompile(`^POOL-[A-Z]+-[0-9]+$`)

// seqWriteScenario writes the shrunk sequence as a scenario file in dir and loads it
// back with the scenarios loader.
func seqWriteScenario(c seqCase, out seqOutcome, o seqOrigin, dir string) (string, *scenarios.Scenario, error) {
	data, err := seqScenarioYAML(c, out, o)
	if err != nil {
		return "", nil, err
	}
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	rule := strings.ToLower(out.steps[out.failed].verdict.Rule)
	file := filepath.Join(dir, fmt.Sprintf("poolkit-sequence-%s-%d-%d.yaml", rule, o.seed, o.index+1))
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return "", nil, err
	}
	sc, err := scenarios.Load(file, data)
	if err != nil {
		return file, nil, fmt.Errorf("the written scenario does not load: %w", err)
	}
	return file, sc, nil
}

// seqReplay replays a written scenario against the target.
func seqReplay(ctx context.Context, tg target.Target, sc *scenarios.Scenario) *scenarios.Result {
	if sc == nil {
		return nil
	}
	return scenarios.Run(ctx, tg, sc, scenarios.Options{})
}

// seqScenarioYAML renders the shrunk sequence in the scenarios format.
func seqScenarioYAML(c seqCase, out seqOutcome, o seqOrigin) ([]byte, error) {
	fail := out.steps[out.failed]
	names := map[string]string{} // phone → $name
	for n, p := range out.phones {
		names[p] = "$" + n
	}
	name := func(p string) string {
		if n, ok := names[p]; ok {
			return n
		}
		return p
	}
	ops := make([]model.Op, len(out.steps))
	for i, st := range out.steps {
		ops[i] = st.op.modelOp(out.phones)
	}
	root, err := seqModel(c, out.phones)
	if err != nil {
		return nil, err
	}
	per, enumerated := seqBranches(root, ops)

	exps := make([]seqExpectation, len(out.steps))
	var assumed []string
	saves := map[int]bool{}
	for i, st := range out.steps {
		ok := false
		if enumerated {
			exps[i], ok = seqFit(i, per[i], st.op.Kind == seqSend, name)
		}
		if !ok {
			// What the model allowed after this target's own choices.
			seen := []seqSeen{{allowed: st.allowed}}
			exps[i], _ = seqFit(i, seen, st.op.Kind == seqSend, name)
			if i > 0 {
				assumed = append(assumed, fmt.Sprint(i+1))
			}
		}
		for _, j := range exps[i].uses {
			saves[j] = true
		}
	}

	doc := seqYAML{
		Name: fmt.Sprintf("Property sequence: %s broken in %d step%s", fail.verdict.Rule, len(out.steps), map[bool]string{true: "s"}[len(out.steps) > 1]),
		Setup: seqYSetup{
			Strategy:         c.Strategy,
			StickyTTLSeconds: c.TTL,
		},
	}
	var desc strings.Builder
	fmt.Fprintf(&desc, "Written by poolkit's property sequences (conformance.RunSequences, seed %d, sequence %d, "+
		"shrunk in %d replays). At step %d the target's outcome breaks %s: %s. ",
		o.seed, o.index+1, o.runs, out.failed+1, fail.verdict.Rule, seqVerdictText(fail.verdict, name))
	desc.WriteString("Every expectation is what the model (conformance/model, real-deployment mode) allows, so a " +
		"conforming deployment passes every step.")
	if len(saves) > 0 {
		desc.WriteString(" Where the model allows several numbers, later steps refer to the one the deployment picked ($sN).")
	}
	if len(assumed) > 0 {
		fmt.Fprintf(&desc, " Steps %s assume the numbers this target picked at earlier steps: a conforming "+
			"deployment that picks others may fail them.", strings.Join(assumed, ", "))
	}
	doc.Description = desc.String()

	for _, n := range c.Numbers {
		yn := seqYNumber{Name: n.Name, AreaCode: n.Area}
		if n.Plan != "dedicated" {
			yn.PlanKind = n.Plan
		}
		if n.Provider == "twilio" {
			yn.Provider = "twilio"
		} else if n.Relay != "mac-1" {
			yn.Relay = n.Relay
		}
		if n.Weight != 1 {
			w := n.Weight
			yn.Weight = &w
		}
		doc.Setup.Numbers = append(doc.Setup.Numbers, yn)
	}
	for _, k := range c.Keys {
		doc.Setup.Keys = append(doc.Setup.Keys, seqYKey{Name: k.Name, Numbers: slices.Clone(k.Numbers)})
	}

	caps := map[target.Capability]bool{target.Provisioning: true}
	rules := map[string]bool{}
	for i, st := range out.steps {
		ys, need := seqYStepOf(st.op, out.steps[i].index, name)
		for _, cp := range need {
			caps[cp] = true
		}
		e := exps[i]
		switch {
		case e.code != "":
			ys.Expect = &seqYExpect{Status: api.Status(pool.Code(e.code)), Code: e.code}
		case st.op.Kind == seqSend:
			ys.Expect = &seqYExpect{Status: 202, FromNumber: e.from, FromNumberIn: e.in, FromNumberNot: e.not}
		case st.op.Kind == seqMyNumbers:
			// Exactly the key's pool, in position order (POOL-ISO-1).
			fields := map[string]any{"numbers.#": len(st.pool)}
			for j, p := range st.pool {
				fields[fmt.Sprintf("numbers.%d.phone_number", j)] = name(p)
			}
			ys.Expect = &seqYExpect{Status: 200, Fields: fields}
		}
		if saves[i] {
			ys.Save = map[string]string{strings.TrimPrefix(seqVar(i), "$"): "from_number"}
		}
		doc.Steps = append(doc.Steps, ys)
		if r := st.allowed.Rule; seqRuleID.MatchString(r) {
			rules[r] = true
		}
	}
	for _, cp := range target.AllCapabilities {
		if caps[cp] {
			doc.Capabilities = append(doc.Capabilities, string(cp))
		}
	}
	// The broken rule first; the scenarios format takes POOL-… ids only.
	first := fail.verdict.Rule
	if !seqRuleID.MatchString(first) {
		first = seqRuleOfKind(fail.op.Kind)
	}
	doc.Rules = []string{first}
	for _, r := range slices.Sorted(maps.Keys(rules)) {
		if r != first {
			doc.Rules = append(doc.Rules, r)
		}
	}

	var node yaml.Node
	if err := node.Encode(doc); err != nil {
		return nil, err
	}
	// A comment above each step: what the model allows; above the failing one, what the
	// target answered.
	if steps := seqMapValue(&node, "steps"); steps != nil {
		for i, item := range steps.Content {
			if i >= len(out.steps) {
				break
			}
			st := out.steps[i]
			comment := fmt.Sprintf("step %d: %s allows %s", i+1, st.allowed.Rule, seqAllowedText(exps[i], st.op.Kind == seqSend))
			if st.op.Kind == seqMyNumbers {
				comment = fmt.Sprintf("step %d: POOL-ISO-1 lists exactly %s", i+1, seqNamed(seqList(st.pool), name))
			}
			if i == out.failed {
				comment += fmt.Sprintf("\nthe target answered %s: %s (%s)", seqNamed(st.verdict.Got, name), st.verdict.Kind, st.verdict.Rule)
			}
			item.HeadComment = comment
		}
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// seqYStepOf renders an operation as a scenario step, with the capabilities it needs.
func seqYStepOf(op seqOp, index int, name func(string) string) (seqYStep, []target.Capability) {
	ys := seqYStep{Name: seqDescribe(op)}
	ref := func(n string) string { return "$" + n }
	switch op.Kind {
	case seqSend:
		ys.Key = op.Key
		s := &seqYSend{To: seqRecipients[op.To].chat, Text: op.texts(index)}
		switch {
		case op.Number != "":
			s.From = ref(op.Number)
		case op.Unknown:
			s.From = seqUnknownPhone
		case op.Invalid:
			s.From = seqInvalidPhone
		}
		ys.Send = s
	case seqInbound:
		ys.Inbound = &seqYInbound{To: ref(op.Number), From: seqRecipients[op.To].chat, Text: fmt.Sprintf("in%d", index+1)}
		if op.Group {
			ys.Inbound.Group = &seqYGroup{ChatGUID: op.group(), Participants: []string{seqRecipients[op.To].chat}}
		}
		return ys, []target.Capability{target.Inbound}
	case seqAssign:
		ys.Key = op.Key
		a := &seqYAssign{Numbers: []string{ref(op.Number)}}
		if op.Number2 != "" {
			a.Numbers = append(a.Numbers, ref(op.Number2))
		}
		ys.Assign = a
	case seqUnassign:
		ys.Key = op.Key
		ys.Unassign = &seqYRef{Number: ref(op.Number)}
	case seqStrategy:
		ys.SetStrategy = op.Strategy
	case seqBan, seqUnban:
		h := "banned"
		if op.Kind == seqUnban {
			h = "active"
		}
		ys.SetNumber = &seqYSetNumber{Number: ref(op.Number), Health: h}
		return ys, []target.Capability{target.HealthControl}
	case seqLine:
		ys.Line = &seqYLine{Number: ref(op.Number), Online: op.Online}
		return ys, []target.Capability{target.HealthControl}
	case seqReset:
		ys.Key = op.Key
		ys.ResetBinding = &seqYBinding{Recipient: seqRecipients[op.To].chat}
	case seqAdvance:
		ys.AdvanceClock = op.Advance.String()
		return ys, []target.Capability{target.Clock}
	case seqMyNumbers:
		ys.Key = op.Key
		ys.MyNumbers = &struct{}{}
	}
	return ys, nil
}

// seqRuleOfKind names a POOL rule for a scenario whose broken rule is not a POOL id (a
// request check, an admin call, a relay event): the rule family the operation belongs to.
func seqRuleOfKind(k seqKind) string {
	switch k {
	case seqInbound:
		return "POOL-INBOUND-4"
	case seqAssign, seqUnassign:
		return "POOL-PROTO-1"
	case seqStrategy:
		return "POOL-NEW-2"
	case seqBan, seqUnban:
		return "POOL-HEALTH-3"
	case seqLine:
		return "POOL-HEALTH-2"
	case seqReset, seqAdvance:
		return "POOL-STICKY-3"
	}
	return "POOL-ISO-2"
}

// seqAllowedText renders an expectation for a comment.
func seqAllowedText(e seqExpectation, send bool) string {
	switch {
	case e.code != "":
		return fmt.Sprintf("%d %s", api.Status(pool.Code(e.code)), e.code)
	case !send:
		return "success"
	case e.from != "":
		return "202 from " + e.from
	}
	s := "202 from one of " + strings.Join(e.in, ", ")
	if len(e.not) > 0 {
		s += " but " + strings.Join(e.not, ", ")
	}
	return s
}

// seqVerdictText renders a verdict with symbolic numbers.
func seqVerdictText(v model.Verdict, name func(string) string) string {
	return fmt.Sprintf("the model allows %s, the target answered %s", seqNamed(v.Want, name), seqNamed(v.Got, name))
}

// seqPhone matches the E.164 numbers in a rendered outcome.
var seqPhone = regexp.MustCompile(`\+[0-9]{8,15}`)

// seqNamed labels the workspace's phone numbers in s with their names.
func seqNamed(s string, name func(string) string) string {
	return seqPhone.ReplaceAllStringFunc(s, func(p string) string {
		if n := name(p); n != p {
			return p + " (" + n + ")"
		}
		return p
	})
}

// seqMapValue returns the value of key in the document's top mapping.
func seqMapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
