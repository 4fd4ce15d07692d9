// Package scenarios replays hand-written YAML scenarios (SPEC §9) against a poolkit
// deployment: each file provisions its own organization, keys and numbers through the
// admin API, drives the public API, a fake Mac relay fleet (inbound messages, lines
// offline, bans, delivery failures) and the admin API step by step, and checks every
// response against the step's expectations.
//
// The format is documented in README.md and schema.json beside the files. Load decodes a
// file strictly (unknown keys and type errors are errors with file:line); Run replays one
// scenario against a Target and returns a Result per step, whose failures carry a go-cmp
// diff of expected against actual, the step and its file:line.
//
// `go test ./scenarios` replays the whole library against the embedded target (an engine
// over the in-memory store, its API and dispatcher on loopback, a fake relay fleet per
// scenario); `poolkit replay` replays any files against the embedded target or a running
// poolkit reference.
package scenarios
