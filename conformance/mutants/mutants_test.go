package mutants_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/mutants"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// TestPoolOptions: a mutant's options build the broken engine. (Every mutant's bug is
// proved, against the clean engine, in reference/pool's TestMutations.)
func TestPoolOptions(t *testing.T) {
	ctx := context.Background()
	send := func(opts ...pool.Option) pool.Code {
		e := pool.New(mem.New(), opts...)
		org, err := e.CreateOrg(ctx, pool.OrgSpec{Name: "o"})
		require.NoError(t, err)
		k, _, err := e.CreateKey(ctx, org.ID, "k")
		require.NoError(t, err)
		_, err = e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: "+15557770001", Texts: []string{"hi"}})
		return pool.ErrorCode(err)
	}
	m, ok := mutants.ByName("empty-pool-503")
	require.True(t, ok)
	require.Equal(t, pool.CodeNoNumbersAssigned, send())
	require.Equal(t, pool.CodeNoActiveNumber, send(m.PoolOptions()...))

	_, ok = mutants.ByName("no-such-mutant")
	require.False(t, ok)
	require.Equal(t, "no-sticky (POOL-STICKY-1)", mustByName(t, "no-sticky").String())
}

func mustByName(t *testing.T, name string) mutants.Mutant {
	t.Helper()
	m, ok := mutants.ByName(name)
	require.True(t, ok, name)
	return m
}
