package sim_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
	"poolkit/sim"
	"poolkit/sim/simstore"
)

// testSends keeps in-process runs short in tests: a tenth of the shipped profiles'
// traffic or less, over the same timeline.
const testSends = 150_000

func load(tb testing.TB, ref string) *sim.Profile {
	tb.Helper()
	p, err := sim.LoadProfile(ref)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func run(tb testing.TB, p *sim.Profile, o sim.Options) *sim.Result {
	tb.Helper()
	r, err := sim.Run(context.Background(), p, o)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// keepOnFailure writes a failed run's JSON and HTML under testdata/failures/<test>, with
// its seed inside, so that the run can be looked at and repeated.
func keepOnFailure(tb testing.TB, r *sim.Result) {
	tb.Helper()
	tb.Cleanup(func() {
		if !tb.Failed() {
			return
		}
		dir := filepath.Join("testdata", "failures", strings.ReplaceAll(tb.Name(), "/", "_"))
		os.MkdirAll(dir, 0o755)
		b, _ := r.JSON()
		os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644)
		var h bytes.Buffer
		sim.WriteHTML(&h, r)
		os.WriteFile(filepath.Join(dir, "report.html"), h.Bytes(), 0o644)
		tb.Logf("kept the run (seed %d) in %s", r.Seed, dir)
	})
}

// TestShippedProfiles_PassTheirThresholds runs every shipped profile in-process with
// reduced traffic; each must pass its own thresholds.
func TestShippedProfiles_PassTheirThresholds(t *testing.T) {
	for _, name := range sim.Profiles() {
		t.Run(name, func(t *testing.T) {
			r := run(t, load(t, name), sim.Options{Messages: testSends})
			keepOnFailure(t, r)
			if r.Traffic.Sends != testSends {
				t.Errorf("sends = %d, want %d", r.Traffic.Sends, testSends)
			}
			for _, th := range r.Thresholds {
				if !th.Pass {
					t.Errorf("threshold %q failed: value %v %s", th.Threshold, deref(th.Value), th.Note)
				}
				if th.Skipped != "" {
					t.Errorf("threshold %q skipped in-process: %s", th.Threshold, th.Skipped)
				}
			}
			if r.Verdict != "pass" {
				t.Errorf("verdict %q", r.Verdict)
			}
		})
	}
}

func deref(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// TestInProcess_Deterministic: the same seed gives byte-identical JSON; another seed
// does not.
func TestInProcess_Deterministic(t *testing.T) {
	p := load(t, "health-degradation")
	seed := uint64(42)
	a, _ := run(t, p, sim.Options{Messages: 60_000, Seed: &seed}).JSON()
	b, _ := run(t, p, sim.Options{Messages: 60_000, Seed: &seed}).JSON()
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 42 differ:\n%s", cmp.Diff(string(a), string(b)))
	}
	if !bytes.Contains(a, []byte(`"seed": 42`)) {
		t.Error("the result does not carry its seed")
	}
	other := uint64(43)
	c, _ := run(t, p, sim.Options{Messages: 60_000, Seed: &other}).JSON()
	if bytes.Equal(a, c) {
		t.Error("seeds 42 and 43 gave the same result")
	}
}

// TestSimStore_ChangesNothing: over reference/store/mem the simulation gives the same
// result, byte for byte, as over the lean simulation store.
func TestSimStore_ChangesNothing(t *testing.T) {
	for _, name := range []string{"geographic", "health-degradation"} {
		t.Run(name, func(t *testing.T) {
			p := load(t, name)
			lean, _ := run(t, p, sim.Options{Messages: 40_000}).JSON()
			full, _ := run(t, p, sim.Options{Messages: 40_000, NewStore: func() pool.Store { return mem.New() }}).JSON()
			if !bytes.Equal(lean, full) {
				t.Fatalf("simstore and mem differ:\n%s", cmp.Diff(string(full), string(lean)))
			}
		})
	}
}

// cursorless forgets every round-robin cursor, so that round-robin always picks the
// first candidate: a deliberately skewed distribution.
type cursorless struct{ pool.Store }

func (s cursorless) Begin(ctx context.Context, w bool) (pool.Tx, error) {
	tx, err := s.Store.Begin(ctx, w)
	return cursorlessTx{tx}, err
}

type cursorlessTx struct{ pool.Tx }

func (cursorlessTx) Cursor(string, string) (int, error) { return 0, pool.ErrNotFound }

// TestVerdict_SkewedRotationFails: when rotation is broken, the fairness thresholds fail
// and so does the verdict.
func TestVerdict_SkewedRotationFails(t *testing.T) {
	p := load(t, "uniform-round-robin")
	r := run(t, p, sim.Options{Messages: 20_000, NewStore: func() pool.Store { return cursorless{simstore.New()} }})
	if r.Verdict != "fail" || r.Passed() {
		t.Fatalf("verdict %q for a pool that gives every new conversation to its first number", r.Verdict)
	}
	failed := map[string]bool{}
	for _, th := range r.Thresholds {
		if !th.Pass {
			failed[th.Threshold] = true
		}
	}
	for _, want := range []string{"jain >= 0.9999", "p_value >= 0.01", "max_rel_deviation <= 0.001"} {
		if !failed[want] {
			t.Errorf("threshold %q did not fail; results %+v", want, r.Thresholds)
		}
	}
	if r.Numbers[0].Share != 1 || r.Fairness.PValue > 1e-9 || r.Fairness.Jain > 0.2 {
		t.Errorf("first number share %v, p %v, Jain %v", r.Numbers[0].Share, r.Fairness.PValue, r.Fairness.Jain)
	}
}

// forgetful loses every tenth conversation it is asked for: the sticky binding is gone
// and the engine selects afresh.
type forgetful struct {
	pool.Store
	n *int
}

func (s forgetful) Begin(ctx context.Context, w bool) (pool.Tx, error) {
	tx, err := s.Store.Begin(ctx, w)
	return forgetfulTx{tx, s.n}, err
}

type forgetfulTx struct {
	pool.Tx
	n *int
}

func (t forgetfulTx) Conversation(key, recipient string) (pool.Conversation, error) {
	*t.n++
	if *t.n%10 == 0 {
		return pool.Conversation{}, pool.ErrNotFound
	}
	return t.Tx.Conversation(key, recipient)
}

// TestStickiness_ViolationsAreCaught: a pool that loses bindings is caught, with
// examples, and fails the verdict.
func TestStickiness_ViolationsAreCaught(t *testing.T) {
	p := load(t, "uniform-round-robin")
	r := run(t, p, sim.Options{Messages: 20_000, Shards: 1, NewStore: func() pool.Store { return forgetful{simstore.New(), new(int)} }})
	if r.Stickiness.Violations == 0 || len(r.Stickiness.Examples) == 0 {
		t.Fatalf("no stickiness violation found: %+v", r.Stickiness)
	}
	ex := r.Stickiness.Examples[0]
	if ex.Bound == ex.Got || ex.Recipient == "" {
		t.Errorf("example %+v", ex)
	}
	if r.Passed() {
		t.Error("the verdict passed")
	}
}

// TestDegradation_ShareDropsAndComesBack: in the health-degradation profile, the failing
// number's share of new conversations falls to nothing while it is degraded and comes
// back to a sixth once it recovers; the timeline shows it degraded in between.
func TestDegradation_ShareDropsAndComesBack(t *testing.T) {
	r := run(t, load(t, "health-degradation"), sim.Options{Messages: testSends})
	keepOnFailure(t, r)
	tl := r.Timeline
	failing := -1
	for i, n := range tl.Numbers {
		if n == "+14155551001" {
			failing = i
		}
	}
	if failing < 0 {
		t.Fatal("the failing number is not in the timeline")
	}
	shares := tl.Shares()
	minute := func(m float64) int { return int(m * 60 / tl.BucketSeconds) }
	avg := func(from, to float64) float64 {
		s := 0.0
		for b := minute(from); b < minute(to); b++ {
			s += shares[b][failing]
		}
		return s / float64(minute(to)-minute(from))
	}
	if before := avg(0, 10); math.Abs(before-1.0/6) > 0.02 {
		t.Errorf("share before the failures %.3f, want about 1/6", before)
	}
	if during := avg(17, 27); during != 0 {
		t.Errorf("share while degraded %.3f, want 0", during)
	}
	if after := avg(33, 39); math.Abs(after-1.0/6) > 0.02 {
		t.Errorf("share after recovery %.3f, want about 1/6", after)
	}
	for b := minute(17); b < minute(27); b++ {
		if h := tl.Health[b][failing]; h != "degraded" {
			t.Errorf("bucket %d: health %q, want degraded", b, h)
		}
	}
	if h := tl.Health[minute(35)][failing]; h != "active" {
		t.Errorf("after recovery: health %q, want active", h)
	}
	// The Mac B outage: its lines get nothing new and their conversations wait (503).
	if r.Rejections["sender_unavailable"] == 0 {
		t.Error("no sender_unavailable while Mac B was offline")
	}
	if len(r.Rotation) == 0 || r.Rotation[0].OutSeconds == nil || r.Rotation[0].BackSeconds == nil {
		t.Errorf("rotation %+v", r.Rotation)
	}
	if r.Stickiness.Reselections == 0 {
		t.Error("the ban moved no conversation")
	}
}

// TestHTMLReport_HasSVGCharts: the report embeds the charts as SVG, well-formed.
func TestHTMLReport_HasSVGCharts(t *testing.T) {
	r := run(t, load(t, "weighted"), sim.Options{Messages: 10_000})
	var b bytes.Buffer
	if err := sim.WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	svgs := svgsOf(t, html)
	if len(svgs) != 2 {
		t.Fatalf("%d SVG charts, want 2 (counts, shares over time)", len(svgs))
	}
	for _, want := range []string{"New conversations per number", "Share of new conversations", "+14155550101", strings.ToUpper(r.Verdict), "jain &gt;= 0.9999"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestInProcess_Interrupted: when the context ends, the run stops and its result covers
// what ran.
func TestInProcess_Interrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := load(t, "uniform-round-robin")
	r, err := sim.Run(ctx, p, sim.Options{Messages: 50_000_000, Progress: func(pr sim.Progress) {
		if pr.Sends > 0 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Traffic.Sends == 0 || r.Traffic.Sends >= 50_000_000 {
		t.Errorf("interrupted %v after %d sends", r.Interrupted, r.Traffic.Sends)
	}
	if r.Fairness.Jain < 0.99 {
		t.Errorf("the expectation of the part that ran is off: Jain %v", r.Fairness.Jain)
	}
}

// TestFaults_UnassignBanAndInboundFirst runs the README's example profile: a number
// unassigned at 20m gets nothing after it, an admin ban from 50m to 55m shows in the
// timeline, contacts who write first to the inbound number stay with it, and no
// conversation moves unless its number went away.
func TestFaults_UnassignBanAndInboundFirst(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	p, err := sim.Load("README.md example", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, p, sim.Options{Messages: 120_000})
	keepOnFailure(t, r)
	if r.Stickiness.Violations != 0 {
		t.Errorf("violations: %+v", r.Stickiness.Examples)
	}
	if r.Stickiness.Reselections == 0 {
		t.Error("neither the unassignment nor the ban moved a conversation")
	}
	idx := map[string]int{}
	for i, n := range r.Timeline.Numbers {
		idx[n] = i
	}
	tl := r.Timeline
	minute := func(m float64) int { return int(m * 60 / tl.BucketSeconds) }
	un, ban, inbound := idx["+12125551001"], idx["+12125551002"], idx["+14155550009"]
	for b := minute(21); b < len(tl.New); b++ {
		if tl.New[b][un] != 0 || tl.Messages[b][un] != 0 || tl.Health[b][un] != "unassigned" {
			t.Fatalf("bucket %d: the unassigned number has %d new, %d messages, health %s", b, tl.New[b][un], tl.Messages[b][un], tl.Health[b][un])
		}
	}
	for b := minute(51); b < minute(54); b++ {
		if tl.Health[b][ban] != "banned" || tl.New[b][ban] != 0 {
			t.Errorf("bucket %d: the banned number: health %s, %d new", b, tl.Health[b][ban], tl.New[b][ban])
		}
	}
	if h := tl.Health[minute(57)][ban]; h != "active" {
		t.Errorf("after the ban was lifted: %s", h)
	}
	nr := r.Numbers[inbound]
	if nr.PlanKind != "inbound" || nr.NewConversations != 0 || nr.Inbound == 0 || nr.Messages == 0 {
		t.Errorf("the inbound number: %+v", nr)
	}
	if r.Fairness.Jain < 0.999 {
		t.Errorf("fairness against the eligible numbers of each moment: %+v", r.Fairness)
	}
}
