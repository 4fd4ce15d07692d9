package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"poolkit/reference/pool"
	"poolkit/sim/simstore"
)

// epoch is where the virtual clock of every in-process pool starts.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// vclock is a pool's virtual clock. Only its pool's goroutine reads and moves it.
type vclock struct{ now time.Duration }

func (c *vclock) Now() time.Time { return epoch.Add(c.now) }

// runInProcess runs every pool of the plan on its own engine, each in its own goroutine
// (independent pools, so the cores share nothing), and sums their tallies.
func runInProcess(ctx context.Context, pl *plan, o Options) (*Result, error) {
	start := time.Now()
	shards := make([]*shard, pl.shards)
	for s := range shards {
		sh, err := newShard(ctx, pl, s)
		if err != nil {
			return nil, fmt.Errorf("pool %d: %w", s, err)
		}
		shards[s] = sh
	}
	stop := reportProgress(o.Progress, pl.sends, start, func() int64 {
		var n int64
		for _, sh := range shards {
			n += sh.done.Load()
		}
		return n
	})
	var wg sync.WaitGroup
	errs := make([]error, len(shards))
	for s, sh := range shards {
		wg.Go(func() { errs[s] = sh.run() })
	}
	wg.Wait()
	stop()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	parts := make([]part, len(shards))
	for s, sh := range shards {
		parts[s] = part{m: sh.m, t: sh.t}
	}
	res := buildResult(pl, parts)
	res.Interrupted = ctx.Err() != nil
	res.wall = time.Since(start)
	return res, nil
}

// reportProgress calls fn about five times a second with the sends done so far, until
// the returned stop is called (which reports once more).
func reportProgress(fn func(Progress), total int64, start time.Time, done func() int64) (stop func()) {
	if fn == nil {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				fn(Progress{Sends: done(), Total: total, Elapsed: time.Since(start)})
				return
			case <-tick.C:
				fn(Progress{Sends: done(), Total: total, Elapsed: time.Since(start)})
			}
		}
	}()
	return func() { close(quit); <-finished }
}

type outcome struct {
	due time.Duration
	id  string
	num int32
}

type reply struct {
	due     time.Duration
	contact int32
	num     int32
}

// shard is one pool of an in-process run: an engine over its own store, its virtual
// clock, and its event queues.
type shard struct {
	*poolState
	ctx   context.Context
	e     *pool.Engine
	clk   vclock
	rng   *rand.Rand
	keyID string

	texts   []string
	inbound []int // the inbound numbers, for inbound_first

	sends, sent int64 // this pool's sends, and how many were made
	nextSend    time.Duration
	gap         float64 // mean nanoseconds between sends
	outcomes    fifo[outcome]
	replies     fifo[reply]
	nextAction  int
	nextRefresh time.Duration
	done        atomic.Int64
}

func newShard(ctx context.Context, pl *plan, idx int) (*shard, error) {
	var seedBytes [32]byte
	binary.LittleEndian.PutUint64(seedBytes[:], pl.seed)
	binary.LittleEndian.PutUint64(seedBytes[8:], uint64(idx))
	sh := &shard{
		poolState: newPoolState(pl, idx, pl.classes),
		ctx:       ctx,
		rng:       rand.New(rand.NewPCG(pl.seed, uint64(idx)+1)),
		texts:     []string{"hello from the simulator"},
		sends:     split(pl.sends, pl.shards, idx),
	}
	var store pool.Store
	if pl.opts.NewStore != nil {
		store = pl.opts.NewStore()
	} else {
		store = simstore.New()
	}
	sh.e = pool.New(store, pool.WithClock(sh.clk.Now), pool.WithIDs(pool.NewSequence()),
		pool.WithEntropy(rand.NewChaCha8(seedBytes)))
	sh.inbound = sh.inboundNumbers()
	sh.gap = float64(pl.duration) / float64(max(sh.sends, 1))
	if err := sh.provision(); err != nil {
		return nil, err
	}
	sh.nextSend = sh.arrival(0)
	sh.nextRefresh = sh.t.bucket
	return sh, nil
}

// provision creates the pool through the engine's admin operations, as an operator
// would: organization, relays, numbers, key, assignment.
func (sh *shard) provision() error {
	ctx, pl := sh.ctx, sh.pl
	h := pl.health
	org, err := sh.e.CreateOrg(ctx, pool.OrgSpec{Name: pl.prof.Name, Strategy: pl.strategy, StickyTTL: pl.ttl, Health: &h})
	if err != nil {
		return err
	}
	relays := map[string]bool{}
	phones := make([]string, len(pl.numbers))
	for i, n := range pl.numbers {
		if !relays[n.Relay] {
			relays[n.Relay] = true
			if _, err := sh.e.RegisterRelay(ctx, pool.Relay{ID: n.Relay, URL: "http://" + n.Relay + ".sim.invalid", Secret: "sim"}); err != nil {
				return err
			}
		}
		w := n.Weight
		if _, err := sh.e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: n.Phone, Provider: pool.ProviderBlooio,
			RelayID: n.Relay, LineSlot: n.Slot, PlanKind: pool.PlanKind(n.PlanKind), Weight: &w}); err != nil {
			return fmt.Errorf("number %s: %w", n.Phone, err)
		}
		phones[i] = n.Phone
	}
	key, _, err := sh.e.CreateKey(ctx, org.ID, fmt.Sprintf("sim-%d", sh.idx))
	if err != nil {
		return err
	}
	sh.keyID = key.ID
	_, err = sh.e.AssignNumbers(ctx, key.ID, pool.AssignRequest{Phones: phones})
	return err
}

// arrival returns the time of the next send after the one at prev.
func (sh *shard) arrival(prev time.Duration) time.Duration {
	if sh.pl.prof.Traffic.Arrivals == "uniform" {
		return time.Duration((float64(sh.sent) + 0.5) * sh.gap)
	}
	return prev + time.Duration(sh.rng.ExpFloat64()*sh.gap)
}

// The kinds of event, in the order they run when due at the same time.
const (
	evAction = iota
	evRefresh
	evOutcome
	evReply
	evSend
	evNone
)

func (sh *shard) next() (time.Duration, int) {
	at, kind := time.Duration(1<<63-1), evNone
	consider := func(t time.Duration, k int) {
		if t < at {
			at, kind = t, k
		}
	}
	if sh.sent < sh.sends {
		consider(sh.nextSend, evSend)
	}
	if sh.replies.len() > 0 {
		consider(sh.replies.peek().due, evReply)
	}
	if sh.outcomes.len() > 0 {
		consider(sh.outcomes.peek().due, evOutcome)
	}
	if kind == evNone {
		return 0, evNone // nothing left to send or to hear back
	}
	if sh.nextRefresh <= sh.pl.duration {
		consider(sh.nextRefresh, evRefresh)
	}
	if sh.nextAction < len(sh.pl.actions) {
		consider(sh.pl.actions[sh.nextAction].at, evAction)
	}
	return at, kind
}

func (sh *shard) run() error {
	const progressEvery = 1024
	defer sh.m.changing() // the last picks become expected counts, also when interrupted
	for n := 0; ; n++ {
		if n%progressEvery == 0 {
			sh.done.Store(sh.sent)
			if sh.ctx.Err() != nil {
				return nil // interrupted: the result covers what ran
			}
		}
		at, kind := sh.next()
		if kind == evNone {
			break
		}
		sh.clk.now = at
		sh.t.advance(at, sh.m)
		var err error
		switch kind {
		case evAction:
			err = sh.act(sh.pl.actions[sh.nextAction])
			sh.nextAction++
		case evRefresh:
			err = sh.refreshAll()
			sh.nextRefresh += sh.t.bucket
		case evOutcome:
			err = sh.outcome(sh.outcomes.pop())
		case evReply:
			err = sh.reply(sh.replies.pop())
		case evSend:
			err = sh.send()
			sh.sent++
			sh.nextSend = sh.arrival(at)
		}
		if err != nil {
			if sh.ctx.Err() != nil {
				return nil // interrupted during an engine call: the result covers what ran
			}
			return fmt.Errorf("at %s: %w", at, err)
		}
	}
	sh.done.Store(sh.sent)
	return nil
}

// send is one send of the workload: to a new contact, a returning one or a group.
func (sh *shard) send() error {
	now := sh.clk.now
	sh.t.sends++
	rc := sh.choose(sh.rng, sh.inbound)
	if rc.group >= 0 {
		sh.t.groupSends++
	}
	if rc.first {
		if err := sh.inboundFrom(rc.contact, rc.firstTo); err != nil {
			return err
		}
	}
	sh.classify(&rc, now)
	res, err := sh.e.Send(sh.ctx, pool.SendRequest{KeyID: sh.keyID, ChatID: rc.chat, Texts: sh.texts})
	if err != nil {
		var pe *pool.Error
		if !errors.As(err, &pe) {
			return err
		}
		sh.t.reject(pe.Code)
		return nil
	}
	num, ok := sh.phones[res.From]
	if !ok {
		return fmt.Errorf("the engine answered from %s, not a number of the pool", res.From)
	}
	sh.accepted(&rc, now, num)
	tr := &sh.pl.prof.Traffic
	sh.outcomes.push(outcome{due: now + tr.Delivery.Latency.D(), id: res.MessageID, num: num})
	if rc.group < 0 && tr.Replies > 0 && sh.rng.Float64() < tr.Replies {
		sh.replies.push(reply{due: now + tr.ReplyDelay.D(), contact: rc.contact, num: num})
	}
	return nil
}

// reply is a contact answering the number that wrote to it.
func (sh *shard) reply(r reply) error { return sh.inboundFrom(r.contact, r.num) }

// inboundFrom delivers a message from contact ci to number num through its relay line.
// A Mac that is offline receives nothing.
func (sh *shard) inboundFrom(ci, num int32) error {
	n := &sh.m.nums[num]
	if n.offline {
		sh.t.repliesLost++
		return nil
	}
	res, err := sh.e.RecordInbound(sh.ctx, pool.InboundMessage{RelayID: n.cfg.Relay, LineSlot: n.cfg.Slot,
		From: sh.pop.contacts[ci].handle, Text: "reply"})
	if err != nil {
		return err
	}
	sh.wrote(ci, num, sh.clk.now, res.Recorded)
	return nil
}

// outcome reports a message's delivery outcome, failed with the number's failure ratio
// at this time, and asks the engine for the number's health when the outcome may have
// changed it.
func (sh *shard) outcome(o outcome) error {
	failed := sh.rng.Float64() < sh.pl.failureAt(int(o.num), sh.clk.now)
	status := pool.StatusDelivered
	if failed {
		status = pool.StatusFailed
		sh.t.failed[o.num]++
	} else {
		sh.t.delivered[o.num]++
	}
	if err := sh.e.RecordStatus(sh.ctx, o.id, status, ""); err != nil {
		return err
	}
	sh.m.nums[o.num].record(failed)
	if sh.m.atRisk(int(o.num)) {
		return sh.refresh(int(o.num), false)
	}
	return nil
}

// refresh reads number i's health from the engine. correction says the simulator did not
// expect a change (a periodic check): any change found is counted.
func (sh *shard) refresh(i int, correction bool) error {
	num, err := sh.e.Number(sh.ctx, sh.m.nums[i].cfg.Phone)
	if err != nil {
		return err
	}
	sh.observed(i, sh.clk.now, num.Offline, num.Banned, num.Degraded, correction)
	return nil
}

// refreshAll checks every number's health at a bucket boundary.
func (sh *shard) refreshAll() error {
	for i := range sh.m.nums {
		if err := sh.refresh(i, true); err != nil {
			return err
		}
	}
	return nil
}

// act applies one change of the faults timeline through the engine, as the relay or an
// admin would make it.
func (sh *shard) act(a action) error {
	ctx, e := sh.ctx, sh.e
	for _, i := range a.nums {
		n := &sh.m.nums[i]
		var err error
		switch a.kind {
		case actOffline, actOnline:
			err = e.RecordLineStatus(ctx, pool.LineStatus{RelayID: n.cfg.Relay, LineSlot: n.cfg.Slot, Online: a.kind == actOnline})
		case actBan:
			if a.by == "relay" {
				err = e.RecordLineStatus(ctx, pool.LineStatus{RelayID: n.cfg.Relay, LineSlot: n.cfg.Slot, Online: !n.offline, Banned: true})
			} else {
				h := pool.HealthBanned
				_, err = e.UpdateNumber(ctx, n.cfg.Phone, pool.NumberPatch{Health: &h})
			}
			sh.drop(i) // a ban drops the number's bindings (POOL-STICKY-3)
		case actLift:
			h := pool.HealthActive
			_, err = e.UpdateNumber(ctx, n.cfg.Phone, pool.NumberPatch{Health: &h})
		case actUnassign:
			if !n.assigned {
				continue
			}
			if err = e.UnassignNumber(ctx, sh.keyID, n.cfg.Phone); err == nil {
				sh.setAssigned(i, false)
			}
		case actReassign:
			if n.assigned {
				continue
			}
			if _, err = e.AssignNumbers(ctx, sh.keyID, pool.AssignRequest{Phones: []string{n.cfg.Phone}}); err == nil {
				sh.setAssigned(i, true)
			}
		}
		if err != nil {
			return fmt.Errorf("fault %d (%s): %w", a.fault+1, sh.pl.prof.Faults[a.fault].Kind, err)
		}
		if err := sh.refresh(i, false); err != nil {
			return err
		}
	}
	return nil
}
