package twilio

import (
	"fmt"
	"maps"
	"time"
)

// AnyDestination is the To of a DeliveryFailure that applies to every destination
// without a failure of its own.
const AnyDestination = "*"

// Faults are the fault knobs of the fake. The zero value injects no fault.
type Faults struct {
	// ErrorRatio is the share of message creations answered 500 (code 20500), nothing
	// created, drawn from the seeded generator.
	ErrorRatio float64
	// Throttle is how many of the next message creations answer 429 (code 20429).
	Throttle int
	// Latency delays every REST response (not the control API).
	Latency time.Duration
	// DeliveryDelay is the wait between a message's creation and its "sent" status, and
	// between "sent" and its final status.
	DeliveryDelay time.Duration
	// DeliveryFailures maps a destination (To, or AnyDestination) to how its messages fail.
	DeliveryFailures map[string]DeliveryFailure
}

// DeliveryFailure is how messages to a destination fail after being accepted.
type DeliveryFailure struct {
	// Ratio is the share of messages that fail, in [0, 1].
	Ratio float64 `json:"ratio"`
	// Status is "undelivered" (sent, then undelivered; the default) or "failed" (never
	// sent).
	Status string `json:"status,omitempty"`
	// ErrorCode is the Twilio error code of the failure; 0 means 30003 (unreachable
	// handset) for undelivered and 30008 (unknown error) for failed.
	ErrorCode int `json:"error_code,omitempty"`
}

// normalize fills the defaults of f and checks it.
func (f DeliveryFailure) normalize() (DeliveryFailure, error) {
	if f.Ratio < 0 || f.Ratio > 1 {
		return f, fmt.Errorf("fake twilio: delivery failure ratio %v is not in [0, 1]", f.Ratio)
	}
	switch f.Status {
	case "":
		f.Status = StatusUndelivered
	case StatusUndelivered, StatusFailed:
	default:
		return f, fmt.Errorf("fake twilio: delivery failure status %q is neither undelivered nor failed", f.Status)
	}
	if f.ErrorCode == 0 {
		f.ErrorCode = 30003
		if f.Status == StatusFailed {
			f.ErrorCode = 30008
		}
	}
	return f, nil
}

// Faults returns the current fault knobs.
func (s *Server) Faults() Faults {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.DeliveryFailures = maps.Clone(f.DeliveryFailures)
	return f
}

// SetFaults replaces every fault knob. It fails, changing nothing, on a ratio outside
// [0, 1], a negative count or duration, or an unknown failure status.
func (s *Server) SetFaults(f Faults) error {
	s.init()
	f, err := f.normalize()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// normalize checks f and returns it with its delivery failures normalized, in a map of
// its own.
func (f Faults) normalize() (Faults, error) {
	if f.ErrorRatio < 0 || f.ErrorRatio > 1 {
		return f, fmt.Errorf("fake twilio: error ratio %v is not in [0, 1]", f.ErrorRatio)
	}
	if f.Throttle < 0 || f.Latency < 0 || f.DeliveryDelay < 0 {
		return f, fmt.Errorf("fake twilio: throttle, latency and delivery delay must not be negative")
	}
	failures := make(map[string]DeliveryFailure, len(f.DeliveryFailures))
	for to, df := range f.DeliveryFailures {
		df, err := df.normalize()
		if err != nil {
			return f, err
		}
		if df.Ratio > 0 {
			failures[to] = df
		}
	}
	f.DeliveryFailures = failures
	return f, nil
}

// SetErrorRatio makes the share ratio (in [0, 1]) of message creations answer 500.
func (s *Server) SetErrorRatio(ratio float64) {
	s.update(func(f *Faults) { f.ErrorRatio = ratio })
}

// Throttle makes the next n message creations answer 429 with code 20429.
func (s *Server) Throttle(n int) {
	s.update(func(f *Faults) { f.Throttle = n })
}

// SetLatency delays every REST response by d.
func (s *Server) SetLatency(d time.Duration) {
	s.update(func(f *Faults) { f.Latency = d })
}

// SetDeliveryDelay spaces a message's statuses by d.
func (s *Server) SetDeliveryDelay(d time.Duration) {
	s.update(func(f *Faults) { f.DeliveryDelay = d })
}

// SetDeliveryFailure makes messages to the destination to (or AnyDestination) fail as f;
// a zero Ratio removes the failure.
func (s *Server) SetDeliveryFailure(to string, f DeliveryFailure) {
	s.update(func(fs *Faults) {
		if fs.DeliveryFailures == nil {
			fs.DeliveryFailures = map[string]DeliveryFailure{}
		}
		fs.DeliveryFailures[to] = f
	})
}

// update applies change to the faults atomically; it panics on invalid knobs, a
// programming error of the test.
func (s *Server) update(change func(*Faults)) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.DeliveryFailures = maps.Clone(f.DeliveryFailures)
	change(&f)
	f, err := f.normalize()
	if err != nil {
		panic(err)
	}
	s.faults = f
}

// latency returns the Latency fault.
func (s *Server) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.Latency
}

// failureLocked returns the delivery failure for messages to to, if any. s.mu is held.
func (s *Server) failureLocked(to string) (DeliveryFailure, bool) {
	if f, ok := s.faults.DeliveryFailures[to]; ok {
		return f, true
	}
	f, ok := s.faults.DeliveryFailures[AnyDestination]
	return f, ok
}
