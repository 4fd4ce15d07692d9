package scenarios

import "poolkit/target"

// Scenario is one YAML file: what it exercises, what it provisions and its steps.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Rules are the SPEC rule ids (POOL-…) the scenario exercises.
	Rules []string `yaml:"rules"`
	// Capabilities are what the target must offer beyond the public API: provisioning,
	// inbound, health_control, clock. The loader checks that the steps need no other.
	Capabilities []string `yaml:"capabilities"`
	Setup        Setup    `yaml:"setup"`
	Steps        []Step   `yaml:"steps"`

	// File is where the scenario was loaded from; Line is the line of each step (1-based,
	// same index as Steps) and SetupLine the line of setup.
	File      string `yaml:"-"`
	Line      int    `yaml:"-"`
	SetupLine int    `yaml:"-"`
	StepLines []int  `yaml:"-"`
}

// Setup is what a scenario provisions in a fresh organization, or binds to on a fixture
// deployment (see package target).
type Setup = target.Spec

// NumberSpec, KeySpec and HealthConfig are parts of a Setup.
type (
	NumberSpec   = target.NumberSpec
	KeySpec      = target.KeySpec
	HealthConfig = target.HealthConfig
)

// Step is one action and what it must produce. Exactly one action field is set.
type Step struct {
	// Name describes the step in reports (default: the action).
	Name string `yaml:"name"`
	// Key is the API key the step uses (default: the first key of setup).
	Key string `yaml:"key"`

	Send         *SendStep    `yaml:"send"`
	Inbound      *InboundStep `yaml:"inbound"`
	Assign       *AssignStep  `yaml:"assign"`
	Unassign     *NumberRef   `yaml:"unassign"`
	SetStrategy  string       `yaml:"set_strategy"`
	SetNumber    *SetNumber   `yaml:"set_number"`
	Line         *LineStep    `yaml:"line"`
	ResetBinding *BindingStep `yaml:"reset_binding"`
	GetBinding   *BindingStep `yaml:"get_binding"`
	MyNumbers    *struct{}    `yaml:"my_numbers"`
	Me           *struct{}    `yaml:"me"`
	Chats        *struct{}    `yaml:"chats"`
	NumberHealth *NumberRef   `yaml:"number_health"`
	Wait         *WaitStep    `yaml:"wait"`
	RevokeKey    *struct{}    `yaml:"revoke_key"`
	// AdvanceClock moves the deployment's clock forward ("25h"), capability clock.
	AdvanceClock string  `yaml:"advance_clock"`
	Expect       *Expect `yaml:"expect"`
	// Save stores response fields (by path, see Expect.Fields) in variables for later
	// steps: {var: path}.
	Save map[string]string `yaml:"save"`
	// Eventually repeats the step until its expectations hold or the duration passes
	// ("5s"), for effects that arrive asynchronously (delivery outcomes, health).
	Eventually string `yaml:"eventually"`
}

// SendStep is POST /v2/api/chats/{to}/messages.
type SendStep struct {
	// To is the chatId: E.164, email, grp_ id or a comma-separated participant list.
	To string `yaml:"to"`
	// Text is a string or a list of strings (one message each).
	Text           any      `yaml:"text"`
	From           string   `yaml:"from"`
	FromHeader     string   `yaml:"from_header"`
	IdempotencyKey string   `yaml:"idempotency_key"`
	Attachments    []string `yaml:"attachments"`
	// Repeat sends the message this many times in sequence; {{i}} in To and Text is
	// replaced by the index (0, 1, …).
	Repeat int `yaml:"repeat"`
	// Concurrent sends this many identical requests at once.
	Concurrent int `yaml:"concurrent"`
}

// InboundStep makes a contact write to a number through its fake Mac relay.
type InboundStep struct {
	To    string        `yaml:"to"`
	From  string        `yaml:"from"`
	Text  string        `yaml:"text"`
	Group *InboundGroup `yaml:"group"`
}

// InboundGroup is the group chat an inbound message is written in.
type InboundGroup struct {
	ChatGUID     string   `yaml:"chat_guid"`
	Participants []string `yaml:"participants"`
	Name         string   `yaml:"name"`
}

// AssignStep assigns numbers to the step's key.
type AssignStep struct {
	Numbers  []string `yaml:"numbers"`
	PlanKind string   `yaml:"plan_kind"`
	Weight   *int     `yaml:"weight"`
}

// NumberRef names one number.
type NumberRef struct {
	Number string `yaml:"number"`
}

// SetNumber is PATCH /admin/v1/numbers/{number}.
type SetNumber struct {
	Number   string  `yaml:"number"`
	Health   *string `yaml:"health"`
	PlanKind *string `yaml:"plan_kind"`
	Weight   *int    `yaml:"weight"`
}

// LineStep changes a number's line on its fake Mac relay: online (line.status event),
// banned (line.status with banned) or the delivery failure ratio.
type LineStep struct {
	Number       string   `yaml:"number"`
	Online       *bool    `yaml:"online"`
	Banned       *bool    `yaml:"banned"`
	FailureRatio *float64 `yaml:"failure_ratio"`
}

// BindingStep names the sticky binding of the step's key with Recipient.
type BindingStep struct {
	Recipient string `yaml:"recipient"`
}

// WaitStep polls a message's status until it is Status or Timeout passes (default 10s).
type WaitStep struct {
	Chat    string `yaml:"chat"`
	Message string `yaml:"message"`
	Status  string `yaml:"status"`
	Timeout string `yaml:"timeout"`
}

// Expect is what a step must produce. Every field is optional; unset fields are not
// checked. A step without expect must succeed (2xx).
type Expect struct {
	// Status is the HTTP status (default: any 2xx).
	Status int `yaml:"status"`
	// Code and Message are the error body's code and message.
	Code    string `yaml:"code"`
	Message string `yaml:"message"`
	// FromNumber, FromNumberIn and FromNumberNot check a send's from_number.
	FromNumber    string   `yaml:"from_number"`
	FromNumberIn  []string `yaml:"from_number_in"`
	FromNumberNot []string `yaml:"from_number_not"`
	// Fields compare response fields by path: "allocation_id", "numbers.0.health";
	// "numbers.#" is the length of a list.
	Fields map[string]any `yaml:"fields"`
	// For repeated and concurrent sends: the from_number of each send in order, how many
	// sends each number made, and whether they all used one number.
	FromSequence   []string       `yaml:"from_sequence"`
	FromCounts     map[string]int `yaml:"from_counts"`
	SameFromNumber bool           `yaml:"same_from_number"`
}
