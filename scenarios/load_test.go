package scenarios_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"poolkit/scenarios"
)

const validHead = `name: x
rules: [POOL-EMPTY-1]
setup:
  numbers: [{name: a}]
  keys: [{name: main, numbers: [a]}]
steps:
`

// TestLoad_Errors checks that the loader is strict and points at the line at fault.
func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "name: x\nrulez: [POOL-EMPTY-1]\n", "f.yaml:2: field rulez not found"},
		{"unknown step key", validHead + "  - send: {to: \"+15551234567\", text: hi}\n    expect: {statuz: 202}\n", "f.yaml:8: field statuz not found"},
		{"type error", validHead + "  - send: {to: \"+15551234567\", repeat: many}\n", "f.yaml:7: cannot unmarshal !!str `many` into int"},
		{"syntax error", "name: x\nrules: [POOL-EMPTY-1\n", "f.yaml:"},
		{"two actions", validHead + "  - me: {}\n    my_numbers: {}\n", "f.yaml:7: a step has exactly one action"},
		{"no action", validHead + "  - name: nothing\n", "f.yaml:7: a step has exactly one action"},
		{"unknown variable", validHead + "  - me: {}\n  - send: {to: \"+15551234567\", text: hi, from: $b}\n", "f.yaml:8: unknown variable $b"},
		{"saved variable later", validHead + "  - send: {to: \"+15551234567\", text: hi, from: $first}\n  - me: {}\n    save: {first: key_id}\n", "f.yaml:7: unknown variable $first"},
		{"bad rule id", strings.Replace(validHead, "POOL-EMPTY-1", "EMPTY", 1) + "  - me: {}\n", "f.yaml:2: rules: \"EMPTY\" is not a rule id"},
		{"unknown key", validHead + "  - key: nobody\n    me: {}\n", "f.yaml:7: unknown key \"nobody\""},
		{"text of numbers", validHead + "  - send: {to: \"+15551234567\", text: [1, 2]}\n", "f.yaml:7: send.text"},
		{"two documents", validHead + "  - me: {}\n---\nname: y\n", "one YAML document"},
		{"unknown setup number", strings.Replace(validHead, "numbers: [a]}", "numbers: [b]}", 1) + "  - me: {}\n", `unknown number "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenarios.Load("f.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := scenarios.Load("f.yaml", []byte(validHead+"  - me: {}\n")); err != nil {
		t.Errorf("a valid scenario: %v", err)
	}
}

// TestSchema validates every scenario of the library against schema.json, so that the
// schema editors complete with stays true to the loader.
func TestSchema(t *testing.T) {
	raw, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	for _, sc := range library(t) {
		b, err := os.ReadFile(sc.File)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		// Through JSON, so that numbers and maps have the types the validator expects.
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", sc.File, err)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s does not match schema.json: %v", sc.File, err)
		}
	}
	// And the schema rejects what the loader rejects.
	var bad any
	json.Unmarshal([]byte(`{"name":"x","rules":["POOL-EMPTY-1"],"setup":{"keys":[{"name":"k"}]},"steps":[{"me":{},"chats":{}}]}`), &bad)
	if schema.Validate(bad) == nil {
		t.Error("schema.json accepts a step with two actions")
	}
}
