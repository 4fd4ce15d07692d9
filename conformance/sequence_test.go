package conformance

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
	"poolkit/conformance/mutants"
	"poolkit/scenarios"
	"poolkit/target"
)

// The property sequences are tested through RunSequences against the embedded reference
// and against its mutants (STYLE lesson 5: test the tester); the scenario writer's
// expressions are tested directly, since no correct target at hand picks differently
// from the reference.

// TestSequences_EmbeddedAgrees: the reference deployment agrees with the model on every
// random sequence.
func TestSequences_EmbeddedAgrees(t *testing.T) {
	res := RunSequences(context.Background(), target.Embedded{}, SequenceOptions{Checks: 50, FailureDir: t.TempDir()})
	t.Logf("seed %d: %d sequences, %d operations (%d stopped early) in %v", res.Seed, res.Sequences, res.Ops, res.Stopped, res.Duration)
	require.Empty(t, res.Skipped)
	require.Empty(t, res.Error)
	if f := res.Failure; f != nil {
		t.Fatalf("the reference disagrees with the model (seed %d): %s\n%s\n%s\n%s\nscenario: %s",
			res.Seed, f.Message, strings.Join(f.Steps, "\n"), f.Request, f.Response, f.ScenarioFile)
	}
	require.Equal(t, 50, res.Sequences)
	require.Greater(t, res.Ops, 50*10, "sequences of more than ten operations on average")
}

// TestSequences_FindsBrokenEngine: against reference engines built with one bug each
// (conformance/mutants), the sequences find a disagreement on the mutant's rule, shrink
// it to a few steps and write a scenario that loads, fails against the mutant and passes
// against the reference.
func TestSequences_FindsBrokenEngine(t *testing.T) {
	for _, name := range []string{
		"no-sticky", "offline-switches", "foreign-from-accepted", "reply-only-unenforced",
		"twilio-rotates", "assign-steals-number", "me-numbers-leak",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, ok := mutants.ByName(name)
			require.True(t, ok)
			broken := target.Embedded{PoolOptions: m.PoolOptions()}
			ctx := context.Background()
			res := RunSequences(ctx, broken, SequenceOptions{Checks: 500, FailureDir: t.TempDir()})
			require.Empty(t, res.Skipped)
			require.Empty(t, res.Error)
			f := res.Failure
			require.NotNil(t, f, "seed %d: %d sequences found nothing", res.Seed, res.Sequences)
			t.Logf("seed %d: found after %d sequences, in %v, shrunk to:\n%s\n%s", res.Seed, res.Sequences, res.Duration,
				strings.Join(f.Steps, "\n"), f.Message)
			require.Equal(t, m.Rule, f.Rule, "seed %d", res.Seed)
			require.LessOrEqual(t, len(f.Steps), 6, "seed %d: not shrunk", res.Seed)
			require.NotEmpty(t, f.Request)
			require.NotEmpty(t, f.Response)
			require.True(t, f.Reproduced, "seed %d: the scenario did not fail again against the mutant", res.Seed)

			data, err := os.ReadFile(f.ScenarioFile)
			require.NoError(t, err)
			t.Logf("%s:\n%s", f.ScenarioFile, data)
			sc, err := scenarios.Load(f.ScenarioFile, data)
			require.NoError(t, err)
			require.Equal(t, m.Rule, sc.Rules[0])
			require.Len(t, sc.Steps, len(f.Steps))

			bad := scenarios.Run(ctx, broken, sc, scenarios.Options{})
			require.True(t, bad.Failed(), "seed %d: the scenario passes against the mutant", res.Seed)
			require.Equal(t, scenarios.Failed, bad.Steps[len(bad.Steps)-1].Outcome, "seed %d: the last step fails", res.Seed)
			good := scenarios.Run(ctx, target.Embedded{}, sc, scenarios.Options{})
			require.Equal(t, scenarios.Passed, good.Outcome(), "seed %d: the scenario fails against the reference: %s", res.Seed, good.Summary())
		})
	}
}

// TestSequences_SameSeedSameFailure: a sequence is a function of its seed, and so is its
// shrink against a deterministic target.
func TestSequences_SameSeedSameFailure(t *testing.T) {
	m, ok := mutants.ByName("no-sticky")
	require.True(t, ok)
	broken := target.Embedded{PoolOptions: m.PoolOptions()}
	opts := SequenceOptions{Checks: 100, Seed: 7, FailureDir: t.TempDir()}
	a := RunSequences(context.Background(), broken, opts)
	b := RunSequences(context.Background(), broken, opts)
	require.Equal(t, uint64(7), a.Seed)
	require.NotNil(t, a.Failure)
	require.NotNil(t, b.Failure)
	require.Equal(t, a.Sequences, b.Sequences)
	require.Equal(t, a.Failure.Steps, b.Failure.Steps)
	require.Equal(t, a.Failure.ScenarioFile, b.Failure.ScenarioFile)
}

// TestSequences_SkippedWithoutProvisioning: a target that cannot be provisioned skips the
// sequences with the reason.
func TestSequences_SkippedWithoutProvisioning(t *testing.T) {
	res := RunSequences(context.Background(), target.Remote{URL: "http://127.0.0.1:1"}, SequenceOptions{Checks: 5})
	require.Contains(t, res.Skipped, "needs provisioning")
	require.Contains(t, res.Skipped, "no admin token")
	require.Zero(t, res.Sequences)
	require.Nil(t, res.Failure)
	require.Empty(t, res.Error)
	require.NotZero(t, res.Seed)
}

// TestSequences_ScenarioRefersToPickedNumber: when a step's expectation depends on the
// number a conforming deployment picked earlier (stickiness after a new conversation),
// the scenario saves that number and refers to it, and the shrink keeps the pick to the
// deployment (making it explicit would hide the bug).
func TestSequences_ScenarioRefersToPickedNumber(t *testing.T) {
	m, ok := mutants.ByName("no-sticky")
	require.True(t, ok)
	broken := target.Embedded{PoolOptions: m.PoolOptions()}
	ctx := context.Background()
	c := seqCase{
		Strategy: "round_robin",
		Numbers: []seqNumber{
			{Name: "a", Provider: "blooio", Plan: "dedicated", Weight: 1, Relay: "mac-1"},
			{Name: "b", Provider: "blooio", Plan: "dedicated", Weight: 1, Relay: "mac-1"},
			{Name: "c", Provider: "twilio", Plan: "dedicated", Weight: 1},
		},
		Keys: []seqKey{{Name: "k0", Numbers: []string{"a", "b"}}, {Name: "k1", Numbers: []string{"c"}}},
		Ops: []seqOp{
			{Kind: seqSend, Key: "k0", To: 0, Texts: 1},
			{Kind: seqSend, Key: "k1", To: 0, Texts: 2},
			{Kind: seqAssign, Key: "k1", Number: "a"},
			{Kind: seqSend, Key: "k0", To: 0, Texts: 1},
			{Kind: seqSend, Key: "k0", To: 1, Texts: 1},
		},
	}
	r := &seqRunner{tg: broken}
	out := r.run(ctx, c)
	require.NoError(t, out.err)
	require.Equal(t, 3, out.failed, "the sticky send moves: %v", out.steps[len(out.steps)-1].verdict)
	sh := &seqShrinker{runner: r, rule: "POOL-STICKY-1", budget: seqShrinkRuns}
	c, out = sh.shrink(ctx, c, out)
	require.Len(t, c.Ops, 2)
	require.Empty(t, c.Ops[0].Number, "the first send still lets the pool pick")
	require.Len(t, c.Numbers, 2)
	require.Len(t, c.Keys, 1)

	file, sc, err := seqWriteScenario(c, out, seqOrigin{seed: 1, runs: sh.runs}, t.TempDir())
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	t.Logf("%s", data)
	require.Contains(t, string(data), "expect: {status: 202, from_number_in: [$a, $b]}")
	require.Contains(t, string(data), "save: {s1: from_number}")
	require.Contains(t, string(data), "expect: {status: 202, from_number: $s1}")
	require.True(t, seqReplay(ctx, broken, sc).Failed())
	good := seqReplay(ctx, target.Embedded{}, sc)
	require.Equal(t, scenarios.Passed, good.Outcome(), good.Summary())
}

// TestSequences_Fit: the writer expresses what every branch of the model allows at a
// step in terms of the numbers earlier steps picked, or says it cannot.
func TestSequences_Fit(t *testing.T) {
	name := func(p string) string { return "$" + strings.TrimPrefix(p, "+1555") }
	ok := func(from ...string) model.Allowed { return model.Allowed{From: from} }
	picked := func(p string) map[int]string { return map[int]string{0: p} }
	for _, tc := range []struct {
		name string
		seen []seqSeen
		want seqExpectation
		fail bool
	}{
		{name: "the same error everywhere",
			seen: []seqSeen{{allowed: model.Allowed{Codes: []string{"number_banned"}}}, {allowed: model.Allowed{Codes: []string{"number_banned"}}}},
			want: seqExpectation{code: "number_banned"}},
		{name: "an error in one branch only",
			seen: []seqSeen{{allowed: model.Allowed{Codes: []string{"sender_unavailable"}}}, {allowed: ok("+1555a")}},
			fail: true},
		{name: "the same numbers everywhere",
			seen: []seqSeen{{picked: picked("+1555a"), allowed: ok("+1555a", "+1555b")}, {picked: picked("+1555b"), allowed: ok("+1555a", "+1555b")}},
			want: seqExpectation{in: []string{"$a", "$b"}}},
		{name: "the number picked at step 1 (sticky)",
			seen: []seqSeen{{picked: picked("+1555a"), allowed: ok("+1555a")}, {picked: picked("+1555b"), allowed: ok("+1555b")}},
			want: seqExpectation{from: "$s1", uses: []int{0}}},
		{name: "any but the number picked at step 1 (banned)",
			seen: []seqSeen{
				{picked: picked("+1555a"), allowed: ok("+1555b", "+1555c")},
				{picked: picked("+1555b"), allowed: ok("+1555a", "+1555c")},
				{picked: picked("+1555c"), allowed: ok("+1555a", "+1555b")},
			},
			want: seqExpectation{in: []string{"$a", "$b", "$c"}, not: []string{"$s1"}, uses: []int{0}}},
		{name: "a set no expression captures",
			seen: []seqSeen{
				{picked: picked("+1555a"), allowed: ok("+1555b", "+1555c")},
				{picked: picked("+1555b"), allowed: ok("+1555b")},
			},
			fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := seqFit(1, tc.seen, true, name)
			require.Equal(t, !tc.fail, ok)
			if !tc.fail {
				require.Equal(t, tc.want, got)
			}
		})
	}
}
