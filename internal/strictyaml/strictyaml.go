// Package strictyaml decodes the project's YAML files (scenarios, fixtures, simulation
// profiles) strictly: unknown keys and wrong types are errors, every error names
// file:line, and a file holds exactly one document.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var lineError = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Decode decodes data, read from file, into v with KnownFields. An empty file is
// "file:1: empty <what>"; a second document is an error at its line.
func Decode(file string, data []byte, v any, what string) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s:1: empty %s", file, what)
		}
		return Positioned(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s:%d: a %s file holds one YAML document", file, extra.Line, what)
	}
	return nil
}

// Positioned rewrites a yaml error as "file:line: message" errors, one per problem.
func Positioned(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		if g := lineError.FindStringSubmatch(m); g != nil {
			errs = append(errs, fmt.Errorf("%s:%s: %s", file, g[1], g[2]))
			continue
		}
		// yaml leaves out the line of errors on the first line.
		errs = append(errs, fmt.Errorf("%s:1: %s", file, strings.TrimPrefix(m, "yaml: ")))
	}
	return errors.Join(errs...)
}
