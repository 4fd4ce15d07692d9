package model

import (
	"maps"
	"slices"
	"time"
)

// org is an organization's settings.
type org struct {
	strategy Strategy
	ttl      time.Duration // 0 = bindings never expire
	health   HealthSettings
}

// key is an API key and everything the engine keeps per key.
type key struct {
	id, org  string
	revoked  bool
	allocs   []int // live allocation ids, in position order
	maxPos   int   // highest position ever given (positions start at 1)
	protocol Protocol
	bindings map[string]binding // recipient → binding (imessage keys only)
	// smsLast is the number last used with a recipient of an sms key. It changes no
	// selection (POOL-TWILIO-2); it only names POOL-TWILIO-2 when a target is sticky.
	smsLast map[string]string

	rr        int            // round_robin cursor: position chosen last, 0 = none
	geoAC     map[string]int // geographic tier-1 cursors, per area code
	geoRegion map[string]int // geographic tier-2 cursors, per region set
	wrrSig    []wrrEntry     // candidates and weights of the previous weighted pick
	wrrCur    map[int]int    // position → current weight
}

// wrrEntry is one candidate of a weighted pick.
type wrrEntry struct{ pos, weight int }

// binding is a sticky binding: the allocation and the time of the conversation's last
// message in either direction (POOL-STICKY-2, POOL-STICKY-3).
type binding struct {
	alloc int
	last  time.Duration
}

// number is a registered phone number; plan kind and weight are its properties.
type number struct {
	phone, org string
	provider   Provider
	plan       PlanKind
	weight     int
	banned     bool
	offline    bool
	degraded   bool
	outcomes   []bool // the last `window` delivery outcomes, oldest first
	sent       int    // outbound messages sent while it was a trial number
	alloc      int    // live allocation id, 0 = none
}

// alloc is an allocation: a number assigned to a key at a position.
type alloc struct {
	id    int
	key   string
	phone string
	pos   int
	prior map[string]bool // recipients with prior inbound on this allocation
}

func (k *key) clone() *key {
	c := *k
	c.allocs = slices.Clone(k.allocs)
	c.bindings = maps.Clone(k.bindings)
	c.smsLast = maps.Clone(k.smsLast)
	c.geoAC = maps.Clone(k.geoAC)
	c.geoRegion = maps.Clone(k.geoRegion)
	c.wrrSig = slices.Clone(k.wrrSig)
	c.wrrCur = maps.Clone(k.wrrCur)
	return &c
}

func (n *number) clone() *number {
	c := *n
	c.outcomes = slices.Clone(n.outcomes)
	return &c
}

func (a *alloc) clone() *alloc {
	c := *a
	c.prior = maps.Clone(a.prior)
	return &c
}

func cloneMap[K comparable, V any](m map[K]*V, f func(*V) *V) map[K]*V {
	c := make(map[K]*V, len(m))
	for k, v := range m {
		c[k] = f(v)
	}
	return c
}
