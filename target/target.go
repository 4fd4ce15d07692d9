package target

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"poolkit/reference/client"
)

// Capability is something a target can do beyond the public API (SPEC §9).
type Capability string

// The capabilities a run may need.
const (
	// Provisioning is the admin API (SPEC §6): orgs, keys, numbers, relays, bindings,
	// number health.
	Provisioning Capability = "provisioning"
	// Inbound is making a contact write to a number: through a fake Mac relay the run
	// registers (with provisioning), or the fixture's inbound command hook.
	Inbound Capability = "inbound"
	// HealthControl is taking lines offline, banning numbers and failing deliveries: the
	// run's own fake Mac relays and the admin API.
	HealthControl Capability = "health_control"
	// Clock is moving the deployment's clock forward (GET/POST /admin/v1/clock, served by
	// `poolkit serve --test-clock` and the embedded deployment).
	Clock Capability = "clock"
)

// AllCapabilities lists every capability in a fixed order.
var AllCapabilities = []Capability{Provisioning, Inbound, HealthControl, Clock}

// ParseCapability returns the capability named s.
func ParseCapability(s string) (Capability, error) {
	for _, c := range AllCapabilities {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown capability %q (provisioning, inbound, health_control, clock)", s)
}

// Capabilities are what a deployment was found to offer: each capability it lacks maps
// to the reason.
type Capabilities struct {
	missing map[Capability]string
}

// Has reports whether the deployment offers c.
func (c Capabilities) Has(cp Capability) bool {
	_, missing := c.missing[cp]
	return !missing
}

// Why returns the reason the deployment lacks cp ("" when it has it).
func (c Capabilities) Why(cp Capability) string { return c.missing[cp] }

// Lack returns the first of need the deployment lacks, with the reason; ok is true when
// it offers them all.
func (c Capabilities) Lack(need ...Capability) (missing Capability, why string, ok bool) {
	for _, n := range need {
		if !c.Has(n) {
			return n, c.missing[n], false
		}
	}
	return "", "", true
}

// String lists the capabilities: "provisioning inbound -health_control(why) …".
func (c Capabilities) String() string {
	var parts []string
	for _, cp := range AllCapabilities {
		if c.Has(cp) {
			parts = append(parts, string(cp))
		} else {
			parts = append(parts, fmt.Sprintf("no %s (%s)", cp, c.missing[cp]))
		}
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON writes {"provisioning": true, "clock": "reason it is missing", …}.
func (c Capabilities) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for _, cp := range AllCapabilities {
		if c.Has(cp) {
			m[string(cp)] = true
		} else {
			m[string(cp)] = c.missing[cp]
		}
	}
	return json.Marshal(m)
}

// A Target is where runs happen: Open gives a run a deployment. Open may be called
// concurrently, once per run or once for many.
type Target interface {
	Open(ctx context.Context) (*Deployment, error)
}

// Deployment is a poolkit-compatible API a run talks to.
type Deployment struct {
	// URL is the base URL (no trailing slash).
	URL string
	// AdminToken is the admin API's bearer token ("" when there is none).
	AdminToken string
	// Fixture describes what exists there, for deployments a run cannot provision.
	Fixture *Fixture
	// Shared says other runs use the same deployment at the same time: phone numbers and
	// relay ids are then drawn at random instead of from a fixed block.
	Shared bool
	// HTTPClient calls the deployment (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Close releases the deployment (nil: nothing to release).
	Close func() error

	once     sync.Once
	caps     Capabilities
	detected *detection
}

// Client returns the HTTP client runs use.
func (d *Deployment) Client() *http.Client {
	if d.HTTPClient != nil {
		return d.HTTPClient
	}
	return defaultHTTPClient
}

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// Capabilities detects, once, what the deployment offers beyond the public API. The
// deployments a Remote opens share one detection: a suite opens one per check.
func (d *Deployment) Capabilities(ctx context.Context) Capabilities {
	if d.detected != nil {
		d.detected.once.Do(func() { d.detected.caps = detect(ctx, d) })
		return d.detected.caps
	}
	d.once.Do(func() { d.caps = detect(ctx, d) })
	return d.caps
}

// detection is one detection of a deployment's capabilities, shared by the deployments
// opened for the same remote target.
type detection struct {
	once sync.Once
	caps Capabilities
}

// detect probes the deployment. Provisioning: the admin token is accepted and the admin
// API answers an org lookup with org_not_found. Clock: GET /admin/v1/clock answers.
// Inbound and health control follow from provisioning (the run's own fake relays) or,
// for inbound, from the fixture's command hook.
func detect(ctx context.Context, d *Deployment) Capabilities {
	missing := map[Capability]string{}
	admin := client.New(d.URL, client.WithAdminToken(d.AdminToken), client.WithHTTPClient(d.Client()))
	switch {
	case d.AdminToken == "":
		missing[Provisioning] = "no admin token (--admin-token, POOLKIT_ADMIN_TOKEN or the fixture's admin_token_env)"
	default:
		_, err := admin.Org(ctx, "org_poolkit_capability_probe")
		switch code := client.CodeOf(err); {
		case err == nil:
			missing[Provisioning] = "the admin API answered an org that cannot exist"
		case code == "org_not_found":
		case client.StatusOf(err) == http.StatusUnauthorized:
			missing[Provisioning] = "the admin token was refused (401)"
		case client.StatusOf(err) == http.StatusNotFound:
			missing[Provisioning] = "no admin API at " + d.URL + "/admin/v1"
		default:
			missing[Provisioning] = "the admin API probe failed: " + err.Error()
		}
	}
	if why, ok := missing[Provisioning]; ok {
		missing[HealthControl] = "needs provisioning (the run registers its own fake Mac relays): " + why
		if d.Fixture == nil || len(d.Fixture.Hooks.Inbound) == 0 {
			missing[Inbound] = "needs provisioning or the fixture's hooks.inbound command"
		}
	}
	if _, ok := missing[Provisioning]; ok {
		missing[Clock] = "needs the admin API"
	} else {
		resp, err := admin.Do(ctx, client.Request{Method: http.MethodGet, Path: "/admin/v1/clock", Auth: client.AuthAdmin})
		switch {
		case err != nil:
			missing[Clock] = "GET /admin/v1/clock failed: " + err.Error()
		case resp.Status != http.StatusOK:
			missing[Clock] = fmt.Sprintf("GET /admin/v1/clock answered %d (start poolkit serve with --test-clock)", resp.Status)
		}
	}
	return Capabilities{missing: missing}
}

// CapabilitySet builds Capabilities by hand: every capability not in have is missing
// with the reason why. For tests and for targets that know what they offer.
func CapabilitySet(why string, have ...Capability) Capabilities {
	missing := map[Capability]string{}
	for _, c := range AllCapabilities {
		missing[c] = why
	}
	for _, c := range have {
		delete(missing, c)
	}
	return Capabilities{missing: missing}
}
