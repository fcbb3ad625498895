package audience

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
)

// audience_facts holds each customer's paid orders, spend and last
// payment (see migration 0025). Refresh brings it up to date with the
// orders before a count reads it.
const (
	markUpdated = "audience_facts.updated_at"
	markOrderID = "audience_facts.order_id"
	// lateWindow: a write takes its updated_at before it commits (and
	// instances' clocks differ a little), so each refresh looks this far
	// back before the last one.
	lateWindow = time.Minute
	// lateIDs: the same for ids (PostgreSQL hands out ids before commit;
	// an order written with an old updated_at, as an import may, is found
	// by its new id).
	lateIDs = 100
	// refreshEvery: counts within this long of a refresh (an operator
	// typing in the builder) reuse it.
	refreshEvery = 2 * time.Second
	// chunk of customers recomputed per statement.
	factsChunk = 500
)

var (
	refreshMu sync.Mutex
	refreshed = map[*db.DB]time.Time{}
)

// Refresh recomputes the facts of every customer whose orders changed
// since the last refresh; with force false, a refresh less than
// refreshEvery ago is good enough. When most customers changed (a bulk
// import, the demo generator) it rebuilds the whole table in one query.
func Refresh(ctx context.Context, d *db.DB, force bool) error {
	refreshMu.Lock()
	defer refreshMu.Unlock()
	if last, ok := refreshed[d]; ok && !force && time.Since(last) < refreshEvery {
		return nil
	}
	started := time.Now()
	// seenAt is when the last refresh that found changes started: every
	// order written since has an updated_at at or after it, less
	// lateWindow for a write that took its time before that refresh and
	// committed after it. seenID catches orders written with an old
	// updated_at (an import of past orders).
	var seenAt, seenID, nowID, facts int64
	err := d.QueryRow(ctx, `SELECT COALESCE((SELECT value FROM job_marks WHERE name = $1), 0), COALESCE((SELECT value FROM job_marks WHERE name = $2), 0),
		COALESCE((SELECT MAX(id) FROM orders), 0), (SELECT COUNT(*) FROM audience_facts)`,
		markUpdated, markOrderID).Scan(&seenAt, &seenID, &nowID, &facts)
	if err != nil {
		return fmt.Errorf("segment facts: %w", err)
	}
	// Two index ranges (orders_updated, the key), not one OR, and no
	// condition on customer_id: either lets a planner without statistics
	// walk all the orders by another index. Guests and repeats go here.
	rows, err := d.Query(ctx, `SELECT customer_id FROM orders WHERE updated_at >= $1
		UNION ALL SELECT customer_id FROM orders WHERE id > $2`,
		seenAt-lateWindow.Milliseconds(), seenID-lateIDs)
	if err != nil {
		return fmt.Errorf("segment facts: changed customers: %w", err)
	}
	var changed []int64
	seen := map[int64]bool{}
	for rows.Next() {
		var id sql.NullInt64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if id.Valid && !seen[id.Int64] {
			seen[id.Int64] = true
			changed = append(changed, id.Int64)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(changed) > 0 || nowID != seenID {
		rebuild := int64(len(changed)) > max(facts/5, 10000)
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if rebuild {
				if _, err := tx.Exec(ctx, `DELETE FROM audience_facts`); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO audience_facts (customer_id, orders, spend, last_paid_at, channels) `+factsSelect(d.Dialect())+` GROUP BY customer_id`); err != nil {
					return err
				}
			}
			for i := 0; !rebuild && i < len(changed); i += factsChunk {
				part := changed[i:min(i+factsChunk, len(changed))]
				in, args := inList(part)
				if _, err := tx.Exec(ctx, `DELETE FROM audience_facts WHERE customer_id IN `+in, args...); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO audience_facts (customer_id, orders, spend, last_paid_at, channels) `+factsSelect(d.Dialect())+
					` AND customer_id IN `+in+` GROUP BY customer_id`, args...); err != nil {
					return err
				}
			}
			for _, m := range []struct {
				name string
				v    int64
			}{{markUpdated, started.UnixMilli()}, {markOrderID, nowID}} {
				if _, err := tx.Exec(ctx, `INSERT INTO job_marks (name, value, updated_at) VALUES ($1, $2, $3)
					ON CONFLICT (name) DO UPDATE SET value = CASE WHEN excluded.value > job_marks.value THEN excluded.value ELSE job_marks.value END,
					updated_at = excluded.updated_at`, m.name, m.v, started.UnixMilli()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("segment facts: %w", err)
		}
	}
	// The next refresh may skip from when this one ended: a refresh
	// slower than refreshEvery must not make every count refresh again.
	refreshed[d] = time.Now()
	return nil
}

// factsSelect aggregates the paid orders as the RFM run does
// (rfm.Aggregate): an order counts once paid_at is set, net of refunds,
// a presale's deposit never (docs/METRICS.md, "Presale orders");
// channels lists the distinct channels between commas (",live,direct,").
func factsSelect(d db.Dialect) string {
	channels := `group_concat(DISTINCT channel)`
	if d == db.Postgres {
		channels = `string_agg(DISTINCT channel, ',')`
	}
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	return `SELECT o.customer_id, COUNT(*), SUM(` + purchase.Net("o") + `), MAX(o.paid_at), ',' || ` + channels + ` || ','
	FROM orders o WHERE o.customer_id IS NOT NULL AND o.paid_at IS NOT NULL AND ` + purchase.Is("o")
}

// inList writes ($1 … $factsChunk) for ids, the last id repeated to fill
// it, so the statement's text is always the same.
func inList(ids []int64) (string, []any) {
	var b strings.Builder
	args := make([]any, factsChunk)
	b.WriteByte('(')
	for i := range factsChunk {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+1)
		args[i] = ids[min(i, len(ids)-1)]
	}
	b.WriteByte(')')
	return b.String(), args
}
