package rfm

import (
	"context"
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
