package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"poolkit/internal/strictyaml"
	"poolkit/reference/numbering"
)

// Fixture describes what exists on a deployment that runs cannot provision (SPEC §9):
// its API keys (secrets from environment variables), each key's numbers in pool order,
// recipients that are safe to message, numbers known to belong to other keys, and hooks.
// See target/testdata/fixture.example.yaml.
type Fixture struct {
	// URL is the deployment's base URL; a --target flag wins over it.
	URL string `yaml:"url"`
	// AdminTokenEnv names the environment variable holding an admin token, when the
	// deployment has the admin API (then runs provision and the rest is unused).
	AdminTokenEnv string `yaml:"admin_token_env"`
	// Strategy is the allocation strategy of the keys' organization, when known
	// (round_robin, weighted, geographic); a key may override it.
	Strategy string `yaml:"strategy"`
	// StickyTTLSeconds is the org's sticky TTL when known (0: none).
	StickyTTLSeconds *int64 `yaml:"sticky_ttl_seconds"`
	// Keys are the API keys runs may use.
	Keys []FixtureKey `yaml:"keys"`
	// Recipients are handles safe to message (test phones); a run takes the first that
	// has no conversation yet with its keys.
	Recipients []string `yaml:"recipients"`
	// FreshRecipients, when set, makes unlimited fresh recipients: Prefix followed by
	// Digits random digits (a number range the deployment sinks, for example).
	FreshRecipients *RecipientRange `yaml:"fresh_recipients"`
	// ForeignNumbers belong to keys not in this fixture (another customer's, another
	// org's): sending from them must be refused.
	ForeignNumbers []string `yaml:"foreign_numbers"`
	Hooks          Hooks    `yaml:"hooks"`

	// File is where the fixture was loaded from.
	File string `yaml:"-"`
	// AdminToken is the value of AdminTokenEnv.
	AdminToken string `yaml:"-"`

	mu    sync.Mutex
	inUse map[string]bool // recipients held by open workspaces
}

// FixtureKey is one existing API key.
type FixtureKey struct {
	Name string `yaml:"name"`
	// SecretEnv names the environment variable that holds the key's secret.
	SecretEnv string `yaml:"secret_env"`
	// Protocol is imessage (Blooio numbers) or sms (Twilio numbers).
	Protocol string `yaml:"protocol"`
	// Strategy overrides the fixture's strategy for this key's organization.
	Strategy string `yaml:"strategy"`
	// Numbers are the key's pool, in position order.
	Numbers []FixtureNumber `yaml:"numbers"`

	// Secret is the value of SecretEnv (never printed).
	Secret string `yaml:"-"`
}

// FixtureNumber is one number of a key's pool.
type FixtureNumber struct {
	Phone string `yaml:"phone"`
	// PlanKind is dedicated (default), inbound or trial.
	PlanKind string `yaml:"plan_kind"`
	// Weight is the number's weight under the weighted strategy (default 1).
	Weight *int `yaml:"weight"`
}

// RecipientRange makes fresh recipients: Prefix + Digits random digits.
type RecipientRange struct {
	Prefix string `yaml:"prefix"`
	Digits int    `yaml:"digits"`
}

// Hooks are commands a run may execute.
type Hooks struct {
	// Inbound is an argv template that makes a real test phone send a message. Its
	// placeholders: {from} (the test phone), {to} (the pool number), {text}, {group}
	// (the group chat guid, "" for 1:1). Exit status 0 means sent.
	Inbound []string `yaml:"inbound"`
	// Timeout bounds one hook run (default 60s).
	Timeout string `yaml:"timeout"`
}

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LoadFixture reads a fixture file strictly (unknown keys and wrong types are errors
// with file:line) and resolves its secrets with getenv; a secret variable that is unset
// is an error naming the variable, never its value.
func LoadFixture(file string, getenv func(string) string) (*Fixture, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseFixture(file, b, getenv)
}

// ParseFixture is LoadFixture over data read from file.
func ParseFixture(file string, data []byte, getenv func(string) string) (*Fixture, error) {
	var f Fixture
	if err := strictyaml.Decode(file, data, &f, "fixture"); err != nil {
		return nil, err
	}
	f.File = file
	if err := f.validate(getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &f, nil
}

func (f *Fixture) validate(getenv func(string) string) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	strategies := map[string]bool{"": true, "round_robin": true, "weighted": true, "geographic": true}
	if !strategies[f.Strategy] {
		fail("strategy: %q is not round_robin, weighted or geographic", f.Strategy)
	}
	if f.AdminTokenEnv != "" {
		if !envName.MatchString(f.AdminTokenEnv) {
			fail("admin_token_env: %q is not an environment variable name", f.AdminTokenEnv)
		} else if f.AdminToken = getenv(f.AdminTokenEnv); f.AdminToken == "" {
			fail("admin_token_env: $%s is not set", f.AdminTokenEnv)
		}
	}
	seen := map[string]string{}
	names := map[string]bool{}
	for i := range f.Keys {
		k := &f.Keys[i]
		at := fmt.Sprintf("keys[%d]", i)
		if k.Name == "" || names[k.Name] {
			fail("%s: name %q must be given and unique", at, k.Name)
		}
		names[k.Name] = true
		switch {
		case !envName.MatchString(k.SecretEnv):
			fail("%s (%s): secret_env %q is not an environment variable name", at, k.Name, k.SecretEnv)
		default:
			if k.Secret = getenv(k.SecretEnv); k.Secret == "" {
				fail("%s (%s): $%s is not set", at, k.Name, k.SecretEnv)
			}
		}
		if k.Protocol != "imessage" && k.Protocol != "sms" {
			fail("%s (%s): protocol must be imessage or sms, not %q", at, k.Name, k.Protocol)
		}
		if !strategies[k.Strategy] {
			fail("%s (%s): strategy %q is not round_robin, weighted or geographic", at, k.Name, k.Strategy)
		}
		for j, n := range k.Numbers {
			nat := fmt.Sprintf("%s.numbers[%d]", at, j)
			if !numbering.ValidE164(n.Phone) {
				fail("%s: phone %q is not E.164 (quote it: \"+15551110001\")", nat, n.Phone)
			}
			if other, dup := seen[n.Phone]; dup {
				fail("%s: %s is also listed at %s (a number is in at most one pool)", nat, n.Phone, other)
			}
			seen[n.Phone] = nat
			switch n.PlanKind {
			case "", "dedicated", "inbound", "trial":
			default:
				fail("%s: plan_kind %q is not dedicated, inbound or trial", nat, n.PlanKind)
			}
			if n.Weight != nil && *n.Weight < 0 {
				fail("%s: weight must be ≥ 0", nat)
			}
		}
	}
	for i, r := range f.Recipients {
		if !numbering.ValidE164(r) && !strings.Contains(r, "@") {
			fail("recipients[%d]: %q is neither E.164 nor an email", i, r)
		}
	}
	if r := f.FreshRecipients; r != nil && (!regexp.MustCompile(`^\+[1-9][0-9]*$`).MatchString(r.Prefix) || r.Digits < 3 || len(r.Prefix)-1+r.Digits > 15) {
		fail("fresh_recipients: prefix must be + and digits, and digits ≥ 3, for an E.164 number of at most 15 digits")
	}
	for i, n := range f.ForeignNumbers {
		if !numbering.ValidE164(n) {
			fail("foreign_numbers[%d]: %q is not E.164", i, n)
		}
		if at, ok := seen[n]; ok {
			fail("foreign_numbers[%d]: %s is a number of this fixture (%s)", i, n, at)
		}
	}
	if f.Hooks.Timeout != "" {
		if d, err := time.ParseDuration(f.Hooks.Timeout); err != nil || d <= 0 {
			fail("hooks.timeout: %q is not a positive duration like 60s", f.Hooks.Timeout)
		}
	}
	return errors.Join(errs...)
}

// strategyOf is the known strategy of key k's organization ("" when unknown).
func (f *Fixture) strategyOf(k FixtureKey) string { return cmpOr(k.Strategy, f.Strategy) }

// runInboundHook runs the inbound command template for in.
func (f *Fixture) runInboundHook(ctx context.Context, in InboundMessage) ([]byte, error) {
	timeout := 60 * time.Second
	if f.Hooks.Timeout != "" {
		timeout, _ = time.ParseDuration(f.Hooks.Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	group := ""
	if in.Group != nil {
		group = in.Group.ChatGUID
	}
	r := strings.NewReplacer("{from}", in.From, "{to}", in.To, "{text}", in.Text, "{group}", group)
	argv := make([]string, len(f.Hooks.Inbound))
	for i, a := range f.Hooks.Inbound {
		argv[i] = r.Replace(a)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("hooks.inbound %s: %w: %s", argv[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// areaCode is a NANP number's area code ("" for other numbers).
func areaCode(phone string) string {
	ac, _ := numbering.NANPAreaCode(phone)
	return ac
}
