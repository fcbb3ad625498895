package rfm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
)

// Reading a million rows through database/sql costs about half a second,
// more than a whole run may take. So each process keeps a copy of the
// aggregates and of the latest run's scores, and keeps it in step by
// reading only what changed: aggregate rows by changed_at (the hook's
// writes), and the scores again only when another process stored a run.

// aggRow is one customer's aggregates.
type aggRow struct {
	id, first, last, freq, mon int64
}

// stateRow is one customer's row of rfm_current.
type stateRow struct {
	id, last, freq, mon int64
	r, f, m             int8
	segment, stage      int8 // indexes into Segments and lifecycle.Stages
}

// memory is one database's copy.
type memory struct {
	mu sync.Mutex

	generation int64    // markGeneration the aggregates were loaded at
	seenAt     int64    // the newest changed_at read
	aggs       []aggRow // by id

	runID int64 // the run state holds; 0: not loaded
	state []stateRow

	// What a run reuses: the rows it scores into (the previous state's
	// once a run is stored) and its scratch.
	spare   []stateRow
	scratch scratch
}

// lateWindow: a hook's write takes its changed_at before it commits, so a
// catch-up reads this far behind the newest row it has seen.
const lateWindow = time.Minute

var (
	memoriesMu sync.Mutex
	memories   = map[*db.DB]*memory{}
)

func memoryOf(d *db.DB) *memory {
	memoriesMu.Lock()
	defer memoriesMu.Unlock()
	m, ok := memories[d]
	if !ok {
		m = &memory{}
		memories[d] = m
	}
	return m
}

// catchUp brings the copy of the aggregates up to date. The caller holds
// m.mu.
func (m *memory) catchUp(ctx context.Context, q db.Queryer) error {
	gen, err := readMarks(ctx, q, markGeneration)
	if err != nil {
		return err
	}
	full := m.aggs == nil || gen[0] != m.generation
	// Rows a rebuild wrote have changed_at 0: the full load that follows
	// every rebuild (a new generation) reads them, a catch-up never.
	from := max(m.seenAt-lateWindow.Milliseconds(), 1)
	if full {
		m.aggs, m.seenAt, from = m.aggs[:0], 0, 0
	}
	// A full load reads the table in its own (customer) order; a catch-up
	// reads the few changed rows through rfm_customers_changed and sorts
	// them below. Asked for both at once (changed since, in customer
	// order), SQLite walks the whole table to spare the sort: a million
	// rows read on every run to find none.
	query, args := `SELECT customer_id, first_paid_at, last_paid_at, frequency, monetary, changed_at FROM rfm_customers ORDER BY customer_id`, []any(nil)
	if !full {
		query, args = `SELECT customer_id, first_paid_at, last_paid_at, frequency, monetary, changed_at FROM rfm_customers WHERE changed_at >= $1`, []any{from}
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("rfm aggregates: %w", err)
	}
	defer rows.Close()
	var fresh []aggRow
	for rows.Next() {
		var a aggRow
		var at int64
		if err := rows.Scan(&a.id, &a.first, &a.last, &a.freq, &a.mon, &at); err != nil {
			return fmt.Errorf("rfm aggregates: %w", err)
		}
		m.seenAt = max(m.seenAt, at)
		if full {
			m.aggs = append(m.aggs, a)
		} else {
			fresh = append(fresh, a)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rfm aggregates: %w", err)
	}
	m.generation = gen[0]
	added := false
	for _, a := range fresh {
		i, ok := slices.BinarySearchFunc(m.aggs, a.id, func(r aggRow, id int64) int { return cmp.Compare(r.id, id) })
		if ok {
			m.aggs[i] = a
		} else {
			m.aggs, added = append(m.aggs, a), true
		}
	}
	if added {
		slices.SortFunc(m.aggs, func(a, b aggRow) int { return cmp.Compare(a.id, b.id) })
	}
	// Rows never go: a customer's purchases never stop being purchases,
	// and the store has no way to delete a customer.
	return nil
}

// loadState reads the latest run's scores when the copy holds another
// run's. The caller holds m.mu.
func (m *memory) loadState(ctx context.Context, q db.Queryer) error {
	for range 3 {
		latest, err := latestRunID(ctx, q)
		if err != nil {
			return err
		}
		if latest == m.runID && (latest == 0 || m.state != nil) {
			return nil
		}
		state, err := readState(ctx, q)
		if err != nil {
			return err
		}
		again, err := latestRunID(ctx, q)
		if err != nil {
			return err
		}
		if again == latest {
			m.runID, m.state = latest, state
			return nil
		}
	}
	return fmt.Errorf("rfm: runs kept being stored while the latest was read; try again")
}

func latestRunID(ctx context.Context, q db.Queryer) (int64, error) {
	var id int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM rfm_runs`).Scan(&id); err != nil {
		return 0, fmt.Errorf("rfm runs: %w", err)
	}
	return id, nil
}

func readState(ctx context.Context, q db.Queryer) ([]stateRow, error) {
	seg, stage := indexOf(toStrings(Segments)), indexOf(toStrings(lifecycle.Stages))
	rows, err := q.Query(ctx, `SELECT customer_id, last_paid_at, frequency, monetary, r, f, m, segment, stage FROM rfm_current ORDER BY customer_id`)
	if err != nil {
		return nil, fmt.Errorf("rfm scores: %w", err)
	}
	defer rows.Close()
	out := []stateRow{}
	for rows.Next() {
		var s stateRow
		var sg, st string
		if err := rows.Scan(&s.id, &s.last, &s.freq, &s.mon, &s.r, &s.f, &s.m, &sg, &st); err != nil {
			return nil, fmt.Errorf("rfm scores: %w", err)
		}
		s.segment, s.stage = int8(seg[sg]), int8(stage[st])
		out = append(out, s)
	}
	return out, rows.Err()
}

func indexOf(names []string) map[string]int {
	out := make(map[string]int, len(names))
	for i, n := range names {
		out[n] = i
	}
	return out
}
