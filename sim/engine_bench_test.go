package sim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
	"poolkit/sim/simstore"
)

// nullStore answers every read with a fixed record and drops every write, so that
// BenchmarkEngineFloor measures what the engine itself costs per operation: the floor
// under any simulation's cost per message.
type nullStore struct{ tx *nullTx }

func (s nullStore) Begin(context.Context, bool) (pool.Tx, error) { return s.tx, nil }

type nullTx struct {
	pool.Tx
	org  pool.Org
	key  pool.Key
	conv pool.Conversation
	al   pool.Allocation
	num  pool.Number
	msg  pool.Message
}

func (t *nullTx) Commit() error                                          { return nil }
func (t *nullTx) Rollback() error                                        { return nil }
func (t *nullTx) Org(string) (pool.Org, error)                           { return t.org, nil }
func (t *nullTx) Key(string) (pool.Key, error)                           { return t.key, nil }
func (t *nullTx) Conversation(string, string) (pool.Conversation, error) { return t.conv, nil }
func (t *nullTx) PutConversation(pool.Conversation) error                { return nil }
func (t *nullTx) Allocation(string) (pool.Allocation, error)             { return t.al, nil }
func (t *nullTx) Number(string) (pool.Number, error)                     { return t.num, nil }
func (t *nullTx) NumberBySlot(string, int) (pool.Number, error)          { return t.num, nil }
func (t *nullTx) AllocationByPhone(string) (pool.Allocation, error)      { return t.al, nil }
func (t *nullTx) PutNumber(pool.Number) error                            { return nil }
func (t *nullTx) PutMessage(pool.Message) error                          { return nil }
func (t *nullTx) Message(string) (pool.Message, error)                   { return t.msg, nil }
func (t *nullTx) PutPriorInbound(string, string) error                   { return nil }
func (t *nullTx) PriorInbound(string, string) (bool, error)              { return true, nil }

// BenchmarkEngineFloor is the engine's own cost of a sticky send, a delivery report and
// an inbound message, over a store that costs nothing.
func BenchmarkEngineFloor(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tx := &nullTx{
		org:  pool.Org{ID: "org_1", Strategy: pool.StrategyRoundRobin, Health: pool.DefaultHealth},
		key:  pool.Key{ID: "key_1", OrgID: "org_1", Protocol: pool.ProtocolIMessage, Allocations: 8},
		conv: pool.Conversation{KeyID: "key_1", Recipient: "+12125550000", AllocationID: "alloc_1", LastMessageAt: now},
		al:   pool.Allocation{ID: "alloc_1", KeyID: "key_1", Phone: "+14155550001", Position: 1},
		num:  pool.Number{Phone: "+14155550001", OrgID: "org_1", Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: 1, PlanKind: pool.PlanDedicated, Weight: 1, LastActive: now, Outcomes: make([]bool, 50)},
		msg:  pool.Message{ID: "msg_1", Direction: pool.Outbound, Status: pool.StatusQueued, Phone: "+14155550001"},
	}
	e := pool.New(nullStore{tx}, pool.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	texts := []string{"hi"}
	b.Run("send", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Send(ctx, pool.SendRequest{KeyID: "key_1", ChatID: "+12125550000", Texts: texts}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("status", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := e.RecordStatus(ctx, "msg_1", pool.StatusDelivered, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("inbound", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.RecordInbound(ctx, pool.InboundMessage{RelayID: "mac-1", LineSlot: 1, From: "+12125550000", Text: "r"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreSendStatus is a sticky send and its delivery report through the engine
// over the simulation store and over reference/store/mem.
func BenchmarkStoreSendStatus(b *testing.B) {
	for _, name := range []string{"simstore", "mem"} {
		b.Run(name, func(b *testing.B) {
			var st pool.Store = simstore.New()
			if name == "mem" {
				st = mem.New()
			}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			e := pool.New(st, pool.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			org, _ := e.CreateOrg(ctx, pool.OrgSpec{Name: "x"})
			e.RegisterRelay(ctx, pool.Relay{ID: "mac-1", URL: "http://x", Secret: "s"})
			var phones []string
			for i := 0; i < 8; i++ {
				p := fmt.Sprintf("+1415555%04d", i)
				phones = append(phones, p)
				e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: "mac-1", LineSlot: i + 1})
			}
			k, _, _ := e.CreateKey(ctx, org.ID, "k")
			e.AssignNumbers(ctx, k.ID, pool.AssignRequest{Phones: phones})
			rs := make([]string, 4096)
			for i := range rs {
				rs[i] = fmt.Sprintf("+1212%07d", i)
			}
			texts := []string{"hi"}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				res, err := e.Send(ctx, pool.SendRequest{KeyID: k.ID, ChatID: rs[i&4095], Texts: texts})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.RecordStatus(ctx, res.MessageID, pool.StatusDelivered, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
