package metric_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

// TestRollupAgreesWithOrders generates a store, checks the rollup's figures
// against the raw definition over many ranges, changes orders and refunds
// behind the rollup's back, and checks that a refresh catches up.
func TestRollupAgreesWithOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		end := time.Date(2026, 11, 20, 0, 0, 0, 0, sh)
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 400, Days: 90, Seed: 3, End: end, Location: sh}); err != nil {
			t.Fatal(err)
		}
		r := &metric.Rollup{DB: d}
		first, err := r.Refresh(ctx)
		if err != nil || first < 90 {
			t.Fatalf("first refresh rewrote %d days, %v; want every day", first, err)
		}
		// The second only re-reads what changed within the safety margin.
		if n, err := r.Refresh(ctx); err != nil || n >= first {
			t.Fatalf("second refresh rewrote %d days, %v; want fewer than %d", n, err, first)
		}
		check := func(stage string) {
			t.Helper()
			for _, rg := range [][2]int64{{20261120, 20261120}, {20261114, 20261120}, {20261021, 20261120}, {20260801, 20261120}, {20261111, 20261111}} {
				raw, err := metric.SummarizeRaw(ctx, d, rg[0], rg[1])
				if err != nil {
					t.Fatal(err)
				}
				got, err := metric.Summarize(ctx, d, rg[0], rg[1])
				if err != nil {
					t.Fatal(err)
				}
				if got != raw {
					t.Errorf("%s %v:\nrollup %+v\nraw    %+v", stage, rg, got, raw)
				}
			}
			rawDaily, _ := metric.DailyRaw(ctx, d, 20261001, 20261120)
			daily, _ := metric.Daily(ctx, d, 20261001, 20261120)
			for i := range rawDaily {
				if rawDaily[i] != daily[i] {
					t.Errorf("%s day %d: rollup %+v raw %+v", stage, daily[i].Day, daily[i], rawDaily[i])
				}
			}
		}
		check("after first refresh")

		// Behind the rollup's back: a refund on an order paid on 11 Nov,
		// paid out on 20 Nov, the way the order service writes one.
		var orderID, total, day int64
		if err := d.QueryRow(ctx, `SELECT id, total, paid_day FROM orders WHERE paid_day = 20261111 AND refunded_total = 0 AND total > 0 ORDER BY id LIMIT 1`).Scan(&orderID, &total, &day); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UnixMilli()
		d.InTx(ctx, func(tx *db.Tx) error {
			tx.Exec(ctx, `UPDATE orders SET refunded_total = total, updated_at = $2 WHERE id = $1`, orderID, now)
			tx.Exec(ctx, `UPDATE order_lines SET refunded_quantity = quantity WHERE order_id = $1`, orderID)
			_, err := tx.Exec(ctx, `INSERT INTO refunds (order_id, amount, reason, refunded_at, refunded_day) VALUES ($1, $2, 'test', $3, 20261120)`, orderID, total, now)
			return err
		})
		if n, err := r.Refresh(ctx); err != nil || n < 2 {
			t.Fatalf("refresh after a refund rewrote %d days, %v; want the order's day and the refund's", n, err)
		}
		check("after a refund")

		if err := r.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a rebuild")
	})
}

func BenchmarkOverview30Days(b *testing.B) {
	ctx := context.Background()
	d := dbtest.SQLite(b)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 20000, Days: 400, Seed: 1, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
		b.Fatal(err)
	}
	r := &metric.Rollup{DB: d}
	if _, err := r.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Overview(ctx, 20261120, 30); err != nil {
			b.Fatal(err)
		}
	}
}

// While a refresh of the sales rollup runs, a reader asking for a fresh one
// is served the rollup as it is instead of starting the same work (the
// first refresh of a big store reads every day); once it is over, the
// reader's refresh runs. Another store's refresh does not hold it up.
func TestRollup_ReaderDoesNotRepeatARunningRefresh(t *testing.T) {
	ctx := context.Background()
	d, other := dbtest.SQLite(t), dbtest.SQLite(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 50, Days: 10, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	marked := func() bool {
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM job_marks WHERE name = 'sales_daily.orders_updated_at'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	release := metric.HoldRefreshForTest(d, "sales")
	holdOther := metric.HoldRefreshForTest(other, "sales")
	defer holdOther()
	if err := (&metric.Rollup{DB: d}).RefreshIfOlder(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if marked() {
		t.Fatal("the reader refreshed while another refresh was running")
	}
	release()
	if err := (&metric.Rollup{DB: d}).RefreshIfOlder(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if !marked() {
		t.Fatal("no refresh once the running one was over")
	}
}
