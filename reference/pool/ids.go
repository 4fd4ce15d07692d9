package pool

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
)

// IDs makes the ids of records: prefix + "_" + a unique suffix ("msg_…", "alloc_…").
type IDs interface {
	NewID(prefix string) string
}

// Sequence is a deterministic IDs: prefix_000001, prefix_000002, … with one counter for
// all prefixes. Simulations and tests use it so that a seed reproduces a run exactly.
type Sequence struct {
	n atomic.Uint64
}

// NewSequence returns a Sequence that starts at 1.
func NewSequence() *Sequence { return &Sequence{} }

// NewID implements IDs.
func (s *Sequence) NewID(prefix string) string {
	n := s.n.Add(1)
	var buf [48]byte
	var num [20]byte
	b := append(buf[:0], prefix...)
	b = append(b, '_')
	digits := strconv.AppendUint(num[:0], n, 10)
	for i := len(digits); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, digits...)
	return string(b)
}

// Random is an IDs with 80 random bits per id (16 base32 characters), drawn from a
// ChaCha8 generator seeded once from the given seed. Servers seed it from crypto/rand so
// that ids never repeat across restarts of a durable store.
type Random struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

// NewRandom returns a Random seeded with seed.
func NewRandom(seed [32]byte) *Random { return &Random{rng: rand.NewChaCha8(seed)} }

const base32 = "abcdefghijklmnopqrstuvwxyz234567"

// NewID implements IDs.
func (r *Random) NewID(prefix string) string {
	r.mu.Lock()
	hi, lo := r.rng.Uint64(), r.rng.Uint64()
	r.mu.Unlock()
	var buf [64]byte
	b := append(buf[:0], prefix...)
	b = append(b, '_')
	for i := 0; i < 16; i++ {
		var v uint64
		if i < 8 {
			v = hi >> (5 * i)
		} else {
			v = lo >> (5 * (i - 8))
		}
		b = append(b, base32[v&31])
	}
	return string(b)
}

// idReader is the default entropy of an engine built without WithEntropy: bytes derived
// from the ID source, deterministic under a Sequence.
type idReader struct{ ids IDs }

func (r idReader) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		var w [8]byte
		id := r.ids.NewID("entropy")
		h := uint64(14695981039346656037)
		for j := 0; j < len(id); j++ {
			h = (h ^ uint64(id[j])) * 1099511628211
		}
		binary.LittleEndian.PutUint64(w[:], h)
		copy(p[i:], w[:])
	}
	return len(p), nil
}
