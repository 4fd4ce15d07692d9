package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/conformance/model"
)

func TestModel_POOL_HEALTH_1(t *testing.T) {
	type feed struct {
		delivered bool
		n         int
	}
	tests := []struct {
		name     string
		settings model.HealthSettings
		feeds    []feed
		want     model.Health
	}{
		{"no samples", model.HealthSettings{}, nil, model.HealthActive},
		{"below min_samples", model.HealthSettings{}, []feed{{false, 19}}, model.HealthActive},
		{"at min_samples, ratio 0", model.HealthSettings{}, []feed{{false, 20}}, model.HealthDegraded},
		{"ratio exactly degrade_below is not below", model.HealthSettings{}, []feed{{true, 16}, {false, 4}}, model.HealthActive},
		{"ratio just below", model.HealthSettings{}, []feed{{true, 15}, {false, 5}}, model.HealthDegraded},
		{"hysteresis: between thresholds stays degraded", model.HealthSettings{},
			[]feed{{false, 20}, {true, 50 - 6}}, model.HealthDegraded}, // window: 6 failed, 44 delivered = 0.88
		{"recovers at recover_at", model.HealthSettings{},
			[]feed{{false, 20}, {true, 45}}, model.HealthActive}, // window: 5 failed, 45 delivered = 0.90
		{"window slides", model.HealthSettings{}, []feed{{false, 20}, {true, 50}}, model.HealthActive},
		{"org thresholds", model.HealthSettings{Window: 4, MinSamples: 2, DegradeBelow: 0.5, RecoverAt: 1},
			[]feed{{true, 1}, {false, 2}}, model.HealthDegraded},
		{"org thresholds, recovery", model.HealthSettings{Window: 4, MinSamples: 2, DegradeBelow: 0.5, RecoverAt: 1},
			[]feed{{false, 2}, {true, 3}}, model.HealthDegraded},
		{"org thresholds, recovered", model.HealthSettings{Window: 4, MinSamples: 2, DegradeBelow: 0.5, RecoverAt: 1},
			[]feed{{false, 2}, {true, 4}}, model.HealthActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldWith(t, model.CreateOrg{Org: "o", Health: tt.settings}, model.WithGeo(geo), model.WithExact())
			w.blooio("k", a415, b415)
			for _, f := range tt.feeds {
				w.outcomes(a415, f.delivered, f.n)
			}
			require.Equal(t, tt.want, w.m.Health(a415))
			if tt.want == model.HealthDegraded {
				// Not a candidate for new conversations; still usable otherwise.
				w.allowed(model.Send{Key: "k", Recipient: alice, Texts: 1},
					model.Allowed{From: []string{b415}, Exact: b415, Rule: "POOL-RR-1"})
				w.violation(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: a415}, "POOL-HEALTH-1")
				require.Equal(t, a415, w.ok(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}))
				require.Equal(t, a415, w.send("k", alice))
			}
		})
	}
	t.Run("twilio: computed, not acted on", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.number("k", t1, model.ProviderTwilio, model.PlanDedicated, 1)
		w.number("k", t2, model.ProviderTwilio, model.PlanDedicated, 1)
		w.outcomes(t1, false, 20)
		require.Equal(t, model.HealthDegraded, w.m.Health(t1))
		require.Equal(t, t1, w.send("k", alice))
	})
	t.Run("unallocated numbers count too", func(t *testing.T) {
		w := newWorld(t, model.StrategyRoundRobin)
		w.ok(model.RegisterNumber{Org: "o", Phone: a415, Provider: model.ProviderBlooio, Weight: 1})
		w.outcomes(a415, false, 20)
		require.Equal(t, model.HealthDegraded, w.m.Health(a415))
		w.fail(model.DeliveryOutcome{Phone: b415}, model.CodeNumberNotFound, "POOL-HEALTH-1")
	})
}

func TestModel_POOL_HEALTH_2(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415)
	w.ok(model.LineStatus{Phone: a415, Online: false})
	require.Equal(t, model.HealthOffline, w.m.Health(a415))
	op := model.Send{Key: "k", Recipient: alice, Texts: 1}
	w.allowed(op, model.Allowed{From: []string{b415}, Exact: b415, Rule: "POOL-RR-1"})
	w.violation(op, model.Outcome{From: a415}, "POOL-HEALTH-2")
	w.fail(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.CodeSenderUnavailable, "POOL-FROM-3")

	// offline > degraded
	w.outcomes(a415, false, 20)
	require.Equal(t, model.HealthOffline, w.m.Health(a415))
	w.ok(model.LineStatus{Phone: a415, Online: true})
	require.Equal(t, model.HealthDegraded, w.m.Health(a415))

	// Twilio numbers are never offline: they have no relay line.
	w.ok(model.CreateKey{Org: "o", Key: "sms"})
	w.number("sms", t1, model.ProviderTwilio, model.PlanDedicated, 1)
	w.fail(model.LineStatus{Phone: t1}, model.CodeLineNotFound, "POOL-HEALTH-2")
	real := newRealWorld(t, model.StrategyRoundRobin)
	real.number("k", t1, model.ProviderTwilio, model.PlanDedicated, 1)
	real.violation(model.Send{Key: "k", Recipient: alice, From: t1, Texts: 1},
		model.Outcome{Code: model.CodeSenderUnavailable}, "POOL-FROM-3")
	w.fail(model.LineStatus{Phone: "+19995550000"}, model.CodeLineNotFound, "POOL-HEALTH-2")
	require.Equal(t, model.HealthActive, w.m.Health(t1))
	require.Equal(t, model.Health(""), w.m.Health("+19995550000"))
}

func TestModel_POOL_HEALTH_3(t *testing.T) {
	w := newWorld(t, model.StrategyRoundRobin)
	w.blooio("k", a415, b415)
	w.ok(model.LineStatus{Phone: a415})
	w.ok(model.Ban{Phone: a415})
	require.Equal(t, model.HealthBanned, w.m.Health(a415), "banned > offline")
	w.fail(model.Send{Key: "k", Recipient: alice, From: a415, Texts: 1}, model.CodeNumberBanned, "POOL-FROM-3")
	w.violation(model.Send{Key: "k", Recipient: alice, Texts: 1}, model.Outcome{From: a415}, "POOL-HEALTH-3")

	// Unban lifts only the ban.
	w.ok(model.Unban{Phone: a415})
	require.Equal(t, model.HealthOffline, w.m.Health(a415))
	w.ok(model.Unban{Phone: a415}) // not banned: no-op
	w.ok(model.LineStatus{Phone: a415, Online: true})
	require.Equal(t, model.HealthActive, w.m.Health(a415))

	// Twilio numbers can be banned.
	w.ok(model.CreateKey{Org: "o", Key: "sms"})
	w.number("sms", t1, model.ProviderTwilio, model.PlanDedicated, 1)
	w.ok(model.Ban{Phone: t1})
	require.Equal(t, model.HealthBanned, w.m.Health(t1))
	w.fail(model.Send{Key: "sms", Recipient: alice, Texts: 1}, model.CodeNoActiveNumber, "POOL-TWILIO-1")
	w.fail(model.Send{Key: "sms", Recipient: alice, From: t1, Texts: 1}, model.CodeNumberBanned, "POOL-FROM-3")

	w.fail(model.Ban{Phone: "+19995550000"}, model.CodeNumberNotFound, "POOL-HEALTH-3")
	w.fail(model.Unban{Phone: "+19995550000"}, model.CodeNumberNotFound, "POOL-HEALTH-3")
}
