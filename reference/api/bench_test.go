package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"poolkit/reference/api"
	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
)

// benchRecipients is how many conversations the sticky sends spread over.
const benchRecipients = 1024

var benchBody = []byte(`{"text":"hello from the benchmark"}`)

// keepAliveClient is the HTTP client both benchmarks measure through.
func keepAliveClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Transport: tr}
}

// runSends posts benchBody to url(i) in parallel and requires status.
func runSends(b *testing.B, hc *http.Client, url func(i int64) string, secret string, status int) {
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url(n.Add(1)), bytes.NewReader(benchBody))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != status {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// benchServer is the whole API over the in-memory store, with a key of three numbers
// whose conversations with benchRecipients recipients are already bound.
func benchServer(b *testing.B) (url func(i int64) string, secret string, sample []byte) {
	ctx := context.Background()
	e := pool.New(mem.New(), pool.WithClock(time.Now))
	org, err := e.CreateOrg(ctx, pool.OrgSpec{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.RegisterRelay(ctx, pool.Relay{ID: relayID, URL: "http://127.0.0.1:9", Secret: relaySecret}); err != nil {
		b.Fatal(err)
	}
	phones := []string{"+15551110001", "+15551110002", "+15551110003"}
	for i, p := range phones {
		if _, err := e.RegisterNumber(ctx, pool.NumberSpec{OrgID: org.ID, Phone: p, Provider: pool.ProviderBlooio, RelayID: relayID, LineSlot: i}); err != nil {
			b.Fatal(err)
		}
	}
	key, secret, err := e.CreateKey(ctx, org.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.AssignNumbers(ctx, key.ID, pool.AssignRequest{Phones: phones}); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(api.New(e, api.Options{}))
	b.Cleanup(ts.Close)
	urls := make([]string, benchRecipients)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/v2/api/chats/%%2B1555800%04d/messages", ts.URL, i)
		req, _ := http.NewRequest(http.MethodPost, urls[i], bytes.NewReader(benchBody))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		sample, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	return func(i int64) string { return urls[i%benchRecipients] }, secret, sample
}

// BenchmarkHTTPSend measures sticky sends through the whole API over loopback HTTP with
// the in-memory store.
func BenchmarkHTTPSend(b *testing.B) {
	url, secret, _ := benchServer(b)
	runSends(b, keepAliveClient(), url, secret, http.StatusAccepted)
}

// BenchmarkHTTPBaseline is the floor BenchmarkHTTPSend is compared with: a bare net/http
// handler that checks the bearer token, decodes the same JSON and writes a 202 of the
// same size, measured the same way.
func BenchmarkHTTPBaseline(b *testing.B) {
	_, secret, sample := benchServer(b)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body struct {
			Text any `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write(sample)
	}))
	b.Cleanup(ts.Close)
	url := ts.URL + "/v2/api/chats/%2B15558000001/messages"
	runSends(b, keepAliveClient(), func(int64) string { return url }, secret, http.StatusAccepted)
}
