package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"poolkit/internal/strictyaml"
	"poolkit/target"
)

var (
	ruleID       = regexp.MustCompile(`^POOL-[A-Z]+-[0-9]+$`)
	symbolicName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// LoadFile reads and strictly decodes one scenario file.
func LoadFile(name string) (*Scenario, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return Load(name, b)
}

// LoadFS loads every *.yaml file under root in fsys, in name order.
func LoadFS(fsys fs.FS, root string) ([]*Scenario, error) {
	var out []*Scenario
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sc, err := Load(p, b)
		if err != nil {
			return err
		}
		out = append(out, sc)
		return nil
	})
	return out, err
}

// LoadPaths loads files and the *.yaml files of directories, in the order given
// (directories in name order).
func LoadPaths(paths []string) ([]*Scenario, error) {
	var out []*Scenario
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		files := []string{p}
		if st.IsDir() {
			if files, err = filepath.Glob(filepath.Join(p, "*.yaml")); err != nil {
				return nil, err
			}
			sort.Strings(files)
		}
		for _, f := range files {
			sc, err := LoadFile(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, sc)
		}
	}
	return out, errors.Join(errs...)
}

// Load decodes one scenario strictly: unknown keys, wrong types, a missing or ambiguous
// action, an unknown $name, capability or rule id are errors reported as "file:line: …".
func Load(file string, data []byte) (*Scenario, error) {
	var sc Scenario
	if err := strictyaml.Decode(file, data, &sc, "scenario"); err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, strictyaml.Positioned(file, err)
	}
	sc.File, sc.Line = file, 1
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if setup := mapValue(doc, "setup"); setup != nil {
		sc.SetupLine = setup.Line
	}
	if steps := mapValue(doc, "steps"); steps != nil && steps.Kind == yaml.SequenceNode {
		for _, s := range steps.Content {
			sc.StepLines = append(sc.StepLines, s.Line)
		}
	}
	if err := sc.validate(doc); err != nil {
		return nil, err
	}
	return &sc, nil
}

// positioned rewrites yaml's "line N: msg" errors as "file:N: msg", one per line.
// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// at returns the position of a step, or of the setup, for messages.
func (sc *Scenario) at(step int) string {
	if step >= 0 && step < len(sc.StepLines) {
		return fmt.Sprintf("%s:%d", sc.File, sc.StepLines[step])
	}
	return fmt.Sprintf("%s:%d", sc.File, max(sc.SetupLine, 1))
}

func (sc *Scenario) validate(doc *yaml.Node) error {
	var errs []error
	fail := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	top := fmt.Sprintf("%s:1", sc.File)
	lineOf := func(key string) string {
		if v := mapValue(doc, key); v != nil {
			return fmt.Sprintf("%s:%d", sc.File, v.Line)
		}
		return top
	}
	if sc.Name == "" {
		fail(top, "name is required")
	}
	if len(sc.Rules) == 0 {
		fail(lineOf("rules"), "rules: name at least one rule id")
	}
	for _, r := range sc.Rules {
		if !ruleID.MatchString(r) {
			fail(lineOf("rules"), "rules: %q is not a rule id like POOL-STICKY-1", r)
		}
	}
	declared := map[target.Capability]bool{}
	for _, c := range sc.Capabilities {
		cp, err := target.ParseCapability(c)
		if err != nil {
			fail(lineOf("capabilities"), "capabilities: %v", err)
		}
		declared[cp] = true
	}
	for i, st := range sc.Steps {
		for _, cp := range st.needs() {
			if !declared[cp] {
				fail(sc.at(i), "this step (%s) needs capability %s: add it to the scenario's capabilities", st.label(), cp)
			}
		}
	}
	if len(sc.Steps) == 0 {
		fail(lineOf("steps"), "steps: at least one step is required")
	}
	setup := sc.at(-1)
	known := map[string]bool{"run": true} // $run: a random id of the replay
	slots := map[string]bool{}
	for _, n := range sc.Setup.Numbers {
		switch {
		case !symbolicName.MatchString(n.Name):
			fail(setup, "setup.numbers: name %q must match [a-z][a-z0-9_]*", n.Name)
		case known[n.Name]:
			fail(setup, "setup.numbers: duplicate name %q", n.Name)
		}
		known[n.Name] = true
		known[n.Name+".allocation_id"] = true
		if n.Provider != "" && n.Provider != "blooio" && n.Provider != "twilio" {
			fail(setup, "setup.numbers.%s: provider must be blooio or twilio", n.Name)
		}
		if n.AreaCode != "" && !regexp.MustCompile(`^[2-9][0-9][0-9]$`).MatchString(n.AreaCode) {
			fail(setup, "setup.numbers.%s: area_code %q is not a NANP area code", n.Name, n.AreaCode)
		}
		if n.Provider == "twilio" && (n.Relay != "" || n.Slot != 0) {
			fail(setup, "setup.numbers.%s: a Twilio number has no relay or slot", n.Name)
		}
		if n.Slot != 0 {
			k := fmt.Sprintf("%s/%d", n.Relay, n.Slot)
			if slots[k] {
				fail(setup, "setup.numbers.%s: slot %d of relay %q is taken", n.Name, n.Slot, n.Relay)
			}
			slots[k] = true
		}
	}
	keys := map[string]bool{}
	for _, k := range sc.Setup.Keys {
		if !symbolicName.MatchString(k.Name) || keys[k.Name] {
			fail(setup, "setup.keys: name %q must be unique and match [a-z][a-z0-9_]*", k.Name)
		}
		keys[k.Name] = true
		for _, n := range k.Numbers {
			if !known[strings.TrimPrefix(n, "$")] {
				fail(setup, "setup.keys.%s: unknown number %q (name it without $)", k.Name, n)
			}
		}
	}
	if len(sc.Setup.Keys) == 0 {
		fail(setup, "setup.keys: at least one key is required")
	}
	for i, st := range sc.Steps {
		where := sc.at(i)
		if a := st.actions(); len(a) != 1 {
			fail(where, "a step has exactly one action (send, inbound, assign, …), this one has %d: %v", len(a), a)
		}
		if st.Key != "" && !keys[st.Key] {
			fail(where, "unknown key %q", st.Key)
		}
		if st.Send != nil {
			if err := checkText(st.Send.Text); err != nil {
				fail(where, "send.text: %v", err)
			}
			if st.Send.Repeat < 0 || st.Send.Concurrent < 0 || (st.Send.Repeat > 0 && st.Send.Concurrent > 0) {
				fail(where, "send: repeat and concurrent are positive and exclusive")
			}
		}
		if st.Expect != nil && (len(st.Expect.FromSequence) > 0 || len(st.Expect.FromCounts) > 0 || st.Expect.SameFromNumber) &&
			(st.Send == nil || st.Send.Repeat == 0 && st.Send.Concurrent == 0) {
			fail(where, "expect: from_sequence, from_counts and same_from_number need a send with repeat or concurrent")
		}
		if st.Eventually != "" {
			if _, err := parseDuration(st.Eventually, 0); err != nil {
				fail(where, "eventually: %v", err)
			}
		}
		if st.AdvanceClock != "" {
			if d, err := parseDuration(st.AdvanceClock, 0); err != nil || d <= 0 {
				fail(where, "advance_clock: %q is not a positive duration like 25h", st.AdvanceClock)
			}
		}
		if st.Wait != nil {
			if _, err := parseDuration(st.Wait.Timeout, 0); err != nil {
				fail(where, "wait.timeout: %v", err)
			}
			if st.Wait.Status == "" || st.Wait.Message == "" || st.Wait.Chat == "" {
				fail(where, "wait: chat, message and status are required")
			}
		}
		for _, ref := range refs(st) {
			if !known[ref] {
				fail(where, "unknown variable $%s (not a setup number nor saved by an earlier step)", ref)
			}
		}
		for v := range st.Save {
			known[v] = true
		}
	}
	return errors.Join(errs...)
}

// actions lists the action fields set on a step.
func (st Step) actions() []string {
	var a []string
	add := func(set bool, name string) {
		if set {
			a = append(a, name)
		}
	}
	add(st.Send != nil, "send")
	add(st.Inbound != nil, "inbound")
	add(st.Assign != nil, "assign")
	add(st.Unassign != nil, "unassign")
	add(st.SetStrategy != "", "set_strategy")
	add(st.SetNumber != nil, "set_number")
	add(st.Line != nil, "line")
	add(st.ResetBinding != nil, "reset_binding")
	add(st.GetBinding != nil, "get_binding")
	add(st.MyNumbers != nil, "my_numbers")
	add(st.Me != nil, "me")
	add(st.Chats != nil, "chats")
	add(st.NumberHealth != nil, "number_health")
	add(st.Wait != nil, "wait")
	add(st.RevokeKey != nil, "revoke_key")
	add(st.AdvanceClock != "", "advance_clock")
	return a
}

// needs lists the capabilities a step's action needs beyond the public API.
func (st Step) needs() []target.Capability {
	switch {
	case st.Inbound != nil:
		return []target.Capability{target.Inbound}
	case st.Line != nil:
		return []target.Capability{target.HealthControl}
	case st.SetNumber != nil && st.SetNumber.Health != nil:
		return []target.Capability{target.Provisioning, target.HealthControl}
	case st.Assign != nil, st.Unassign != nil, st.SetStrategy != "", st.SetNumber != nil,
		st.ResetBinding != nil, st.GetBinding != nil, st.NumberHealth != nil, st.RevokeKey != nil:
		return []target.Capability{target.Provisioning}
	case st.AdvanceClock != "":
		return []target.Capability{target.Clock}
	}
	return nil
}

// Needs lists the capabilities the scenario needs: those it declares, which include
// every one its steps need (the loader checks it), in a fixed order.
func (sc *Scenario) Needs() []target.Capability {
	have := map[target.Capability]bool{}
	for _, c := range sc.Capabilities {
		have[target.Capability(c)] = true
	}
	for _, st := range sc.Steps {
		for _, c := range st.needs() {
			have[c] = true
		}
	}
	var out []target.Capability
	for _, c := range target.AllCapabilities {
		if have[c] {
			out = append(out, c)
		}
	}
	return out
}

func checkText(t any) error {
	switch t := t.(type) {
	case nil, string:
		return nil
	case []any:
		for _, e := range t {
			if _, ok := e.(string); !ok {
				return fmt.Errorf("a list of text holds strings only, not %T", e)
			}
		}
		return nil
	}
	return fmt.Errorf("a string or a list of strings, not %T", t)
}

// refs lists the variables a step's strings refer to.
func refs(st Step) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, m := range varRef.FindAllStringSubmatch(v, -1) {
				out = append(out, m[1]+m[2])
			}
		case []string:
			for _, s := range v {
				walk(s)
			}
		case []any:
			for _, s := range v {
				walk(s)
			}
		case map[string]any:
			for _, s := range v {
				walk(s)
			}
		case map[string]int:
			for k := range v {
				walk(k)
			}
		case *string:
			if v != nil {
				walk(*v)
			}
		}
	}
	if s := st.Send; s != nil {
		walk(s.To)
		walk(s.Text)
		walk(s.From)
		walk(s.FromHeader)
		walk(s.IdempotencyKey)
	}
	if s := st.Inbound; s != nil {
		walk(s.To)
		walk(s.From)
		if s.Group != nil {
			walk(s.Group.ChatGUID)
			walk(s.Group.Participants)
		}
	}
	if s := st.Assign; s != nil {
		walk(s.Numbers)
	}
	if s := st.Unassign; s != nil {
		walk(s.Number)
	}
	if s := st.SetNumber; s != nil {
		walk(s.Number)
	}
	if s := st.Line; s != nil {
		walk(s.Number)
	}
	if s := st.ResetBinding; s != nil {
		walk(s.Recipient)
	}
	if s := st.GetBinding; s != nil {
		walk(s.Recipient)
	}
	if s := st.NumberHealth; s != nil {
		walk(s.Number)
	}
	if s := st.Wait; s != nil {
		walk(s.Chat)
		walk(s.Message)
	}
	if e := st.Expect; e != nil {
		walk(e.FromNumber)
		walk(e.FromNumberIn)
		walk(e.FromNumberNot)
		walk(e.Fields)
		walk(e.FromSequence)
		walk(e.FromCounts)
	}
	return out
}
