package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// mix is splitmix64's finaliser: a contact's attributes are a pure function of the seed
// and its index, so they need no storage and do not depend on the order of events.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// Binding states of a contact beside a number index.
const (
	unbound = -1 // never had a number, or every send so far was rejected
	dropped = -2 // its number was banned or unassigned (POOL-STICKY-3)
)

// contact is one recipient the pool has reached: its handle and the number the
// simulator believes holds its conversation (POOL-STICKY-2: the latest used, either
// direction).
type contact struct {
	handle string
	bound  int32
	last   time.Duration
}

// group is an ad-hoc group chat: its participant list is the chatId.
type group struct {
	chat  string
	bound int32
	last  time.Duration
}

// population is one pool's contacts and groups. Contacts are reached in index order: the
// next new conversation goes to the first contact never reached, and a returning
// contact is drawn by Zipf over those reached so far (the first reached is the most
// active).
type population struct {
	seed    uint64
	count   int
	classes []string
	cum     []float64 // cumulative area-code shares, normalised
	emails  float64
	zipfS   float64

	contacts []contact
	zipf     *rand.Zipf
	zipfN    int

	groups   []group
	minSize  int
	maxSize  int
	noGeo    int
	scratchB []byte
}

func newPopulation(seed uint64, count int, c Contacts, g *GroupsConfig, classes []string) *population {
	p := &population{seed: seed, count: count, classes: classes, emails: c.Emails, zipfS: c.Zipf, noGeo: len(classes)}
	total := 0.0
	for _, a := range c.AreaCodes {
		total += a.Share
	}
	acc := 0.0
	for _, a := range c.AreaCodes {
		acc += a.Share / total
		p.cum = append(p.cum, acc)
	}
	if g != nil && g.Share > 0 {
		p.groups = make([]group, g.Count)
		p.minSize, p.maxSize = g.MinSize, g.MaxSize
	}
	return p
}

// class returns the recipient class of contact i: its area code's index, or noGeo for
// an email handle.
func (p *population) class(i int) int {
	h := mix(p.seed ^ uint64(i)<<1)
	if p.emails > 0 && unit(mix(h)) < p.emails {
		return p.noGeo
	}
	u := unit(h)
	c, _ := slices.BinarySearch(p.cum, u)
	return min(c, len(p.cum)-1)
}

// handle returns contact i's handle: "+1" + area code + 7 digits, or an email.
func (p *population) handle(i int) string {
	c := p.class(i)
	b := p.scratchB[:0]
	if c == p.noGeo {
		b = append(b, "contact"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, "@example.com"...)
	} else {
		b = append(b, "+1"...)
		b = append(b, p.classes[c]...)
		b = strconv.AppendInt(b, 2_000_000+int64(i), 10)
	}
	p.scratchB = b
	return string(b)
}

// reach returns the next contact never reached, adding it; false when all were.
func (p *population) reach() (int, bool) {
	i := len(p.contacts)
	if i >= p.count {
		return 0, false
	}
	p.contacts = append(p.contacts, contact{handle: p.handle(i), bound: unbound})
	return i, true
}

// returning draws a contact already reached, by Zipf over the order they were reached.
// The sampler is rebuilt when the reached set has grown by 1/64 (deterministically), so
// a draw lags the newest contacts by less than 2 %.
func (p *population) returning(r *rand.Rand) int {
	n := len(p.contacts)
	if n == 1 {
		return 0
	}
	if p.zipf == nil || n > p.zipfN+p.zipfN/64 {
		p.zipf, p.zipfN = rand.NewZipf(r, p.zipfS, 1, uint64(n-1)), n
	}
	return int(p.zipf.Uint64())
}

// group returns group g, making its participant list on first use: between minSize and
// maxSize distinct contacts of the population.
func (p *population) group(g int) *group {
	gr := &p.groups[g]
	if gr.chat != "" {
		return gr
	}
	h := mix(p.seed ^ 0x67726f7570 ^ uint64(g)<<20)
	size := p.minSize + int(h%uint64(p.maxSize-p.minSize+1))
	members := make([]int, 0, size)
	for k := uint64(1); len(members) < size; k++ {
		i := int(mix(h+k) % uint64(p.count))
		if !slices.Contains(members, i) {
			members = append(members, i)
		}
	}
	handles := make([]string, len(members))
	for j, i := range members {
		handles[j] = p.handle(i)
	}
	gr.chat, gr.bound = strings.Join(handles, ","), unbound
	return gr
}

// rampAt returns a failures fault's ratio at t: 0 before its first point, linear between
// points, the last point's ratio after it. Two points at the same time make a step.
func rampAt(ramp []RampPoint, t time.Duration) float64 {
	if len(ramp) == 0 || t < ramp[0].At.D() {
		return 0
	}
	if t == ramp[0].At.D() && (len(ramp) == 1 || ramp[1].At != ramp[0].At) {
		return ramp[0].Ratio
	}
	for j := 1; j < len(ramp); j++ {
		a, b := ramp[j-1], ramp[j]
		if t <= b.At.D() {
			span := b.At.D() - a.At.D()
			if span <= 0 {
				return b.Ratio
			}
			f := float64(t-a.At.D()) / float64(span)
			return a.Ratio + f*(b.Ratio-a.Ratio)
		}
	}
	return ramp[len(ramp)-1].Ratio
}

// crossing returns the first time at or after from when base+ramp(t) satisfies
// above (≥ level) or, with above false, falls below level; false when it never does
// within end.
func crossing(ramp []RampPoint, base, level float64, above bool, from, end time.Duration) (time.Duration, bool) {
	ok := func(t time.Duration) bool {
		v := base + rampAt(ramp, t)
		if above {
			return v >= level
		}
		return v < level
	}
	if ok(from) {
		return from, true
	}
	// The ramp is linear between points: find the segment where it first holds, then
	// bisect within it to the millisecond.
	points := []time.Duration{from}
	for _, r := range ramp {
		if r.At.D() > from && r.At.D() < end {
			points = append(points, r.At.D())
		}
	}
	points = append(points, end)
	for j := 1; j < len(points); j++ {
		if !ok(points[j]) {
			continue
		}
		lo, hi := points[j-1], points[j]
		for hi-lo > time.Millisecond {
			mid := lo + (hi-lo)/2
			if ok(mid) {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi, true
	}
	return 0, false
}
