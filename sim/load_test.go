package sim_test

import (
	"os"
	"strings"
	"testing"

	"poolkit/sim"
)

// minimal is a valid profile; the table below breaks it one way at a time.
const minimal = `name: minimal
pool:
  numbers:
    - {phone: "+14155550001"}
    - {phone: "+14155550002", relay: mac-b, weight: 2}
contacts:
  count: 100
traffic:
  duration: 10m
  rate: 10
faults:
  - kind: offline
    number: "+14155550001"
    from: 1m
    until: 2m
thresholds:
  - "jain >= 0.99"
`

func TestLoad_Minimal(t *testing.T) {
	p, err := sim.Load("minimal.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if p.Pool.Strategy != "round_robin" || p.Shards != 2 || p.Contacts.Zipf != 1.1 || p.Report.Buckets != 60 {
		t.Errorf("defaults not applied: strategy %q shards %d zipf %g buckets %d", p.Pool.Strategy, p.Shards, p.Contacts.Zipf, p.Report.Buckets)
	}
	nums := p.Numbers()
	if len(nums) != 2 || nums[0].Relay != "mac-1" || nums[0].Slot != 1 || nums[1].Relay != "mac-b" || nums[1].Slot != 1 || nums[1].Weight != 2 {
		t.Errorf("numbers = %+v", nums)
	}
}

func TestLoad_AreaCodeCountExpands(t *testing.T) {
	src := strings.Replace(minimal, `    - {phone: "+14155550002", relay: mac-b, weight: 2}`, `    - {area_code: "212", count: 3}`, 1)
	p, err := sim.Load("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range p.Numbers() {
		got = append(got, n.Phone)
	}
	want := "+14155550001 +12125551000 +12125551001 +12125551002"
	if strings.Join(got, " ") != want {
		t.Errorf("numbers %v, want %s", got, want)
	}
}

// TestLoad_Errors: every mistake is reported at its file:line, with what is wrong.
func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // "file:line: substring"
	}{
		{"unknown key", "  rate: 10\n", "  rate: 10\n  burst: 3\n", "p.yaml:11: field burst not found"},
		{"unknown key in a number", `{phone: "+14155550001"}`, `{phone: "+14155550001", color: red}`, "p.yaml:4: field color not found"},
		{"unquoted phone", `{phone: "+14155550001"}`, `{phone: +14155550001}`, "p.yaml:4: quote phone numbers"},
		{"wrong type", "  count: 100\n", "  count: lots\n", "p.yaml:7: cannot unmarshal"},
		{"bad duration", "  duration: 10m\n", "  duration: ten minutes\n", `p.yaml:9: "ten minutes" is not a duration`},
		{"strategy", "pool:\n", "pool:\n  strategy: random\n", `p.yaml:3: pool.strategy must be round_robin, weighted or geographic, not "random"`},
		{"phone", `{phone: "+14155550001"}`, `{phone: "4155550001"}`, `p.yaml:4: phone "4155550001" is not an E.164 number`},
		{"duplicate number", `{phone: "+14155550002", relay: mac-b, weight: 2}`, `{phone: "+14155550001"}`, "p.yaml:5: number +14155550001 is listed twice"},
		{"weight", "weight: 2}", "weight: -1}", "p.yaml:5: weight must be between 0 and 1000"},
		{"rate and messages", "  rate: 10\n", "  rate: 10\n  messages: 5\n", "p.yaml:11: traffic: give rate or messages, not both"},
		{"no rate", "  rate: 10\n", "", "p.yaml:8: traffic: rate (sends per second) or messages"},
		{"ratio", "  rate: 10\n", "  rate: 10\n  replies: 1.5\n", "p.yaml:11: traffic.replies must be between 0 and 1"},
		{"fault number", `    number: "+14155550001"`, `    number: "+19995550001"`, "p.yaml:13: number +19995550001 is not in pool.numbers"},
		{"fault kind", "kind: offline", "kind: meteor", `p.yaml:12: unknown fault kind "meteor"`},
		{"fault field", "    until: 2m\n", "    until: 2m\n    by: relay\n", "p.yaml:16: by does not apply to an offline fault"},
		{"fault until", "    until: 2m\n", "    until: 30s\n", "p.yaml:15: until must be after from"},
		{"threshold metric", `"jain >= 0.99"`, `"fairness >= 0.99"`, `p.yaml:17: threshold "fairness >= 0.99": unknown metric "fairness"`},
		{"threshold syntax", `"jain >= 0.99"`, `"jain is high"`, `p.yaml:17: threshold "jain is high" is not "metric op value"`},
		{"threshold duration", `"jain >= 0.99"`, `"latency_p99 < 3"`, "p.yaml:17: threshold \"latency_p99 < 3\": latency_p99 is measured in time"},
		{"zipf", "  count: 100\n", "  count: 100\n  zipf: 0.8\n", "p.yaml:8: contacts.zipf must be above 1"},
		{"name", "name: minimal\n", "", "p.yaml:1: name is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := minimal
			if !strings.Contains(src, tc.old) {
				t.Fatalf("the test's old text %q is not in the profile", tc.old)
			}
			src = strings.Replace(src, tc.old, tc.new, 1)
			_, err := sim.Load("p.yaml", []byte(src))
			if err == nil {
				t.Fatalf("Load accepted:\n%s", src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}

func TestLoad_ReportsEveryError(t *testing.T) {
	src := strings.Replace(strings.Replace(minimal, "  rate: 10\n", "  rate: 10\n  replies: 2\n", 1), `"jain >= 0.99"`, `"nope"`, 1)
	_, err := sim.Load("p.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:11:") || !strings.Contains(err.Error(), "p.yaml:18:") {
		t.Fatalf("want both errors (lines 11 and 18), got %v", err)
	}
}

func TestLoad_EmptyAndMultiDocument(t *testing.T) {
	if _, err := sim.Load("e.yaml", nil); err == nil || !strings.Contains(err.Error(), "e.yaml:1: empty profile") {
		t.Errorf("empty: %v", err)
	}
	if _, err := sim.Load("m.yaml", []byte(minimal+"---\nname: two\n")); err == nil || !strings.Contains(err.Error(), "one YAML document") {
		t.Errorf("two documents: %v", err)
	}
}

func TestLoadProfile_ShippedAndMissing(t *testing.T) {
	names := sim.Profiles()
	for _, want := range []string{"uniform-round-robin", "weighted", "geographic", "health-degradation"} {
		if _, err := sim.LoadProfile(want); err != nil {
			t.Errorf("shipped profile %s: %v", want, err)
		}
	}
	if len(names) < 4 {
		t.Errorf("Profiles() = %v, want at least four", names)
	}
	if _, err := sim.LoadProfile("no-such-profile"); err == nil || !strings.Contains(err.Error(), "uniform-round-robin") {
		t.Errorf("a missing profile should list the shipped ones: %v", err)
	}
	if _, err := sim.LoadProfile("testdata/missing.yaml"); err == nil {
		t.Error("a missing file loaded")
	}
}

// FuzzLoad: no input makes the loader panic; every error names the file and a line.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("pool: {numbers: [{count: 5}]}\nfaults: [{kind: failures, ramp: [{at: 1m}]}]"))
	f.Add([]byte("traffic: {duration: -1s}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := sim.Load("f.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "f.yaml:") {
			t.Errorf("error without file:line: %v", err)
		}
	})
}

// TestLoad_ReadmeExample: the profile shown in sim/README.md loads.
func TestLoad_ReadmeExample(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no yaml example")
	}
	p, err := sim.Load("README.md example", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Faults) != 4 || len(p.ParsedThresholds()) != 5 || len(p.Numbers()) != 5 {
		t.Errorf("faults %d, thresholds %d, numbers %d", len(p.Faults), len(p.ParsedThresholds()), len(p.Numbers()))
	}
}
