// Package pool is the number-pool engine of poolkit: it decides the sender number
// (from_number) of every outbound message exactly as SPEC §2–§4 say.
//
// The package is pure. It knows nothing of HTTP or SQL, never reads the wall clock and
// never draws from a global random source: the clock, the ID source and the entropy used
// for API-key secrets are injected (see Option). Persistence goes through the Store
// interface; reference/store/mem and reference/store/sqlite implement it, and
// reference/store/storetest checks any implementation.
//
// Every operation that can fail returns an *Error whose Code is one of the SPEC's codes
// (see codes.go); adapters map codes to transport statuses, never prose.
package pool
