package rfm

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
)

// CurrentSegments are the segments the latest run gave customers ids
// (every scored customer when ids is nil); a customer it did not score is
// absent. Rollups that count by segment (metric's segment rollup) read
// them here.
func CurrentSegments(ctx context.Context, q db.Queryer, ids []int64) (map[int64]string, error) {
	query := `SELECT customer_id, segment FROM rfm_current`
	var args []any
	if ids != nil {
		query += ` WHERE customer_id IN (` + db.Placeholders(len(ids), 1) + `)`
		args = db.Args(ids)
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("current segments: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var seg string
		if err := rows.Scan(&id, &seg); err != nil {
			return nil, err
		}
		out[id] = seg
	}
	return out, rows.Err()
}

// Moves is what the runs after a given one changed: the latest run's id,
// the customers those runs moved to another segment (each once), and
// whether that list is complete — a run only keeps its moves for
// KeepMoves runs, so after more runs than that it is not.
type Moves struct {
	LastRun   int64
	Customers []int64
	Complete  bool
}

// MovesSince reads the moves of the runs after run `after` (0: none
// before).
func MovesSince(ctx context.Context, q db.Queryer, after int64) (Moves, error) {
	var m Moves
	var runs int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0), COUNT(*) FROM rfm_runs WHERE id > $1`, after).Scan(&m.LastRun, &runs); err != nil {
		return m, fmt.Errorf("rfm moves: %w", err)
	}
	m.Complete = runs <= KeepMoves
	if runs == 0 {
		m.LastRun = after
		return m, nil
	}
	rows, err := q.Query(ctx, `SELECT customer_id FROM rfm_moves WHERE run_id > $1`, after)
	if err != nil {
		return m, fmt.Errorf("rfm moves: %w", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return m, err
		}
		if !seen[id] {
			seen[id] = true
			m.Customers = append(m.Customers, id)
		}
	}
	return m, rows.Err()
}
