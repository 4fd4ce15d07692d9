package target

import (
	"errors"
	"flag"
)

// Config names a target the way users give it: flags, or the environment variables
// POOLKIT_TARGET, POOLKIT_FIXTURE and POOLKIT_ADMIN_TOKEN.
type Config struct {
	// URL is the deployment's base URL; "" with no fixture means the embedded default.
	URL string
	// FixtureFile describes what exists there (keys, numbers, recipients, hooks).
	FixtureFile string
	// AdminToken is the admin API's token; "" falls back to the fixture's admin_token_env.
	AdminToken string
}

// RegisterFlags adds -target, -fixture and -admin-token to fs, defaulting to the
// environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.URL, "target", getenv("POOLKIT_TARGET"), "base URL of the deployment to run against (env POOLKIT_TARGET); default: an embedded reference deployment")
	fs.StringVar(&c.FixtureFile, "fixture", getenv("POOLKIT_FIXTURE"), "fixture YAML describing the deployment's existing keys, numbers and recipients (env POOLKIT_FIXTURE)")
	fs.StringVar(&c.AdminToken, "admin-token", getenv("POOLKIT_ADMIN_TOKEN"), "admin API token of the deployment, when it has one (env POOLKIT_ADMIN_TOKEN)")
}

// Embedded reports whether the config names the embedded default.
func (c Config) Embedded() bool { return c.URL == "" && c.FixtureFile == "" }

// Resolve returns the target c names: the embedded default, or a remote deployment with
// its fixture loaded (secrets from getenv).
func (c Config) Resolve(getenv func(string) string) (Target, error) {
	if c.Embedded() {
		return Embedded{}, nil
	}
	r := Remote{URL: c.URL, AdminToken: c.AdminToken}
	if c.FixtureFile != "" {
		f, err := LoadFixture(c.FixtureFile, getenv)
		if err != nil {
			return nil, err
		}
		r.Fixture = f
		if r.URL == "" {
			r.URL = f.URL
		}
		if r.AdminToken == "" {
			r.AdminToken = f.AdminToken
		}
	}
	if r.URL == "" {
		return nil, errors.New("no target URL: give --target (or POOLKIT_TARGET) or the fixture's url")
	}
	return r.Shared(), nil
}
