// Package rfm scores customers by recency, frequency and monetary value
// (RFM 分层) and names the segment each falls in: the eleven standard
// segments (champions 冠军客户 … lost 已流失) and the seeds' simpler views
// (忠实/潜力/沉睡; 高价值高活跃 …). Scoring is plain functions on plain values;
// Service computes a run from the orders and stores it.
package rfm

import (
	"slices"

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
//
// A value scores at least s+1 when at least ⌈s·n/5⌉ values are worse, so the
// scores follow from four order statistics: four selections, no sort.
func Quintile(values []int64, lowerIsBetter bool) []int {
	out := make([]int, len(values))
	q := quintileCuts(values, lowerIsBetter)
	for i, v := range values {
		out[i] = q.score(v)
	}
	return out
}

// quintileBounds are the four values a score is read from: higher is
// better, v scores 1 + the number of bounds it exceeds; lower is better,
// 1 + the number it is below.
type quintileBounds struct {
	b             [4]int64
	lowerIsBetter bool
	// table, when the values span a short range (days, orders), holds the
	// score of every value from lo.
	lo    int64
	table []int8
}

func (q quintileBounds) score(v int64) int {
	if i := v - q.lo; q.table != nil && i >= 0 && i < int64(len(q.table)) {
		return int(q.table[i])
	}
	s := 1
	for _, b := range q.b {
		if (!q.lowerIsBetter && v > b) || (q.lowerIsBetter && v < b) {
			s++
		}
	}
	return s
}

// quintileCuts finds the bounds. With k = ⌈s·n/5⌉ values needed worse for
// score s+1: higher is better, v must exceed the k-th smallest value; lower
// is better, it must be below the k-th largest.
func quintileCuts(values []int64, lowerIsBetter bool) quintileBounds {
	if len(values) > 0 && slices.Max(values)-slices.Min(values) >= shortRange {
		values = slices.Clone(values) // the selections reorder them
	}
	return quintileCutsInPlace(values, lowerIsBetter)
}

// quintileCutsInPlace is quintileCuts free to reorder values as it
// selects.
func quintileCutsInPlace(values []int64, lowerIsBetter bool) quintileBounds {
	q := quintileBounds{lowerIsBetter: lowerIsBetter}
	n := len(values)
	if n == 0 {
		return q
	}
	var pos [4]int
	for s := 1; s <= 4; s++ {
		k := (s*n + 4) / 5
		if lowerIsBetter {
			pos[s-1] = n - k
		} else {
			pos[s-1] = k - 1
		}
	}
	lo, hi := slices.Min(values), slices.Max(values)
	if hi-lo < shortRange {
		return countedBounds(q, values, lo, hi, pos)
	}
	a := values
	// Select the positions in rising order, each among the values at or
	// above the one before.
	order := pos
	slices.Sort(order[:])
	from := 0
	for _, p := range order {
		selectNth(a[from:], p-from)
		from = p
	}
	for i, p := range pos {
		q.b[i] = a[p]
	}
	return q
}

// shortRange: values spanning fewer than this many integers (recency in
// days, frequency in orders) are counted instead of selected.
const shortRange = 1 << 16

// countedBounds finds the bounds from a count of each value, and lays out
// the score of every value in the range.
func countedBounds(q quintileBounds, values []int64, lo, hi int64, pos [4]int) quintileBounds {
	counts := make([]int, hi-lo+1)
	for _, v := range values {
		counts[v-lo]++
	}
	// The value at sorted position p: the first whose running count
	// passes p.
	for i, p := range pos {
		seen := 0
		for k, c := range counts {
			seen += c
			if seen > p {
				q.b[i] = lo + int64(k)
				break
			}
		}
	}
	q.lo, q.table = lo, make([]int8, len(counts))
	for k := range q.table {
		s := 1
		v := lo + int64(k)
		for _, b := range q.b {
			if (!q.lowerIsBetter && v > b) || (q.lowerIsBetter && v < b) {
				s++
			}
		}
		q.table[k] = int8(s)
	}
	return q
}

// selectNth reorders a so that a[k] holds the value a sorted copy holds
// there, with no larger value before it and no smaller one after
// (quickselect, median of three).
func selectNth(a []int64, k int) {
	for len(a) > 16 {
		mid := len(a) / 2
		if a[mid] < a[0] {
			a[mid], a[0] = a[0], a[mid]
		}
		if a[len(a)-1] < a[0] {
			a[len(a)-1], a[0] = a[0], a[len(a)-1]
		}
		if a[len(a)-1] < a[mid] {
			a[len(a)-1], a[mid] = a[mid], a[len(a)-1]
		}
		pivot := a[mid]
		i, j := 0, len(a)-1
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			a = a[:j+1]
		case k >= i:
			a, k = a[i:], k-i
		default:
			return // between j and i every value equals the pivot
		}
	}
	slices.Sort(a)
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
		vals := make([]int64, len(cs))
		var q [3]quintileBounds
		for d, field := range []func(Customer) int64{
			func(c Customer) int64 { return c.RecencyDays },
			func(c Customer) int64 { return c.Frequency },
			func(c Customer) int64 { return c.Monetary },
		} {
			for i, c := range cs {
				vals[i] = field(c)
			}
			q[d] = quintileCuts(vals, d == 0)
		}
		for i, c := range cs {
			out[i] = Score{R: q[0].score(c.RecencyDays), F: q[1].score(c.Frequency), M: q[2].score(c.Monetary)}
		}
	}
	for i, c := range cs {
		if c.Monetary <= 0 {
			out[i].M = 1
		}
	}
	return out
}
