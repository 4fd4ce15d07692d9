package pool

import (
	"context"
	"slices"

	"poolkit/internal/mutation"
)

// Reporter names who reports a message's status: a relay, or a Twilio integration. A
// report applies only to messages sent from that relay's lines or that integration's
// numbers; for any other message it is message_not_found, as for an unknown one, so a
// reporter learns nothing of messages that are not its own.
type Reporter struct {
	RelayID       string
	IntegrationID string
}

// RecordStatus records a delivery status report for an outbound message. The first final
// status (delivered or failed) is the message's delivery outcome and feeds its number's
// health window (POOL-HEALTH-1); repeats and reports after a final status are ignored.
// The engine itself reports (a zero Reporter) the dispatches that can never succeed.
//
// Errors: message_not_found, invalid_request (a status that is not sent/delivered/failed).
func (e *Engine) RecordStatus(ctx context.Context, messageID string, status Status, errorCode string) error {
	return e.RecordStatusFrom(ctx, Reporter{}, messageID, status, errorCode)
}

// RecordStatusFrom is RecordStatus for a report from a relay or a Twilio integration.
//
// Errors: message_not_found (also for another reporter's message), invalid_request.
func (e *Engine) RecordStatusFrom(ctx context.Context, from Reporter, messageID string, status Status, errorCode string) error {
	if status != StatusSent && status != StatusDelivered && status != StatusFailed {
		return Errorf(CodeInvalidRequest, "status must be sent, delivered or failed")
	}
	return e.update(ctx, func(tx Tx) error {
		m, err := tx.Message(messageID)
		if err != nil || m.Direction != Outbound {
			return notFound(orNotFound(err), CodeMessageNotFound, "no outbound message %s", messageID)
		}
		if from != (Reporter{}) {
			num, err := tx.Number(m.Phone)
			if err != nil && err != ErrNotFound {
				return err
			}
			if err == ErrNotFound || from.RelayID != "" && (num.Provider != ProviderBlooio || num.RelayID != from.RelayID) ||
				from.IntegrationID != "" && (num.Provider != ProviderTwilio || num.IntegrationID != from.IntegrationID) {
				return Errorf(CodeMessageNotFound, "no outbound message %s", messageID)
			}
		}
		if m.Status.final() || m.Status == status {
			return nil // late or repeated report
		}
		m.Status = status
		if status == StatusFailed {
			m.ErrorCode = errorCode
		}
		if status.final() {
			m.TimeDelivered = e.now()
		}
		if err := tx.PutMessage(m); err != nil {
			return err
		}
		if !status.final() || status == StatusFailed && e.mut.Has(mutation.NeverDegrades) {
			return nil // (mutant NeverDegrades, POOL-HEALTH-1: only delivered feeds the window)
		}
		num, err := tx.Number(m.Phone)
		if err == ErrNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		org, err := tx.Org(num.OrgID)
		if err != nil {
			return err
		}
		num.recordOutcome(status == StatusDelivered, org.Health)
		return tx.PutNumber(num)
	})
}

// orNotFound maps a nil error (a record of the wrong kind) to ErrNotFound.
func orNotFound(err error) error {
	if err == nil {
		return ErrNotFound
	}
	return err
}

// recordOutcome adds one delivery outcome to the number's window and applies
// POOL-HEALTH-1's thresholds, with hysteresis between degrade_below and recover_at.
func (n *Number) recordOutcome(delivered bool, h HealthSettings) {
	n.Outcomes = append(slices.Clone(n.Outcomes), delivered)
	if over := len(n.Outcomes) - h.Window; over > 0 {
		n.Outcomes = slices.Clone(n.Outcomes[over:])
	}
	ratio, samples := deliveredRatio(n.Outcomes)
	if samples < h.MinSamples {
		return
	}
	switch {
	case !n.Degraded && ratio < h.DegradeBelow:
		n.Degraded = true
	case n.Degraded && ratio >= h.RecoverAt:
		n.Degraded = false
	}
}

func deliveredRatio(outcomes []bool) (float64, int) {
	if len(outcomes) == 0 {
		return 0, 0
	}
	ok := 0
	for _, d := range outcomes {
		if d {
			ok++
		}
	}
	return float64(ok) / float64(len(outcomes)), len(outcomes)
}

// LineStatus is a relay's report on one of its lines (SPEC §7 line.status).
type LineStatus struct {
	RelayID  string
	LineSlot int
	Online   bool
	// Banned reports the line banned; false changes nothing (only an admin lifts a ban).
	Banned bool
}

// RecordLineStatus applies a relay's line report: offline/online (POOL-HEALTH-2) and
// banned (POOL-HEALTH-3).
//
// Errors: line_not_found.
func (e *Engine) RecordLineStatus(ctx context.Context, ls LineStatus) error {
	return e.update(ctx, func(tx Tx) error {
		num, err := tx.NumberBySlot(ls.RelayID, ls.LineSlot)
		if err != nil {
			return notFound(err, CodeLineNotFound, "relay %s has no line in slot %d", ls.RelayID, ls.LineSlot)
		}
		num.Offline = !ls.Online
		if e.mut.Has(mutation.OfflineIgnored) {
			num.Offline = false // POOL-HEALTH-2 broken: offline reports are dropped
		}
		if ls.Banned && !e.mut.Has(mutation.RelayBanIgnored) { // (mutant RelayBanIgnored, POOL-HEALTH-3)
			return e.ban(tx, num)
		}
		return tx.PutNumber(num)
	})
}

// SetOffline marks a number offline or online, as the delivery path does when a dispatch
// to its relay cannot connect or the relay's health poll shows it back (POOL-HEALTH-2).
// Twilio numbers are never offline.
//
// Errors: number_not_found.
func (e *Engine) SetOffline(ctx context.Context, phone string, offline bool) error {
	return e.update(ctx, func(tx Tx) error {
		num, err := tx.Number(phone)
		if err != nil {
			return notFound(err, CodeNumberNotFound, "number %s is not registered", phone)
		}
		if num.Provider == ProviderTwilio || offline && e.mut.Has(mutation.OfflineIgnored) {
			return nil // (mutant OfflineIgnored, POOL-HEALTH-2: offline reports are dropped)
		}
		num.Offline = offline
		return tx.PutNumber(num)
	})
}

// ban bans a number and drops every binding to it (POOL-HEALTH-3, POOL-STICKY-3).
func (e *Engine) ban(tx Tx, num Number) error {
	num.Banned = true
	if err := tx.PutNumber(num); err != nil {
		return err
	}
	if e.mut.Has(mutation.BanKeepsBinding) {
		return nil // POOL-STICKY-3 broken: the bindings to a banned number stay
	}
	a, err := tx.AllocationByPhone(num.Phone)
	if err == ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return tx.Unbind(a.ID)
}

// HealthReport is a number's health as the admin API shows it.
type HealthReport struct {
	Phone  string
	Status Health
	// DeliveredRatio is nil when the window has no samples.
	DeliveredRatio *float64
	Samples        int
	Window         int
}

// NumberHealth reports a number's health and delivery window.
//
// Errors: number_not_found.
func (e *Engine) NumberHealth(ctx context.Context, phone string) (HealthReport, error) {
	var rep HealthReport
	err := e.view(ctx, func(tx Tx) error {
		num, err := tx.Number(phone)
		if err != nil {
			return notFound(err, CodeNumberNotFound, "number %s is not registered", phone)
		}
		org, err := tx.Org(num.OrgID)
		if err != nil {
			return err
		}
		rep = HealthReport{Phone: phone, Status: num.Health(), Window: org.Health.Window}
		if ratio, n := deliveredRatio(num.Outcomes); n > 0 {
			rep.DeliveredRatio, rep.Samples = &ratio, n
		}
		return nil
	})
	return rep, err
}
