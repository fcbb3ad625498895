package metric

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
)

// Rollup keeps sales_daily in step with orders and refunds. Every writer
// already stamps orders.updated_at and refunds get increasing ids, so the
// rollup finds the days to recompute from those, whoever wrote them — the
// order service, an import, the demo generator — without hooks in each.
type Rollup struct {
	DB  *db.DB
	Now func() time.Time
	// Wait, when set, is the longest a reader waits for the refresh it
	// triggers (RefreshIfOlder); 0 waits for it to end.
	Wait time.Duration
}

// refreshMargin re-reads changes this far behind the last mark: a
// transaction that stamped updated_at before the mark but committed after it
// is still seen.
const refreshMargin = 10 * time.Minute

// refundIDMargin does the same for refund ids, which commit out of order
// on PostgreSQL: it covers that many refunds in flight at once. SQLite's
// one writer commits them in id order (refundMargin): there a margin would
// only recompute the days of the last refunds at every refresh.
const refundIDMargin = 50

// refundMargin is the refund-id margin the refreshes of d re-read.
func refundMargin(d *db.DB) int64 {
	if d.Dialect() == db.Postgres {
		return refundIDMargin
	}
	return 0
}

const (
	markOrders  = "sales_daily.orders_updated_at"
	markRefunds = "sales_daily.refund_id"
)

func (r *Rollup) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Refresh recomputes the days touched since the last refresh (all days the
// first time) and returns how many it rewrote. One runs at a time per
// store in the process.
func (r *Rollup) Refresh(ctx context.Context) (int, error) {
	mu := refreshLock(r.DB, "sales")
	mu.Lock()
	defer mu.Unlock()
	return r.refresh(ctx)
}

func (r *Rollup) refresh(ctx context.Context) (int, error) {
	started := r.now()
	ordersMark, okO, err := r.mark(ctx, markOrders)
	if err != nil {
		return 0, err
	}
	refundsMark, _, err := r.mark(ctx, markRefunds)
	if err != nil {
		return 0, err
	}
	var days []int64
	if !okO {
		days, err = allSalesDays(ctx, r.DB)
	} else {
		days, err = changedDays(ctx, r.DB, ordersMark-refreshMargin.Milliseconds(), refundsMark-refundMargin(r.DB))
	}
	if err != nil {
		return 0, err
	}
	var maxRefund int64
	if err := r.DB.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM refunds").Scan(&maxRefund); err != nil {
		return 0, fmt.Errorf("rollup: %w", err)
	}
	retDays, err := r.refreshRetention(ctx)
	if err != nil {
		return 0, err
	}
	days = mergeDays(days, retDays)
	for _, run := range runsOf(days, 3) {
		if err := r.rebuild(ctx, run[0], run[1]); err != nil {
			return 0, err
		}
	}
	err = r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := r.setMark(ctx, tx, markOrders, started.UnixMilli()); err != nil {
			return err
		}
		return r.setMark(ctx, tx, markRefunds, maxRefund)
	})
	return len(days), err
}

// RefreshIfOlder refreshes unless the last refresh is younger than maxAge,
// so that a busy dashboard doesn't refresh on every request, or another
// refresh is running — then the reader is served the rollup as it is
// rather than starting the same work again (the first refresh of a big
// store reads every day). With Wait set, the reader waits at most that
// long for the refresh (see awaitRefresh).
func (r *Rollup) RefreshIfOlder(ctx context.Context, maxAge time.Duration) error {
	mu := refreshLock(r.DB, "sales")
	if !mu.TryLock() {
		return nil
	}
	var at int64
	err := r.DB.QueryRow(ctx, "SELECT updated_at FROM job_marks WHERE name = $1", markOrders).Scan(&at)
	if err != nil && !db.IsNoRows(err) {
		mu.Unlock()
		return fmt.Errorf("rollup: %w", err)
	}
	if err == nil && r.now().Sub(time.UnixMilli(at)) < maxAge {
		mu.Unlock()
		return nil
	}
	return awaitRefresh(ctx, mu, r.Wait, func(ctx context.Context) error {
		_, err := r.refresh(ctx)
		return err
	})
}

// awaitRefresh runs refresh, which holds mu (locked by the caller) until it
// ends. With wait 0 the reader waits for it. Otherwise the refresh runs on
// its own, not cancelled with the reader's request, and the reader waits
// at most wait: a refresh that finds a lot to do (a day of events to read
// again, the first build after an import) must not hold up the dashboard,
// which is then served the rollups as they are, at most a refresh behind.
func awaitRefresh(ctx context.Context, mu *sync.Mutex, wait time.Duration, refresh func(context.Context) error) error {
	if wait <= 0 {
		defer mu.Unlock()
		return refresh(ctx)
	}
	done := make(chan error, 1)
	go func() {
		defer mu.Unlock()
		done <- refresh(context.WithoutCancel(ctx))
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// Rebuild recomputes every day from orders and refunds.
func (r *Rollup) Rebuild(ctx context.Context) error {
	if _, err := r.DB.Exec(ctx, "DELETE FROM job_marks WHERE name IN ($1, $2, $3)", markOrders, markRefunds, retentionMark); err != nil {
		return err
	}
	if _, err := r.DB.Exec(ctx, "DELETE FROM sales_daily"); err != nil {
		return err
	}
	_, err := r.Refresh(ctx)
	return err
}

func (r *Rollup) mark(ctx context.Context, name string) (int64, bool, error) {
	var v int64
	err := r.DB.QueryRow(ctx, "SELECT value FROM job_marks WHERE name = $1", name).Scan(&v)
	if err != nil {
		if db.IsNoRows(err) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("rollup mark %s: %w", name, err)
	}
	return v, true, nil
}

func (r *Rollup) setMark(ctx context.Context, q db.Queryer, name string, v int64) error {
	_, err := q.Exec(ctx, `INSERT INTO job_marks (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, v, r.now().UnixMilli())
	return err
}

func allSalesDays(ctx context.Context, q db.Queryer) ([]int64, error) {
	var lo, hi int64
	err := q.QueryRow(ctx, `SELECT COALESCE(MIN(d), 0), COALESCE(MAX(d), 0) FROM (
		SELECT MIN(paid_day) AS d FROM orders UNION ALL SELECT MAX(paid_day) FROM orders
		UNION ALL SELECT MIN(refunded_day) FROM refunds UNION ALL SELECT MAX(refunded_day) FROM refunds) x`).Scan(&lo, &hi)
	if err != nil {
		return nil, fmt.Errorf("rollup: sales days: %w", err)
	}
	if lo == 0 {
		return nil, nil
	}
	return Days(lo, hi), nil
}

func changedDays(ctx context.Context, q db.Queryer, sinceMillis, afterRefundID int64) ([]int64, error) {
	seen := map[int64]bool{}
	for _, query := range []struct {
		sql string
		arg int64
	}{
		// No "paid_day IS NOT NULL" and no DISTINCT here: SQLite would
		// then walk a paid_day index, which yields the days in order,
		// instead of orders_updated (seconds, not milliseconds, at ten
		// million orders); NULLs and repeats are dropped below.
		{"SELECT paid_day FROM orders WHERE updated_at >= $1", sinceMillis},
		{"SELECT refunded_day FROM refunds WHERE id > $1", afterRefundID},
	} {
		rows, err := q.Query(ctx, query.sql, query.arg)
		if err != nil {
			return nil, fmt.Errorf("rollup: changed days: %w", err)
		}
		for rows.Next() {
			var d sql.NullInt64
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, err
			}
			if d.Valid {
				seen[d.Int64] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]int64, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// runsOf groups sorted days into [from, to] runs, joining days at most gap
// apart, so that a handful of grouped queries rebuild them.
func runsOf(days []int64, gap int) [][2]int64 {
	var out [][2]int64
	for _, d := range days {
		if n := len(out); n > 0 && AddDays(out[n-1][1], gap) >= d {
			out[n-1][1] = d
			continue
		}
		out = append(out, [2]int64{d, d})
	}
	return out
}

type dayRow struct {
	paidOrders, gmv, cogs, refunds, refundCount, buyers int64
}

// rebuild recomputes the days from..to with grouped queries and writes them
// in one transaction.
func (r *Rollup) rebuild(ctx context.Context, from, to int64) error {
	rows := map[int64]*dayRow{}
	row := func(d int64) *dayRow {
		if rows[d] == nil {
			rows[d] = &dayRow{}
		}
		return rows[d]
	}
	scan := func(query string, each func(d int64, v []int64)) error {
		rs, err := r.DB.Query(ctx, query, from, to)
		if err != nil {
			return fmt.Errorf("rollup %d–%d: %w", from, to, err)
		}
		defer rs.Close()
		cols, _ := rs.Columns()
		v := make([]int64, len(cols))
		ptrs := make([]any, len(cols))
		for i := range v {
			ptrs[i] = &v[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				return err
			}
			each(v[0], v[1:])
		}
		return rs.Err()
	}
	// Presale deposits are not purchases; a tail is worth its deposit too
	// (package purchase).
	err := scan(`SELECT o.paid_day, COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0), COALESCE(SUM(o.cost_total), 0)
		FROM orders o WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+` GROUP BY o.paid_day`, func(d int64, v []int64) {
		x := row(d)
		x.paidOrders, x.gmv, x.cogs = v[0], v[1], v[2]
	})
	if err != nil {
		return err
	}
	// Cost of refunded units counts against the day the order was paid, as
	// in Summarize's definition of COGS.
	err = scan(`SELECT o.paid_day, COALESCE(SUM(l.refunded_quantity * l.unit_cost), 0)
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.paid_day BETWEEN $1 AND $2 AND o.refunded_total > 0 GROUP BY o.paid_day`, func(d int64, v []int64) {
		row(d).cogs -= v[0]
	})
	if err != nil {
		return err
	}
	// A deposit's refund counts once its tail was paid, which comes before
	// the refund, so a written day never changes for it later.
	err = scan(`SELECT r.refunded_day, COALESCE(SUM(r.amount), 0), COUNT(*)
		FROM refunds r WHERE r.refunded_day BETWEEN $1 AND $2 AND `+purchase.Refund("r")+` GROUP BY r.refunded_day`, func(d int64, v []int64) {
		x := row(d)
		x.refunds, x.refundCount = v[0], v[1]
	})
	if err != nil {
		return err
	}
	// Buyers: exact per day (a period's distinct buyers come from the
	// retention rollup). The covering index yields (day, customer) in order.
	var lastDay, lastCustomer int64 = -1, -1
	err = scan(`SELECT o.paid_day, o.customer_id FROM orders o
		WHERE o.paid_day BETWEEN $1 AND $2 AND o.customer_id IS NOT NULL AND `+purchase.Is("o")+` ORDER BY o.paid_day, o.customer_id`, func(d int64, v []int64) {
		if d == lastDay && v[0] == lastCustomer {
			return
		}
		lastDay, lastCustomer = d, v[0]
		row(d).buyers++
	})
	if err != nil {
		return err
	}
	now := r.now().UnixMilli()
	return r.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM sales_daily WHERE day BETWEEN $1 AND $2", from, to); err != nil {
			return err
		}
		for d, x := range rows {
			// buyers_sketch stays NULL: no read merges daily buyer sketches
			// since distinct buyers come from the retention rollup.
			if _, err := tx.Exec(ctx, `INSERT INTO sales_daily (day, paid_orders, gmv, cogs, refunds, refund_count, buyers, refreshed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d, x.paidOrders, x.gmv, x.cogs, x.refunds, x.refundCount, x.buyers, now); err != nil {
				return fmt.Errorf("rollup: write day %d: %w", d, err)
			}
		}
		return nil
	})
}
