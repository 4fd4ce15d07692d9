package mutation_test

import (
	"go/parser"
	"go/token"
	"math/bits"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/internal/mutation"
)

func TestHas(t *testing.T) {
	var none mutation.Set
	require.False(t, none.Has(mutation.NoSticky), "the zero Set is the correct engine")
	s := mutation.NoSticky | mutation.TwilioRotates
	require.True(t, s.Has(mutation.NoSticky))
	require.True(t, s.Has(mutation.TwilioRotates))
	require.False(t, s.Has(mutation.TwilioSticky))
	require.True(t, s.Has(mutation.TwilioSticky|mutation.NoSticky), "Has is any of")
	require.True(t, mutation.All.Has(mutation.RelayBanIgnored))
}

func TestAll(t *testing.T) {
	// One bit per mutation, contiguous from bit 0: the first and last are in All, and All
	// has no gap.
	require.Equal(t, mutation.Set(1), mutation.EmptyPoolWrongCode)
	require.Equal(t, bits.Len64(uint64(mutation.All)), bits.OnesCount64(uint64(mutation.All)))
	require.Equal(t, mutation.RelayBanIgnored, mutation.Set(1)<<(bits.Len64(uint64(mutation.All))-1))
	require.Equal(t, 31, bits.OnesCount64(uint64(mutation.All)))
}

// TestLeaf: the pure engine imports this package, so it must import nothing.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		require.Empty(t, ast.Imports, "%s imports something", f)
	}
}
