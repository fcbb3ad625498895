// Package rfm scores customers by recency, frequency and monetary value
// (RFM 分层) and names the segment each falls in: the eleven standard
// segments (champions 冠军客户 … lost 已流失) and the seeds' simpler views
// (忠实/潜力/沉睡; 高价值高活跃 …). Scoring is plain functions on plain values;
// Service computes a run from the orders and stores it.
package rfm

import (
	"slices"
	"sort"

	"github.com/storeops/storeops/internal/apperr"
)

// Customer is one customer's purchase record as of a date.
type Customer struct {
	ID          int64 `json:"customer_id"`
	RecencyDays int64 `json:"recency_days"` // whole days since the last paid order
	Frequency   int64 `json:"frequency"`    // paid orders
	Monetary    int64 `json:"monetary"`     // net spend in 分: Σ total − refunded_total
	FirstPaidAt int64 `json:"-"`            // unix ms
	LastPaidAt  int64 `json:"-"`            // unix ms
}

// Score is a customer's three scores, each 1 (worst) to 5 (best).
type Score struct {
	R int `json:"r"`
	F int `json:"f"`
	M int `json:"m"`
}

// FM is the combined frequency-and-money score the segment table uses: the
// mean of F and M, rounded half up, so F 4 M 5 is 5 and F 1 M 2 is 2.
func (s Score) FM() int { return (s.F + s.M + 1) / 2 }

// Cuts are configured cut points, replacing quintiles: four ascending
// thresholds per dimension. Recency: days ≤ R[0] scores 5, ≤ R[1] 4, ≤ R[2]
// 3, ≤ R[3] 2, else 1. Frequency and money: the score is 1 plus the number of
// thresholds the value reaches (value ≥ threshold).
type Cuts struct {
	R [4]int64 `json:"r"`
	F [4]int64 `json:"f"`
	M [4]int64 `json:"m"`
}

// Validate says which thresholds are out of order.
func (c Cuts) Validate() error {
	for _, d := range []struct {
		name string
		xs   [4]int64
	}{{"cuts.r", c.R}, {"cuts.f", c.F}, {"cuts.m", c.M}} {
		name, xs := d.name, d.xs
		for i := 1; i < 4; i++ {
			if xs[i] <= xs[i-1] {
				return apperr.Field(name, "the four thresholds must rise strictly, got %v", xs)
			}
		}
	}
	return nil
}

// Quintile scores values 1–5 by rank: a value scores 1 + ⌊5 · k / n⌋ where k
// is the number of values strictly worse than it. Tied values therefore
// always share a score — the score of the first of them in rank order — and
// the result does not depend on the order of the input. When most customers
// share a value (one order each, say) the scores above it are sparse: with
// 70% at F = 1, F = 2 already scores 4.
//
// For recency, lower is better: pass lowerIsBetter.
func Quintile(values []int64, lowerIsBetter bool) []int {
	n := len(values)
	out := make([]int, n)
	if n == 0 {
		return out
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	for i, v := range values {
		var worse int
		if lowerIsBetter {
			// values strictly greater than v
			worse = n - sort.Search(n, func(j int) bool { return sorted[j] > v })
		} else {
			worse = sort.Search(n, func(j int) bool { return sorted[j] >= v })
		}
		out[i] = 1 + 5*worse/n
	}
	return out
}

// byCuts scores one value against ascending thresholds.
func byCuts(v int64, cuts [4]int64, lowerIsBetter bool) int {
	if lowerIsBetter {
		for i, c := range cuts {
			if v <= c {
				return 5 - i
			}
		}
		return 1
	}
	s := 1
	for _, c := range cuts {
		if v >= c {
			s++
		}
	}
	return s
}

// ScoreAll scores every customer, by quintiles of the customers given or, when
// cuts is not nil, by the cut points. A net spend of zero or less (everything
// refunded) always scores M = 1.
func ScoreAll(cs []Customer, cuts *Cuts) []Score {
	out := make([]Score, len(cs))
	if cuts != nil {
		for i, c := range cs {
			out[i] = Score{R: byCuts(c.RecencyDays, cuts.R, true), F: byCuts(c.Frequency, cuts.F, false), M: byCuts(c.Monetary, cuts.M, false)}
		}
	} else {
		r, f, m := make([]int64, len(cs)), make([]int64, len(cs)), make([]int64, len(cs))
		for i, c := range cs {
			r[i], f[i], m[i] = c.RecencyDays, c.Frequency, c.Monetary
		}
		rs, fs, ms := Quintile(r, true), Quintile(f, false), Quintile(m, false)
		for i := range cs {
			out[i] = Score{R: rs[i], F: fs[i], M: ms[i]}
		}
	}
	for i, c := range cs {
		if c.Monetary <= 0 {
			out[i].M = 1
		}
	}
	return out
}
