package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// absent stands for a response field that is not there.
const absent = "(absent)"

// check compares what a step observed with its expectations; the error carries a go-cmp
// diff (-want +got) and the response body.
func (r *run) check(e *Expect, st Step, resps []response) error {
	for i, resp := range resps {
		want, got, err := r.compare(e, resp)
		if err != nil {
			return err
		}
		if d := cmp.Diff(want, got); d != "" {
			label := "response"
			if len(resps) > 1 {
				label = fmt.Sprintf("response %d of %d", i+1, len(resps))
			}
			return fmt.Errorf("%s mismatch (-want +got):\n%s\nbody: %s", label, d, compact(resp.Body))
		}
	}
	if e == nil {
		return nil
	}
	froms := make([]string, len(resps))
	for i, resp := range resps {
		froms[i] = r.label(resp.str("from_number"))
	}
	want, got := map[string]any{}, map[string]any{}
	if len(e.FromSequence) > 0 {
		seq, err := r.vars.expandList(e.FromSequence)
		if err != nil {
			return err
		}
		for i := range seq {
			seq[i] = r.label(seq[i])
		}
		want["from_sequence"], got["from_sequence"] = seq, froms
	}
	if len(e.FromCounts) > 0 {
		wc, gc := map[string]int{}, map[string]int{}
		for k, n := range e.FromCounts {
			phone, err := r.vars.expand(k)
			if err != nil {
				return err
			}
			wc[r.label(phone)] = n
			gc[r.label(phone)] = 0
		}
		for _, f := range froms {
			gc[f]++
		}
		want["from_counts"], got["from_counts"] = wc, gc
	}
	if e.SameFromNumber {
		distinct := slices.Compact(slices.Sorted(slices.Values(froms)))
		want["distinct_from_numbers"], got["distinct_from_numbers"] = 1, len(distinct)
		if len(distinct) != 1 {
			want["distinct_from_numbers"] = "1 (all the same)"
			got["distinct_from_numbers"] = strings.Join(distinct, ", ")
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("sends mismatch (-want +got):\n%s", d)
	}
	return nil
}

// label shows a phone number with its symbolic name: "+15555100000 ($a)".
func (r *run) label(phone string) string {
	for _, n := range r.sc.Setup.Numbers {
		if r.vars[n.Name] == phone && phone != "" {
			return phone + " ($" + n.Name + ")"
		}
	}
	return phone
}

// compare builds the checked fields of one response: want from the expectation, got
// from the response, with equal values where a check passes.
func (r *run) compare(e *Expect, resp response) (want, got map[string]any, err error) {
	want, got = map[string]any{}, map[string]any{}
	code := resp.str("code")
	if e == nil || e.Status == 0 && e.Code == "" {
		want["status"] = "2xx"
		got["status"] = "2xx"
		if resp.Status < 200 || resp.Status > 299 {
			got["status"] = strings.TrimSpace(fmt.Sprintf("%d %s", resp.Status, code))
		}
	} else if e.Status != 0 {
		want["status"], got["status"] = e.Status, resp.Status
	}
	if e == nil {
		return want, got, nil
	}
	if e.Code != "" {
		want["code"], got["code"] = e.Code, code
	}
	if e.Message != "" {
		want["message"], got["message"] = e.Message, resp.str("message")
	}
	from := resp.str("from_number")
	if e.FromNumber != "" {
		f, err := r.vars.expand(e.FromNumber)
		if err != nil {
			return nil, nil, err
		}
		want["from_number"], got["from_number"] = r.label(f), r.label(from)
	}
	if len(e.FromNumberIn) > 0 {
		in, err := r.vars.expandList(e.FromNumberIn)
		if err != nil {
			return nil, nil, err
		}
		want["from_number (one of)"], got["from_number (one of)"] = r.labels(in), r.label(from)
		if slices.Contains(in, from) {
			want["from_number (one of)"] = r.label(from)
		}
	}
	if len(e.FromNumberNot) > 0 {
		not, err := r.vars.expandList(e.FromNumberNot)
		if err != nil {
			return nil, nil, err
		}
		want["from_number (none of)"], got["from_number (none of)"] = r.labels(not), r.label(from)
		if !slices.Contains(not, from) && from != "" {
			got["from_number (none of)"] = r.labels(not)
		}
	}
	for path, v := range e.Fields {
		x, err := r.vars.expandAll(v)
		if err != nil {
			return nil, nil, err
		}
		if str, ok := x.(string); ok {
			x = r.ws.MappedContact(str) // a contact the run mapped to a fixture recipient
		}
		g, ok := lookup(resp.Body, path)
		if !ok {
			g = absent
		}
		want["body."+path], got["body."+path] = normalize(x), g
	}
	return want, got, nil
}

func (r *run) labels(phones []string) []string {
	out := make([]string, len(phones))
	for i, p := range phones {
		out[i] = r.label(p)
	}
	return out
}
