package delivery

import (
	"context"
	"log/slog"
	"time"

	"poolkit/reference/pool"
)

// verdict is what one dispatch attempt decided for its message.
type verdict int

const (
	accepted  verdict = iota // the relay or Twilio took it: it leaves the outbox
	retryable                // it may succeed later: retry after a backoff, up to MaxAttempts
	final                    // it can never succeed: the message fails now
)

// result is the outcome of one dispatch attempt.
type result struct {
	verdict verdict
	// ref is the provider's id of an accepted message (a Twilio SID).
	ref string
	// code names the failure: the message's error code if it ends failed.
	code string
	// offline reports that the number's relay could not be reached or answered 503
	// (POOL-HEALTH-2).
	offline bool
	// err is the underlying error, for the log.
	err error
}

// recordTimeout bounds the engine writes that record an attempt's outcome.
const recordTimeout = 10 * time.Second

// dispatch makes one attempt at a message and records its outcome with the engine.
func (d *Dispatcher) dispatch(ctx context.Context, job pool.Dispatch) {
	var res result
	switch job.Number.Provider {
	case pool.ProviderBlooio:
		res = d.sendRelay(ctx, job)
	case pool.ProviderTwilio:
		res = d.sendTwilio(ctx, job)
	default:
		res = result{verdict: final, code: "unknown_provider"}
	}
	d.record(ctx, job, res)
}

// record applies an attempt's result: offline mark, then dispatched, retry or failed.
// Only a retryable failure is retried, and not beyond MaxAttempts.
func (d *Dispatcher) record(ctx context.Context, job pool.Dispatch, res result) {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	id, attempt := job.Message.ID, job.Message.Attempts+1
	log := d.log.With("message_id", id, "attempt", attempt)
	if job.Number.Provider == pool.ProviderBlooio {
		log = log.With("relay_id", job.Relay.ID, "line_slot", job.Number.LineSlot)
	} else {
		log = log.With("integration_id", job.Integration.ID)
	}
	if res.err != nil {
		log = log.With("error", res.err.Error())
	}

	if res.offline {
		if err := d.engine.SetOffline(ctx, job.Number.Phone, true); err != nil {
			log.Error("delivery: mark the number offline", "record_error", err)
		} else {
			log.Warn("delivery: number offline: its relay cannot be reached", "code", res.code)
			// The relay may have reported the line back online while this attempt was on
			// its way: ask it now rather than at the next poll, so a stale failure does
			// not keep the number offline (POOL-HEALTH-2).
			n := job.Number
			n.Offline = true
			if err := d.checkRelay(ctx, pool.RelayLines{Relay: job.Relay, Lines: []pool.Number{n}}); err != nil {
				log.Debug("delivery: health check after an offline mark", "check_error", err)
			}
		}
	}
	switch res.verdict {
	case accepted:
		d.recordAccepted(ctx, log, job, res.ref)
	case retryable:
		if attempt >= d.cfg.MaxAttempts {
			d.fail(ctx, log.With("outcome", "failed", "code", res.code, "reason", "max_attempts"), id, res.code)
			return
		}
		wait := d.cfg.Backoff(attempt)
		if err := d.engine.RetryDispatch(ctx, id, d.cfg.Now().Add(wait)); err != nil {
			log.Error("delivery: schedule a retry", "code", res.code, "record_error", err)
			return
		}
		log.Warn("delivery: attempt failed, will retry", "outcome", "retry", "code", res.code, "retry_in", wait)
	case final:
		d.fail(ctx, log.With("outcome", "failed", "code", res.code), id, res.code)
	}
}

// recordAccepted marks an accepted message dispatched. For a Twilio message that fails
// the SID stays remembered, so that the next attempt marks it again instead of creating a
// second message.
func (d *Dispatcher) recordAccepted(ctx context.Context, log *slog.Logger, job pool.Dispatch, ref string) {
	id := job.Message.ID
	if err := d.engine.MarkDispatched(ctx, id, ref); err != nil {
		if job.Number.Provider == pool.ProviderTwilio {
			log.Error("delivery: Twilio accepted the message but it could not be marked dispatched; it will not be created again",
				"outcome", "accepted_unrecorded", "sid", ref, "record_error", err)
		} else {
			log.Error("delivery: the relay accepted the message but it could not be marked dispatched; it will be sent again (the relay de-duplicates)",
				"outcome", "accepted_unrecorded", "record_error", err)
		}
		return
	}
	d.mu.Lock()
	delete(d.accepted, id)
	d.mu.Unlock()
	if ref != "" {
		log = log.With("sid", ref)
	}
	log.Info("delivery: dispatched", "outcome", "dispatched")
}

// fail ends a message failed with code (the first final status, POOL-HEALTH-1).
func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, id, code string) {
	if err := d.engine.RecordStatus(ctx, id, pool.StatusFailed, code); err != nil {
		log.Error("delivery: record the failure", "record_error", err)
		return
	}
	log.Warn("delivery: message failed")
}
