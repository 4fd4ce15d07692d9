package mem

import (
	"hash/maphash"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

// TestMsgLogCollisions forces every id into one hash bucket: lookups, updates and
// rollbacks must still find each message by its own id.
func TestMsgLogCollisions(t *testing.T) {
	s := New()
	l := s.msgs
	// Pretend every id hashes alike by pre-filling the index with the hashes the ids
	// will get and pointing them at slot 0, whose id differs.
	put := func(id string) {
		l.put(s, pool.Message{ID: id, KeyID: "k", Recipient: "r"})
	}
	put("msg_a")
	l.commit()
	s.dirty = s.dirty[:0]
	for _, id := range []string{"msg_b", "msg_c"} {
		l.index[hashOf(l, id)] = 0 // collide with msg_a's slot
	}
	put("msg_b")
	put("msg_c")
	for _, id := range []string{"msg_a", "msg_b", "msg_c"} {
		m, ok := l.get(id)
		require.True(t, ok, id)
		require.Equal(t, id, m.ID)
	}
	require.Len(t, l.overflow, 2)
	l.rollback()
	_, ok := l.get("msg_b")
	require.False(t, ok)
	require.Empty(t, l.overflow)
	m, ok := l.get("msg_a")
	require.True(t, ok)
	require.Equal(t, "msg_a", m.ID)
}

func hashOf(l *msgLog, id string) uint64 { return maphash.String(l.seed, id) }
