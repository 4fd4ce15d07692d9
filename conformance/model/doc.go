// Package model is the pure oracle of the number-pool rules (SPEC §2–§4): a second,
// independent reading of the SPEC that says, for an operation in a state, which outcomes
// are allowed. It judges the reference engine and real deployments alike.
//
// A Model is built by stepping it with operations and the outcomes a target observed:
//
//	m := model.New(model.WithExact())
//	v := m.Step(model.Send{Key: "k", Recipient: "+14155550100", Texts: 1}, observed)
//	if v.Kind == model.Violation { … v.Rule names the rule broken … }
//
// Allowed(op) is pure; Step judges and then advances the state with the observed outcome,
// so a real deployment that picks another allowed number is followed, not fought. Every
// result is a deterministic function of the operation sequence: no clock (Advance moves
// the model's), no randomness, no dependence on map order.
//
// Without WithExact the model accepts any outcome a conforming deployment may produce
// (any candidate of a new conversation, any member of the first geographic tier) and
// answers Unknown for a 503 it did not foresee. With WithExact the algorithms of SPEC §3
// are exact and so is every outcome.
//
// Modelling scope: request checks that are about HTTP (JSON, sizes, types, idempotency)
// are not modelled; a Send carries only key, recipient, from_number and the number of
// texts. Recipients are E.164 numbers, emails (lower-cased) or "grp:<name>" group
// references chosen by the driver. Concurrency (POOL-STICKY-4) is outside the model:
// sends are sequential.
//
// Reading decisions, where the SPEC leaves room (rule id first):
//
//   - POOL-STICKY-3: a binding is gone when the time since the conversation's last message
//     is strictly more than sticky_ttl ("older than"); at exactly the TTL it is kept.
//   - POOL-STICKY-2: an inbound message on a banned number still sets the binding; it is
//     ignored while the number is banned (POOL-STICKY-1) and used again after Unban if no
//     send re-bound the conversation meanwhile.
//   - POOL-STICKY-1: a binding whose number is offline answers sender_unavailable, one to
//     an inbound number without prior inbound (a plan change) inbound_only_no_prior_inbound,
//     one to an exhausted trial trial_limit_reached; it is never moved.
//   - POOL-NEW-1 / trial: a request of n texts cannot be sent from a trial number with
//     more than 20−n sent; it is then "exhausted" for that request (not a candidate, not
//     the POOL-TWILIO-1 pick) and refused as a whole (402) when named or bound. The counter
//     is per number and counts the messages accepted while the plan is trial.
//   - POOL-NEW-1: the inbound_only_no_prior_inbound case requires every allocation to be
//     inbound and none to have prior inbound from R, whatever their health. The inbound
//     fallback candidates are not filtered by weight (the weight > 0 criterion belongs to
//     "eligible for new conversations").
//   - Registration: a negative weight is invalid_request; weight 0 is a real weight.
//   - POOL-WRR-1: current weights are per key and survive strategy changes; they reset
//     when the (position, weight) list of C differs from the previous weighted pick's.
//     With W = 0 the lowest position is picked.
//   - POOL-GEO-1: tier-1 cursors are per (key, area code), tier-2 cursors per (key, sorted
//     region set of R), tier 3 shares the key's round_robin cursor. A candidate whose code
//     has no regions never matches tiers 1 and 2.
//   - POOL-RR-1: the cursor holds the position of the last strategy pick (new
//     conversations only; sticky and explicit sends do not move it) and survives strategy
//     changes and unassignments (positions are never renumbered).
//   - POOL-FROM-3 / Groups: a group heard inbound is pinned to its allocation; a send
//     without F is checked like an explicit F from it (a banned pinned number answers
//     number_banned). An ad-hoc group created by a send lives as the binding (K, grp:name)
//     and is re-created on the next selection once the binding is gone. A group name stays
//     pinned to the first allocation it was heard on until that allocation ends.
//   - Groups: chat_not_found (another key's group) is a request check, so it precedes
//     POOL-EMPTY-1; "F in K's pool but of another allocation" → invalid_request applies to
//     pinned groups and to live ad-hoc groups.
//   - POOL-INBOUND-4: Inbound on an unknown number (or LineStatus on it or on a Twilio
//     number) → line_not_found; Inbound on a number without allocation is recorded nowhere.
//   - POOL-PROTO-1: a number of another organization is number_not_found; an Assign with an
//     empty list is invalid_request; numbers already in the key's pool still take part in
//     mixed_protocols.
//   - Admin (SPEC §6): Unassign of a number not in the key's pool → number_not_found;
//     admin calls on a revoked key → key_not_found; a send with it → unauthorized; a
//     duplicate org or key id → invalid_request.
//   - POOL-HEALTH-1: degraded needs at least min_samples outcomes in the window and a
//     ratio below degrade_below; it recovers at a ratio ≥ recover_at; in between the status
//     is kept. Outcomes are counted for every number, allocated or not, Twilio included.
//   - POOL-HEALTH-3: Unban on a number that is not banned is a successful no-op.
//   - Real deployments (no WithExact): an unforeseen sender_unavailable or no_active_number
//     is Unknown, not a Violation, since relays can drop lines the model never heard of
//     (POOL-HEALTH-2).
package model
