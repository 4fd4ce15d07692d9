package sim

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Jain returns Jain's fairness index of xs: (Σx)² / (n·Σx²). It is 1 when every x is
// equal and 1/n when one x holds everything; 1 for no values or all zeros (nothing to be
// unfair about).
func Jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	if len(xs) == 0 || sq == 0 {
		return 1
	}
	return sum * sum / (float64(len(xs)) * sq)
}

// ChiSquare is Pearson's goodness-of-fit test of observed counts against expected counts.
// Categories with an expected count of 0 are left out (an observation there makes the
// statistic infinite). DF is the number of categories kept minus one; PValue the
// probability of a statistic at least this large if the counts followed the
// expectation (1 with fewer than two categories).
func ChiSquare(observed, expected []float64) (stat float64, df int, pValue float64) {
	k := 0
	for i := range observed {
		e := expected[i]
		if e <= 0 {
			if observed[i] > 0 {
				return math.Inf(1), max(k-1, 0), 0
			}
			continue
		}
		d := observed[i] - e
		stat += d * d / e
		k++
	}
	if k < 2 {
		return stat, 0, 1
	}
	df = k - 1
	return stat, df, ChiSquarePValue(stat, df)
}

// ChiSquarePValue returns P(X ≥ stat) for X chi-square distributed with df degrees of
// freedom.
func ChiSquarePValue(stat float64, df int) float64 {
	if df < 1 {
		return 1
	}
	return distuv.ChiSquared{K: float64(df)}.Survival(stat)
}
