package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/target"
)

// TestReport_Verdicts folds check results into rule verdicts and writes them as text,
// JSON and JUnit with the evidence of each failure.
func TestReport_Verdicts(t *testing.T) {
	r := &Report{Target: "http://staging.test", Capabilities: target.CapabilitySet("no admin token")}
	r.Sequences = &SequenceResult{Sequences: 7, Ops: 80, Seed: 42, Failure: &SequenceFailure{
		Rule: "POOL-RR-1", Message: "counts differ by 2", Steps: []string{"send k → +1555", "send k → +1556"},
		Request: "POST /v2/api/chats/%2B1556/messages", Response: "202 {}", ScenarioFile: "/tmp/seq.yaml"}}
	r.Scenarios = []ScenarioResult{{File: "a.yaml", Status: Pass}, {File: "b.yaml", Status: Skip, Skip: "needs inbound"}}
	r.finish([]CheckResult{
		{Name: "sticky-repeat", Rule: "POOL-STICKY-1", Doc: "the same number", Status: Pass},
		{Name: "sticky-offline", Rule: "POOL-STICKY-1", Doc: "offline answers 503", Status: Fail, Failures: []Failure{{
			Message: "expected 503 sender_unavailable, got 202 from +15551110002", Request: "POST /v2/api/chats/%2B15550001111/messages {}",
			Response: `202 {"from_number":"+15551110002"}`, Allowed: "503 sender_unavailable"}}},
		{Name: "health-ban", Rule: "POOL-HEALTH-3", Status: Skip, Skip: "needs provisioning"},
		{Name: "empty", Rule: "POOL-EMPTY-1", Status: Pass},
	})
	require.True(t, r.Failed())
	assert.Equal(t, []string{"POOL-EMPTY-1", "POOL-STICKY-1", "POOL-RR-1", "POOL-HEALTH-3"}, rules(r), "SPEC order")
	assert.Equal(t, Fail, r.Rule("POOL-STICKY-1").Status)
	assert.Equal(t, Fail, r.Rule("POOL-RR-1").Status, "a sequence failure fails its rule")
	assert.Equal(t, Skip, r.Rule("POOL-HEALTH-3").Status)
	assert.Equal(t, Counts{Pass: 1, Fail: 2, Skip: 1}, r.Summary.Rules)
	assert.Equal(t, Counts{Pass: 2, Fail: 1, Skip: 1}, r.Summary.Checks)
	assert.Equal(t, Counts{Pass: 1, Skip: 1}, r.Summary.Scenarios)

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	for _, want := range []string{"POOL-STICKY-1   FAIL", "✗ sticky-offline", "allowed:  503 sender_unavailable",
		`response: 202 {"from_number":"+15551110002"}`, "health-ban skipped: needs provisioning", "replay: poolkit replay /tmp/seq.yaml",
		"b.yaml skipped: needs inbound", "FAIL: rules 1 passed, 2 failed, 1 skipped"} {
		assert.Contains(t, text.String(), want)
	}

	var js bytes.Buffer
	require.NoError(t, r.WriteJSON(&js))
	var back map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, "fail", back["summary"].(map[string]any)["verdict"])
	assert.Equal(t, "no admin token", back["capabilities"].(map[string]any)["provisioning"])

	var ju bytes.Buffer
	require.NoError(t, r.WriteJUnit(&ju))
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	require.NoError(t, xml.Unmarshal(ju.Bytes(), &suites))
	// 4 checks + the RR-1 sequence case + the sequences suite + 2 scenarios.
	assert.Equal(t, 8, suites.Tests)
	assert.Equal(t, 3, suites.Failures)
	assert.Equal(t, 2, suites.Skipped)
	assert.True(t, strings.Contains(ju.String(), `<skipped message="needs provisioning">`))
}

func TestReport_Passes(t *testing.T) {
	r := &Report{}
	r.finish([]CheckResult{{Name: "a", Rule: "POOL-FROM-1", Status: Pass}, {Name: "b", Rule: "POOL-FROM-2", Status: Skip}})
	assert.False(t, r.Failed())
	assert.Equal(t, Pass, r.Summary.Verdict)

	none := &Report{}
	none.finish([]CheckResult{{Name: "a", Rule: "POOL-FROM-1", Status: Skip}})
	assert.False(t, none.Failed())
	assert.True(t, none.NothingChecked(), "an all-skipped run is not a pass")
}

func TestOptions_Keep(t *testing.T) {
	o := Options{Rules: []string{"POOL-STICKY", "POOL-FROM-2"}}
	assert.True(t, o.keep("POOL-STICKY-4"))
	assert.True(t, o.keep("POOL-FROM-2"))
	assert.False(t, o.keep("POOL-FROM-1"))
	assert.False(t, o.keep("POOL-STICKYX-1"))
	assert.True(t, Options{}.keep("POOL-RR-1"))
}

func rules(r *Report) []string {
	var out []string
	for _, rr := range r.Rules {
		out = append(out, rr.Rule)
	}
	return out
}
