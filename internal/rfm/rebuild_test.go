package rfm

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/lifecycle"
)

func TestDayNumber_EqualsLifecycle(t *testing.T) {
	for day := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2200; day = day.AddDate(0, 0, 1) {
		ymd := int64(day.Year()*10000 + int(day.Month())*100 + day.Day())
		if got, want := dayNumber(ymd), lifecycle.DayNumber(ymd); got != want {
			t.Fatalf("dayNumber(%d) = %d, lifecycle.DayNumber %d", ymd, got, want)
		}
	}
}

// writeOrdersAround writes orders straight into the table, as an import
// does: customers buying on days that cross months, a leap day and a new
// year, several orders some days, unpaid, refunded and closed orders,
// presale deposits (no purchase) and tails (worth their deposit too), and
// guest orders.
func writeOrdersAround(t *testing.T, d *db.DB, customers, orders int) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(34, 6))
	err := d.InTx(ctx, func(tx *db.Tx) error {
		var cust []any
		for i := range customers {
			cust = append(cust, fmt.Sprintf("客户%d", i+1), start.UnixMilli(), start.UnixMilli())
		}
		if err := tx.InsertRows(ctx, "customers", []string{"name", "created_at", "updated_at"}, cust); err != nil {
			return err
		}
		var vals []any
		for i := range orders {
			var cust any = 1 + rng.Int64N(int64(customers))
			if rng.IntN(40) == 0 {
				cust = nil // a guest
			}
			at := start.Add(time.Duration(rng.Int64N(500*24)) * time.Hour)
			total := 100 + rng.Int64N(50_000)
			status, refunded, role, deposit := "completed", int64(0), "", int64(0)
			var paidAt, paidDay any = at.UnixMilli(), int64(at.Year()*10000 + int(at.Month())*100 + at.Day())
			switch r := rng.IntN(20); {
			case r == 0:
				status, paidAt, paidDay = "cancelled", nil, nil
			case r == 1:
				status, refunded = "closed", total
			case r == 2:
				refunded = total / 4
			case r == 3:
				role = "deposit"
			case r == 4:
				role, deposit = "tail", 2_000
			}
			vals = append(vals, fmt.Sprintf("R%06d", i), cust, status, total, total, refunded, role, deposit, at.UnixMilli(), paidAt, paidDay, at.UnixMilli())
		}
		return tx.InsertRows(ctx, "orders", []string{"order_no", "customer_id", "status", "items_total", "total", "refunded_total", "presale_role",
			"deposit_total", "created_at", "paid_at", "paid_day", "updated_at"}, vals)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRebuild_EqualsACountFromTheOrders rebuilds the aggregates of orders
// written around the hook (on SQLite in many customer ranges at once) and
// compares them with Aggregate's count, which streams every order.
func TestRebuild_EqualsACountFromTheOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		writeOrdersAround(t, d, 300, 4_000)
		s := &Service{DB: d}
		if err := s.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		got, gotGaps := storedAggregates(t, d)
		want, wantGaps, err := Aggregate(ctx, d, 0, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].RecencyDays = 0
		}
		slices.SortFunc(wantGaps, func(a, b lifecycle.Gap) int { return int(a.Days - b.Days) })
		if len(want) < 250 || len(wantGaps) < 20 {
			t.Fatalf("the store is not what the test means: %d customers, %d gap lengths", len(want), len(wantGaps))
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("rebuilt %d customers, counted %d; first difference: rebuilt %+v, counted %+v", len(got), len(want), got[i], want[i])
				}
			}
			t.Fatalf("rebuilt %d customers, counted %d", len(got), len(want))
		}
		if !slices.Equal(gotGaps, wantGaps) {
			t.Errorf("rebuilt gaps %v, counted %v", gotGaps, wantGaps)
		}
		if current, err := aggregatesCurrent(ctx, d); err != nil || !current {
			t.Errorf("after the rebuild: current=%v (%v), want true", current, err)
		}
		// A run scores what was rebuilt (on SQLite the in-memory copy takes
		// the rebuild's rows instead of reading them back).
		res, err := s.Compute(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Customers {
			res.Customers[i].RecencyDays = 0
		}
		if !slices.Equal(res.Customers, want) {
			t.Errorf("scored %d customers after the rebuild, counted %d (or their figures differ)", len(res.Customers), len(want))
		}
	})
}

func TestSplitRange_CoversEveryIDOnce(t *testing.T) {
	for _, c := range []struct{ lo, hi int64 }{{1, 1}, {1, 4}, {1, 31}, {1, 32}, {1, 33}, {5, 1_000_000}, {7, 6}} {
		rs := splitRange(c.lo, c.hi, rebuildRanges)
		next := c.lo
		for _, r := range rs {
			if r[0] != next || r[1] < r[0] {
				t.Fatalf("splitRange(%d, %d) = %v", c.lo, c.hi, rs)
			}
			next = r[1] + 1
		}
		if len(rs) > rebuildRanges || (c.hi >= c.lo && next != c.hi+1) || (c.hi < c.lo && len(rs) != 0) {
			t.Fatalf("splitRange(%d, %d) = %v", c.lo, c.hi, rs)
		}
	}
}

// The gaps need each customer's purchase days in order: rows out of that
// order are an error, never a wrong count.
func TestPurchaseFold_RefusesRowsOutOfOrder(t *testing.T) {
	for _, rows := range [][][4]int64{
		{{2, 20260301, 1, 100}, {1, 20260302, 2, 100}},
		{{1, 20260302, 1, 100}, {1, 20260301, 2, 100}},
	} {
		f := &purchaseFold{}
		var err error
		for _, r := range rows {
			if err = f.Step(nil, []driver.Value{r[0], r[1], r[2], r[3]}); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("rows %v were counted", rows)
		}
	}
	f := &purchaseFold{}
	for _, r := range [][4]int64{{1, 20240228, 5, 100}, {1, 20240228, 3, 50}, {1, 20240301, 9, -20}, {3, 20240301, 7, 10}} {
		if err := f.Step(nil, []driver.Value{r[0], r[1], r[2], r[3]}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.WindowValue(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRangeCount(b.([]byte))
	want := rangeCount{customers: []aggRow{{id: 1, first: 3, last: 9, freq: 3, mon: 130}, {id: 3, first: 7, last: 7, freq: 1, mon: 10}},
		gaps: []int64{0, 0, 1}} // 28 Feb → 1 Mar 2024: two days, a leap year
	if err != nil || !slices.Equal(got.customers, want.customers) || !slices.Equal(got.gaps, want.gaps) {
		t.Errorf("counted %+v (%v), want %+v", got, err, want)
	}
	if _, err := decodeRangeCount(b.([]byte)[:len(b.([]byte))-1]); err == nil {
		t.Error("a value cut short was read")
	}
}

// A customer range without a purchase (ids of customers who never paid)
// counts nobody.
func TestCountRange_NoPurchases(t *testing.T) {
	d := dbtest.SQLite(t)
	writeOrdersAround(t, d, 10, 50)
	rc, err := countRange(context.Background(), d, [2]int64{1_000, 2_000})
	if err != nil || len(rc.customers) != 0 || len(rc.gaps) != 0 {
		t.Errorf("counted %+v (%v), want nobody", rc, err)
	}
}
