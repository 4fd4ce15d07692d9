package pool_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// benchPool is an org with one key holding eight numbers in area codes 415 and 212.
func benchPool(b *testing.B, strategy pool.Strategy) (*pool.Engine, pool.Key) {
	b.Helper()
	e := pool.New(mem.New())
	ctx := context.Background()
	org, err := e.CreateOrg(ctx, pool.OrgSpec{Strategy: strategy})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.RegisterRelay(ctx, pool.Relay{ID: "mac-1", URL: "http://127.0.0.1:1", Secret: "s"}); err != nil {
		b.Fatal(err)
	}
	k, _, err := e.CreateKey(ctx, org.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var phones []string
	for i := 0; i < 8; i++ {
		ac := []string{"415", "212"}[i%2]
		p := fmt.Sprintf("+1%s555%04d", ac, i)
		phones = append(phones, p)
		if _, err := e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio,
			RelayID: "mac-1", LineSlot: i, Weight: ptr(1 + i%3)}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.AssignNumbers(ctx, k.ID, pool.AssignRequest{Phones: phones}); err != nil {
		b.Fatal(err)
	}
	return e, k
}

func recipients(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+1%s%07d", []string{"415", "212", "305"}[i%3], i%10_000_000)
	}
	return out
}

// BenchmarkSend measures the engine with the in-memory store: sticky sends (ongoing
// conversations) and new conversations under each strategy, serial and parallel.
func BenchmarkSend(b *testing.B) {
	b.Run("sticky", func(b *testing.B) {
		e, k := benchPool(b, pool.StrategyRoundRobin)
		rs := recipients(4096)
		for _, r := range rs {
			if _, err := e.Send(context.Background(), pool.SendRequest{KeyID: k.ID, ChatID: r, Texts: []string{"hi"}}); err != nil {
				b.Fatal(err)
			}
		}
		texts := []string{"hello"}
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				if _, err := e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: rs[i&4095], Texts: texts}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			var seed atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := int(seed.Add(1)) * 977
				for pb.Next() {
					i++
					if _, err := e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: rs[i&4095], Texts: texts}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
	for _, s := range []pool.Strategy{pool.StrategyRoundRobin, pool.StrategyWeighted, pool.StrategyGeographic} {
		b.Run("new/"+string(s), func(b *testing.B) {
			texts := []string{"hello"}
			b.Run("serial", func(b *testing.B) {
				e, k := benchPool(b, s)
				rs := recipients(b.N)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: rs[i], Texts: texts}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				e, k := benchPool(b, s)
				// Each goroutine takes the recipients in blocks, so that the benchmark
				// shares no counter between cores on every send; one block per goroutine
				// may go unused.
				const block = 1024
				rs := recipients(b.N + block*runtime.GOMAXPROCS(0))
				var next atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					var i, end int64
					for pb.Next() {
						if i == end {
							end = next.Add(block)
							i = end - block
						}
						if _, err := e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: rs[i], Texts: texts}); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
			})
		})
	}
}

// BenchmarkBaseline does only what no send can avoid: under one lock, look up the key,
// the conversation, the allocation and the number in maps of the same shapes and sizes
// as the store's. BenchmarkSend/sticky divided by this is the engine's overhead factor.
func BenchmarkBaseline(b *testing.B) {
	type pair struct{ a, b string }
	keys := map[string]pool.Key{"key_1": {ID: "key_1", OrgID: "org_1"}}
	convs := map[pair]pool.Conversation{}
	allocs := map[string]pool.Allocation{}
	nums := map[string]pool.Number{}
	rs := recipients(4096)
	for i := 0; i < 8; i++ {
		id, phone := fmt.Sprintf("alloc_%06d", i), fmt.Sprintf("+1415555%04d", i)
		allocs[id] = pool.Allocation{ID: id, Phone: phone}
		nums[phone] = pool.Number{Phone: phone}
	}
	for i, r := range rs {
		convs[pair{"key_1", r}] = pool.Conversation{AllocationID: fmt.Sprintf("alloc_%06d", i%8)}
	}
	var mu sync.Mutex
	lookup := func(r string) bool {
		mu.Lock()
		defer mu.Unlock()
		k := keys["key_1"]
		c := convs[pair{k.ID, r}]
		a := allocs[c.AllocationID]
		n := nums[a.Phone]
		return n.Phone != ""
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if !lookup(rs[i&4095]) {
				b.Fatal("missing")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var seed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(1)) * 977
			for pb.Next() {
				i++
				if !lookup(rs[i&4095]) {
					b.Error("missing")
					return
				}
			}
		})
	})
}
