// Package sim is poolkit's load simulation of the number pool: does rotation spread new
// conversations the way the strategy promises, does stickiness hold under load, how fast
// are unhealthy numbers rotated out and back, and what latency does a deployment give at
// a given rate.
//
// A Profile (YAML, see LoadProfile and sim/README.md) describes a pool, its contacts, the
// traffic they exchange, a faults timeline and the thresholds of the verdict. Run drives
// it with one of two drivers:
//
//   - in-process: the real engine (reference/pool) over a lean store (sim/simstore) on a
//     virtual clock, several independent pools in parallel, deterministic for a seed;
//   - HTTP: any deployment in real time at a target rate with bounded concurrency, with
//     fake Mac relays (fakes/macrelay) for the numbers it provisions, latency in HDR
//     histograms.
//
// The Result holds every measure and the thresholds' verdict; WriteSummary, Result.JSON
// and WriteHTML render it. `poolkit sim` is the command line.
package sim
