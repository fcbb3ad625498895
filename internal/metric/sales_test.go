package metric_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/metric"
)

func TestDays(t *testing.T) {
	got := metric.Days(20240227, 20240302)
	want := []int64{20240227, 20240228, 20240229, 20240301, 20240302}
	if len(got) != len(want) {
		t.Fatalf("Days = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Days = %v, want %v", got, want)
		}
	}
	if metric.AddDays(20261231, 1) != 20270101 || metric.AddDays(20260301, -1) != 20260228 {
		t.Fatal("AddDays across month/year")
	}
}

func TestChangeBP(t *testing.T) {
	cases := []struct {
		cur, prev, want int64
		ok              bool
	}{
		{150, 100, 5000, true},
		{50, 100, -5000, true},
		{100, 100, 0, true},
		{1, 3, -6667, true},
		{5, 0, 0, false},
	}
	for _, c := range cases {
		got, ok := metric.ChangeBP(c.cur, c.prev)
		if got != c.want || ok != c.ok {
			t.Errorf("ChangeBP(%d,%d) = %d,%v want %d,%v", c.cur, c.prev, got, ok, c.want, c.ok)
		}
	}
}

// seed writes a small, hand-checkable set of orders.
func seed(t *testing.T, d *db.DB) {
	ctx := context.Background()
	now := time.Now().UnixMilli()
	must := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(`INSERT INTO products (id, title, created_at, updated_at) VALUES (1, 'T恤', $1, $1)`, now)
	must(`INSERT INTO skus (id, product_id, code, list_price, cost_price, created_at, updated_at) VALUES (1, 1, 'T-1', 10000, 4000, $1, $1)`, now)
	for i := 1; i <= 3; i++ {
		must(`INSERT INTO customers (id, name, created_at, updated_at) VALUES ($1, 'c', $2, $2)`, i, now)
	}
	// day 1: customer 1 pays 100 元 (1 unit) and customer 2 pays 200 元 (2 units)
	// day 2: customer 1 pays 100 元 again; one unpaid order; customer 2 is refunded 1 unit (100 元)
	type o struct {
		id, cust, qty, total int64
		day                  any
	}
	for _, x := range []o{{1, 1, 1, 10000, int64(20261101)}, {2, 2, 2, 20000, int64(20261101)}, {3, 1, 1, 10000, int64(20261102)}, {4, 3, 1, 10000, nil}} {
		status := "paid"
		var paidAt any = now
		if x.day == nil {
			status, paidAt = "pending_payment", nil
		}
		must(`INSERT INTO orders (id, order_no, customer_id, status, items_total, total, cost_total, created_at, paid_at, paid_day, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $7)`, x.id, "SO"+string(rune('0'+x.id)), x.cust, status, x.total, x.qty*4000, now, paidAt, x.day)
		must(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, line_total, unit_cost)
			VALUES ($1, 1, 1, 'T恤', $2, 10000, 10000, $3, 4000)`, x.id, x.qty, x.total)
	}
	must(`UPDATE order_lines SET refunded_quantity = 1 WHERE order_id = 2`)
	must(`UPDATE orders SET refunded_total = 10000 WHERE id = 2`)
	for _, c := range [][2]int64{{1, 20261101}, {2, 20261101}} {
		if err := customer.NotePaid(ctx, d, c[0], c[1]); err != nil {
			t.Fatal(err)
		}
	}
	// A later paid order never moves the first day forward.
	if err := customer.NotePaid(ctx, d, 1, 20261102); err != nil {
		t.Fatal(err)
	}
	if n, err := customer.FirstPaidMismatches(ctx, d); err != nil || n != 0 {
		t.Fatalf("first paid days disagree with orders for %d customers (%v)", n, err)
	}
	must(`INSERT INTO refunds (order_id, amount, refunded_at, refunded_day) VALUES (2, 10000, $1, 20261102)`, now)
}

func TestSummarizeAndDaily(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seed(t, d)
		ctx := context.Background()
		if _, err := (&metric.Rollup{DB: d}).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := metric.SummarizeRaw(ctx, d, 20261101, 20261102)
		if err != nil {
			t.Fatal(err)
		}
		s, err := metric.Summarize(ctx, d, 20261101, 20261102)
		if err != nil {
			t.Fatal(err)
		}
		want := metric.Summary{From: 20261101, To: 20261102, GMV: 40000, PaidOrders: 3, AOV: 13333, Buyers: 2,
			NewCustomers: 2, Refunds: 10000, NetSales: 30000, COGS: 3 * 4000, GrossMarginBP: 6000}
		if s != want || raw != want {
			t.Fatalf("Summarize = %+v\nraw         %+v\nwant        %+v", s, raw, want)
		}
		day2, _ := metric.Summarize(ctx, d, 20261102, 20261102)
		if day2.NewCustomers != 0 || day2.Buyers != 1 {
			t.Fatalf("day 2: customer 1 bought again, not new: %+v", day2)
		}
		daily, err := metric.Daily(ctx, d, 20261031, 20261102)
		if err != nil {
			t.Fatal(err)
		}
		if len(daily) != 3 || daily[0].PaidOrders != 0 || daily[1].GMV != 30000 || daily[2].Refunds != 10000 || daily[2].NetSales != 0 {
			t.Fatalf("Daily = %+v", daily)
		}
		o, err := metric.OverviewFor(ctx, d, 20261102, 1)
		if err != nil || o.Current.GMV != 10000 || o.Previous.GMV != 30000 || len(o.Daily) != 1 {
			t.Fatalf("Overview = %+v, %v", o, err)
		}
	})
}
