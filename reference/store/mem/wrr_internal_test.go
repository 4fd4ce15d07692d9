package mem

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
)

// TestWRRInPlaceRollback: a put of as many slots as the key holds writes into the
// stored slice; a rollback must restore the previous contents, through any mix of
// in-place and reshaping puts, and a slice returned earlier must not change.
func TestWRRInPlaceRollback(t *testing.T) {
	s := New()
	ctx := context.Background()
	one := []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: -2}}
	tx, err := s.Begin(ctx, true)
	require.NoError(t, err)
	require.NoError(t, tx.PutWRR("k", one))
	one[0].Current = 7 // the caller's slice is not the store's
	require.NoError(t, tx.Commit())

	tx, err = s.Begin(ctx, true)
	require.NoError(t, err)
	got, err := tx.WRR("k")
	require.NoError(t, err)
	require.Equal(t, []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: -2}}, got)
	require.NoError(t, tx.PutWRR("k", []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: 1}}))
	require.Equal(t, []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: -2}}, got, "a returned slice is the caller's")
	require.NoError(t, tx.PutWRR("k", []pool.WRRSlot{{AllocationID: "a", Weight: 3}, {AllocationID: "b", Weight: 1}}))
	require.NoError(t, tx.PutWRR("k", []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: 2}, {AllocationID: "b", Weight: 1, Current: -2}}))
	require.NoError(t, tx.PutWRR("new", one))
	require.NoError(t, tx.Rollback())

	tx, err = s.Begin(ctx, true)
	require.NoError(t, err)
	got, err = tx.WRR("k")
	require.NoError(t, err)
	require.Equal(t, []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: -2}}, got)
	_, err = tx.WRR("new")
	require.ErrorIs(t, err, pool.ErrNotFound)

	// In place and committed.
	require.NoError(t, tx.PutWRR("k", []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: 4}}))
	require.NoError(t, tx.Commit())
	tx, err = s.Begin(ctx, false)
	require.NoError(t, err)
	got, err = tx.WRR("k")
	require.NoError(t, err)
	require.Equal(t, []pool.WRRSlot{{AllocationID: "a", Weight: 3, Current: 4}}, got)
	require.NoError(t, tx.Rollback())
	for i := range s.sched {
		require.Empty(t, s.sched[i].wrr.undo)
		require.Empty(t, s.sched[i].wrr.arena)
	}
}
