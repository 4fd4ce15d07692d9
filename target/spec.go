package target

// Spec is what a scenario or a check needs: an organization with numbers and keys. It is
// the `setup` of a scenario file.
type Spec struct {
	// Strategy is the org's allocation strategy ("" for the default, round_robin).
	Strategy         string        `yaml:"strategy" json:"strategy,omitempty"`
	StickyTTLSeconds *int64        `yaml:"sticky_ttl_seconds" json:"sticky_ttl_seconds,omitempty"`
	Health           *HealthConfig `yaml:"health" json:"health,omitempty"`
	// Numbers are registered in the org in order; steps refer to them as $name.
	Numbers []NumberSpec `yaml:"numbers" json:"numbers,omitempty"`
	// Keys are created in order; the first is the default key of every step.
	Keys []KeySpec `yaml:"keys" json:"keys,omitempty"`
}

// HealthConfig are the org's health thresholds (SPEC §4); unset fields keep the default.
type HealthConfig struct {
	Window       *int     `yaml:"window" json:"window,omitempty"`
	MinSamples   *int     `yaml:"min_samples" json:"min_samples,omitempty"`
	DegradeBelow *float64 `yaml:"degrade_below" json:"degrade_below,omitempty"`
	RecoverAt    *float64 `yaml:"recover_at" json:"recover_at,omitempty"`
}

// NumberSpec is a symbolic number: provisioning maps Name to a fresh E.164 number in
// AreaCode (default 555); a fixture binding maps it to an existing number of the same
// kind.
type NumberSpec struct {
	Name string `yaml:"name" json:"name"`
	// Provider is blooio (default) or twilio.
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// PlanKind is the number's plan kind ("" for the default, dedicated).
	PlanKind string `yaml:"plan_kind" json:"plan_kind,omitempty"`
	Weight   *int   `yaml:"weight" json:"weight,omitempty"`
	AreaCode string `yaml:"area_code" json:"area_code,omitempty"`
	// Relay and Slot place a Blooio number on a fake Mac (default relay "mac-1", slots
	// counted from 1 per relay).
	Relay string `yaml:"relay" json:"relay,omitempty"`
	Slot  int    `yaml:"slot" json:"slot,omitempty"`
}

// KeySpec is an API key and the numbers assigned to it at setup, in order.
type KeySpec struct {
	Name    string   `yaml:"name" json:"name"`
	Numbers []string `yaml:"numbers" json:"numbers,omitempty"`
}

func (n NumberSpec) provider() string { return cmpOr(n.Provider, "blooio") }
func (n NumberSpec) planKind() string { return cmpOr(n.PlanKind, "dedicated") }

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
