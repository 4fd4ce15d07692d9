package target

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"poolkit/reference/client"
)

// bind maps spec onto keys and numbers that exist on the fixture's deployment. Every
// spec key takes the first unused fixture key whose pool matches it exactly: the same
// protocol, the same number of numbers with the same plan kinds (and weights and area
// codes where the spec sets them), in order, and a known strategy equal to the spec's
// whenever the strategy can matter. What the fixture cannot offer is a *SkipError.
func (w *Workspace) bind(ctx context.Context, s Spec, f *Fixture) error {
	if s.Health != nil {
		return Skipf("sets the org's health thresholds, which needs provisioning")
	}
	if s.StickyTTLSeconds != nil {
		known := int64(0)
		if f.StickyTTLSeconds != nil {
			known = *f.StickyTTLSeconds
		}
		if f.StickyTTLSeconds == nil || known != *s.StickyTTLSeconds {
			return Skipf("needs an org with sticky_ttl_seconds %d; the fixture's is %s", *s.StickyTTLSeconds, ttlText(f.StickyTTLSeconds))
		}
	}
	byName := map[string]NumberSpec{}
	assigned := map[string]bool{}
	for _, n := range s.Numbers {
		byName[n.Name] = n
	}
	for _, k := range s.Keys {
		for _, n := range k.Numbers {
			assigned[strings.TrimPrefix(n, "$")] = true
		}
	}
	for _, n := range s.Numbers {
		if !assigned[n.Name] {
			return Skipf("number %s is not in a key's pool at setup; assigning it later needs provisioning", n.Name)
		}
	}
	used := map[int]bool{}
	for _, k := range s.Keys {
		var nums []NumberSpec
		for _, n := range k.Numbers {
			nums = append(nums, byName[strings.TrimPrefix(n, "$")])
		}
		fi, why := -1, ""
		for i, fk := range f.Keys {
			if used[i] {
				continue
			}
			if reason := matchKey(f, fk, s.Strategy, nums); reason == "" {
				fi = i
				break
			} else if why == "" {
				why = fmt.Sprintf("%s: %s", fk.Name, reason)
			}
		}
		if fi < 0 {
			if why == "" {
				why = "every fixture key is taken by an earlier key of the run"
			}
			return Skipf("no fixture key matches key %s (%s; first mismatch: %s)", k.Name, describe(nums, s.Strategy), why)
		}
		used[fi] = true
		fk := f.Keys[fi]
		c := client.New(w.dep.URL, client.WithAPIKey(fk.Secret), client.WithHTTPClient(w.dep.Client()))
		if err := verifyPool(ctx, c, fk); err != nil {
			return fmt.Errorf("fixture key %s: %w", fk.Name, err)
		}
		w.addKey(Key{Name: k.Name, Client: c})
		for i, n := range nums {
			w.vars[n.Name] = fk.Numbers[i].Phone
		}
	}
	w.Bound = true
	w.recipients = &recipientMap{fixture: f}
	return nil
}

func ttlText(p *int64) string {
	if p == nil {
		return "unknown"
	}
	return fmt.Sprint(*p)
}

// describe says what a spec key needs, for skip reasons.
func describe(nums []NumberSpec, strategy string) string {
	if len(nums) == 0 {
		return "an empty pool"
	}
	var kinds []string
	for _, n := range nums {
		kinds = append(kinds, n.planKind())
	}
	proto := "imessage"
	if nums[0].provider() == "twilio" {
		proto = "sms"
	}
	return fmt.Sprintf("%s pool of %d: %s; strategy %s", proto, len(nums), strings.Join(kinds, ", "), cmpOr(strategy, "round_robin"))
}

// matchKey returns "" when fixture key fk can stand for a spec key with nums, or why not.
func matchKey(f *Fixture, fk FixtureKey, strategy string, nums []NumberSpec) string {
	if len(fk.Numbers) != len(nums) {
		return fmt.Sprintf("%d numbers, need %d", len(fk.Numbers), len(nums))
	}
	rotating := 0
	for i, n := range nums {
		fn := fk.Numbers[i]
		proto := "imessage"
		if n.provider() == "twilio" {
			proto = "sms"
		}
		if fk.Protocol != proto {
			return fmt.Sprintf("protocol %s, need %s", fk.Protocol, proto)
		}
		if cmpOr(fn.PlanKind, "dedicated") != n.planKind() {
			return fmt.Sprintf("number %d is %s, need %s", i+1, cmpOr(fn.PlanKind, "dedicated"), n.planKind())
		}
		if n.Weight != nil && weightOf(fn) != *n.Weight {
			return fmt.Sprintf("number %d has weight %d, need %d", i+1, weightOf(fn), *n.Weight)
		}
		if n.AreaCode != "" && areaCode(fn.Phone) != n.AreaCode {
			return fmt.Sprintf("number %d is not in area code %s", i+1, n.AreaCode)
		}
		if n.planKind() != "inbound" {
			rotating++
		}
	}
	want := cmpOr(strategy, "round_robin")
	if fk.Protocol == "imessage" && rotating > 1 {
		switch got := f.strategyOf(fk); got {
		case "":
			return "the fixture does not say its org's strategy"
		case want:
		default:
			return fmt.Sprintf("strategy %s, need %s", got, want)
		}
	}
	return ""
}

func weightOf(n FixtureNumber) int {
	if n.Weight == nil {
		return 1
	}
	return *n.Weight
}

// verifyPool checks the fixture against the deployment: GET /v2/api/me/numbers must
// list the key's numbers in the fixture's order with its plan kinds. A stale fixture
// would make every check judge the wrong pool.
func verifyPool(ctx context.Context, c *client.Client, fk FixtureKey) error {
	resp, err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: "/v2/api/me/numbers?limit=100", Auth: client.AuthAPIKey})
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("GET /v2/api/me/numbers answered %d (is $%s the key's secret?)", resp.Status, fk.SecretEnv)
	}
	var body struct {
		Numbers []struct {
			PhoneNumber string `json:"phone_number"`
			PlanKind    string `json:"plan_kind"`
		} `json:"numbers"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return fmt.Errorf("GET /v2/api/me/numbers: %w", err)
	}
	var got, want []string
	for _, n := range body.Numbers {
		got = append(got, n.PhoneNumber+" "+cmpOr(n.PlanKind, "dedicated"))
	}
	for _, n := range fk.Numbers {
		want = append(want, n.Phone+" "+cmpOr(n.PlanKind, "dedicated"))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("the fixture is stale: the deployment lists [%s], the fixture [%s]", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return nil
}

// get maps handle to a safe recipient that has no conversation with the workspace's keys
// and that no other open workspace holds.
func (r *recipientMap) get(ctx context.Context, w *Workspace, handle string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.m[handle]; ok {
		return m, nil
	}
	if r.m == nil {
		r.m = map[string]string{}
	}
	f := r.fixture
	if r.busy == nil { // the keys' conversations before this run: listed once
		busy, err := w.conversations(ctx)
		if err != nil {
			return "", err
		}
		r.busy = busy
	}
	busy := r.busy
	take := func(c string) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		if busy[c] || f.inUse[c] {
			return false
		}
		if f.inUse == nil {
			f.inUse = map[string]bool{}
		}
		f.inUse[c] = true
		r.m[handle] = c
		return true
	}
	email := strings.Contains(handle, "@")
	for _, c := range f.Recipients {
		if strings.Contains(c, "@") == email && take(c) {
			return c, nil
		}
	}
	if fr := f.FreshRecipients; fr != nil && !email {
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(fr.Digits)), nil)
		for range 100 {
			n, _ := rand.Int(rand.Reader, limit)
			if c := fmt.Sprintf("%s%0*d", fr.Prefix, fr.Digits, n); take(c) {
				return c, nil
			}
		}
	}
	kind := "phone"
	if email {
		kind = "email"
	}
	return "", Skipf("needs a fresh %s recipient for %s: every %s recipient of the fixture already has a conversation with the run's keys or is in use (add recipients or fresh_recipients)", kind, handle, kind)
}

// release gives the workspace's recipients back.
func (r *recipientMap) release() {
	if r == nil || r.fixture == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.fixture
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range r.m {
		delete(f.inUse, c)
	}
}

// conversations lists the handles the workspace's keys already have chats with.
func (w *Workspace) conversations(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range w.Keys() {
		for offset := 0; ; {
			resp, err := k.Client.Do(ctx, client.Request{Method: http.MethodGet, Path: fmt.Sprintf("/v2/api/chats?limit=100&offset=%d", offset), Auth: client.AuthAPIKey})
			if err != nil {
				return nil, err
			}
			if resp.Status != http.StatusOK {
				return nil, fmt.Errorf("GET /v2/api/chats answered %d", resp.Status)
			}
			var body struct {
				Chats []struct {
					ChatID       string   `json:"chat_id"`
					Participants []string `json:"participants"`
				} `json:"chats"`
				Pagination struct {
					HasMore bool `json:"has_more"`
				} `json:"pagination"`
			}
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				return nil, fmt.Errorf("GET /v2/api/chats: %w", err)
			}
			for _, c := range body.Chats {
				out[c.ChatID] = true
				for _, p := range c.Participants {
					out[p] = true
				}
			}
			if !body.Pagination.HasMore || len(body.Chats) == 0 {
				break
			}
			offset += len(body.Chats)
		}
	}
	return out, nil
}
