package main

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, -1, 2}, 2},
		{[]float64{-30, 10, -20, 0}, -10},
	} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

// The change is paired round by round, not best against best: the baseline's
// best round (0.060) is not the one this tree's best (0.045) ran beside.
func TestRoundByRoundPairsTheRounds(t *testing.T) {
	cur := &side{rounds: []float64{0.045, 0.080, 0.072}}
	base := &side{rounds: []float64{0.090, 0.060, 0.080}}
	want := "round by round -50, +33, -10 %, median -10 %"
	if got := roundByRound(cur, base); got != want {
		t.Errorf("roundByRound = %q, want %q", got, want)
	}
}

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		want string
	}{
		{6.7, 1, "6.7×"},
		{12758, 2574, "5×"},
		{1, 0, "n/a"},
	} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
