package audience

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// sameAsOrders fails unless audience_facts equals the aggregate of the
// orders computed afresh.
func sameAsOrders(t *testing.T, d *db.DB, when string) {
	t.Helper()
	var diff int64
	err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM (
		SELECT customer_id, orders, spend, last_paid_at FROM audience_facts
		UNION ALL
		SELECT customer_id, COUNT(*), SUM(total - refunded_total), MAX(paid_at) FROM orders
		WHERE customer_id IS NOT NULL AND paid_at IS NOT NULL GROUP BY customer_id) x
		GROUP BY customer_id, orders, spend, last_paid_at HAVING COUNT(*) <> 2`).Scan(&diff)
	if err != nil && !db.IsNoRows(err) {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Fatalf("%s: the facts differ from the orders", when)
	}
}

// The facts follow every kind of change to the orders: a new paid order,
// a refund, a payment of a pending order, an order moved to another
// customer, an import with an old updated_at; a few changes are applied
// customer by customer, many by a rebuild.
func TestRefresh_FollowsTheOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := generate(t, d, 150, 5)
		if err := Refresh(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		sameAsOrders(t, d, "after the first refresh")
		now := time.Now().UnixMilli()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		c1, c2, c3 := w.facts[0].id, w.facts[1].id, w.facts[2].id
		exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
			VALUES ('NEW-1', $1, 'paid', 5000, 5000, $2, $2, 20250630, $2)`, c1, now)
		exec(`UPDATE orders SET refunded_total = total, updated_at = $2 WHERE id = (SELECT MIN(id) FROM orders WHERE customer_id = $1 AND paid_at IS NOT NULL)`, c2, now)
		exec(`UPDATE orders SET paid_at = $2, paid_day = 20250630, status = 'paid', updated_at = $2 WHERE customer_id = $1 AND paid_at IS NULL`, c3, now)
		exec(`UPDATE orders SET customer_id = $2, updated_at = $3 WHERE id = (SELECT MAX(id) FROM orders WHERE customer_id = $1)`, c2, c3, now)
		// An import: an order from long ago, written now.
		exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
			VALUES ('OLD-1', $1, 'completed', 700, 700, 1000, 1000, 19700101, 1000)`, c1)
		if err := Refresh(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		// c2's order moved to c3 counts for c3 now; c2 is recomputed for
		// its refund (nothing in storeops moves an order between customers:
		// a move alone would leave c2's facts to the next rebuild).
		sameAsOrders(t, d, "after a few changes")

		// Many customers' orders at once (a bulk import): rebuilt.
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i, f := range w.facts {
				if _, err := tx.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, 'paid', 100, 100, 5, 5, 19700101, 5)`, fmt.Sprintf("BULK-%d", i), f.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := Refresh(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		sameAsOrders(t, d, "after a bulk import")
	})
}
