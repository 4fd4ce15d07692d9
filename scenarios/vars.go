package scenarios

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"regexp"
)

// varRef matches $name and ${name}; names may hold dots ($a.allocation_id).
var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.]*)\}|\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)

// vars are a scenario run's variables: its numbers and what steps saved.
type vars map[string]string

// expand replaces every $name and ${name} in s; an unknown name is an error.
func (v vars) expand(s string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(m string) string {
		g := varRef.FindStringSubmatch(m)
		name := g[1] + g[2]
		val, ok := v[name]
		if !ok {
			missing = append(missing, "$"+name)
			return m
		}
		return val
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variable %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// expandAll expands strings inside a decoded YAML value.
func (v vars) expandAll(x any) (any, error) {
	switch x := x.(type) {
	case string:
		return v.expand(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = v.expandAll(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[k], err = v.expandAll(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return x, nil
}

func (v vars) expandList(xs []string) ([]string, error) {
	out := make([]string, len(xs))
	for i, x := range xs {
		var err error
		if out[i], err = v.expand(x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withIndex replaces {{i}} by i and {{i4}} by i on four digits (0007).
func withIndex(s string, i int) string {
	s = strings.ReplaceAll(s, "{{i4}}", fmt.Sprintf("%04d", i))
	return strings.ReplaceAll(s, "{{i}}", strconv.Itoa(i))
}

// lookup returns the value at a dotted path ("numbers.0.health") of a decoded JSON body.
func lookup(body any, path string) (any, bool) {
	cur := body
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			if part == "#" {
				cur = float64(len(c))
				continue
			}
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// normalize gives a YAML value the shape of decoded JSON (numbers as float64).
func normalize(x any) any {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return fmt.Sprint(x)
	}
	return out
}

// text renders a JSON value as a variable's text: strings as they are, others as JSON.
func text(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	b, _ := json.Marshal(x)
	return string(b)
}

func parseDuration(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("duration %q must be positive", s)
	}
	return d, err
}
