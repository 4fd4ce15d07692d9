// Package target is where scenarios, conformance checks and HTTP simulations run
// (SPEC §9): a deployment's base URL, what can be done there beyond the public API
// (capabilities, detected, never assumed), and the workspaces that isolate one run.
//
// A Target opens a Deployment. Open(ctx, dep, spec) then gives one scenario or check a
// Workspace: on a deployment with the admin API (provisioning) a fresh organization with
// the spec's numbers, keys and a fake Mac relay fleet of its own; on a deployment described
// by a fixture file, the spec is bound to keys and numbers that already exist there — or,
// when it cannot be, the run is skipped with the reason (a *SkipError).
package target
