package mem_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// BenchmarkPutMessage measures the store's share of a send: a transaction scoped to a
// conversation that reads it, appends a message to it and puts it back, as the log grows
// by one message per operation.
func BenchmarkPutMessage(b *testing.B) {
	s := mem.New()
	ctx := context.Background()
	rs := make([]string, 4096)
	for i := range rs {
		rs[i] = fmt.Sprintf("+1415%07d", i)
	}
	id := []byte("msg_")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := rs[i&4095]
		tx, err := s.BeginConversation(ctx, "key_1", r)
		if err != nil {
			b.Fatal(err)
		}
		c, err := tx.Conversation("key_1", r)
		if err == pool.ErrNotFound {
			c = pool.Conversation{KeyID: "key_1", Recipient: r}
		}
		id = strconv.AppendInt(id[:4], int64(i), 10)
		if err := tx.PutMessage(pool.Message{ID: string(id), KeyID: "key_1", Recipient: r, ChatID: r, AllocationID: "alloc_1",
			Phone: "+15551110001", Direction: pool.Outbound, Protocol: pool.ProtocolIMessage, Text: "hello",
			Status: pool.StatusQueued}); err != nil {
			b.Fatal(err)
		}
		c.AllocationID = "alloc_1"
		if err := tx.PutConversation(c); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
