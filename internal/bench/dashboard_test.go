package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/metric"
)

// A small store: every view answers, each is asked every round, and the
// rollups the views read agree with the generated orders.
func TestRunDashboard_SmallStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rep, err := RunDashboard(ctx, DashboardConfig{Orders: 5_000, Events: 5_000, Days: 40, Rounds: 1, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != 5_000 || rep.Lines < rep.Orders || rep.Events != 5_000 || rep.Requests != len(rep.Views) || len(rep.Views) == 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, v := range rep.Views {
		if v.P50MS <= 0 || v.P95MS < v.P50MS || v.MaxMS < v.P95MS {
			t.Errorf("view %+v", v)
		}
	}
	d, err := db.Open(ctx, filepath.Join(dir, "dashboard.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Up to the day before the small demo store's first order: the days
	// only the bench's orders fill, counted here without the rollups.
	var demoFirst int64
	if err := d.QueryRow(ctx, `SELECT MIN(created_at) FROM orders WHERE order_no NOT LIKE 'D%'`).Scan(&demoFirst); err != nil {
		t.Fatal(err)
	}
	var lo, hi, paid, gmv int64
	if err := d.QueryRow(ctx, `SELECT MIN(paid_day), MAX(paid_day), COUNT(*), SUM(total) FROM orders
		WHERE paid_day IS NOT NULL AND paid_at < $1 - 86400000`, demoFirst).Scan(&lo, &hi, &paid, &gmv); err != nil {
		t.Fatal(err)
	}
	// The last day may be cut by the condition: leave it out.
	hi = metric.AddDays(hi, -1)
	if err := d.QueryRow(ctx, `SELECT COUNT(*), SUM(total) FROM orders WHERE paid_day BETWEEN $1 AND $2`, lo, hi).Scan(&paid, &gmv); err != nil {
		t.Fatal(err)
	}
	fig, err := metric.PeriodFigures(ctx, d, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	if fig.PaidOrders != paid || fig.GMV != gmv || paid < 300 {
		t.Errorf("rollup: %d paid orders, GMV %d; the orders: %d, %d", fig.PaidOrders, fig.GMV, paid, gmv)
	}
}
