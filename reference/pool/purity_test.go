package pool_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPurity keeps the engine pure (STYLE: pure core): no HTTP, no SQL, no OS, no global
// randomness, and no wall clock.
func TestPurity(t *testing.T) {
	forbidden := map[string]bool{
		"net/http": true, "net": true, "database/sql": true, "os": true, "os/exec": true,
		"math/rand": true, "crypto/rand": true, "log": true, "log/slog": true, "syscall": true,
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		ast, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			require.False(t, forbidden[path], "%s imports %s", f, path)
			// internal/mutation is a leaf (it imports nothing): the flags of the conformance
			// mutants, off in every real engine.
			require.False(t, strings.HasPrefix(path, "poolkit/") && path != "poolkit/reference/numbering" &&
				path != "poolkit/internal/mutation",
				"%s imports %s: the engine depends on nothing above it", f, path)
		}
		for _, call := range []string{"time.Now(", "time.Since(", "time.Sleep(", "rand.Int", "rand.Float", "rand.N("} {
			require.NotContains(t, string(src), call, "%s calls %s", f, call)
		}
		checked++
	}
	require.Greater(t, checked, 5)
}
