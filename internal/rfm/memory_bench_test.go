package rfm

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/lifecycle"
)

// BenchmarkScoreDiffCount_1MCustomers is the in-memory part of a routine
// run over a million customers: scoring from the aggregates, segments and
// stages, the diff against the previous run's rows and the group sizes
// (the database part is a catch-up read and the changed rows' write).
func BenchmarkScoreDiffCount_1MCustomers(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	asOf := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixMilli()
	cs := make([]Customer, n)
	for i := range cs {
		last := asOf - rng.Int64N(730)*dayMS
		cs[i] = Customer{ID: int64(i + 1), RecencyDays: (asOf - last) / dayMS, Frequency: 1 + rng.Int64N(20), Monetary: rng.Int64N(500_000),
			FirstPaidAt: last - rng.Int64N(300)*dayMS, LastPaidAt: last}
	}
	th := lifecycle.Thresholds{NewDays: 30, DormantAfter: 90, ChurnedAfter: 180}
	score := func() Result {
		res := Result{Customers: cs, Scores: ScoreAll(cs, nil), Segments: make([]Segment, n), Stages: make([]lifecycle.Stage, n),
			segment: make([]int8, n), stage: make([]int8, n)}
		for i, c := range cs {
			res.segment[i] = segmentAt(res.Scores[i])
			res.stage[i] = stageAt(th, (asOf-c.FirstPaidAt)/dayMS, c.RecencyDays)
			res.Segments[i], res.Stages[i] = Segments[res.segment[i]], lifecycle.Stages[res.stage[i]]
		}
		return res
	}
	prev, _ := diff(nil, score())
	for b.Loop() {
		res := score()
		_, d := diff(prev, res)
		groupsOf(res)
		if len(d.upsert) != 0 {
			b.Fatalf("%d rows changed between identical runs", len(d.upsert))
		}
	}
}
