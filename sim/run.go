package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"poolkit/reference/pool"
)

// Drivers.
const (
	DriverInProcess = "inprocess"
	DriverHTTP      = "http"
)

// Options are a run's settings beyond its profile. Zero values keep the profile's.
type Options struct {
	// Driver is DriverInProcess (default) or DriverHTTP.
	Driver string
	// Seed overrides the profile's seed.
	Seed *uint64
	// Messages sets the number of sends over the duration (the rate follows), Rate the
	// sends per second (the number of sends follows), Duration the run's length (the
	// number of sends follows the rate). The faults timeline stays where the profile
	// puts it.
	Messages int64
	Rate     float64
	Duration time.Duration
	// Shards overrides the profile's number of independent pools.
	Shards int
	// Target is where the HTTP driver sends.
	Target HTTPTarget
	// Progress, when set, is called about five times a second during the run.
	Progress func(Progress)
	// NewStore makes the store of each in-process pool; default simstore.New. Tests run
	// the simulation over reference/store/mem to show that the lean store changes
	// nothing, and over deliberately broken stores to show that the measures catch it.
	NewStore func() pool.Store
}

// Progress is how far a run is.
type Progress struct {
	Sends, Total int64
	Elapsed      time.Duration
}

// plan is a run's parameters, resolved from the profile and the options.
type plan struct {
	prof     *Profile
	opts     Options
	driver   string
	seed     uint64
	shards   int
	duration time.Duration
	sends    int64
	rate     float64
	numbers  []NumberConfig
	classes  []string
	health   pool.HealthSettings
	strategy pool.Strategy
	ttl      time.Duration
	actions  []action
	// ramps[i] are the failure ramps of number i.
	ramps [][][]RampPoint
}

// Action kinds of the faults timeline.
const (
	actOffline = iota
	actOnline
	actBan
	actLift
	actUnassign
	actReassign
)

// action is one change the faults timeline makes at a time.
type action struct {
	at    time.Duration
	kind  int
	nums  []int
	relay bool   // offline/online of a whole Mac
	by    string // ban: admin or relay
	fault int
}

func newPlan(pr *Profile, o Options) (*plan, error) {
	pl := &plan{prof: pr, opts: o, driver: o.Driver, shards: pr.Shards, duration: pr.Traffic.Duration.D(),
		numbers: pr.Numbers(), health: pr.health(), strategy: pool.Strategy(pr.Pool.Strategy), ttl: pr.Pool.StickyTTL.D()}
	if pl.driver == "" {
		pl.driver = DriverInProcess
	}
	if pl.driver != DriverInProcess && pl.driver != DriverHTTP {
		return nil, fmt.Errorf("unknown driver %q (inprocess, http)", o.Driver)
	}
	pl.seed = 1
	if pr.Seed != nil {
		pl.seed = *pr.Seed
	}
	if o.Seed != nil {
		pl.seed = *o.Seed
	}
	if o.Shards != 0 {
		if o.Shards < 1 || o.Shards > 64 {
			return nil, errors.New("shards must be between 1 and 64")
		}
		pl.shards = o.Shards
	}
	if o.Duration < 0 || o.Rate < 0 || o.Messages < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return nil, errors.New("duration, rate and messages must be positive")
	}
	if o.Duration > 0 {
		pl.duration = o.Duration
	}
	rate := pr.Traffic.Rate
	if pr.Traffic.Messages > 0 {
		rate = float64(pr.Traffic.Messages) / pr.Traffic.Duration.D().Seconds()
	}
	switch {
	case o.Messages > 0 && o.Rate > 0:
		return nil, errors.New("give messages or rate, not both")
	case o.Messages > 0:
		pl.sends = o.Messages
	case o.Rate > 0:
		rate = o.Rate
		fallthrough
	default:
		pl.sends = int64(math.Round(rate * pl.duration.Seconds()))
	}
	if pl.sends < 1 {
		return nil, fmt.Errorf("the run has no sends (rate %g/s over %s)", rate, pl.duration)
	}
	pl.rate = float64(pl.sends) / pl.duration.Seconds()
	if pl.shards > 1 && int64(pl.shards) > pl.sends {
		pl.shards = int(pl.sends)
	}
	if pr.Contacts.Count < pl.shards {
		pl.shards = pr.Contacts.Count
	}
	for _, a := range pr.Contacts.AreaCodes {
		pl.classes = append(pl.classes, string(a.AreaCode))
	}
	pl.buildFaults()
	return pl, nil
}

func (pl *plan) index(phone Digits) int {
	return slices.IndexFunc(pl.numbers, func(n NumberConfig) bool { return n.Phone == string(phone) })
}

func (pl *plan) buildFaults() {
	pl.ramps = make([][][]RampPoint, len(pl.numbers))
	add := func(a action) {
		if a.at <= pl.duration {
			pl.actions = append(pl.actions, a)
		}
	}
	for fi, f := range pl.prof.Faults {
		var nums []int
		if f.Relay != "" {
			for i, n := range pl.numbers {
				if n.Relay == f.Relay {
					nums = append(nums, i)
				}
			}
		} else {
			nums = []int{pl.index(f.Number)}
		}
		switch f.Kind {
		case FaultOffline:
			add(action{at: f.From.D(), kind: actOffline, nums: nums, relay: f.Relay != "", fault: fi})
			if f.Until > 0 {
				add(action{at: f.Until.D(), kind: actOnline, nums: nums, relay: f.Relay != "", fault: fi})
			}
		case FaultBan:
			add(action{at: f.From.D(), kind: actBan, nums: nums, by: cmpOr(f.By, "admin"), fault: fi})
			if f.Until > 0 {
				add(action{at: f.Until.D(), kind: actLift, nums: nums, fault: fi})
			}
		case FaultUnassign:
			add(action{at: f.From.D(), kind: actUnassign, nums: nums, fault: fi})
			if f.Until > 0 {
				add(action{at: f.Until.D(), kind: actReassign, nums: nums, fault: fi})
			}
		case FaultFailures:
			pl.ramps[nums[0]] = append(pl.ramps[nums[0]], f.Ramp)
		}
	}
	slices.SortStableFunc(pl.actions, func(a, b action) int { return int(a.at - b.at) })
}

// failureAt is number i's delivery failure ratio at t: the base ratio plus its ramps.
func (pl *plan) failureAt(i int, t time.Duration) float64 {
	r := pl.prof.Traffic.Delivery.FailureRatio
	for _, ramp := range pl.ramps[i] {
		r += rampAt(ramp, t)
	}
	return min(r, 1)
}

// split returns pool s's share of n.
func split(n int64, shards, s int) int64 {
	q := n / int64(shards)
	if int64(s) < n%int64(shards) {
		q++
	}
	return q
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Run runs a profile with the options' driver and returns its result, thresholds
// judged. An error means the run could not be carried out (a bad option, an engine or
// transport failure during setup); a failing threshold is a Result with Verdict "fail".
// When ctx ends early the result covers what ran and Interrupted is set.
func Run(ctx context.Context, pr *Profile, o Options) (*Result, error) {
	pl, err := newPlan(pr, o)
	if err != nil {
		return nil, err
	}
	switch pl.driver {
	case DriverHTTP:
		return runHTTP(ctx, pl, o)
	default:
		return runInProcess(ctx, pl, o)
	}
}
