package conformance

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"poolkit/conformance/model"
	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

// SequenceOptions tune the property sequences.
type SequenceOptions struct {
	Checks int    // number of random sequences (default 100)
	MaxOps int    // operations per sequence (default 40)
	Seed   uint64 // 0: random; printed in the result
	// FailureDir: where the shrunk failing sequence is written as a YAML scenario ("" =
	// os.TempDir()).
	FailureDir string
}

// SequenceResult is what the sequences found.
type SequenceResult struct {
	Sequences int    `json:"sequences,omitempty"` // how many sequences ran
	Ops       int    `json:"ops,omitempty"`       // total operations
	Seed      uint64 `json:"seed,omitempty"`
	// Skipped is why the sequences could not run (e.g. the target lacks provisioning),
	// "" otherwise.
	Skipped string `json:"skipped,omitempty"`
	// Error is why a sequence could not be carried out (opening the target or a workspace,
	// a transport failure, a relay event the fake relay could not deliver): not a
	// disagreement with the model, but not a pass either. "" otherwise.
	Error string `json:"error,omitempty"`
	// Stopped counts the sequences that ended early at an outcome the model cannot judge
	// (model.Unknown: a 503 for a line the deployment saw drop on its own); they count
	// in Sequences with the operations they ran.
	Stopped int `json:"stopped,omitempty"`
	// Failure is nil when the target agreed with the model on every sequence.
	Failure  *SequenceFailure `json:"failure,omitempty"`
	Duration time.Duration    `json:"duration_ns"`
}

// SequenceFailure is a disagreement between the target and the model, shrunk to a
// minimal sequence.
type SequenceFailure struct {
	Rule    string   `json:"rule,omitempty"`    // the rule id the model says was broken
	Message string   `json:"message,omitempty"` // the model's verdict: what was allowed, what was observed
	Steps   []string `json:"steps,omitempty"`   // the minimal sequence, one human-readable line per op
	// Request and Response are the failing exchange (method path body / status body).
	Request      string `json:"request,omitempty"`
	Response     string `json:"response,omitempty"`
	ScenarioFile string `json:"scenario_file,omitempty"` // the YAML scenario written from the minimal sequence
	// Reproduced says that replaying ScenarioFile against the target failed as well; false
	// means the failure did not show again (a nondeterministic target) or the file could
	// not be written.
	Reproduced bool `json:"reproduced,omitempty"`
}

// RunSequences drives random sequences of operations against fresh workspaces of tg over
// HTTP and judges every observed outcome with the non-exact model (conformance/model), so
// that a deployment that picks any allowed number is never failed. The first
// disagreement (a model Violation) is shrunk to a minimal sequence, which is written as a
// YAML scenario (package scenarios) that `poolkit replay` runs against any target.
//
// Each sequence provisions its own organization (capability provisioning; without it the
// result is Skipped), with a few Blooio numbers of several plan kinds on fake Mac relays,
// Twilio numbers and two keys, and runs sends (the pool picks; an explicit from_number of
// the key, of another key, registered nowhere or not E.164; 1:1, email and ad-hoc group
// chats), inbound messages (1:1 and in a group), assignments, unassignments, strategy
// changes, bans and their lifting, lines going offline and online, binding resets,
// /me/numbers listings and, when the target has the clock capability, clock steps across
// a sticky TTL. A sequence is a pure function of its seed (with MaxOps and the clock
// capability): rapid draws it before it runs. An outcome the model cannot judge
// (Unknown: a line the deployment saw drop on its own) ends that sequence early.
func RunSequences(ctx context.Context, tg target.Target, opts SequenceOptions) (res SequenceResult) {
	start := time.Now()
	if opts.Checks <= 0 {
		opts.Checks = 100
	}
	if opts.MaxOps <= 0 {
		opts.MaxOps = 40
	}
	res.Seed = opts.Seed
	if res.Seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		res.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	defer func() { res.Duration = time.Since(start) }()

	clock, why, err := seqProbe(ctx, tg)
	switch {
	case err != nil:
		res.Error = err.Error()
		return res
	case why != "":
		res.Skipped = why
		return res
	}
	gen := seqGenerator(opts.MaxOps, clock)
	r := &seqRunner{tg: tg}
	for i := range opts.Checks {
		if ctx.Err() != nil {
			res.Error = fmt.Sprintf("stopped after %d sequences: %v", res.Sequences, ctx.Err())
			return res
		}
		seed := seqSeed(res.Seed, i)
		c := gen.Example(int(seed))
		out := r.run(ctx, c)
		switch {
		case out.skipped != "":
			res.Skipped = out.skipped
			return res
		case out.err != nil:
			res.Error = fmt.Sprintf("sequence %d (seed %d): %v", i+1, res.Seed, out.err)
			return res
		}
		res.Sequences++
		res.Ops += len(out.steps)
		if out.unknown {
			res.Stopped++
		}
		if out.failed < 0 {
			continue
		}
		sh := &seqShrinker{runner: r, rule: out.steps[out.failed].verdict.Rule, budget: seqShrinkRuns}
		c, out = sh.shrink(ctx, c, out)
		res.Failure = seqReport(ctx, tg, c, out, seqOrigin{seed: res.Seed, index: i, runs: sh.runs}, opts.FailureDir)
		return res
	}
	return res
}

// seqShrinkRuns bounds the sequences a shrink may replay.
const seqShrinkRuns = 400

// seqProbe opens the target once to learn whether it can be provisioned and whether its
// clock moves.
func seqProbe(ctx context.Context, tg target.Target) (clock bool, skip string, err error) {
	dep, err := tg.Open(ctx)
	if err != nil {
		return false, "", fmt.Errorf("open target: %w", err)
	}
	if dep.Close != nil {
		defer dep.Close()
	}
	caps := dep.Capabilities(ctx)
	if !caps.Has(target.Provisioning) {
		return false, "needs provisioning (each sequence provisions its own organization): " + caps.Why(target.Provisioning), nil
	}
	return caps.Has(target.Clock), "", nil
}

// seqSeed derives the seed of sequence i from the run's seed (splitmix64).
func seqSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// seqCase is one sequence: the workspace it provisions and its operations. Numbers and
// keys are named symbolically (n0…, k0, k1); the workspace maps numbers to phones.
type seqCase struct {
	Strategy string
	TTL      int64 // sticky_ttl_seconds, 0 = never
	Numbers  []seqNumber
	Keys     []seqKey
	Ops      []seqOp
}

type seqNumber struct {
	Name     string
	Provider string // blooio or twilio
	Plan     string
	Weight   int
	Area     string
	Relay    string // Blooio only
}

type seqKey struct {
	Name    string
	Numbers []string
}

// seqKind is the kind of an operation.
type seqKind int

const (
	seqSend seqKind = iota + 1
	seqInbound
	seqAssign
	seqUnassign
	seqStrategy
	seqBan
	seqUnban
	seqLine
	seqReset
	seqAdvance
	seqMyNumbers
)

// seqOp is one operation, by symbolic names.
type seqOp struct {
	Kind     seqKind
	Key      string        // send, assign, unassign, reset, my numbers
	Number   string        // send: explicit from_number; inbound: the number written to; assign, unassign, ban, unban, line
	Number2  string        // assign: a second number
	Unknown  bool          // send: from_number is a number registered nowhere
	Invalid  bool          // send: from_number is not E.164
	Group    bool          // inbound: written in the number's group chat
	To       int           // send, reset: index in seqRecipients; inbound: index of the writing contact
	Texts    int           // send: number of messages (elements of the text array)
	Strategy string        // set strategy
	Online   bool          // line
	Advance  time.Duration // advance the clock
}

// seqRecipient is a chat a sequence writes to: its chatId and the model's recipient.
type seqRecipient struct{ chat, model string }

var (
	// seqRecipients: contacts in three area codes (two Californian), one outside the
	// pools' regions, an email handle, and an ad-hoc group. Inbound messages come from the
	// first seqContacts of them.
	seqRecipients = []seqRecipient{
		{"+14155550101", "+14155550101"},
		{"+12125550102", "+12125550102"},
		{"+16505550103", "+16505550103"},
		{"+13055550104", "+13055550104"},
		{"pat@example.com", "pat@example.com"},
		{"+15550001001,+15550002002", "grp:adhoc"},
	}
	seqAdvances = []time.Duration{7 * time.Minute, 73 * time.Minute, 150 * time.Minute}
	// seqKinds is the mix of operations (a draw picks one entry; unbans are half the bans).
	seqKinds = []seqKind{
		seqSend, seqSend, seqInbound, seqSend, seqAssign, seqSend, seqLine, seqSend, seqBan, seqInbound,
		seqSend, seqReset, seqUnassign, seqSend, seqInbound, seqStrategy, seqLine, seqAdvance, seqSend, seqAssign,
		seqMyNumbers,
	}
)

const (
	seqContacts = 5 // seqRecipients[:seqContacts] are 1:1 contacts
	// seqUnknownPhone is a valid E.164 number no workspace registers (workspace numbers
	// are +1 <area> 5xxxxxx with x from a block of 100000 up).
	seqUnknownPhone = "+14155550199"
	// seqInvalidPhone is a from_number that is not E.164 (POOL-FROM-1).
	seqInvalidPhone = "4155550199"
	seqOrg          = "o"
	// seqTTL is the sticky TTL of sequences that use one. The clock steps (seqAdvances)
	// never sum to within three minutes of it, so the deployment's clock running in real
	// time during a sequence cannot move a binding across the TTL the model sees.
	seqTTL = 3600
)

// seqGenerator draws sequences of up to maxOps operations; advance-the-clock steps only
// when the target's clock moves.
func seqGenerator(maxOps int, clock bool) *rapid.Generator[seqCase] {
	return rapid.Custom(func(t *rapid.T) seqCase {
		var c seqCase
		c.Strategy = rapid.SampledFrom([]string{"round_robin", "round_robin", "weighted", "geographic"}).Draw(t, "strategy")
		if clock && rapid.IntRange(0, 2).Draw(t, "ttl") == 0 {
			c.TTL = seqTTL
		}
		k1SMS := rapid.Bool().Draw(t, "k1 sms")
		c.Keys = []seqKey{{Name: "k0"}, {Name: "k1"}}
		var blooio []string
		n := rapid.IntRange(3, 7).Draw(t, "numbers")
		for i := range n {
			num := seqNumber{Name: fmt.Sprintf("n%d", i), Provider: rapid.SampledFrom([]string{"blooio", "blooio", "twilio"}).Draw(t, "provider")}
			if num.Provider == "twilio" {
				num.Plan = rapid.SampledFrom([]string{"dedicated", "dedicated", "trial"}).Draw(t, "plan")
			} else {
				num.Plan = rapid.SampledFrom([]string{"dedicated", "dedicated", "inbound", "shared", "trial", "dedicated", "inbound"}).Draw(t, "plan")
				num.Relay = rapid.SampledFrom([]string{"mac-1", "mac-1", "mac-2"}).Draw(t, "relay")
				blooio = append(blooio, num.Name)
			}
			num.Weight = rapid.SampledFrom([]int{1, 1, 2, 1, 3, 0}).Draw(t, "weight")
			num.Area = rapid.SampledFrom([]string{"415", "650", "212"}).Draw(t, "area")
			c.Numbers = append(c.Numbers, num)
			// Owners at setup: keys of the number's protocol (k0 is iMessage, k1 either), or none.
			var owners []int
			if num.Provider == "blooio" {
				owners = append(owners, 0, 0, 0)
			}
			if (num.Provider == "twilio") == k1SMS {
				owners = append(owners, 1, 1)
			}
			owners = append(owners, -1)
			if o := rapid.SampledFrom(owners).Draw(t, "owner"); o >= 0 {
				c.Keys[o].Numbers = append(c.Keys[o].Numbers, num.Name)
			}
		}
		names := make([]string, len(c.Numbers))
		for i, num := range c.Numbers {
			names[i] = num.Name
		}
		keys := []string{"k0", "k0", "k1"}
		own := map[string][]string{}
		for _, k := range c.Keys {
			own[k.Name] = k.Numbers
		}
		// rapid favours small draws: count down from maxOps so that most sequences are long.
		ops := maxOps - rapid.IntRange(0, maxOps-1).Draw(t, "fewer ops")
		for range ops {
			op := seqOp{Kind: rapid.SampledFrom(seqKinds).Draw(t, "op")}
			if (op.Kind == seqInbound || op.Kind == seqLine) && len(blooio) == 0 || op.Kind == seqAdvance && !clock {
				op.Kind = seqSend // no line to write to or switch, no clock: a send instead
			}
			switch op.Kind {
			case seqSend:
				op.Key = rapid.SampledFrom(keys).Draw(t, "key")
				op.To = rapid.IntRange(0, len(seqRecipients)-1).Draw(t, "to")
				switch rapid.SampledFrom([]string{"auto", "auto", "explicit", "auto", "explicit", "unknown", "auto", "invalid", "auto", "explicit"}).Draw(t, "from") {
				case "explicit":
					// Mostly a number the key was given at setup, else any.
					op.Number = rapid.SampledFrom(append(slices.Clone(own[op.Key]), names...)).Draw(t, "from number")
				case "unknown":
					op.Unknown = true
				case "invalid":
					op.Invalid = true
				}
				op.Texts = rapid.SampledFrom([]int{1, 1, 2, 1, 3}).Draw(t, "texts")
			case seqInbound:
				op.Number = rapid.SampledFrom(blooio).Draw(t, "inbound to")
				op.To = rapid.IntRange(0, seqContacts-1).Draw(t, "inbound from")
				op.Group = rapid.SampledFrom([]bool{false, false, true}).Draw(t, "in group")
			case seqAssign:
				op.Key = rapid.SampledFrom(keys).Draw(t, "key")
				op.Number = rapid.SampledFrom(names).Draw(t, "assign")
				if rapid.SampledFrom([]bool{false, false, true}).Draw(t, "assign two") {
					op.Number2 = rapid.SampledFrom(names).Draw(t, "assign second")
				}
			case seqUnassign:
				op.Key = rapid.SampledFrom(keys).Draw(t, "key")
				op.Number = rapid.SampledFrom(names).Draw(t, "unassign")
			case seqStrategy:
				op.Strategy = rapid.SampledFrom([]string{"round_robin", "weighted", "geographic"}).Draw(t, "set strategy")
			case seqBan:
				if rapid.Bool().Draw(t, "unban") {
					op.Kind = seqUnban
				}
				op.Number = rapid.SampledFrom(names).Draw(t, "ban")
			case seqLine:
				op.Number = rapid.SampledFrom(blooio).Draw(t, "line")
				op.Online = rapid.Bool().Draw(t, "online")
			case seqReset:
				op.Key = rapid.SampledFrom(keys).Draw(t, "key")
				op.To = rapid.IntRange(0, seqContacts-1).Draw(t, "reset")
			case seqAdvance:
				op.Advance = rapid.SampledFrom(seqAdvances).Draw(t, "advance")
			case seqMyNumbers:
				op.Key = rapid.SampledFrom(keys).Draw(t, "key")
			}
			c.Ops = append(c.Ops, op)
		}
		return c
	})
}

// spec is the workspace the sequence provisions.
func (c seqCase) spec() target.Spec {
	s := target.Spec{Strategy: c.Strategy}
	if c.TTL > 0 {
		ttl := c.TTL
		s.StickyTTLSeconds = &ttl
	}
	for _, n := range c.Numbers {
		w := n.Weight
		s.Numbers = append(s.Numbers, target.NumberSpec{Name: n.Name, Provider: n.Provider, PlanKind: n.Plan,
			Weight: &w, AreaCode: n.Area, Relay: n.Relay})
	}
	for _, k := range c.Keys {
		s.Keys = append(s.Keys, target.KeySpec{Name: k.Name, Numbers: slices.Clone(k.Numbers)})
	}
	return s
}

// clone returns a deep copy of c.
func (c seqCase) clone() seqCase {
	d := c
	d.Numbers = slices.Clone(c.Numbers)
	d.Keys = make([]seqKey, len(c.Keys))
	for i, k := range c.Keys {
		d.Keys[i] = seqKey{Name: k.Name, Numbers: slices.Clone(k.Numbers)}
	}
	d.Ops = slices.Clone(c.Ops)
	return d
}

// seqModel builds the model of a freshly provisioned workspace: the org, its keys, its
// numbers (by phone) and the setup assignments, in the order target.Open makes them.
func seqModel(c seqCase, phones map[string]string) (*model.Model, error) {
	m := model.New()
	ops := []model.Op{model.CreateOrg{Org: seqOrg, Strategy: model.Strategy(c.Strategy), StickyTTL: time.Duration(c.TTL) * time.Second}}
	for _, n := range c.Numbers {
		ops = append(ops, model.RegisterNumber{Org: seqOrg, Phone: phones[n.Name], Provider: model.Provider(n.Provider),
			PlanKind: model.PlanKind(n.Plan), Weight: n.Weight})
	}
	for _, k := range c.Keys {
		ops = append(ops, model.CreateKey{Org: seqOrg, Key: k.Name})
		if len(k.Numbers) > 0 {
			var ps []string
			for _, n := range k.Numbers {
				ps = append(ps, phones[n])
			}
			ops = append(ops, model.Assign{Key: k.Name, Phones: ps})
		}
	}
	for _, op := range ops {
		if v := m.Step(op, model.Outcome{}); v.Kind != model.OK {
			return nil, fmt.Errorf("the model refuses the setup %#v: %s", op, v)
		}
	}
	return m, nil
}

// modelOp is op as the model sees it.
func (op seqOp) modelOp(phones map[string]string) model.Op {
	switch op.Kind {
	case seqSend:
		return model.Send{Key: op.Key, Recipient: seqRecipients[op.To].model, From: op.from(phones), Texts: op.Texts}
	case seqInbound:
		in := model.Inbound{Phone: phones[op.Number], From: seqRecipients[op.To].chat}
		if op.Group {
			in.Group = op.group()
		}
		return in
	case seqAssign:
		return model.Assign{Key: op.Key, Phones: op.assigned(phones)}
	case seqUnassign:
		return model.Unassign{Key: op.Key, Phone: phones[op.Number]}
	case seqStrategy:
		return model.SetStrategy{Org: seqOrg, Strategy: model.Strategy(op.Strategy)}
	case seqBan:
		return model.Ban{Phone: phones[op.Number]}
	case seqUnban:
		return model.Unban{Phone: phones[op.Number]}
	case seqLine:
		return model.LineStatus{Phone: phones[op.Number], Online: op.Online}
	case seqReset:
		return model.ResetBinding{Key: op.Key, Recipient: seqRecipients[op.To].model}
	case seqAdvance:
		return model.Advance{D: op.Advance}
	case seqMyNumbers:
		return nil // judged against Model.Pool (POOL-ISO-1)
	}
	panic(fmt.Sprintf("conformance: unknown sequence op %d", op.Kind))
}

// from is a send's from_number ("" when the pool picks).
func (op seqOp) from(phones map[string]string) string {
	switch {
	case op.Number != "":
		return phones[op.Number]
	case op.Unknown:
		return seqUnknownPhone
	case op.Invalid:
		return seqInvalidPhone
	}
	return ""
}

// group is the name (and chat_guid) of the group chat an inbound message is written in:
// one per number, as a relay's chat lives on one line.
func (op seqOp) group() string { return "chat-" + op.Number }

func (op seqOp) assigned(phones map[string]string) []string {
	ps := []string{phones[op.Number]}
	if op.Number2 != "" {
		ps = append(ps, phones[op.Number2])
	}
	return ps
}

// texts is a send's text: a string for one message, a list for several.
func (op seqOp) texts(i int) any {
	if op.Texts <= 1 {
		return fmt.Sprintf("m%d", i+1)
	}
	out := make([]string, op.Texts)
	for j := range out {
		out[j] = fmt.Sprintf("m%d%c", i+1, 'a'+j)
	}
	return out
}

// refs lists the numbers and keys op names.
func (op seqOp) refs() []string {
	var out []string
	for _, s := range []string{op.Key, op.Number, op.Number2} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// seqStep is one executed operation and how the model judged it.
type seqStep struct {
	op      seqOp
	index   int // the op's index in the case
	allowed model.Allowed
	pool    []string // my numbers: the key's pool in the model, in position order
	seqObserved
	verdict model.Verdict
}

// seqObserved is what the target answered to one operation.
type seqObserved struct {
	out               model.Outcome
	list              []string // my numbers: the phone numbers listed
	request, response string
	body              []byte
}

// seqOutcome is one sequence run.
type seqOutcome struct {
	steps   []seqStep // executed operations, up to the failing one
	failed  int       // index in steps of the Violation, -1 when none
	unknown bool      // ended early at an outcome the model cannot judge
	skipped string
	err     error
	phones  map[string]string // number name → phone
}

// seqRunner runs sequences on fresh deployments of a target.
type seqRunner struct {
	tg target.Target
}

// run provisions a workspace for c on a fresh deployment and drives c's operations.
func (r *seqRunner) run(ctx context.Context, c seqCase) (out seqOutcome) {
	out.failed = -1
	dep, err := r.tg.Open(ctx)
	if err != nil {
		out.err = fmt.Errorf("open target: %w", err)
		return out
	}
	if dep.Close != nil {
		defer dep.Close()
	}
	ws, err := target.Open(ctx, dep, c.spec(), target.Provisioning)
	if why, ok := target.IsSkip(err); ok {
		out.skipped = why
		return out
	}
	if err != nil {
		out.err = fmt.Errorf("open workspace: %w", err)
		return out
	}
	defer ws.Close()
	out.phones = map[string]string{}
	for _, n := range c.Numbers {
		out.phones[n.Name] = ws.Phone(n.Name)
	}
	m, err := seqModel(c, out.phones)
	if err != nil {
		out.err = err
		return out
	}
	d := &seqDriver{ws: ws, phones: out.phones, offline: map[string]bool{}}
	for i, op := range c.Ops {
		if ctx.Err() != nil {
			out.err = ctx.Err()
			return out
		}
		if op.Kind == seqInbound && d.offline[op.Number] {
			continue // the fake relay cannot receive on a line that is offline
		}
		mop := op.modelOp(out.phones)
		st := seqStep{op: op, index: i}
		if mop != nil {
			st.allowed = m.Allowed(mop)
		} else {
			st.pool = m.Pool(op.Key)
			st.allowed = model.Allowed{Rule: "POOL-ISO-1"}
		}
		st.seqObserved, err = d.do(ctx, op, i)
		if err != nil {
			out.err = fmt.Errorf("op %d (%s): %w", i+1, seqDescribe(op), err)
			return out
		}
		if mop != nil {
			st.verdict = m.Step(mop, st.out)
		} else {
			st.verdict = seqJudgePool(st.pool, st.seqObserved)
		}
		out.steps = append(out.steps, st)
		switch st.verdict.Kind {
		case model.Violation:
			out.failed = len(out.steps) - 1
			return out
		case model.Unknown:
			out.unknown = true
			return out
		}
	}
	return out
}

// seqDriver performs operations on a workspace over HTTP.
type seqDriver struct {
	ws      *target.Workspace
	phones  map[string]string
	offline map[string]bool // the fake relay's lines that are offline, by number name
}

// seqJudgePool judges GET /me/numbers: exactly the key's pool, in position order
// (POOL-ISO-1).
func seqJudgePool(pool []string, obs seqObserved) model.Verdict {
	v := model.Verdict{Kind: model.OK, Rule: "POOL-ISO-1", Want: "200 " + seqList(pool), Got: obs.out.Code}
	if obs.out.Code == "" {
		v.Got = "200 " + seqList(obs.list)
	}
	if obs.out.Code != "" || !slices.Equal(pool, obs.list) {
		v.Kind = model.Violation
	}
	return v
}

func seqList(phones []string) string { return "[" + strings.Join(phones, ", ") + "]" }

// do performs op (the i-th of its case) and returns what the target answered; an error
// means the operation could not be carried out at all.
func (d *seqDriver) do(ctx context.Context, op seqOp, i int) (seqObserved, error) {
	ws := d.ws
	admin := func(method, path string, body any) (seqObserved, error) {
		return seqCall(ctx, ws.Admin, client.AuthAdmin, method, path, body)
	}
	keyID := func() string {
		k, _ := ws.Key(op.Key)
		return client.PathEscape(k.ID)
	}
	switch op.Kind {
	case seqSend:
		k, _ := ws.Key(op.Key)
		body := map[string]any{"text": op.texts(i)}
		if f := op.from(d.phones); f != "" {
			body["from_number"] = f
		}
		return seqCall(ctx, k.Client, client.AuthAPIKey, http.MethodPost,
			"/v2/api/chats/"+client.PathEscape(seqRecipients[op.To].chat)+"/messages", body)
	case seqInbound:
		from := seqRecipients[op.To].chat
		in := target.InboundMessage{To: d.phones[op.Number], From: from, Text: fmt.Sprintf("in%d", i+1)}
		req := fmt.Sprintf("relay event message.inbound: %s writes to %s", from, d.phones[op.Number])
		if op.Group {
			in.Group = &macrelay.Group{ChatGUID: op.group(), Participants: []string{from}}
			req += " in group " + op.group()
		}
		res, err := ws.Inbound(ctx, in)
		return seqEventOutcome(req, res, err)
	case seqAssign:
		return admin(http.MethodPost, "/admin/v1/keys/"+keyID()+"/numbers", map[string]any{"phone_numbers": op.assigned(d.phones)})
	case seqUnassign:
		return admin(http.MethodDelete, "/admin/v1/keys/"+keyID()+"/numbers/"+client.PathEscape(d.phones[op.Number]), nil)
	case seqStrategy:
		return admin(http.MethodPatch, "/admin/v1/orgs/"+client.PathEscape(ws.OrgID), map[string]any{"strategy": op.Strategy})
	case seqBan, seqUnban:
		health := "banned"
		if op.Kind == seqUnban {
			health = "active"
		}
		return admin(http.MethodPatch, "/admin/v1/numbers/"+client.PathEscape(d.phones[op.Number]), map[string]any{"health": health})
	case seqLine:
		online := op.Online
		res, err := ws.Line(ctx, d.phones[op.Number], target.LineChange{Online: &online})
		d.offline[op.Number] = !online // the fake relay's line changes whatever the engine answers
		req := fmt.Sprintf("relay event line.status: %s online=%t", d.phones[op.Number], online)
		return seqEventOutcome(req, res, err)
	case seqReset:
		return admin(http.MethodDelete, "/admin/v1/keys/"+keyID()+"/bindings/"+client.PathEscape(seqRecipients[op.To].chat), nil)
	case seqAdvance:
		obs := seqObserved{request: fmt.Sprintf("POST /admin/v1/clock {\"advance_seconds\":%g}", op.Advance.Seconds()), response: "200"}
		return obs, ws.AdvanceClock(ctx, op.Advance)
	case seqMyNumbers:
		k, _ := ws.Key(op.Key)
		obs, err := seqCall(ctx, k.Client, client.AuthAPIKey, http.MethodGet, "/v2/api/me/numbers", nil)
		if err == nil && obs.out.Code == "" {
			var pool client.PoolNumbers
			if err := json.Unmarshal(obs.body, &pool); err != nil {
				obs.out.Code = "invalid_body"
			}
			obs.list = pool.Phones()
		}
		return obs, err
	}
	return seqObserved{}, fmt.Errorf("unknown op kind %d", op.Kind)
}

// seqCall sends one JSON request and reads the outcome: success (2xx; a send's
// from_number) or the error code.
func seqCall(ctx context.Context, c *client.Client, auth client.Auth, method, path string, body any) (seqObserved, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return seqObserved{}, err
		}
	}
	obs := seqObserved{request: strings.TrimSpace(method + " " + path + " " + string(b))}
	resp, err := c.Do(ctx, client.Request{Method: method, Path: path, Body: b, Auth: auth})
	if err != nil {
		return obs, err
	}
	obs.out, obs.response, obs.body = seqOutcomeOf(resp.Status, resp.Body), seqShow(resp.Status, resp.Body), resp.Body
	return obs, nil
}

// seqEventOutcome reads the engine's answer to a relay event.
func seqEventOutcome(req string, res target.InboundResult, err error) (seqObserved, error) {
	obs := seqObserved{request: req}
	if err != nil {
		return obs, err
	}
	obs.out, obs.response = seqOutcomeOf(res.Status, res.Body), seqShow(res.Status, res.Body)
	return obs, nil
}

func seqOutcomeOf(status int, body []byte) model.Outcome {
	var v struct {
		Code       string `json:"code"`
		FromNumber string `json:"from_number"`
	}
	_ = json.Unmarshal(body, &v)
	if status >= 200 && status <= 299 {
		return model.Outcome{From: v.FromNumber}
	}
	if v.Code == "" {
		v.Code = fmt.Sprintf("http_%d", status)
	}
	return model.Outcome{Code: v.Code}
}

func seqShow(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", status, s))
}

// seqDescribe renders an operation with symbolic names ($n1) for reports.
func seqDescribe(op seqOp) string {
	switch op.Kind {
	case seqSend:
		from := "the pool picks"
		switch {
		case op.Number != "":
			from = "from $" + op.Number
		case op.Unknown:
			from = "from " + seqUnknownPhone + " (registered nowhere)"
		case op.Invalid:
			from = "from " + seqInvalidPhone + " (not E.164)"
		}
		texts := "1 text"
		if op.Texts > 1 {
			texts = fmt.Sprintf("%d texts", op.Texts)
		}
		return fmt.Sprintf("%s sends %s to %s, %s", op.Key, texts, seqRecipients[op.To].chat, from)
	case seqInbound:
		if op.Group {
			return fmt.Sprintf("%s writes to $%s in group %s", seqRecipients[op.To].chat, op.Number, op.group())
		}
		return fmt.Sprintf("%s writes to $%s", seqRecipients[op.To].chat, op.Number)
	case seqAssign:
		if op.Number2 != "" {
			return fmt.Sprintf("assign $%s, $%s to %s", op.Number, op.Number2, op.Key)
		}
		return fmt.Sprintf("assign $%s to %s", op.Number, op.Key)
	case seqUnassign:
		return fmt.Sprintf("unassign $%s from %s", op.Number, op.Key)
	case seqStrategy:
		return "set the strategy to " + op.Strategy
	case seqBan:
		return "ban $" + op.Number
	case seqUnban:
		return "lift a ban of $" + op.Number
	case seqLine:
		if op.Online {
			return "the line of $" + op.Number + " comes online"
		}
		return "the line of $" + op.Number + " goes offline"
	case seqReset:
		return fmt.Sprintf("reset the binding of %s with %s", op.Key, seqRecipients[op.To].chat)
	case seqAdvance:
		return "advance the clock " + op.Advance.String()
	case seqMyNumbers:
		return op.Key + " lists its numbers"
	}
	return fmt.Sprintf("op %d", op.Kind)
}

// seqShrinker reduces a failing sequence to a minimal one that fails on the same rule:
// delta debugging over the operations (drop halves, quarters, … single ops), then
// simplifications (drop setup numbers, keys and assignments, one text per send, the
// default strategy, no TTL, unit weights, an auto-picked sender made explicit), repeated
// until nothing changes or the budget of replays is spent.
type seqShrinker struct {
	runner *seqRunner
	rule   string
	budget int
	runs   int
}

// try replays c and reports whether it still fails on the rule; the case returned keeps
// only the operations that ran, up to the failing one.
func (s *seqShrinker) try(ctx context.Context, c seqCase) (seqCase, seqOutcome, bool) {
	if s.runs >= s.budget || ctx.Err() != nil {
		return c, seqOutcome{}, false
	}
	s.runs++
	out := s.runner.run(ctx, c)
	if out.err != nil || out.failed < 0 || out.steps[out.failed].verdict.Rule != s.rule {
		return c, out, false
	}
	c.Ops = c.Ops[:0:0]
	for _, st := range out.steps {
		c.Ops = append(c.Ops, st.op)
	}
	return c, out, true
}

// shrink returns the smallest failing case found and its run.
func (s *seqShrinker) shrink(ctx context.Context, c seqCase, out seqOutcome) (seqCase, seqOutcome) {
	c = c.clone()
	c.Ops = c.Ops[:0:0]
	for _, st := range out.steps {
		c.Ops = append(c.Ops, st.op)
	}
	for round := 0; round < 4; round++ {
		changed := false
		for _, pass := range []func(context.Context, seqCase, seqOutcome) (seqCase, seqOutcome, bool){s.dropOps, s.simplify} {
			var ok bool
			if c, out, ok = pass(ctx, c, out); ok {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return c, out
}

// dropOps is delta debugging: remove chunks of operations, from halves down to single
// operations, keeping every removal after which the sequence still fails.
func (s *seqShrinker) dropOps(ctx context.Context, c seqCase, out seqOutcome) (seqCase, seqOutcome, bool) {
	changed := false
	for chunk := max(len(c.Ops)/2, 1); chunk >= 1; {
		progress := false
		for start := 0; start < len(c.Ops); {
			end := min(start+chunk, len(c.Ops))
			cand := c.clone()
			cand.Ops = append(cand.Ops[:start:start], c.Ops[end:]...)
			if len(cand.Ops) == 0 {
				start = end
				continue
			}
			if nc, nout, ok := s.try(ctx, cand); ok {
				c, out, progress, changed = nc, nout, true, true
				continue // the same start now holds the next chunk
			}
			start = end
		}
		if !progress {
			if chunk == 1 {
				break
			}
			chunk /= 2
		}
		if s.runs >= s.budget {
			break
		}
	}
	return c, out, changed
}

// simplify tries one simplification at a time and keeps those after which the sequence
// still fails.
func (s *seqShrinker) simplify(ctx context.Context, c seqCase, out seqOutcome) (seqCase, seqOutcome, bool) {
	changed := false
	attempt := func(cand seqCase) {
		if nc, nout, ok := s.try(ctx, cand); ok {
			c, out, changed = nc, nout, true
		}
	}
	// Setup: a key no operation names, then each number with the operations naming it.
	for ki := len(c.Keys) - 1; ki >= 1; ki-- {
		if ki < len(c.Keys) {
			attempt(c.without(c.Keys[ki].Name))
		}
	}
	for ni := len(c.Numbers) - 1; ni >= 0; ni-- {
		if ni < len(c.Numbers) {
			attempt(c.without(c.Numbers[ni].Name))
		}
	}
	// Setup assignments: each number unassigned at setup.
	for ki := range c.Keys {
		for j := len(c.Keys[ki].Numbers) - 1; j >= 0; j-- {
			if ki < len(c.Keys) && j < len(c.Keys[ki].Numbers) {
				cand := c.clone()
				cand.Keys[ki].Numbers = slices.Delete(cand.Keys[ki].Numbers, j, j+1)
				attempt(cand)
			}
		}
	}
	// Org and numbers: the defaults.
	if c.Strategy != "round_robin" {
		cand := c.clone()
		cand.Strategy = "round_robin"
		attempt(cand)
	}
	if c.TTL != 0 {
		cand := c.clone()
		cand.TTL = 0
		attempt(cand)
	}
	for ni := range c.Numbers {
		for _, change := range []func(*seqNumber) bool{
			func(n *seqNumber) bool { return seqSet(&n.Weight, 1) },
			func(n *seqNumber) bool { return seqSet(&n.Plan, "dedicated") },
			func(n *seqNumber) bool { return seqSet(&n.Area, "") },
			func(n *seqNumber) bool { return n.Provider == "blooio" && seqSet(&n.Relay, "mac-1") },
		} {
			if ni < len(c.Numbers) {
				cand := c.clone()
				if change(&cand.Numbers[ni]) {
					attempt(cand)
				}
			}
		}
	}
	// Operations: one text per send; an auto-picked sender before the failing step made
	// explicit, so that the written scenario depends on no choice of the target.
	for i := range c.Ops {
		if i < len(c.Ops) && c.Ops[i].Kind == seqSend && c.Ops[i].Texts > 1 {
			cand := c.clone()
			cand.Ops[i].Texts = 1
			attempt(cand)
		}
		if i < len(c.Ops) && c.Ops[i].Kind == seqInbound && c.Ops[i].Group {
			cand := c.clone()
			cand.Ops[i].Group = false
			attempt(cand)
		}
	}
	for i := 0; i < len(out.steps)-1 && i < len(c.Ops)-1; i++ {
		st := out.steps[i]
		if st.op.Kind != seqSend || st.op.Number != "" || st.op.Unknown || st.out.From == "" || len(st.allowed.From) < 2 {
			continue
		}
		name := seqNameOf(out.phones, st.out.From)
		if name == "" {
			continue
		}
		cand := c.clone()
		cand.Ops[i].Number = name
		attempt(cand)
	}
	return c, out, changed
}

// seqSet sets *v to x and reports whether that changed it.
func seqSet[T comparable](v *T, x T) bool {
	if *v == x {
		return false
	}
	*v = x
	return true
}

// without is c without the key or number called name and without the operations that
// name it.
func (c seqCase) without(name string) seqCase {
	d := c.clone()
	d.Keys = slices.DeleteFunc(d.Keys, func(k seqKey) bool { return k.Name == name })
	d.Numbers = slices.DeleteFunc(d.Numbers, func(n seqNumber) bool { return n.Name == name })
	for i := range d.Keys {
		d.Keys[i].Numbers = slices.DeleteFunc(d.Keys[i].Numbers, func(n string) bool { return n == name })
	}
	d.Ops = slices.DeleteFunc(d.Ops, func(op seqOp) bool { return slices.Contains(op.refs(), name) })
	if len(d.Keys) == 0 || len(d.Ops) == 0 {
		return c // not smaller: a sequence needs a key and an operation
	}
	return d
}

// seqNameOf returns the symbolic name of a workspace phone ("" if none).
func seqNameOf(phones map[string]string, phone string) string {
	for name, p := range phones {
		if p == phone && phone != "" {
			return name
		}
	}
	return ""
}

// seqOrigin says where a failing sequence came from, for its report.
type seqOrigin struct {
	seed  uint64
	index int
	runs  int // shrink replays
}

// seqReport builds the failure of a shrunk sequence, writes its scenario and checks
// that the scenario loads and reproduces the failure on the target.
func seqReport(ctx context.Context, tg target.Target, c seqCase, out seqOutcome, o seqOrigin, dir string) *SequenceFailure {
	last := out.steps[out.failed]
	f := &SequenceFailure{
		Rule:     last.verdict.Rule,
		Message:  last.verdict.String(),
		Request:  last.request,
		Response: last.response,
	}
	for i, st := range out.steps {
		line := fmt.Sprintf("%d. %s → %s", i+1, seqDescribe(st.op), seqShowOutcome(st, out.phones))
		if st.verdict.Kind == model.Violation {
			line += fmt.Sprintf(" (VIOLATION %s: the model allows %s)", st.verdict.Rule, st.verdict.Want)
		}
		f.Steps = append(f.Steps, line)
	}
	file, sc, err := seqWriteScenario(c, out, o, dir)
	f.ScenarioFile = file
	if err != nil {
		f.Message += fmt.Sprintf(" (the scenario could not be written: %v)", err)
		return f
	}
	if res := seqReplay(ctx, tg, sc); res != nil {
		f.Reproduced = res.Failed()
	}
	return f
}

// seqShowOutcome renders what the target answered, with the symbolic names of numbers.
func seqShowOutcome(st seqStep, phones map[string]string) string {
	s := st.out.String()
	if st.op.Kind == seqMyNumbers && st.out.Code == "" {
		s = seqList(st.list)
	}
	return seqPhone.ReplaceAllStringFunc(s, func(p string) string {
		if name := seqNameOf(phones, p); name != "" {
			return p + " ($" + name + ")"
		}
		return p
	})
}
