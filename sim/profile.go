package sim

import (
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Profile is one simulation: a pool, its contacts, the traffic they exchange, a timeline
// of faults and the thresholds that decide the verdict. Profiles are YAML files (see
// sim/README.md), decoded strictly by Load.
type Profile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed is the default seed of the run's generator (1 when absent); a run's options
	// override it.
	Seed *uint64 `yaml:"seed"`
	// Shards is how many independent pools the in-process driver runs side by side (its
	// own organization, key and engine each), each with its share of the contacts and
	// the traffic; the measures are summed. Default 2. The HTTP driver provisions as many
	// keys.
	Shards     int        `yaml:"shards"`
	Pool       PoolSpec   `yaml:"pool"`
	Contacts   Contacts   `yaml:"contacts"`
	Traffic    Traffic    `yaml:"traffic"`
	Faults     []Fault    `yaml:"faults"`
	Thresholds []string   `yaml:"thresholds"`
	Report     ReportSpec `yaml:"report"`

	// File is where the profile was loaded from.
	File string `yaml:"-"`
	// thresholds are Thresholds parsed; numbers are Pool.Numbers expanded.
	thresholds []Threshold
	numbers    []NumberConfig
}

// PoolSpec is the organization's settings and the key's numbers, in position order.
type PoolSpec struct {
	// Strategy is round_robin (default), weighted or geographic (SPEC §3).
	Strategy string `yaml:"strategy"`
	// StickyTTL expires a conversation's binding after this long without a message
	// (0, the default, never).
	StickyTTL Duration      `yaml:"sticky_ttl"`
	Health    *HealthConfig `yaml:"health"`
	Numbers   []NumberSpec  `yaml:"numbers"`
}

// HealthConfig are the organization's POOL-HEALTH-1 thresholds; zero fields keep the
// SPEC's defaults (50, 20, 0.80, 0.90).
type HealthConfig struct {
	Window       int     `yaml:"window"`
	MinSamples   int     `yaml:"min_samples"`
	DegradeBelow float64 `yaml:"degrade_below"`
	RecoverAt    float64 `yaml:"recover_at"`
}

// NumberSpec is one number of the pool, or Count numbers in AreaCode.
type NumberSpec struct {
	// Phone is the E.164 number, quoted. Either Phone, or AreaCode with Count.
	Phone    Digits `yaml:"phone"`
	AreaCode Digits `yaml:"area_code"`
	Count    int    `yaml:"count"`
	// Relay is the Mac relay hosting the line (default "mac-1"); line slots are given in
	// order on each relay.
	Relay    string `yaml:"relay"`
	PlanKind string `yaml:"plan_kind"`
	// Weight is the weighted strategy's weight (default 1; 0 never starts a conversation).
	Weight *int `yaml:"weight"`
}

// NumberConfig is one number of a pool after expansion.
type NumberConfig struct {
	Phone    string `json:"phone"`
	Relay    string `json:"relay"`
	Slot     int    `json:"slot"`
	PlanKind string `json:"plan_kind"`
	Weight   int    `json:"weight"`
}

// Contacts are the people the pool talks to.
type Contacts struct {
	// Count is how many distinct contacts there are.
	Count int `yaml:"count"`
	// AreaCodes is the mix of the contacts' NANP area codes (shares are normalised);
	// default: all in 555.
	AreaCodes []AreaCodeShare `yaml:"area_codes"`
	// Emails is the share of contacts reached by an email handle (always the geographic
	// strategy's tier 3).
	Emails float64 `yaml:"emails"`
	// Zipf is the exponent s (> 1) of the returning contacts' activity: the k-th contact
	// ever reached is picked with probability ∝ 1/k^s. Default 1.1.
	Zipf float64 `yaml:"zipf"`
}

// AreaCodeShare is one area code of the contacts' mix.
type AreaCodeShare struct {
	AreaCode Digits  `yaml:"area_code"`
	Share    float64 `yaml:"share"`
}

// Traffic is what the contacts and the pool exchange.
type Traffic struct {
	// Duration is the run's length (virtual time in-process, real time over HTTP).
	Duration Duration `yaml:"duration"`
	// Rate is the offered load in sends per second; Messages the number of sends over
	// Duration. Give one of them.
	Rate     float64 `yaml:"rate"`
	Messages int64   `yaml:"messages"`
	// Arrivals is poisson (default: exponential gaps) or uniform (even gaps).
	Arrivals string `yaml:"arrivals"`
	// NewConversations is the share of sends that go to a contact never reached before.
	NewConversations float64 `yaml:"new_conversations"`
	// Replies is the probability that a contact answers a message (an inbound message
	// to the number that sent it), ReplyDelay later.
	Replies    float64  `yaml:"replies"`
	ReplyDelay Duration `yaml:"reply_delay"`
	// InboundFirst is the share of new contacts who first write to one of the pool's
	// reply-only (inbound) numbers, which then holds their conversation.
	InboundFirst float64       `yaml:"inbound_first"`
	Groups       *GroupsConfig `yaml:"groups"`
	Delivery     Delivery      `yaml:"delivery"`
}

// GroupsConfig sends a share of the traffic to ad-hoc group chats (participant lists).
type GroupsConfig struct {
	Share   float64 `yaml:"share"`
	Count   int     `yaml:"count"`
	MinSize int     `yaml:"min_size"`
	MaxSize int     `yaml:"max_size"`
}

// Delivery is how delivery outcomes come back: every accepted message gets delivered or
// failed Latency after it was sent.
type Delivery struct {
	FailureRatio float64  `yaml:"failure_ratio"`
	Latency      Duration `yaml:"latency"`
}

// Fault kinds.
const (
	FaultOffline  = "offline"
	FaultFailures = "failures"
	FaultBan      = "ban"
	FaultUnassign = "unassign"
)

// Fault is one event of the faults timeline. Kind decides which fields apply:
//   - offline: Number or Relay (a whole Mac) goes offline at From, online at Until
//     (0: stays offline); reported by the relay (line.status);
//   - failures: Number's delivery failure ratio follows Ramp, added to the base failure
//     ratio: 0 before the first point, linear between points (two points at one time
//     make a step), the last point's ratio after the last;
//   - ban: Number is banned at From, By an admin (default) or its relay; an admin lifts
//     the ban at Until (0: never);
//   - unassign: Number leaves the key's pool at From and is assigned again at Until
//     (0: never), at a new position.
type Fault struct {
	Kind   string      `yaml:"kind"`
	Number Digits      `yaml:"number"`
	Relay  string      `yaml:"relay"`
	From   Duration    `yaml:"from"`
	Until  Duration    `yaml:"until"`
	By     string      `yaml:"by"`
	Ramp   []RampPoint `yaml:"ramp"`
}

// RampPoint is a failure ratio at a time of the run.
type RampPoint struct {
	At    Duration `yaml:"at"`
	Ratio float64  `yaml:"ratio"`
}

// ReportSpec shapes the report.
type ReportSpec struct {
	// Buckets is how many time buckets "shares over time" has (default 60).
	Buckets int `yaml:"buckets"`
}

// Duration is a time.Duration written as "90s", "10m", "1h30m" (0 may be written 0).
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration such as \"90s\" or \"10m\", not a %s", n.Line, kindName(n.Kind))
	}
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as \"90s\" or \"10m\"", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Digits is a phone number or an area code. It must be quoted in YAML: unquoted,
// +14155550001 is a number to YAML and 0-led codes lose their zeros.
type Digits string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Digits) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a quoted string such as \"+14155550001\", not a %s", n.Line, kindName(n.Kind))
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return fmt.Errorf("line %d: quote phone numbers and area codes: %s", n.Line, strconv.Quote(n.Value))
	}
	*s = Digits(n.Value)
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
