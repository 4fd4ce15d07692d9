package strictyaml_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/internal/strictyaml"
)

type doc struct {
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
}

func TestDecode(t *testing.T) {
	var d doc
	require.NoError(t, strictyaml.Decode("f.yaml", []byte("name: x\ncount: 2\n"), &d, "thing"))
	assert.Equal(t, doc{Name: "x", Count: 2}, d)
	for in, want := range map[string]string{
		"":                        "f.yaml:1: empty thing",
		"name: x\nnmae: y\n":      "f.yaml:2: field nmae not found",
		"count: many\n":           "f.yaml:1: cannot unmarshal",
		"name: x\n---\nname: y\n": "f.yaml:2: a thing file holds one YAML document",
		"name: [\n":               "f.yaml:",
	} {
		err := strictyaml.Decode("f.yaml", []byte(in), &doc{}, "thing")
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
