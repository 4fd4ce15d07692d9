package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"poolkit/fakes/macrelay"
	"poolkit/reference/client"
	"poolkit/target"
)

// This file holds what the rule checks (rules_*.go) share: spec builders, reads of the
// public API, admin operations with their evidence, and waits for asynchronous effects.
// Every helper that needs a capability is only called by checks that declare it.

// Spec builders. Numbers are Blooio (iMessage) unless made with twilioNum.

func dedicated(name string) target.NumberSpec { return target.NumberSpec{Name: name} }

func inboundNum(name string) target.NumberSpec {
	return target.NumberSpec{Name: name, PlanKind: "inbound"}
}

func trialNum(name string) target.NumberSpec { return target.NumberSpec{Name: name, PlanKind: "trial"} }

func twilioNum(name string) target.NumberSpec {
	return target.NumberSpec{Name: name, Provider: "twilio"}
}

func weightedNum(name string, w int) target.NumberSpec {
	return target.NumberSpec{Name: name, Weight: &w}
}

func areaNum(name, areaCode string) target.NumberSpec {
	return target.NumberSpec{Name: name, AreaCode: areaCode}
}

// onePool is a spec with one key, "k", holding every number, in order.
func onePool(strategy string, nums ...target.NumberSpec) target.Spec {
	s := target.Spec{Strategy: strategy, Numbers: nums, Keys: []target.KeySpec{{Name: "k"}}}
	for _, n := range nums {
		s.Keys[0].Numbers = append(s.Keys[0].Numbers, n.Name)
	}
	return s
}

// keySpec is a key holding the named numbers.
func keySpec(name string, numbers ...string) target.KeySpec {
	return target.KeySpec{Name: name, Numbers: numbers}
}

// fastHealth are health thresholds small enough for a check to cross them in a few
// sends: a window of 4 outcomes, judged from 4.
func fastHealth() *target.HealthConfig {
	w, n, below, recover := 4, 4, 0.8, 0.9
	return &target.HealthConfig{Window: &w, MinSamples: &n, DegradeBelow: &below, RecoverAt: &recover}
}

func ptr[T any](v T) *T { return &v }

// randomToken is a fresh idempotency key or chat guid: runs on a shared deployment must
// not meet each other's.
func randomToken(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// texts returns n message texts (a text array sends one message per element).
func texts(n int) SendOpt {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf("poolkit conformance %d/%d", i+1, n)
	}
	return Texts(t...)
}

// messageIDs are the ids of an accepted send: message_ids for a text array, else
// message_id.
func (s Sent) messageIDs() []string {
	if ids, ok := s.Body["message_ids"].([]any); ok && len(ids) > 0 {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			if str, ok := id.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	if s.MessageID != "" {
		return []string{s.MessageID}
	}
	return nil
}

// mustOK stops the check when a send that sets up the situation under test is refused.
func (c *C) mustOK(s Sent, what string) Sent {
	if !s.OK() {
		c.failures = append(c.failures, Failure{Message: "setup: " + what + " was refused", Request: s.Request, Response: s.Response, Allowed: "202"})
		panic(stop{})
	}
	return s
}

// sendOK sends and stops the check unless the send is accepted.
func (c *C) sendOK(key, chat string, opts ...SendOpt) Sent {
	return c.mustOK(c.Send(key, chat, opts...), "a send to "+chat)
}

// call is a raw API call with its evidence, as a Sent. auth says which credential.
func (c *C) call(k *client.Client, auth client.Auth, method, path string, body any) Sent {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	resp, err := k.Do(c.ctx, client.Request{Method: method, Path: path, Body: b, Auth: auth})
	s := Sent{Request: strings.TrimSpace(method + " " + path + " " + string(b))}
	if err != nil {
		c.failures = append(c.failures, Failure{Message: "no response: " + err.Error(), Request: s.Request})
		panic(stop{})
	}
	s.Status = resp.Status
	s.Response = fmt.Sprintf("%d %s", resp.Status, strings.TrimSpace(string(resp.Body)))
	s.RetryAfter = resp.Header.Get("Retry-After")
	_ = json.Unmarshal(resp.Body, &s.Body)
	s.Code, _ = s.Body["code"].(string)
	return s
}

// get calls a public GET route with key.
func (c *C) get(key, path string) Sent {
	return c.call(c.Key(key).Client, client.AuthAPIKey, http.MethodGet, path, nil)
}

// admin calls the admin API (the check needs provisioning).
func (c *C) admin(method, path string, body any) Sent {
	return c.call(c.Admin(), client.AuthAdmin, method, path, body)
}

// adminOK calls the admin API and stops the check unless it answers 2xx.
func (c *C) adminOK(method, path string, body any) Sent {
	s := c.admin(method, path, body)
	if s.Status/100 != 2 {
		c.failures = append(c.failures, Failure{Message: "setup: the admin API refused " + method + " " + path, Request: s.Request, Response: s.Response, Allowed: "2xx"})
		panic(stop{})
	}
	return s
}

// keyID is the admin id of a spec key (provisioned workspaces only).
func (c *C) keyID(key string) string {
	id := c.Key(key).ID
	if id == "" {
		c.Skipf("needs provisioning: key %s has no admin id on this deployment", key)
	}
	return id
}

// assign assigns phones to key through the admin API and returns the answer.
func (c *C) assign(key string, phones ...string) Sent {
	return c.admin(http.MethodPost, "/admin/v1/keys/"+client.PathEscape(c.keyID(key))+"/numbers", map[string]any{"phone_numbers": phones})
}

// unassign removes phone from key's pool (it must work).
func (c *C) unassign(key, phone string) {
	c.adminOK(http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(c.keyID(key))+"/numbers/"+client.PathEscape(phone), nil)
}

// setHealth is PATCH /admin/v1/numbers/{phone} {"health": h}: "banned" or "active".
func (c *C) setHealth(phone, h string) {
	c.adminOK(http.MethodPatch, "/admin/v1/numbers/"+client.PathEscape(phone), map[string]any{"health": h})
}

// setWeight is PATCH /admin/v1/numbers/{phone} {"weight": w}.
func (c *C) setWeight(phone string, w int) {
	c.adminOK(http.MethodPatch, "/admin/v1/numbers/"+client.PathEscape(phone), map[string]any{"weight": w})
}

// resetBinding is DELETE /admin/v1/keys/{key}/bindings/{recipient}.
func (c *C) resetBinding(key, recipient string) {
	c.adminOK(http.MethodDelete, "/admin/v1/keys/"+client.PathEscape(c.keyID(key))+"/bindings/"+client.PathEscape(recipient), nil)
}

// numberHealth is GET /admin/v1/numbers/{phone}/health.
type numberHealth struct {
	Status         string   `json:"status"`
	DeliveredRatio *float64 `json:"delivered_ratio"`
	Samples        int      `json:"samples"`
	Window         int      `json:"window"`
}

func (c *C) numberHealth(phone string) (numberHealth, Sent) {
	s := c.adminOK(http.MethodGet, "/admin/v1/numbers/"+client.PathEscape(phone)+"/health", nil)
	var h numberHealth
	c.decode(s, &h)
	return h, s
}

// decode reads s's body into v (the check stops when it cannot).
func (c *C) decode(s Sent, v any) {
	i := strings.IndexByte(s.Response, ' ')
	if i < 0 || json.Unmarshal([]byte(s.Response[i+1:]), v) != nil {
		c.failures = append(c.failures, Failure{Message: "the response is not the JSON the SPEC describes", Request: s.Request, Response: s.Response})
		panic(stop{})
	}
}

// poolNumber is one entry of GET /v2/api/me/numbers.
type poolNumber struct {
	Phone        string `json:"phone_number"`
	Type         string `json:"type"`
	PlanKind     string `json:"plan_kind"`
	AllocationID string `json:"allocation_id"`
	Protocol     string `json:"protocol"`
	IsActive     bool   `json:"is_active"`
	Health       string `json:"health"`
}

// myNumbers is key's GET /v2/api/me/numbers.
func (c *C) myNumbers(key string) ([]poolNumber, Sent) {
	s := c.get(key, "/v2/api/me/numbers")
	if s.Status != http.StatusOK {
		c.failures = append(c.failures, Failure{Message: "GET /v2/api/me/numbers failed", Request: s.Request, Response: s.Response, Allowed: "200"})
		panic(stop{})
	}
	var body struct {
		Numbers []poolNumber `json:"numbers"`
	}
	c.decode(s, &body)
	return body.Numbers, s
}

// poolEntry returns phone's entry in key's /me/numbers (the check stops if it is absent).
func (c *C) poolEntry(key, phone string) (poolNumber, Sent) {
	nums, s := c.myNumbers(key)
	for _, n := range nums {
		if n.Phone == phone {
			return n, s
		}
	}
	c.failures = append(c.failures, Failure{Message: phone + " is missing from the key's /me/numbers", Request: s.Request, Response: s.Response})
	panic(stop{})
}

// allocationOf is phone's allocation_id as key's /me/numbers shows it.
func (c *C) allocationOf(key, phone string) string {
	n, _ := c.poolEntry(key, phone)
	return n.AllocationID
}

// protocolOf is GET /v2/api/me's protocol ("" for null).
func (c *C) protocolOf(key string) (string, Sent) {
	s := c.get(key, "/v2/api/me")
	if s.Status != http.StatusOK {
		c.failures = append(c.failures, Failure{Message: "GET /v2/api/me failed", Request: s.Request, Response: s.Response, Allowed: "200"})
		panic(stop{})
	}
	p, _ := s.Body["protocol"].(string)
	return p, s
}

// chatMessage is one message of GET /v2/api/chats/{chatId}/messages.
type chatMessage struct {
	MessageID  string `json:"message_id"`
	Direction  string `json:"direction"`
	InternalID string `json:"internal_id"`
	ExternalID string `json:"external_id"`
	Status     string `json:"status"`
	TimeSent   int64  `json:"time_sent"`
}

// messages is key's conversation with chat (up to 200 messages; a chat without messages
// is an empty list, or chat_not_found on deployments that answer so).
func (c *C) messages(key, chat string) ([]chatMessage, Sent) {
	s := c.get(key, "/v2/api/chats/"+client.PathEscape(chat)+"/messages?limit=200")
	if s.Status == http.StatusNotFound && s.Code == "chat_not_found" {
		return nil, s
	}
	if s.Status != http.StatusOK {
		c.failures = append(c.failures, Failure{Message: "listing the conversation's messages failed", Request: s.Request, Response: s.Response, Allowed: "200"})
		panic(stop{})
	}
	var body struct {
		Messages []chatMessage `json:"messages"`
	}
	c.decode(s, &body)
	return body.Messages, s
}

// gapBefore is the deployment time (time_sent) between message id of key's conversation
// with chat and the message before it, in either direction.
func (c *C) gapBefore(key, chat, id string) time.Duration {
	msgs, s := c.messages(key, chat)
	for i, m := range msgs {
		if m.MessageID == id && i > 0 {
			return time.Duration(m.TimeSent-msgs[i-1].TimeSent) * time.Millisecond
		}
	}
	c.failures = append(c.failures, Failure{Message: "message " + id + " has no earlier message in its conversation", Request: s.Request, Response: s.Response})
	panic(stop{})
}

// settleTimeout bounds the waits for asynchronous effects (delivery reports from the
// relays, inbound messages from a test phone).
const settleTimeout = 15 * time.Second

// settle waits until the messages ids of key's conversation with chat have a final
// status (delivered or failed): their outcomes have then reached the health window.
func (c *C) settle(key, chat string, ids ...string) {
	var last Sent
	var pending []string
	ok := c.Eventually(settleTimeout, func() bool {
		var msgs []chatMessage
		msgs, last = c.messages(key, chat)
		status := map[string]string{}
		for _, m := range msgs {
			status[m.MessageID] = m.Status
		}
		pending = pending[:0]
		for _, id := range ids {
			if s := status[id]; s != "delivered" && s != "failed" {
				pending = append(pending, id+" "+s)
			}
		}
		return len(pending) == 0
	})
	if !ok {
		c.failures = append(c.failures, Failure{Message: fmt.Sprintf("setup: %d messages never reached a final status within %v: %s", len(pending), settleTimeout, strings.Join(pending, ", ")), Request: last.Request, Response: last.Response})
		panic(stop{})
	}
}

// inboundCount counts the inbound messages of key's conversation with chat.
func (c *C) inboundCount(key, chat string) int {
	msgs, _ := c.messages(key, chat)
	n := 0
	for _, m := range msgs {
		if m.Direction == "inbound" {
			n++
		}
	}
	return n
}

// write makes contact from write to key's number to (1:1) and waits until key's
// conversation with from shows the message (at once on a fake relay; a test phone's
// message takes its time).
func (c *C) write(key, to, from string) {
	before := c.inboundCount(key, from)
	c.Inbound(to, from, nil)
	if !c.Eventually(settleTimeout, func() bool { return c.inboundCount(key, from) > before }) {
		c.Fatalf("setup: the message %s wrote to %s never showed in the conversation (GET /v2/api/chats/%s/messages)", from, to, from)
	}
}

// writeInGroup makes from write to key's number to in a new group chat with the other
// participants, and returns the grp_ id the key's chat list gives the group.
func (c *C) writeInGroup(key, to, from string, others ...string) string {
	groups := func() map[string]bool {
		s := c.get(key, "/v2/api/chats?limit=200")
		if s.Status != http.StatusOK {
			c.failures = append(c.failures, Failure{Message: "GET /v2/api/chats failed", Request: s.Request, Response: s.Response, Allowed: "200"})
			panic(stop{})
		}
		var body struct {
			Chats []struct {
				IsGroup bool    `json:"is_group"`
				GroupID *string `json:"group_id"`
			} `json:"chats"`
		}
		c.decode(s, &body)
		out := map[string]bool{}
		for _, ch := range body.Chats {
			if ch.IsGroup && ch.GroupID != nil {
				out[*ch.GroupID] = true
			}
		}
		return out
	}
	before := groups()
	c.Inbound(to, from, &macrelay.Group{ChatGUID: randomToken("chat-"), Participants: append([]string{from}, others...), Name: "poolkit conformance"})
	var id string
	if !c.Eventually(settleTimeout, func() bool {
		for g := range groups() {
			if !before[g] {
				id = g
				return true
			}
		}
		return false
	}) {
		c.Fatalf("setup: the group message %s wrote to %s never showed as a group chat in GET /v2/api/chats", from, to)
	}
	return id
}

// fresh returns n fresh contacts of block (0–99), mapped: +1 555 0BB NNNN by index. Each
// part of a check that needs contacts of its own takes its own block.
func (c *C) fresh(block, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = c.Contact(fmt.Sprintf("+15550%02d%04d", block, i))
	}
	return out
}

// newFroms sends one message to each of the fresh contacts and returns the numbers they
// came from (every send must be accepted).
func (c *C) newFroms(key string, contacts []string, opts ...SendOpt) []string {
	out := make([]string, len(contacts))
	for i, r := range contacts {
		out[i] = c.sendOK(key, r, opts...).From
	}
	return out
}

// expectAllFrom expects every one of froms to be one of allowed.
func (c *C) expectAllFrom(froms []string, what string, allowed ...string) bool {
	for _, f := range froms {
		if !slices.Contains(allowed, f) {
			c.Errorf("%s: expected every send from %s, got %v", what, strings.Join(allowed, " or "), froms)
			return false
		}
	}
	return true
}

// other returns the phone of phones that is not p (pools of two).
func other(phones []string, p string) string {
	for _, q := range phones {
		if q != p {
			return q
		}
	}
	return ""
}

// counts tallies froms.
func counts(froms []string) map[string]int {
	m := map[string]int{}
	for _, f := range froms {
		m[f]++
	}
	return m
}
