package rfm

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/lifecycle"
)

func TestQuintile_RanksWithTiesSharingTheLowestScore(t *testing.T) {
	cases := []struct {
		name  string
		in    []int64
		lower bool
		want  []int
	}{
		{"empty", nil, false, []int{}},
		{"one customer scores 1", []int64{42}, false, []int{1}},
		{"ten distinct values, two per quintile", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false, []int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}},
		{"input order does not matter", []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}, false, []int{5, 1, 5, 1, 4, 2, 4, 2, 3, 3}},
		// 7 of 10 bought once: they share score 1, and F = 2 starts at
		// rank 7, so 1 + ⌊5·7/10⌋ = 4.
		{"ties: most customers bought once", []int64{1, 1, 1, 1, 1, 1, 1, 2, 2, 5}, false, []int{1, 1, 1, 1, 1, 1, 1, 4, 4, 5}},
		{"all equal share score 1", []int64{3, 3, 3, 3}, false, []int{1, 1, 1, 1}},
		// Recency: fewer days is better.
		{"recency: lower is better", []int64{0, 10, 20, 30, 40}, true, []int{5, 4, 3, 2, 1}},
		{"recency ties", []int64{5, 5, 100, 100, 1}, true, []int{3, 3, 1, 1, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Quintile(c.in, c.lower); !slices.Equal(got, c.want) {
				t.Errorf("Quintile(%v, %v) = %v, want %v", c.in, c.lower, got, c.want)
			}
		})
	}
}

func TestScoreAll_EdgeCases(t *testing.T) {
	cs := []Customer{
		{ID: 1, RecencyDays: 1, Frequency: 8, Monetary: 500000},
		{ID: 2, RecencyDays: 3, Frequency: 1, Monetary: 9900},    // one order
		{ID: 3, RecencyDays: 200, Frequency: 2, Monetary: 0},     // everything refunded
		{ID: 4, RecencyDays: 400, Frequency: 1, Monetary: -100},  // refund above spend (data error) still scores 1
		{ID: 5, RecencyDays: 30, Frequency: 4, Monetary: 120000}, //
	}
	got := ScoreAll(cs, nil)
	want := []Score{{5, 5, 5}, {4, 1, 3}, {2, 3, 1}, {1, 1, 1}, {3, 4, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("quintiles: %v, want %v", got, want)
	}
	cuts := &Cuts{R: [4]int64{7, 30, 90, 180}, F: [4]int64{2, 3, 5, 8}, M: [4]int64{10000, 50000, 100000, 300000}}
	got = ScoreAll(cs, cuts)
	want = []Score{{5, 5, 5}, {5, 1, 1}, {1, 2, 1}, {1, 1, 1}, {4, 3, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("cuts: %v, want %v", got, want)
	}
}

func TestCuts_MustRise(t *testing.T) {
	if err := (Cuts{R: [4]int64{7, 30, 90, 180}, F: [4]int64{2, 3, 5, 8}, M: [4]int64{1, 2, 3, 4}}).Validate(); err != nil {
		t.Errorf("valid cuts refused: %v", err)
	}
	if err := (Cuts{R: [4]int64{7, 7, 90, 180}, F: [4]int64{2, 3, 5, 8}, M: [4]int64{1, 2, 3, 4}}).Validate(); err == nil {
		t.Error("flat recency cuts accepted")
	}
}

func TestSegmentOf_TheRFMTable(t *testing.T) {
	cases := []struct {
		s    Score
		want Segment
	}{
		{Score{5, 5, 5}, Champions},
		{Score{5, 4, 4}, Champions},
		{Score{4, 5, 5}, Loyal},
		{Score{3, 4, 5}, Loyal}, // FM = (4+5+1)/2 = 5
		{Score{5, 2, 3}, PotentialLoyalist},
		{Score{4, 3, 2}, PotentialLoyalist}, // FM rounds 2.5 up to 3
		{Score{5, 1, 1}, New},
		{Score{4, 1, 1}, Promising},
		{Score{3, 3, 3}, NeedAttention},
		{Score{3, 1, 2}, AboutToSleep},
		{Score{2, 3, 4}, AtRisk},
		{Score{1, 4, 3}, AtRisk},
		{Score{1, 5, 5}, CantLose},
		{Score{2, 5, 4}, CantLose},
		{Score{2, 1, 1}, Hibernating},
		{Score{1, 1, 2}, Lost},
		{Score{1, 1, 1}, Lost},
	}
	for _, c := range cases {
		if got := SegmentOf(c.s); got != c.want {
			t.Errorf("SegmentOf(%+v) = %s, want %s", c.s, got, c.want)
		}
	}
	// Every cell of the grid names a segment and every segment has a cell.
	seen := map[Segment]bool{}
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				seg := SegmentOf(Score{r, f, m})
				if !slices.Contains(Segments, seg) {
					t.Fatalf("R%d F%d M%d → %q, not a segment", r, f, m, seg)
				}
				seen[seg] = true
			}
		}
	}
	if len(seen) != len(Segments) {
		t.Errorf("only %d of %d segments reachable", len(seen), len(Segments))
	}
}

func TestTierAndQuadrant_TheSeedsViews(t *testing.T) {
	cases := []struct {
		s    Score
		tier Tier
		quad Quadrant
	}{
		{Score{5, 5, 5}, TierLoyal, HighValueHighActivity},
		{Score{3, 4, 4}, TierLoyal, HighValueHighActivity},
		{Score{4, 1, 2}, TierPotential, LowValueHighActivity},
		{Score{3, 2, 3}, TierPotential, HighValueHighActivity},
		{Score{2, 5, 5}, TierDormant, HighValueLowActivity},
		{Score{1, 1, 1}, TierDormant, LowValueLowActivity},
	}
	for _, c := range cases {
		if got := TierOf(c.s); got != c.tier {
			t.Errorf("TierOf(%+v) = %s, want %s", c.s, got, c.tier)
		}
		if got := QuadrantOf(c.s); got != c.quad {
			t.Errorf("QuadrantOf(%+v) = %s, want %s", c.s, got, c.quad)
		}
	}
}

// TestQuintile_EqualsTheRankDefinition checks the four-bound scoring
// against 1 + ⌊5·k/n⌋ counted value by value, on sizes and ties of every
// kind.
func TestQuintile_EqualsTheRankDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 10, 17, 99, 100, 1000, 5003} {
		for _, spread := range []int64{1, 2, 3, 10, 1000, 1 << 40} {
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = rng.Int64N(spread)
			}
			for _, lower := range []bool{false, true} {
				got := Quintile(vals, lower)
				for i, v := range vals {
					var worse int
					for _, w := range vals {
						if (lower && w > v) || (!lower && w < v) {
							worse++
						}
					}
					if want := 1 + 5*worse/n; got[i] != want {
						t.Fatalf("n=%d spread=%d lower=%v: value %d scores %d, want %d", n, spread, lower, v, got[i], want)
					}
				}
			}
		}
	}
}

// Scoring in place, in parts on every core, gives each customer the
// scores ScoreAll gives them and the segment and stage their scores and
// dates name.
func TestScoreRows_EqualsScoreAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 34))
	asOf := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixMilli()
	th := lifecycle.Thresholds{NewDays: 30, DormantAfter: 60, ChurnedAfter: 200}
	aggs := make([]aggRow, 150_000)
	cs := make([]Customer, len(aggs))
	for i := range aggs {
		last := asOf - rng.Int64N(800)*dayMS - rng.Int64N(dayMS)
		a := aggRow{id: int64(2*i + 1), first: last - rng.Int64N(400)*dayMS, last: last, freq: 1 + rng.Int64N(9), mon: rng.Int64N(2_000_000) - 10_000}
		aggs[i] = a
		cs[i] = Customer{ID: a.id, RecencyDays: (asOf - a.last) / dayMS, Frequency: a.freq, Monetary: a.mon, FirstPaidAt: a.first, LastPaidAt: a.last}
	}
	var sc scratch
	var rows []stateRow
	for _, cuts := range []*Cuts{nil, {R: [4]int64{30, 90, 180, 365}, F: [4]int64{2, 3, 5, 8}, M: [4]int64{10_000, 50_000, 200_000, 800_000}}} {
		want := ScoreAll(cs, cuts)
		rows = scoreRows(aggs, asOf, cuts, th, rows, &sc)
		for i, r := range rows {
			w := want[i]
			c := cs[i]
			if r.id != c.ID || r.last != c.LastPaidAt || r.freq != c.Frequency || r.mon != c.Monetary ||
				int(r.r) != w.R || int(r.f) != w.F || int(r.m) != w.M || Segments[r.segment] != SegmentOf(w) ||
				lifecycle.Stages[r.stage] != th.StageOf((asOf-c.FirstPaidAt)/dayMS, c.RecencyDays) {
				t.Fatalf("cuts %v, customer %+v: row %+v, ScoreAll %+v", cuts, c, r, w)
			}
		}
	}
}
