package rfm

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order/purchase"
)

const dayMS = 24 * 60 * 60 * 1000

// Options choose how a run scores.
type Options struct {
	AsOf  time.Time // zero: now
	Since time.Time // start of the window; zero: all history
	// Cuts replaces quintiles with configured cut points.
	Cuts *Cuts
	// Lifecycle sets the stage thresholds; nil derives them from the shop's
	// inter-purchase times (lifecycle.FromGaps).
	Lifecycle *lifecycle.Thresholds
}

// Result is a computed, not yet stored, run: one entry per customer in each
// slice, in the same order.
type Result struct {
	AsOf       time.Time
	Since      time.Time
	Method     string
	Thresholds lifecycle.Thresholds
	Customers  []Customer
	Scores     []Score
	Segments   []Segment
	Stages     []lifecycle.Stage
}

// Aggregate reads every customer with a paid order in [since, asOf] (unix
// ms; since 0 means all history) in one streaming aggregate query over the
// orders, grouped by customer and store day and ordered so that each
// customer's days arrive together; the customers' figures and the shop's
// inter-purchase gaps (days between consecutive purchase days) are summed up
// in Go as the rows stream by.
func Aggregate(ctx context.Context, q db.Queryer, since, asOf int64) ([]Customer, []lifecycle.Gap, error) {
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, COUNT(*), MIN(o.paid_at), MAX(o.paid_at), CAST(SUM(`+purchase.Net("o")+`) AS BIGINT)
		FROM orders o
		WHERE o.customer_id IS NOT NULL AND o.paid_at IS NOT NULL AND o.paid_day IS NOT NULL AND o.paid_at >= $1 AND o.paid_at <= $2 AND `+purchase.Is("o")+`
		GROUP BY o.customer_id, o.paid_day ORDER BY o.customer_id, o.paid_day`, since, asOf)
	if err != nil {
		return nil, nil, fmt.Errorf("rfm aggregate: %w", err)
	}
	defer rows.Close()
	var out []Customer
	gaps := map[int64]int64{}
	var prevDay int64
	for rows.Next() {
		var id, day, n, first, last, net int64
		if err := rows.Scan(&id, &day, &n, &first, &last, &net); err != nil {
			return nil, nil, fmt.Errorf("rfm aggregate: %w", err)
		}
		dn := lifecycle.DayNumber(day)
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Customer{ID: id, FirstPaidAt: first})
		} else {
			gaps[dn-prevDay]++
		}
		prevDay = dn
		c := &out[len(out)-1]
		c.Frequency += n
		c.Monetary += net
		c.LastPaidAt = max(c.LastPaidAt, last)
		c.FirstPaidAt = min(c.FirstPaidAt, first)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("rfm aggregate: %w", err)
	}
	for i := range out {
		out[i].RecencyDays = (asOf - out[i].LastPaidAt) / dayMS
	}
	hist := make([]lifecycle.Gap, 0, len(gaps))
	for d, n := range gaps {
		hist = append(hist, lifecycle.Gap{Days: d, Count: n})
	}
	return out, hist, nil
}

// Compute scores every customer as of asOf with the default options:
// quintiles over all history, lifecycle thresholds from the shop's gaps.
func (s *Service) Compute(ctx context.Context, asOf time.Time) (Result, error) {
	return s.ComputeWith(ctx, Options{AsOf: asOf})
}

// ComputeWith scores every customer with the options given.
func (s *Service) ComputeWith(ctx context.Context, o Options) (Result, error) {
	m := memoryOf(s.DB)
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, aggs, err := s.score(ctx, m, o, nil)
	if err != nil {
		return Result{}, err
	}
	return sc.result(aggs), nil
}

// score scores into rows (reused) from the in-memory aggregates when they
// answer the options (all history, no purchase after AsOf); otherwise, for
// a window or a date in the past, from the orders. aggs are the aggregates
// scored, row for row: the in-memory copy itself, good while the caller
// holds m.mu.
func (s *Service) score(ctx context.Context, m *memory, o Options, rows []stateRow) (sc scored, aggs []aggRow, err error) {
	if o.AsOf.IsZero() {
		o.AsOf = time.Now()
	}
	if o.Cuts != nil {
		if err := o.Cuts.Validate(); err != nil {
			return sc, nil, err
		}
	}
	asOf := o.AsOf.UnixMilli()
	var since int64
	if !o.Since.IsZero() {
		since = o.Since.UnixMilli()
	}
	if o.Lifecycle != nil {
		if err := o.Lifecycle.Validate(); err != nil {
			return sc, nil, err
		}
	}
	aggs, gaps, ok, err := s.fromAggregates(ctx, m, since, asOf)
	if err != nil {
		return sc, nil, err
	}
	if !ok {
		cs, g, err := Aggregate(ctx, s.DB, since, asOf)
		if err != nil {
			return sc, nil, err
		}
		aggs, gaps = make([]aggRow, len(cs)), g
		for i, c := range cs {
			aggs[i] = aggRow{id: c.ID, first: c.FirstPaidAt, last: c.LastPaidAt, freq: c.Frequency, mon: c.Monetary}
		}
	}
	th := lifecycle.FromGaps(gaps, lifecycle.DefaultNewDays)
	if o.Lifecycle != nil {
		th = *o.Lifecycle
	}
	sc = scored{AsOf: o.AsOf, Since: o.Since, Method: "quintiles", Thresholds: th}
	if o.Cuts != nil {
		sc.Method = "cuts"
	}
	sc.rows = scoreRows(aggs, asOf, o.Cuts, th, rows, &m.scratch)
	return sc, aggs, nil
}

// fromAggregates returns the in-memory aggregates, rebuilding them first
// when orders were written around the hook; ok is false when they cannot
// answer (a window, or purchases after asOf).
func (s *Service) fromAggregates(ctx context.Context, m *memory, since, asOf int64) ([]aggRow, []lifecycle.Gap, bool, error) {
	if since != 0 {
		return nil, nil, false, nil
	}
	current, err := aggregatesCurrent(ctx, s.DB)
	if err != nil {
		return nil, nil, false, err
	}
	if !current {
		if err := s.rebuild(ctx, m); err != nil {
			return nil, nil, false, err
		}
	}
	if err := m.catchUp(ctx, s.DB); err != nil {
		return nil, nil, false, err
	}
	for _, a := range m.aggs {
		if a.last > asOf {
			return nil, nil, false, nil
		}
	}
	gaps, err := storedGaps(ctx, s.DB)
	if err != nil {
		return nil, nil, false, err
	}
	return m.aggs, gaps, true, nil
}

// stageAt is Thresholds.StageOf as a position in lifecycle.Stages.
func stageAt(th lifecycle.Thresholds, daysSinceFirst, daysSinceLast int64) int8 {
	return int8(position(lifecycle.Stages, th.StageOf(daysSinceFirst, daysSinceLast)))
}
