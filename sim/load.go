package sim

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"poolkit/internal/strictyaml"
	"poolkit/reference/numbering"
	"poolkit/reference/pool"
)

//go:embed profiles/*.yaml
var shipped embed.FS

// DefaultProfile is the profile `poolkit sim` and `make sim` run when none is named.
const DefaultProfile = "uniform-round-robin"

// Profiles lists the names of the shipped profiles (sim/profiles/*.yaml), sorted.
func Profiles() []string {
	entries, _ := fs.ReadDir(shipped, "profiles")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// LoadProfile loads a profile by file name, or by the name of a shipped profile when
// no such file exists and ref has no path separator or extension.
func LoadProfile(ref string) (*Profile, error) {
	if b, err := os.ReadFile(ref); err == nil {
		return Load(ref, b)
	} else if strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		return nil, err
	}
	b, err := shipped.ReadFile("profiles/" + ref + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no profile file %q and no shipped profile of that name (shipped: %s)", ref, strings.Join(Profiles(), ", "))
	}
	return Load("sim/profiles/"+ref+".yaml", b)
}

// Load decodes one profile strictly — unknown keys, wrong types, unquoted phone numbers,
// values out of range, unknown numbers or relays in faults, malformed thresholds — and
// reports every problem as "file:line: message". It never panics on bad input.
func Load(file string, data []byte) (*Profile, error) {
	var p Profile
	if err := strictyaml.Decode(file, data, &p, "profile"); err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, strictyaml.Positioned(file, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	p.File = file
	v := validator{file: file, doc: doc}
	p.validate(&v)
	if err := errors.Join(v.errs...); err != nil {
		return nil, err
	}
	return &p, nil
}

// validator collects errors, each at the line of the node its path names.
type validator struct {
	file string
	doc  *yaml.Node
	errs []error
}

// at returns the line of the deepest node along path (map keys and list indexes).
func (v *validator) at(path ...any) int {
	n, line := v.doc, 1
	if n != nil {
		line = max(n.Line, 1)
	}
	for _, step := range path {
		var next *yaml.Node
		nextLine := 0
		switch s := step.(type) {
		case string:
			if n != nil && n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next, nextLine = n.Content[i+1], n.Content[i].Line // the key's line
					}
				}
			}
		case int:
			if n != nil && n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
				nextLine = next.Line
			}
		}
		if next == nil {
			break
		}
		n, line = next, nextLine
	}
	return line
}

func (v *validator) fail(path []any, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s:%d: %s", v.file, v.at(path...), fmt.Sprintf(format, args...)))
}

func p(path ...any) []any { return path }

// maxContacts bounds contacts.count: a contact's handle is its area code and 2000000
// plus its index, seven digits.
const maxContacts = 8_000_000

var (
	areaCodeRE = regexp.MustCompile(`^[2-9][0-9][0-9]$`)
	tokenRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
)

func (pr *Profile) validate(v *validator) {
	if strings.TrimSpace(pr.Name) == "" {
		v.fail(p("name"), "name is required")
	}
	switch {
	case pr.Shards == 0:
		pr.Shards = 2
	case pr.Shards < 1 || pr.Shards > 64:
		v.fail(p("shards"), "shards must be between 1 and 64")
	}
	if pr.Report.Buckets == 0 {
		pr.Report.Buckets = 60
	} else if pr.Report.Buckets < 2 || pr.Report.Buckets > 1000 {
		v.fail(p("report", "buckets"), "report.buckets must be between 2 and 1000")
	}
	pr.validatePool(v)
	pr.validateContacts(v)
	pr.validateTraffic(v)
	pr.validateFaults(v)
	for i, s := range pr.Thresholds {
		t, err := ParseThreshold(s)
		if err != nil {
			v.fail(p("thresholds", i), "%v", err)
			continue
		}
		pr.thresholds = append(pr.thresholds, t)
	}
}

func (pr *Profile) validatePool(v *validator) {
	ps := &pr.Pool
	if ps.Strategy == "" {
		ps.Strategy = string(pool.StrategyRoundRobin)
	}
	if !pool.Strategy(ps.Strategy).Valid() {
		v.fail(p("pool", "strategy"), "pool.strategy must be round_robin, weighted or geographic, not %q", ps.Strategy)
	}
	h := pr.health()
	if err := h.Validate(); err != nil {
		var pe *pool.Error
		if errors.As(err, &pe) {
			v.fail(p("pool", "health"), "pool.health: %s", pe.Message)
		} else {
			v.fail(p("pool", "health"), "pool.health: %v", err)
		}
	}
	if len(ps.Numbers) == 0 {
		v.fail(p("pool", "numbers"), "pool.numbers: at least one number is required")
	}
	seen := map[string]bool{}
	slots := map[string]int{}
	generated := map[string]int{}
	for i, n := range ps.Numbers {
		at := p("pool", "numbers", i)
		plan := n.PlanKind
		if plan == "" {
			plan = string(pool.PlanDedicated)
		}
		if !pool.PlanKind(plan).Valid() {
			v.fail(append(at, "plan_kind"), "plan_kind must be shared, dedicated, inbound, trial or 2fa, not %q", n.PlanKind)
		}
		weight := 1
		if n.Weight != nil {
			weight = *n.Weight
		}
		if weight < 0 || weight > 1000 {
			v.fail(append(at, "weight"), "weight must be between 0 and 1000")
		}
		relay := n.Relay
		if relay == "" {
			relay = "mac-1"
		}
		if !tokenRE.MatchString(relay) {
			v.fail(append(at, "relay"), "relay %q must be 1-100 letters, digits, '_' or '-'", relay)
		}
		var phones []string
		switch {
		case n.Phone != "" && (n.AreaCode != "" || n.Count != 0):
			v.fail(at, "a number has either phone, or area_code with count")
			continue
		case n.Phone != "":
			if !numbering.ValidE164(string(n.Phone)) {
				v.fail(append(at, "phone"), "phone %q is not an E.164 number such as \"+14155550001\"", n.Phone)
				continue
			}
			phones = []string{string(n.Phone)}
		case n.AreaCode != "":
			if !areaCodeRE.MatchString(string(n.AreaCode)) {
				v.fail(append(at, "area_code"), "area_code %q is not a NANP area code such as \"415\"", n.AreaCode)
				continue
			}
			if n.Count < 1 || n.Count > 1000 {
				v.fail(append(at, "count"), "count must be between 1 and 1000")
				continue
			}
			for j := 0; j < n.Count; j++ {
				k := generated[string(n.AreaCode)]
				generated[string(n.AreaCode)]++
				phones = append(phones, fmt.Sprintf("+1%s555%04d", n.AreaCode, 1000+k))
			}
		default:
			v.fail(at, "a number needs phone, or area_code with count")
			continue
		}
		for _, ph := range phones {
			if seen[ph] {
				v.fail(at, "number %s is listed twice", ph)
				continue
			}
			seen[ph] = true
			slots[relay]++
			pr.numbers = append(pr.numbers, NumberConfig{Phone: ph, Relay: relay, Slot: slots[relay], PlanKind: plan, Weight: weight})
		}
	}
	if len(pr.numbers) > 1000 {
		v.fail(p("pool", "numbers"), "pool.numbers: at most 1000 numbers (one assignment request)")
	}
}

// health returns the organization's health settings with the defaults filled in.
func (pr *Profile) health() pool.HealthSettings {
	h := pool.DefaultHealth
	if c := pr.Pool.Health; c != nil {
		if c.Window != 0 {
			h.Window = c.Window
		}
		if c.MinSamples != 0 {
			h.MinSamples = c.MinSamples
		}
		if c.DegradeBelow != 0 {
			h.DegradeBelow = c.DegradeBelow
		}
		if c.RecoverAt != 0 {
			h.RecoverAt = c.RecoverAt
		}
	}
	return h
}

func ratio(v *validator, path []any, name string, x float64) {
	if !(x >= 0 && x <= 1) {
		v.fail(path, "%s must be between 0 and 1", name)
	}
}

func (pr *Profile) validateContacts(v *validator) {
	c := &pr.Contacts
	if c.Count < 1 || c.Count > maxContacts {
		v.fail(p("contacts", "count"), "contacts.count must be between 1 and %d", maxContacts)
	}
	ratio(v, p("contacts", "emails"), "contacts.emails", c.Emails)
	switch {
	case c.Zipf == 0:
		c.Zipf = 1.1
	case !(c.Zipf > 1 && c.Zipf <= 10):
		v.fail(p("contacts", "zipf"), "contacts.zipf must be above 1 and at most 10 (math/rand's Zipf)")
	}
	seen := map[Digits]bool{}
	for i, a := range c.AreaCodes {
		if !areaCodeRE.MatchString(string(a.AreaCode)) {
			v.fail(p("contacts", "area_codes", i, "area_code"), "area_code %q is not a NANP area code such as \"415\"", a.AreaCode)
		}
		if seen[a.AreaCode] {
			v.fail(p("contacts", "area_codes", i), "area code %s is listed twice", a.AreaCode)
		}
		seen[a.AreaCode] = true
		if !(a.Share > 0 && a.Share <= 1e6) {
			v.fail(p("contacts", "area_codes", i, "share"), "share must be positive")
		}
	}
	if len(c.AreaCodes) == 0 {
		c.AreaCodes = []AreaCodeShare{{AreaCode: "555", Share: 1}}
	}
}

func (pr *Profile) validateTraffic(v *validator) {
	t := &pr.Traffic
	if t.Duration <= 0 {
		v.fail(p("traffic", "duration"), "traffic.duration is required (for example \"1h\")")
	}
	switch {
	case t.Rate != 0 && t.Messages != 0:
		v.fail(p("traffic", "messages"), "traffic: give rate or messages, not both")
	case t.Rate == 0 && t.Messages == 0:
		v.fail(p("traffic"), "traffic: rate (sends per second) or messages (sends over the duration) is required")
	case t.Rate < 0 || t.Rate > 1e9:
		v.fail(p("traffic", "rate"), "traffic.rate must be positive")
	case t.Messages < 0:
		v.fail(p("traffic", "messages"), "traffic.messages must be positive")
	}
	if t.Arrivals == "" {
		t.Arrivals = "poisson"
	}
	if t.Arrivals != "poisson" && t.Arrivals != "uniform" {
		v.fail(p("traffic", "arrivals"), "traffic.arrivals must be poisson or uniform")
	}
	ratio(v, p("traffic", "new_conversations"), "traffic.new_conversations", t.NewConversations)
	ratio(v, p("traffic", "replies"), "traffic.replies", t.Replies)
	ratio(v, p("traffic", "inbound_first"), "traffic.inbound_first", t.InboundFirst)
	ratio(v, p("traffic", "delivery", "failure_ratio"), "traffic.delivery.failure_ratio", t.Delivery.FailureRatio)
	if t.InboundFirst > 0 && !slices.ContainsFunc(pr.numbers, func(n NumberConfig) bool { return n.PlanKind == string(pool.PlanInbound) }) {
		v.fail(p("traffic", "inbound_first"), "traffic.inbound_first needs an inbound number in the pool")
	}
	if g := t.Groups; g != nil {
		at := p("traffic", "groups")
		ratio(v, append(at, "share"), "traffic.groups.share", g.Share)
		if g.Count < 1 || g.Count > 10_000_000 {
			v.fail(append(at, "count"), "traffic.groups.count must be between 1 and 10000000")
		}
		if g.MinSize == 0 {
			g.MinSize = 2
		}
		if g.MaxSize == 0 {
			g.MaxSize = g.MinSize
		}
		if g.MinSize < 2 || g.MaxSize < g.MinSize || g.MaxSize > 32 {
			v.fail(at, "traffic.groups: 2 <= min_size <= max_size <= 32")
		}
		if g.MaxSize > pr.Contacts.Count {
			v.fail(append(at, "max_size"), "traffic.groups.max_size is larger than contacts.count")
		}
	}
}

func (pr *Profile) validateFaults(v *validator) {
	phones := map[string]bool{}
	relays := map[string]bool{}
	for _, n := range pr.numbers {
		phones[n.Phone] = true
		relays[n.Relay] = true
	}
	for i, f := range pr.Faults {
		at := p("faults", i)
		not := func(set bool, field string) {
			if set {
				v.fail(append(at, field), "%s does not apply to %s fault", field, article(f.Kind))
			}
		}
		number := func(required bool) {
			switch {
			case f.Number == "" && required:
				v.fail(at, "%s fault needs number", article(f.Kind))
			case f.Number != "" && !phones[string(f.Number)]:
				v.fail(append(at, "number"), "number %s is not in pool.numbers", f.Number)
			}
		}
		until := func() {
			if f.Until != 0 && f.Until <= f.From {
				v.fail(append(at, "until"), "until must be after from")
			}
		}
		switch f.Kind {
		case FaultOffline:
			switch {
			case (f.Number == "") == (f.Relay == ""):
				v.fail(at, "an offline fault names a number or a relay (a whole Mac)")
			case f.Relay != "" && !relays[f.Relay]:
				v.fail(append(at, "relay"), "relay %q hosts no number of the pool", f.Relay)
			default:
				number(false)
			}
			until()
			not(f.By != "", "by")
			not(len(f.Ramp) > 0, "ramp")
		case FaultFailures:
			number(true)
			not(f.Relay != "", "relay")
			not(f.From != 0, "from")
			not(f.Until != 0, "until")
			not(f.By != "", "by")
			if len(f.Ramp) == 0 {
				v.fail(at, "a failures fault needs a ramp: [{at: \"10m\", ratio: 0.5}, …]")
			}
			for j, r := range f.Ramp {
				ratio(v, append(at, "ramp", j, "ratio"), "ratio", r.Ratio)
				if j > 0 && r.At < f.Ramp[j-1].At {
					v.fail(append(at, "ramp", j, "at"), "ramp points must be in time order")
				}
			}
		case FaultBan:
			number(true)
			until()
			not(f.Relay != "", "relay")
			not(len(f.Ramp) > 0, "ramp")
			if f.By != "" && f.By != "admin" && f.By != "relay" {
				v.fail(append(at, "by"), "by must be admin or relay")
			}
			if f.By == "relay" && f.Until != 0 {
				v.fail(append(at, "until"), "only an admin lifts a ban: a relay ban has no until")
			}
		case FaultUnassign:
			number(true)
			until()
			not(f.Relay != "", "relay")
			not(f.By != "", "by")
			not(len(f.Ramp) > 0, "ramp")
		case "":
			v.fail(at, "a fault needs kind: offline, failures, ban or unassign")
		default:
			v.fail(append(at, "kind"), "unknown fault kind %q (offline, failures, ban, unassign)", f.Kind)
		}
	}
}

// Numbers returns the pool's numbers after expansion, in position order.
func (pr *Profile) Numbers() []NumberConfig { return slices.Clone(pr.numbers) }

// ParsedThresholds returns the profile's thresholds.
func (pr *Profile) ParsedThresholds() []Threshold { return slices.Clone(pr.thresholds) }

// article puts "a" or "an" before a fault kind.
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
