package sim

import (
	"time"

	"poolkit/reference/pool"
)

// maxExamples bounds the stickiness violations kept as evidence.
const maxExamples = 10

// Violation is a send of an ongoing conversation answered from another number while its
// own was usable.
type Violation struct {
	Pool      int     `json:"pool"`
	AtSeconds float64 `json:"at_seconds"`
	Recipient string  `json:"recipient"`
	Bound     string  `json:"bound"`
	Got       string  `json:"got"`
}

// transition is a change of a number's degraded state, for the rotation measures.
type transition struct {
	at       time.Duration
	num      int
	degraded bool
}

// tally counts what happened to one pool during a run. The drivers feed it; Result sums
// the pools' tallies.
type tally struct {
	bucket  time.Duration
	buckets int

	sends, accepted, rejected       int64
	inbound, repliesLost            int64
	picks, fallbackPicks, reselects int64
	stickyChecked, violations       int64
	groupSends                      int64
	tiers                           [4]int64
	belowBest                       int64
	healthCorrections               int64
	rejections                      map[pool.Code]int64
	examples                        []Violation
	transitions                     []transition

	newPicks, messages, inboundBy, delivered, failed []int64

	// The timeline, bucket-major: [bucket*numbers + number].
	tlNew, tlMsgs []int64
	tlHealth      []health
	curBucket     int
}

func newTally(numbers, buckets int, duration time.Duration) *tally {
	t := &tally{
		buckets: buckets, bucket: max(duration/time.Duration(buckets), 1),
		rejections: map[pool.Code]int64{},
		newPicks:   make([]int64, numbers), messages: make([]int64, numbers),
		inboundBy: make([]int64, numbers), delivered: make([]int64, numbers), failed: make([]int64, numbers),
		tlNew: make([]int64, buckets*numbers), tlMsgs: make([]int64, buckets*numbers),
		tlHealth: make([]health, buckets*numbers),
	}
	return t
}

// bucketOf returns the time bucket of t; times past the end fall in the last bucket.
func (t *tally) bucketOf(at time.Duration) int {
	b := int(at / t.bucket)
	return min(max(b, 0), t.buckets-1)
}

// advance moves the health timeline to the bucket of at: the buckets entered start with
// the numbers' current states.
func (t *tally) advance(at time.Duration, m *model) {
	b := t.bucketOf(at)
	for t.curBucket < b {
		t.curBucket++
		row := t.tlHealth[t.curBucket*len(m.nums):]
		for i := range m.nums {
			row[i] = m.nums[i].state()
		}
	}
}

// observe records number i's current state in the current bucket (the worst wins).
func (t *tally) observe(m *model, i int) {
	k := t.curBucket*len(m.nums) + i
	t.tlHealth[k] = max(t.tlHealth[k], m.nums[i].state())
}

func (t *tally) message(at time.Duration, i int) {
	t.messages[i]++
	t.tlMsgs[t.bucketOf(at)*len(t.messages)+i]++
}

func (t *tally) newPick(at time.Duration, i int) {
	t.picks++
	t.newPicks[i]++
	t.tlNew[t.bucketOf(at)*len(t.newPicks)+i]++
}

func (t *tally) reject(code pool.Code) {
	t.rejected++
	t.rejections[code]++
}

func (t *tally) violation(v Violation) {
	t.violations++
	if len(t.examples) < maxExamples {
		t.examples = append(t.examples, v)
	}
}
