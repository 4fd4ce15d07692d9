package mem

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

// TestMsgLogCollisions forces every id onto one hash: lookups, updates and rollbacks
// must still find each message by its own id.
func TestMsgLogCollisions(t *testing.T) {
	s := New()
	l := s.msgs
	l.hash = func(string) uint64 { return 42 << 32 }
	put := func(id string) {
		l.put(s, pool.Message{ID: id, KeyID: "k", Recipient: "r"})
	}
	put("msg_a")
	l.commit()
	s.dirty = s.dirty[:0]
	put("msg_b")
	put("msg_c")
	for _, id := range []string{"msg_a", "msg_b", "msg_c"} {
		m, ok := l.get(id)
		require.True(t, ok, id)
		require.Equal(t, id, m.ID)
	}
	require.Equal(t, 3, l.index.n)
	l.rollback()
	_, ok := l.get("msg_b")
	require.False(t, ok)
	require.Equal(t, 1, l.index.n)
	m, ok := l.get("msg_a")
	require.True(t, ok)
	require.Equal(t, "msg_a", m.ID)
}

// TestIDIndex grows the index past several doublings, with hashes crowded into a few
// home positions, and rolls back inserts in the middle of probe runs.
func TestIDIndex(t *testing.T) {
	for _, crowd := range []bool{false, true} {
		s := New()
		l := s.msgs
		if crowd {
			l.hash = func(id string) uint64 {
				var h uint64 = 14695981039346656037
				for i := 0; i < len(id); i++ {
					h = (h ^ uint64(id[i])) * 1099511628211
				}
				return (h & 7) << 61 // eight tags: long probe runs
			}
		}
		id := func(i int) string { return fmt.Sprintf("msg_%d", i) }
		const n = 5000
		for i := 0; i < n; i++ {
			l.put(s, pool.Message{ID: id(i), KeyID: "k", Recipient: fmt.Sprint(i % 7)})
			if i%500 == 0 {
				l.commit()
			}
		}
		l.commit()
		s.dirty = s.dirty[:0]
		for i := n; i < n+300; i++ {
			l.put(s, pool.Message{ID: id(i), KeyID: "k", Recipient: fmt.Sprint(i % 7)})
		}
		l.put(s, pool.Message{ID: id(n + 1), KeyID: "k", Recipient: "moved"})
		l.rollback()
		require.Equal(t, n, l.index.n)
		for i := 0; i < n+300; i++ {
			m, ok := l.get(id(i))
			require.Equal(t, i < n, ok, i)
			if ok {
				require.Equal(t, id(i), m.ID)
			}
		}
		total := 0
		for r := 0; r < 7; r++ {
			ms := l.conversation("k", fmt.Sprint(r))
			last := -1
			for _, m := range ms {
				require.Equal(t, fmt.Sprint(r), m.Recipient)
				var i int
				_, err := fmt.Sscanf(m.ID, "msg_%d", &i)
				require.NoError(t, err)
				require.Greater(t, i, last) // oldest first
				last = i
			}
			total += len(ms)
		}
		require.Equal(t, n, total)
		require.Empty(t, l.conversation("k", "moved"))
	}
}
