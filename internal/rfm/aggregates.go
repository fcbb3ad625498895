package rfm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/purchase"
)

// The per-customer aggregates (rfm_customers) and the gap histogram
// (rfm_gaps) are what a run scores from. Hook keeps them exact for every
// order the order service moves, in the order's own transaction. Orders
// written around the service (the demo generator, imports, order sync)
// leave them behind; the marks below say so, and the next run rebuilds
// them from the orders first.
const (
	// The newest order id and updated_at the aggregates are known to
	// cover: a run finds them stale when the orders hold a newer one.
	markOrderID = "rfm.orders_id"
	markUpdated = "rfm.orders_updated_at"
	// markGeneration counts rebuilds: an in-memory copy loaded before the
	// last rebuild loads again.
	markGeneration = "rfm.generation"
)

// Hook keeps the RFM aggregates in step with the orders: a payment adds a
// purchase (and its day to the gap histogram), a paid order closed or an
// after-sales refund lowers the net spend. The customer's row is counted
// again from their orders, so it equals what a rebuild would write.
type Hook struct{}

var (
	_ order.Hook     = Hook{}
	_ order.CaseHook = Hook{}
)

// Placed implements order.Hook: a new order only moves the marks.
func (Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	return advanceMarks(ctx, tx, o.ID)
}

// Moved implements order.Hook.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	paid := m.From == order.PendingPayment && m.To == order.Paid
	refunded := m.From != order.PendingPayment && (m.To == order.Closed || m.To == order.Cancelled)
	if m.CustomerID > 0 && (paid || refunded) {
		if paid {
			if err := notePurchaseDay(ctx, tx, m.CustomerID, m.OrderID); err != nil {
				return err
			}
		}
		if err := countCustomer(ctx, tx, m.CustomerID, m.At.UnixMilli()); err != nil {
			return err
		}
	}
	return advanceMarks(ctx, tx, m.OrderID)
}

// CaseMoved implements order.CaseHook: a refund lowers the net spend.
func (Hook) CaseMoved(ctx context.Context, tx *db.Tx, m order.CaseMoved) error {
	if m.CustomerID > 0 && m.To == order.CaseRefunded {
		if err := countCustomer(ctx, tx, m.CustomerID, m.At.UnixMilli()); err != nil {
			return err
		}
	}
	return advanceMarks(ctx, tx, m.OrderID)
}

// purchasesWhere picks the orders that are purchases, as Aggregate does.
var purchasesWhere = `o.customer_id IS NOT NULL AND o.paid_at IS NOT NULL AND o.paid_day IS NOT NULL AND ` + purchase.Is("o")

// countCustomer writes the customer's aggregates counted from their orders.
func countCustomer(ctx context.Context, tx *db.Tx, customerID, at int64) error {
	var n, first, last, net int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(o.paid_at), 0), COALESCE(MAX(o.paid_at), 0), CAST(COALESCE(SUM(`+purchase.Net("o")+`), 0) AS BIGINT)
		FROM orders o WHERE o.customer_id = $1 AND `+purchasesWhere, customerID).Scan(&n, &first, &last, &net)
	if err != nil {
		return fmt.Errorf("rfm aggregates of customer %d: %w", customerID, err)
	}
	if n == 0 {
		_, err = tx.Exec(ctx, `DELETE FROM rfm_customers WHERE customer_id = $1`, customerID)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO rfm_customers (customer_id, first_paid_at, last_paid_at, frequency, monetary, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id) DO UPDATE SET first_paid_at = excluded.first_paid_at,
			last_paid_at = excluded.last_paid_at, frequency = excluded.frequency, monetary = excluded.monetary, changed_at = excluded.changed_at`,
			customerID, first, last, n, net, at)
	}
	if err != nil {
		return fmt.Errorf("rfm aggregates of customer %d: %w", customerID, err)
	}
	return nil
}

// notePurchaseDay adds a paid order's day to the gap histogram: a day the
// customer had no purchase on splits the gap between its neighbours (or
// extends the customer's days at either end).
func notePurchaseDay(ctx context.Context, tx *db.Tx, customerID, orderID int64) error {
	var day sql.NullInt64
	var role string
	if err := tx.QueryRow(ctx, `SELECT paid_day, presale_role FROM orders WHERE id = $1`, orderID).Scan(&day, &role); err != nil {
		return fmt.Errorf("rfm purchase day of order %d: %w", orderID, err)
	}
	if !day.Valid || role == "deposit" {
		return nil // a deposit is no purchase (package purchase)
	}
	var prev, next sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT (SELECT MAX(o.paid_day) FROM orders o WHERE o.customer_id = $1 AND o.id <> $2 AND o.paid_day <= $3 AND `+purchasesWhere+`),
		(SELECT MIN(o.paid_day) FROM orders o WHERE o.customer_id = $1 AND o.id <> $2 AND o.paid_day >= $3 AND `+purchasesWhere+`)`,
		customerID, orderID, day.Int64).Scan(&prev, &next)
	if err != nil {
		return fmt.Errorf("rfm purchase days of customer %d: %w", customerID, err)
	}
	if (prev.Valid && prev.Int64 == day.Int64) || (next.Valid && next.Int64 == day.Int64) {
		return nil // a second purchase that day: one purchase day
	}
	d := lifecycle.DayNumber(day.Int64)
	var change [][2]int64 // days, ±purchases
	if prev.Valid {
		change = append(change, [2]int64{d - lifecycle.DayNumber(prev.Int64), 1})
	}
	if next.Valid {
		change = append(change, [2]int64{lifecycle.DayNumber(next.Int64) - d, 1})
	}
	if prev.Valid && next.Valid {
		change = append(change, [2]int64{lifecycle.DayNumber(next.Int64) - lifecycle.DayNumber(prev.Int64), -1})
	}
	for _, c := range change {
		if _, err := tx.Exec(ctx, `INSERT INTO rfm_gaps (days, purchases) VALUES ($1, $2)
			ON CONFLICT (days) DO UPDATE SET purchases = rfm_gaps.purchases + excluded.purchases`, c[0], c[1]); err != nil {
			return fmt.Errorf("rfm gaps: %w", err)
		}
	}
	return nil
}

// readMarks reads the marks, 0 for a mark never written.
func readMarks(ctx context.Context, q db.Queryer, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		err := q.QueryRow(ctx, `SELECT value FROM job_marks WHERE name = $1`, n).Scan(&out[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("rfm marks: %w", err)
		}
	}
	return out, nil
}

func writeMark(ctx context.Context, tx *db.Tx, name string, v, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO job_marks (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, v, now)
	if err != nil {
		return fmt.Errorf("rfm marks: %w", err)
	}
	return nil
}

// advanceMarks moves the marks to cover the order the hook just handled,
// but only when they covered every other order already: an order written
// around the service before it keeps them behind, so the next run still
// rebuilds.
func advanceMarks(ctx context.Context, tx *db.Tx, orderID int64) error {
	marks, err := readMarks(ctx, tx, markOrderID, markUpdated)
	if err != nil {
		return err
	}
	var mine int64
	if err := tx.QueryRow(ctx, `SELECT updated_at FROM orders WHERE id = $1`, orderID).Scan(&mine); err != nil {
		return fmt.Errorf("rfm marks: order %d: %w", orderID, err)
	}
	otherID, otherUpdated, err := newestOtherOrder(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if otherID > marks[0] || otherUpdated > marks[1] {
		return nil
	}
	now := time.Now().UnixMilli()
	if orderID > marks[0] {
		if err := writeMark(ctx, tx, markOrderID, orderID, now); err != nil {
			return err
		}
	}
	if mine > marks[1] {
		return writeMark(ctx, tx, markUpdated, mine, now)
	}
	return nil
}

// newestOtherOrder is the highest id and the latest updated_at among the
// orders other than orderID (two index lookups each).
func newestOtherOrder(ctx context.Context, tx *db.Tx, orderID int64) (id, updated int64, err error) {
	for _, q := range []struct {
		sql string
		out *int64
	}{
		{`SELECT id, id FROM orders ORDER BY id DESC LIMIT 2`, &id},
		{`SELECT id, updated_at FROM orders ORDER BY updated_at DESC LIMIT 2`, &updated},
	} {
		rows, err := tx.Query(ctx, q.sql)
		if err != nil {
			return 0, 0, fmt.Errorf("rfm marks: %w", err)
		}
		for rows.Next() {
			var oid, v int64
			if err := rows.Scan(&oid, &v); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("rfm marks: %w", err)
			}
			if oid != orderID {
				*q.out = max(*q.out, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, fmt.Errorf("rfm marks: %w", err)
		}
	}
	return id, updated, nil
}

// aggregatesCurrent says whether the aggregates cover every order.
func aggregatesCurrent(ctx context.Context, q db.Queryer) (bool, error) {
	marks, err := readMarks(ctx, q, markOrderID, markUpdated)
	if err != nil {
		return false, err
	}
	var id, updated int64
	if err := q.QueryRow(ctx, `SELECT COALESCE((SELECT MAX(id) FROM orders), 0), COALESCE((SELECT MAX(updated_at) FROM orders), 0)`).Scan(&id, &updated); err != nil {
		return false, fmt.Errorf("rfm marks: %w", err)
	}
	return id <= marks[0] && updated <= marks[1], nil
}

// Rebuild counts the aggregates and the gap histogram again from every
// order, for a store whose orders were written around the order service
// (a run does it by itself when it finds them stale).
func (s *Service) Rebuild(ctx context.Context) error {
	m := memoryOf(s.DB)
	m.mu.Lock()
	defer m.mu.Unlock()
	return s.rebuild(ctx, m)
}

// rebuild rebuilds; on SQLite the in-memory copy takes the rows it
// counted, so the run after does not read them back. The caller holds
// m.mu.
func (s *Service) rebuild(ctx context.Context, m *memory) error {
	var aggs []aggRow
	var gen int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) (err error) {
		if tx.Dialect() == db.SQLite {
			aggs, gen, err = rebuildSQLite(ctx, s.DB, tx, time.Now().UnixMilli())
			return err
		}
		aggs = nil
		return rebuild(ctx, tx)
	})
	if err != nil || aggs == nil {
		return err
	}
	// Rows the rebuild wrote have changed_at 0; the catch-ups after read
	// from changed_at 1 on, the hook's writes since.
	m.aggs, m.generation, m.seenAt = aggs, gen, 0
	return nil
}

// rebuild counts in the transaction, on PostgreSQL (SQLite's is
// rebuildSQLite).
func rebuild(ctx context.Context, tx *db.Tx) error {
	now := time.Now().UnixMilli()
	var id, updated int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT MAX(id) FROM orders), 0), COALESCE((SELECT MAX(updated_at) FROM orders), 0)`).Scan(&id, &updated); err != nil {
		return fmt.Errorf("rfm rebuild: %w", err)
	}
	for _, q := range []string{`DELETE FROM rfm_customers`, `DELETE FROM rfm_gaps`,
		`INSERT INTO rfm_customers (customer_id, first_paid_at, last_paid_at, frequency, monetary, changed_at)
		SELECT o.customer_id, MIN(o.paid_at), MAX(o.paid_at), COUNT(*), CAST(SUM(` + purchase.Net("o") + `) AS BIGINT), 0
		FROM orders o WHERE ` + purchasesWhere + ` GROUP BY o.customer_id`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("rfm rebuild: %w", err)
		}
	}
	gaps, err := countGaps(ctx, tx)
	if err != nil {
		return err
	}
	if err := storeGaps(ctx, tx, gaps); err != nil {
		return err
	}
	_, err = writeRebuildMarks(ctx, tx, id, updated, now)
	return err
}

// countGaps walks every customer's purchase days in order.
func countGaps(ctx context.Context, q db.Queryer) ([]lifecycle.Gap, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT o.customer_id, o.paid_day FROM orders o WHERE `+purchasesWhere+` ORDER BY o.customer_id, o.paid_day`)
	if err != nil {
		return nil, fmt.Errorf("rfm gaps: %w", err)
	}
	defer rows.Close()
	hist := map[int64]int64{}
	dayNo := map[int64]int64{}
	var prevID, prevDay int64
	for rows.Next() {
		var id, day int64
		if err := rows.Scan(&id, &day); err != nil {
			return nil, fmt.Errorf("rfm gaps: %w", err)
		}
		dn, ok := dayNo[day]
		if !ok {
			dn = lifecycle.DayNumber(day)
			dayNo[day] = dn
		}
		if id == prevID {
			hist[dn-prevDay]++
		}
		prevID, prevDay = id, dn
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rfm gaps: %w", err)
	}
	out := make([]lifecycle.Gap, 0, len(hist))
	for d, n := range hist {
		out = append(out, lifecycle.Gap{Days: d, Count: n})
	}
	slices.SortFunc(out, func(a, b lifecycle.Gap) int { return int(a.Days - b.Days) })
	return out, nil
}

// storedGaps reads the gap histogram.
func storedGaps(ctx context.Context, q db.Queryer) ([]lifecycle.Gap, error) {
	rows, err := q.Query(ctx, `SELECT days, purchases FROM rfm_gaps WHERE purchases > 0 ORDER BY days`)
	if err != nil {
		return nil, fmt.Errorf("rfm gaps: %w", err)
	}
	defer rows.Close()
	var out []lifecycle.Gap
	for rows.Next() {
		var g lifecycle.Gap
		if err := rows.Scan(&g.Days, &g.Count); err != nil {
			return nil, fmt.Errorf("rfm gaps: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
