package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"poolkit/reference/pool"
	"poolkit/reference/store/sqlite"
)

// crashEnv names the database a child process of TestSurvivesKill sends into.
const crashEnv = "POOLKIT_SQLITE_CRASH_DB"

// TestSurvivesKill sends from a child process that is killed with SIGKILL in the middle
// of its sends. Every send the child saw accepted must be in the database afterwards,
// with its binding: synchronous=NORMAL in WAL mode survives a process crash.
func TestSurvivesKill(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s := open(t, path)
	w := newWorld(t, s, 4)
	require.NoError(t, s.Close())

	const acks = 300
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestSurvivesKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, "POOLKIT_SQLITE_CRASH_KEY="+w.key.ID)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	type sent struct{ id, recipient, from string }
	var got []sent
	lines := bufio.NewScanner(out)
	for len(got) < acks && lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) == 4 && f[0] == "sent" {
			got = append(got, sent{f[1], f[2], f[3]})
		}
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL, between or in the middle of commits
	cmd.Wait()
	require.Len(t, got, acks, "the child stopped early")

	s = open(t, path)
	tx, err := s.Begin(ctx, false)
	require.NoError(t, err)
	defer tx.Rollback()
	for _, m := range got {
		msg, err := tx.Message(m.id)
		require.NoError(t, err, "accepted message %s lost", m.id)
		require.Equal(t, m.recipient, msg.Recipient)
		require.Equal(t, m.from, msg.Phone)
		c, err := tx.Conversation(w.key.ID, m.recipient)
		require.NoError(t, err)
		a, err := tx.Allocation(c.AllocationID)
		require.NoError(t, err)
		require.Equal(t, m.from, a.Phone, "binding of %s", m.recipient)
	}
}

// crashChild sends until it is killed, printing each accepted send.
func crashChild(t *testing.T, path string) {
	s, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	e := pool.New(s, pool.WithClock(time.Now), pool.WithIDs(pool.NewRandom([32]byte{7})))
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		r := fmt.Sprintf("+1212555%04d", i%1000)
		res, err := e.Send(context.Background(), pool.SendRequest{KeyID: os.Getenv("POOLKIT_SQLITE_CRASH_KEY"), ChatID: r, Texts: []string{"hi"}})
		require.NoError(t, err)
		fmt.Fprintf(out, "sent %s %s %s\n", res.MessageID, r, res.From)
		out.Flush()
	}
}
