package sim

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"poolkit/target"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/time/rate"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/reference/pool"
)

// HTTPTarget is where the HTTP driver sends: a base URL and either an admin token (the
// driver provisions its own organizations, keys and numbers, and runs the fake Mac
// relays of its Blooio numbers on loopback, which the target must reach) or existing
// API keys with their numbers (nothing is provisioned; faults and inbound messages,
// which need the driver's relays, are skipped and listed in Result.Skipped). An empty
// URL starts an embedded reference deployment on loopback for the run.
type HTTPTarget struct {
	URL        string
	AdminToken string
	Keys       []ExistingKey
	// Concurrency bounds the sends in flight (default 16).
	Concurrency int
	// HealthPoll is how often the driver reads each pool's health from
	// GET /v2/api/me/numbers (default 500 ms).
	HealthPoll time.Duration
	// HTTPClient sends every request (default: 30 s timeout, connections reused).
	HTTPClient *http.Client
}

// ExistingKey is an API key of the target and its pool, in position order. The
// profile's strategy and health settings must describe the key's organization: they
// give the expected shares.
type ExistingKey struct {
	Secret  string
	Numbers []ExistingNumber
}

// ExistingNumber is one number of an existing key's pool.
type ExistingNumber struct {
	Phone string
	// PlanKind defaults to dedicated, Weight to 1.
	PlanKind string
	Weight   *int
}

// LatencyResult is the HTTP driver's send latency, measured from the moment the rate
// schedule meant the send to start (so a target that falls behind shows its queueing,
// not only its service time), recorded in an HDR histogram.
type LatencyResult struct {
	Count  int64   `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
	// Throughput is the sends per second achieved; Concurrency the bound on sends in
	// flight.
	Throughput      float64 `json:"throughput"`
	Concurrency     int     `json:"concurrency"`
	TransportErrors int64   `json:"transport_errors"`
	// Histogram has log-spaced buckets: Count sends took at most UpToMs (and more than
	// the previous bucket's bound).
	Histogram []LatencyBucket `json:"histogram"`
}

// LatencyBucket is one bar of the latency histogram.
type LatencyBucket struct {
	UpToMs float64 `json:"up_to_ms"`
	Count  int64   `json:"count"`
}

// httpPool is one pool of an HTTP run: a key at the target. Its state is guarded by mu:
// workers record their answers, the health poller its observations.
type httpPool struct {
	*poolState
	mu    sync.Mutex
	c     *client.Client
	keyID string
	rng   *rand.Rand
	// macs[i] is the fake Mac of number i (provisioned runs only).
	macs      []string
	inbound   []int
	busy      []bool // contacts with a send in flight
	busyGroup []bool
}

type httpRun struct {
	pl    *plan
	tg    HTTPTarget
	hc    *http.Client
	admin *client.Client
	fleet *macrelay.Fleet
	pools []*httpPool
	start time.Time

	skipMu  sync.Mutex
	skipped []string

	histMu sync.Mutex
	hist   *hdrhistogram.Histogram

	owners sync.Map // message id → number index, for delivery outcomes
	sent   atomic.Int64

	// Replies are timers; when the sends end, those not yet due are stopped and those
	// firing are waited for.
	replyMu  sync.Mutex
	timers   []*time.Timer
	replies  sync.WaitGroup
	stopping bool
}

func (d *httpRun) elapsed() time.Duration { return time.Since(d.start) }

func runHTTP(ctx context.Context, pl *plan, o Options) (*Result, error) {
	tg := o.Target
	label := tg.URL
	if tg.URL == "" && len(tg.Keys) == 0 {
		emb, err := target.Embedded{}.Open(ctx)
		if err != nil {
			return nil, fmt.Errorf("embedded target: %w", err)
		}
		defer emb.Close()
		tg.URL, tg.AdminToken, label = emb.URL, emb.AdminToken, "embedded"
	}
	if tg.URL == "" {
		return nil, errors.New("the http driver needs a target URL")
	}
	if tg.AdminToken == "" && len(tg.Keys) == 0 {
		return nil, errors.New("the http driver needs an admin token (to provision) or existing API keys")
	}
	if tg.Concurrency <= 0 {
		tg.Concurrency = 16
	}
	if tg.HealthPoll <= 0 {
		tg.HealthPoll = 500 * time.Millisecond
	}
	hc := tg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 4 * tg.Concurrency, MaxIdleConnsPerHost: 2 * tg.Concurrency, IdleConnTimeout: 30 * time.Second}}
	}
	d := &httpRun{pl: pl, tg: tg, hc: hc, hist: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)}
	var err error
	if len(tg.Keys) > 0 {
		err = d.existing(ctx)
	} else {
		d.admin = client.New(tg.URL, client.WithAdminToken(tg.AdminToken), client.WithHTTPClient(hc))
		err = d.provision(ctx)
	}
	if d.fleet != nil {
		defer d.fleet.Close()
	}
	if err != nil {
		return nil, err
	}

	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	d.start = time.Now()
	for _, p := range d.pools {
		wg.Go(func() { d.pollHealth(bg, p) })
	}
	if d.fleet != nil {
		wg.Go(func() { d.runFaults(bg) })
		wg.Go(func() { d.runRamps(bg) })
	}
	stopProgress := reportProgress(o.Progress, pl.sends, d.start, d.sent.Load)
	sendErr := d.sendAll(ctx)
	sendPhase := d.elapsed()
	stopProgress()
	d.stopReplies()
	stopBG()
	wg.Wait()
	if sendErr != nil && ctx.Err() == nil {
		return nil, sendErr
	}
	if d.fleet != nil {
		wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		d.fleet.WaitIdle(wait) // outcomes still in flight are counted if they arrive in time
		cancel()
		d.countOutcomes()
	}
	for _, p := range d.pools {
		d.pollOnce(context.Background(), p)
		p.m.changing()
	}

	parts := make([]part, len(d.pools))
	for i, p := range d.pools {
		parts[i] = part{m: p.m, t: p.t}
	}
	res := buildResult(pl, parts)
	res.Target, res.Skipped, res.Interrupted = label, d.skipped, ctx.Err() != nil
	res.DurationSeconds = sendPhase.Seconds()
	res.Latency = d.latency(sendPhase)
	res.wall = time.Since(d.start)
	res.judge(pl)
	return res, nil
}

// existing sets the run up on existing keys: the numbers of every key form the run's
// numbers, each pool holding its own.
func (d *httpRun) existing(ctx context.Context) error {
	pl := d.pl
	var union []NumberConfig
	index := map[string]int{}
	for _, k := range d.tg.Keys {
		for _, n := range k.Numbers {
			if _, ok := index[n.Phone]; ok {
				continue
			}
			w := 1
			if n.Weight != nil {
				w = *n.Weight
			}
			index[n.Phone] = len(union)
			union = append(union, NumberConfig{Phone: n.Phone, PlanKind: cmpOr(n.PlanKind, string(pool.PlanDedicated)), Weight: w})
		}
	}
	if len(union) == 0 {
		return errors.New("the existing keys list no numbers")
	}
	pl.numbers, pl.shards = union, len(d.tg.Keys)
	pl.ramps, pl.actions = make([][][]RampPoint, len(union)), nil
	if len(pl.prof.Faults) > 0 {
		d.skipped = append(d.skipped, "faults: they need the driver's own relays and the admin API (provisioning)")
	}
	if pl.prof.Traffic.Replies > 0 || pl.prof.Traffic.InboundFirst > 0 {
		d.skipped = append(d.skipped, "inbound messages (replies, inbound_first): they need the driver's own relays")
	}
	d.skipped = append(d.skipped, "delivery outcomes per number: the target's relays report them, the driver does not see them")
	for s, k := range d.tg.Keys {
		p := d.newPool(s, client.New(d.tg.URL, client.WithAPIKey(k.Secret), client.WithHTTPClient(d.hc)))
		mine := map[string]bool{}
		for _, n := range k.Numbers {
			mine[n.Phone] = true
		}
		for i := range p.m.nums {
			p.m.nums[i].member = mine[union[i].Phone]
			p.m.nums[i].assigned = p.m.nums[i].member
		}
		got, err := p.c.MyNumbers(ctx)
		if err != nil {
			return fmt.Errorf("key %d: GET /v2/api/me/numbers: %w", s+1, err)
		}
		if !slices.Equal(got.Phones(), phonesOf(k.Numbers)) {
			return fmt.Errorf("key %d: the target's pool is %v, not the numbers given %v", s+1, got.Phones(), phonesOf(k.Numbers))
		}
		d.pools = append(d.pools, p)
	}
	return nil
}

func phonesOf(ns []ExistingNumber) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Phone
	}
	return out
}

func (d *httpRun) newPool(s int, c *client.Client) *httpPool {
	ps := newPoolState(d.pl, s, d.pl.classes)
	p := &httpPool{poolState: ps, c: c, rng: rand.New(rand.NewPCG(d.pl.seed, uint64(s)+1))}
	p.busy = make([]bool, ps.pop.count)
	p.busyGroup = make([]bool, len(ps.pop.groups))
	return p
}

// provision creates, for every pool, an organization, a key and the profile's numbers
// at the target, with fresh phone numbers (same area codes) so that runs can share a
// deployment, on a fleet of fake Mac relays started for the run.
func (d *httpRun) provision(ctx context.Context) error {
	pl := d.pl
	run := randomHex(3)
	phones := make([][]string, pl.shards)
	var macs []macrelay.MacConfig
	macIndex := map[string]int{}
	for s := range pl.shards {
		phones[s] = make([]string, len(pl.numbers))
		for i, n := range pl.numbers {
			phones[s][i] = freshPhone(n.Phone)
			id := fmt.Sprintf("%s-%s-%d", n.Relay, run, s)
			j, ok := macIndex[id]
			if !ok {
				j = len(macs)
				macIndex[id] = j
				macs = append(macs, macrelay.MacConfig{ID: id, Secret: randomHex(16)})
			}
			macs[j].Lines = append(macs[j].Lines, macrelay.LineConfig{Slot: n.Slot, Phone: phones[s][i],
				FailureRatio: pl.prof.Traffic.Delivery.FailureRatio, Latency: pl.prof.Traffic.Delivery.Latency.D()})
		}
	}
	fleet, err := macrelay.New(macrelay.Config{EngineURL: d.tg.URL, Macs: macs, Seed: int64(pl.seed), HTTPClient: d.hc})
	if err != nil {
		return fmt.Errorf("relay fleet: %w", err)
	}
	d.fleet = fleet
	if err := fleet.Start(); err != nil {
		return fmt.Errorf("relay fleet: %w", err)
	}
	for _, r := range fleet.Relays() {
		if _, err := d.admin.RegisterRelay(ctx, client.RegisterRelayRequest{RelayID: r.RelayID, URL: r.URL, Secret: r.Secret}); err != nil {
			return fmt.Errorf("register relay %s: %w", r.RelayID, err)
		}
	}
	h := pl.health
	for s := range pl.shards {
		req := client.CreateOrgRequest{Name: fmt.Sprintf("sim %s %s/%d", pl.prof.Name, run, s), Strategy: string(pl.strategy),
			Health: &client.HealthPatch{Window: &h.Window, MinSamples: &h.MinSamples, DegradeBelow: &h.DegradeBelow, RecoverAt: &h.RecoverAt}}
		if pl.ttl > 0 {
			secs := int64(pl.ttl / time.Second)
			req.StickyTTLSeconds = &secs
		}
		org, err := d.admin.CreateOrg(ctx, req)
		if err != nil {
			return fmt.Errorf("create org: %w", err)
		}
		p := d.newPool(s, nil)
		p.macs = make([]string, len(pl.numbers))
		for i, n := range pl.numbers {
			p.macs[i] = fmt.Sprintf("%s-%s-%d", n.Relay, run, s)
			slot, w := n.Slot, n.Weight
			_, err = d.admin.RegisterNumber(ctx, org.OrganizationID, client.RegisterNumberRequest{PhoneNumber: phones[s][i],
				RelayID: p.macs[i], LineSlot: &slot, PlanKind: n.PlanKind, Weight: &w})
			if err != nil {
				return fmt.Errorf("register number %s: %w", phones[s][i], err)
			}
			p.setPhone(i, phones[s][i])
		}
		key, err := d.admin.CreateKey(ctx, org.OrganizationID, fmt.Sprintf("sim-%d", s))
		if err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		p.keyID = key.KeyID
		p.c = client.New(d.tg.URL, client.WithAPIKey(key.APIKey), client.WithHTTPClient(d.hc))
		if _, err := d.admin.AssignNumbers(ctx, key.KeyID, client.AssignRequest{PhoneNumbers: phones[s]}); err != nil {
			return fmt.Errorf("assign numbers: %w", err)
		}
		p.inbound = p.inboundNumbers()
		d.pools = append(d.pools, p)
	}
	return nil
}

// freshPhone keeps a number's country and area code and draws its last seven digits.
func freshPhone(phone string) string {
	var b [4]byte
	crand.Read(b[:])
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 10_000_000
	return fmt.Sprintf("%s%07d", phone[:len(phone)-7], n)
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// sendAll makes the run's sends at the planned rate, round-robin over the pools, with
// at most Concurrency in flight.
func (d *httpRun) sendAll(ctx context.Context) error {
	conc := d.tg.Concurrency
	lim := rate.NewLimiter(rate.Limit(d.pl.rate), conc) // a burst of conc lets a late sender catch up
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	for k := int64(0); k < d.pl.sends; k++ {
		r := lim.Reserve()
		intended := time.Now().Add(r.Delay())
		if err := sleepUntil(ctx, intended); err != nil {
			r.Cancel()
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		p := d.pools[int(k)%len(d.pools)]
		wg.Go(func() {
			defer func() { <-sem }()
			if err := d.sendOne(ctx, p, intended); err != nil {
				firstErr.CompareAndSwap(nil, &err)
			}
			d.sent.Add(1)
		})
		if e := firstErr.Load(); e != nil {
			break
		}
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return *e
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// choose draws a recipient without a send in flight and marks it busy, so that the
// simulator's idea of each conversation's number is never raced by its own sends.
func (p *httpPool) chooseIdle() recipient {
	for tries := 0; ; tries++ {
		rc := p.choose(p.rng, p.inbound)
		busy := &p.busyGroup
		k := rc.group
		if rc.group < 0 {
			busy, k = &p.busy, int(rc.contact)
		}
		if !(*busy)[k] {
			(*busy)[k] = true
			return rc
		}
		if tries%32 == 31 {
			p.mu.Unlock()
			time.Sleep(time.Millisecond)
			p.mu.Lock()
		}
	}
}

func (p *httpPool) release(rc *recipient) {
	if rc.group >= 0 {
		p.busyGroup[rc.group] = false
	} else {
		p.busy[rc.contact] = false
	}
}

func (d *httpRun) sendOne(ctx context.Context, p *httpPool, intended time.Time) error {
	p.mu.Lock()
	p.t.advance(d.elapsed(), p.m)
	p.t.sends++
	rc := p.chooseIdle()
	if rc.group >= 0 {
		p.t.groupSends++
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.release(&rc)
		p.mu.Unlock()
	}()
	if rc.first && d.fleet != nil {
		d.inject(ctx, p, rc.contact, rc.firstTo)
	}
	p.mu.Lock()
	p.classify(&rc, d.elapsed())
	p.mu.Unlock()

	resp, err := p.c.Send(ctx, rc.chat, client.SendBody{Text: "hello from the simulator"}, client.SendOptions{})
	lat := time.Since(intended)
	d.histMu.Lock()
	d.hist.RecordValue(max(lat.Microseconds(), 1))
	d.histMu.Unlock()

	p.mu.Lock()
	defer p.mu.Unlock()
	now := d.elapsed()
	p.t.advance(now, p.m)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted
		}
		code := client.CodeOf(err)
		if code == "" {
			code = "transport_error"
		}
		p.t.reject(code)
		return nil
	}
	num, ok := p.phones[resp.FromNumber]
	if !ok {
		return fmt.Errorf("the target answered from %s, not a number of the key's pool (POOL-ISO-2)", resp.FromNumber)
	}
	p.accepted(&rc, now, num)
	d.owners.Store(resp.MessageID, [2]int32{int32(p.idx), num})
	tr := &d.pl.prof.Traffic
	if d.fleet != nil && rc.group < 0 && tr.Replies > 0 && p.rng.Float64() < tr.Replies {
		ci := rc.contact
		d.reply(tr.ReplyDelay.D(), func() { d.inject(context.Background(), p, ci, num) })
	}
	return nil
}

// reply runs fn after delay unless the sends have ended by then.
func (d *httpRun) reply(delay time.Duration, fn func()) {
	d.replyMu.Lock()
	defer d.replyMu.Unlock()
	if d.stopping {
		return
	}
	d.replies.Add(1)
	d.timers = append(d.timers, time.AfterFunc(delay, func() {
		defer d.replies.Done()
		fn()
	}))
}

// stopReplies cancels the replies not yet due and waits for those under way.
func (d *httpRun) stopReplies() {
	d.replyMu.Lock()
	d.stopping = true
	for _, t := range d.timers {
		if t.Stop() {
			d.replies.Done()
		}
	}
	d.replyMu.Unlock()
	d.replies.Wait()
}

// inject makes contact ci write to number num through its fake Mac.
func (d *httpRun) inject(ctx context.Context, p *httpPool, ci, num int32) {
	p.mu.Lock()
	handle, mac, slot := p.pop.contacts[ci].handle, p.macs[num], p.m.nums[num].cfg.Slot
	p.mu.Unlock()
	rec, err := d.fleet.Inject(ctx, mac, slot, macrelay.Inbound{From: handle, Text: "reply"})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || rec.EngineStatus != http.StatusOK {
		p.t.repliesLost++ // the Mac or the line is offline, or the target refused the event
		return
	}
	var ans client.RelayEventResult
	_ = json.Unmarshal([]byte(rec.EngineBody), &ans)
	p.wrote(ci, num, d.elapsed(), ans.Recorded != nil && *ans.Recorded)
}

// pollHealth reads the pool's health from the target until ctx ends.
func (d *httpRun) pollHealth(ctx context.Context, p *httpPool) {
	t := time.NewTicker(d.tg.HealthPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.pollOnce(ctx, p)
		}
	}
}

func (d *httpRun) pollOnce(ctx context.Context, p *httpPool) {
	got, err := p.c.MyNumbers(ctx)
	if err != nil {
		return // the next poll tries again
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := d.elapsed()
	p.t.advance(now, p.m)
	for _, n := range got.Numbers {
		i, ok := p.phones[n.PhoneNumber]
		if !ok {
			continue
		}
		p.observed(int(i), now, n.Health == "offline", n.Health == "banned", n.Health == "degraded", false)
	}
}

// runFaults applies the faults timeline in real time through the fleet and the admin
// API.
func (d *httpRun) runFaults(ctx context.Context) {
	for _, a := range d.pl.actions {
		if sleepUntil(ctx, d.start.Add(a.at)) != nil {
			return
		}
		for _, p := range d.pools {
			d.act(ctx, p, a)
		}
	}
}

func (d *httpRun) act(ctx context.Context, p *httpPool, a action) {
	fail := func(err error) {
		if err != nil {
			d.skipMu.Lock()
			d.skipped = append(d.skipped, fmt.Sprintf("fault %d in pool %d: %v", a.fault+1, p.idx, err))
			d.skipMu.Unlock()
		}
	}
	if a.relay && (a.kind == actOffline || a.kind == actOnline) {
		fail(d.fleet.SetMacOnline(p.macs[a.nums[0]], a.kind == actOnline))
		return
	}
	for _, i := range a.nums {
		phone, mac, slot := p.numPhone[i], p.macs[i], p.m.nums[i].cfg.Slot
		switch a.kind {
		case actOffline, actOnline:
			_, err := d.fleet.SetLineOnline(ctx, mac, slot, a.kind == actOnline)
			fail(err)
		case actBan:
			var err error
			if a.by == "relay" {
				_, err = d.fleet.SetLineBanned(ctx, mac, slot, true)
			} else {
				h := string(pool.HealthBanned)
				_, err = d.admin.UpdateNumber(ctx, phone, client.UpdateNumberRequest{Health: &h})
			}
			fail(err)
			p.mu.Lock()
			p.drop(i)
			p.mu.Unlock()
		case actLift:
			h := string(pool.HealthActive)
			_, err := d.admin.UpdateNumber(ctx, phone, client.UpdateNumberRequest{Health: &h})
			fail(err)
		case actUnassign:
			err := d.admin.UnassignNumber(ctx, p.keyID, phone)
			fail(err)
			if err == nil {
				p.mu.Lock()
				p.setAssigned(i, false)
				p.mu.Unlock()
			}
		case actReassign:
			_, err := d.admin.AssignNumbers(ctx, p.keyID, client.AssignRequest{PhoneNumbers: []string{phone}})
			fail(err)
			if err == nil {
				p.mu.Lock()
				p.setAssigned(i, true)
				p.mu.Unlock()
			}
		}
	}
	d.pollOnce(ctx, p)
}

// runRamps sets the fake lines' failure ratios from the failure ramps, four times a
// second.
func (d *httpRun) runRamps(ctx context.Context) {
	last := map[[2]int]float64{}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		for i, ramps := range d.pl.ramps {
			if len(ramps) == 0 {
				continue
			}
			r := d.pl.failureAt(i, d.elapsed())
			for _, p := range d.pools {
				k := [2]int{p.idx, i}
				if v, ok := last[k]; ok && v == r {
					continue
				}
				if d.fleet.SetFailureRatio(p.macs[i], p.m.nums[i].cfg.Slot, r) == nil {
					last[k] = r
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countOutcomes counts the delivery outcomes the fake Macs reported, per number.
func (d *httpRun) countOutcomes() {
	for _, rec := range d.fleet.Events() {
		ev := rec.Event
		if ev.Type != macrelay.TypeMessageStatus || (ev.Status != macrelay.StatusDelivered && ev.Status != macrelay.StatusFailed) {
			continue
		}
		v, ok := d.owners.Load(ev.MessageID)
		if !ok {
			continue
		}
		o := v.([2]int32)
		t := d.pools[o[0]].t
		if ev.Status == macrelay.StatusDelivered {
			t.delivered[o[1]]++
		} else {
			t.failed[o[1]]++
		}
	}
}

// latency summarises the histogram.
func (d *httpRun) latency(sendPhase time.Duration) *LatencyResult {
	h := d.hist
	ms := func(us int64) float64 { return float64(us) / 1000 }
	l := &LatencyResult{
		Count: h.TotalCount(), MeanMs: h.Mean() / 1000,
		P50Ms: ms(h.ValueAtQuantile(50)), P90Ms: ms(h.ValueAtQuantile(90)), P99Ms: ms(h.ValueAtQuantile(99)),
		P999Ms: ms(h.ValueAtQuantile(99.9)), MaxMs: ms(h.Max()), Concurrency: d.tg.Concurrency,
	}
	if s := sendPhase.Seconds(); s > 0 {
		l.Throughput = float64(h.TotalCount()) / s
	}
	for _, p := range d.pools {
		l.TransportErrors += p.t.rejections["transport_error"]
	}
	// Log-spaced buckets, ×√2 from 50 µs: enough resolution for a chart.
	bound := 0.05
	var cur LatencyBucket
	cur.UpToMs = bound
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		v := ms(bar.To)
		for v > cur.UpToMs {
			l.Histogram = append(l.Histogram, cur)
			bound *= math.Sqrt2
			cur = LatencyBucket{UpToMs: math.Round(bound*1000) / 1000}
		}
		cur.Count += bar.Count
	}
	if cur.Count > 0 {
		l.Histogram = append(l.Histogram, cur)
	}
	// Drop the empty buckets before the first sample.
	for len(l.Histogram) > 0 && l.Histogram[0].Count == 0 {
		l.Histogram = l.Histogram[1:]
	}
	return l
}
