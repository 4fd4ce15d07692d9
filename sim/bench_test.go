package sim_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"poolkit/sim"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInProcess runs each shipped profile in-process, 1,000,000 sends per
// iteration, and reports simulated messages (sends and inbound messages) per second of
// wall time, sends per second, and messages per CPU-second (which the other processes
// of a shared machine do not skew).
func BenchmarkInProcess(b *testing.B) {
	for _, name := range sim.Profiles() {
		b.Run(name, func(b *testing.B) {
			p, err := sim.LoadProfile(name)
			if err != nil {
				b.Fatal(err)
			}
			const sends = 1_000_000
			var msgs int64
			cpu := cpuTime()
			b.ResetTimer()
			for range b.N {
				r, err := sim.Run(context.Background(), p, sim.Options{Messages: sends})
				if err != nil {
					b.Fatal(err)
				}
				msgs += r.Traffic.Messages
			}
			b.StopTimer()
			b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(b.N*sends)/b.Elapsed().Seconds(), "sends/s")
			b.ReportMetric(float64(msgs)/(cpuTime()-cpu).Seconds(), "msgs/cpu-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkBytesPerContact measures the memory a simulated contact costs: a run that
// reaches 1,000,000 contacts (every send goes to a new one), with the heap measured
// after a collection at the end of the run, while every pool is still alive.
func BenchmarkBytesPerContact(b *testing.B) {
	p, err := sim.Load("contacts.yaml", []byte(`name: contacts
pool:
  numbers:
    - {area_code: "415", count: 8}
contacts:
  count: 1000000
traffic:
  duration: 1h
  messages: 1000000
  new_conversations: 1
  delivery: {latency: 1s}
`))
	if err != nil {
		b.Fatal(err)
	}
	var perContact float64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := sim.Run(context.Background(), p, sim.Options{Progress: func(pr sim.Progress) {
			if pr.Sends == pr.Total {
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		if r.Fairness.Picks != 1_000_000 {
			b.Fatalf("%d new conversations, want 1,000,000", r.Fairness.Picks)
		}
		perContact = float64(after.HeapAlloc-before.HeapAlloc) / 1_000_000
	}
	b.ReportMetric(perContact, "bytes/contact")
	b.ReportMetric(0, "ns/op")
}
