package sim_test

import (
	"math"
	"testing"

	"poolkit/sim"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestJain(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 1, 1, 1}, 1},
		{[]float64{5, 5}, 1},
		{[]float64{1, 0, 0, 0}, 0.25},
		{[]float64{1, 2, 3}, 36.0 / 42}, // (1+2+3)² / (3·(1+4+9))
		{nil, 1},
	}
	for _, tc := range tests {
		if got := sim.Jain(tc.xs); !near(got, tc.want, 1e-12) {
			t.Errorf("Jain(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestChiSquare(t *testing.T) {
	// (10-20)²/20 + 0 + (30-20)²/20 = 10 with 2 degrees of freedom, whose survival
	// function is exp(-x/2).
	stat, df, p := sim.ChiSquare([]float64{10, 20, 30}, []float64{20, 20, 20})
	if stat != 10 || df != 2 || !near(p, math.Exp(-5), 1e-12) {
		t.Errorf("ChiSquare = %v, %d, %v; want 10, 2, %v", stat, df, p, math.Exp(-5))
	}
	// A category expected to get nothing is left out.
	stat, df, _ = sim.ChiSquare([]float64{10, 20, 30, 0}, []float64{20, 20, 20, 0})
	if stat != 10 || df != 2 {
		t.Errorf("with an empty category: %v, %d", stat, df)
	}
	// ... unless it got something: then the fit is impossible.
	if _, _, p := sim.ChiSquare([]float64{10, 20, 30, 1}, []float64{20, 20, 21, 0}); p != 0 {
		t.Errorf("an observation where none is expected: p = %v, want 0", p)
	}
}

func TestChiSquarePValue_KnownQuantiles(t *testing.T) {
	// The 95th percentiles of the chi-square distribution (standard tables).
	for _, tc := range []struct {
		x  float64
		df int
	}{{3.841459, 1}, {5.991465, 2}, {14.067140, 7}, {18.307038, 10}} {
		if p := sim.ChiSquarePValue(tc.x, tc.df); !near(p, 0.05, 1e-6) {
			t.Errorf("P(X ≥ %v; df %d) = %v, want 0.05", tc.x, tc.df, p)
		}
	}
}

func TestParseThreshold(t *testing.T) {
	th, err := sim.ParseThreshold("latency_p99 < 250ms")
	if err != nil || th.Metric != "latency_p99" || th.Op != "<" || th.Value != 0.25 {
		t.Errorf("got %+v, %v", th, err)
	}
	th, err = sim.ParseThreshold("rejections.sender_unavailable <= 10")
	if err != nil || th.Value != 10 {
		t.Errorf("got %+v, %v", th, err)
	}
	for _, bad := range []string{"jain", "jain >= x", "nope < 1", "rotation_out < 5", "jain => 1"} {
		if _, err := sim.ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}
