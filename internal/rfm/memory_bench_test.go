package rfm

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/lifecycle"
)

// BenchmarkScoreDiffCount_1MCustomers is the in-memory part of a routine
// run over a million customers: scoring from the aggregates into the
// reused rows, segments and stages, the diff against the previous run's
// rows and the group sizes (the database part is a catch-up read and the
// changed rows' write).
func BenchmarkScoreDiffCount_1MCustomers(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	asOf := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixMilli()
	aggs := make([]aggRow, n)
	for i := range aggs {
		last := asOf - rng.Int64N(730)*dayMS
		aggs[i] = aggRow{id: int64(i + 1), first: last - rng.Int64N(300)*dayMS, last: last, freq: 1 + rng.Int64N(20), mon: rng.Int64N(500_000)}
	}
	th := lifecycle.Thresholds{NewDays: 30, DormantAfter: 90, ChurnedAfter: 180}
	var sc scratch
	prev := scoreRows(aggs, asOf, nil, th, nil, &sc)
	var spare []stateRow
	for b.Loop() {
		rows := scoreRows(aggs, asOf, nil, th, spare, &sc)
		d := diff(prev, rows)
		groupsOf(rows)
		if len(d.upsert) != 0 {
			b.Fatalf("%d rows changed between identical runs", len(d.upsert))
		}
		prev, spare = rows, prev
	}
}
