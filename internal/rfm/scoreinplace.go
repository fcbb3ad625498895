package rfm

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/lifecycle"
)

// A routine run over a million customers scores straight from the
// aggregates into the rows it compares with the previous run and stores
// (stateRow): no Customer, Score or name per customer on the way, and the
// row and scratch slices are kept from one run to the next, so a run
// allocates almost nothing. Compute's Result is built from the same rows.

// scored is a computed, not yet stored, run.
type scored struct {
	AsOf       time.Time
	Since      time.Time
	Method     string
	Thresholds lifecycle.Thresholds
	rows       []stateRow // by customer id
}

// scratch is what scoring reuses from run to run.
type scratch struct {
	values [3][]int64 // each dimension's values, for its quintile bounds
}

// scoreRows scores every customer of aggs as of asOf into out (reused),
// by quintiles of the customers given or, when cuts is not nil, by the
// cut points, as ScoreAll does; then their segment and stage.
func scoreRows(aggs []aggRow, asOf int64, cuts *Cuts, th lifecycle.Thresholds, out []stateRow, sc *scratch) []stateRow {
	n := len(aggs)
	out = slices.Grow(out[:0], n)[:n]
	var q [3]quintileBounds
	if cuts == nil {
		for d := range sc.values {
			sc.values[d] = slices.Grow(sc.values[d][:0], n)[:n]
		}
		rec, freq, mon := sc.values[0], sc.values[1], sc.values[2]
		for i, a := range aggs {
			rec[i], freq[i], mon[i] = (asOf-a.last)/dayMS, a.freq, a.mon
		}
		// The values are scratch: the selections may reorder them.
		var wg sync.WaitGroup
		for d := range q {
			wg.Go(func() { q[d] = quintileCutsInPlace(sc.values[d], d == 0) })
		}
		wg.Wait()
	}
	inParts(n, 50_000, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a := aggs[i]
			recency := (asOf - a.last) / dayMS
			var s Score
			if cuts != nil {
				s = Score{R: byCuts(recency, cuts.R, true), F: byCuts(a.freq, cuts.F, false), M: byCuts(a.mon, cuts.M, false)}
			} else {
				s = Score{R: q[0].score(recency), F: q[1].score(a.freq), M: q[2].score(a.mon)}
			}
			if a.mon <= 0 {
				s.M = 1
			}
			out[i] = stateRow{id: a.id, last: a.last, freq: a.freq, mon: a.mon, r: int8(s.R), f: int8(s.F), m: int8(s.M),
				segment: segmentAt(s), stage: stageAt(th, (asOf-a.first)/dayMS, recency)}
		}
	})
	return out
}

// inParts calls fn on [lo, hi) parts of [0, n), one per core at once,
// none smaller than least (all of it at once below that).
func inParts(n, least int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), max(1, n/least))
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}

// tierCells and quadrantCells are TierOf and QuadrantOf by r, f and m
// (1–5), as positions in Tiers and Quadrants.
var tierCells, quadrantCells = func() (t, q [6][6][6]int8) {
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				s := Score{R: r, F: f, M: m}
				t[r][f][m] = int8(position(Tiers, TierOf(s)))
				q[r][f][m] = int8(position(Quadrants, QuadrantOf(s)))
			}
		}
	}
	return t, q
}()

// result is s as Compute's Result; aggs are the aggregates it was scored
// from, row for row.
func (s scored) result(aggs []aggRow) Result {
	n := len(s.rows)
	asOf := s.AsOf.UnixMilli()
	res := Result{AsOf: s.AsOf, Since: s.Since, Method: s.Method, Thresholds: s.Thresholds, Customers: make([]Customer, n),
		Scores: make([]Score, n), Segments: make([]Segment, n), Stages: make([]lifecycle.Stage, n)}
	for i, row := range s.rows {
		a := aggs[i]
		res.Customers[i] = Customer{ID: row.id, RecencyDays: (asOf - row.last) / dayMS, Frequency: row.freq, Monetary: row.mon,
			FirstPaidAt: a.first, LastPaidAt: row.last}
		res.Scores[i] = Score{R: int(row.r), F: int(row.f), M: int(row.m)}
		res.Segments[i], res.Stages[i] = Segments[row.segment], lifecycle.Stages[row.stage]
	}
	return res
}
