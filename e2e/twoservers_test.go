package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/inventory"
)

// TestTwoServers_PostgreSQL_LastUnitsSellOnce runs two storeops processes on
// one PostgreSQL schema, as two instances behind a load balancer, and lets
// shoppers on both race for the last units of one SKU: exactly the stock is
// sold, never more, and available never goes below zero.
func TestTwoServers_PostgreSQL_LastUnitsSellOnce(t *testing.T) {
	crashEnabled(t)
	dsn, _ := dbtest.NewPostgresSchema(t)
	ctx := context.Background()
	r := &crashRun{t: t, dsn: dsn, acked: map[int64]*ackedOrder{}}
	r.bin = buildStoreops(t)
	r.logPath = filepath.Join(t.TempDir(), "serve.log")
	d, err := db.Open(ctx, dsn, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r.d = d
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 200, Days: 30, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	// One on-sale SKU with exactly `stock` units available.
	const stock = 40
	var sku, onHand, reserved int64
	if err := d.QueryRow(ctx, `SELECT s.id, st.on_hand, st.reserved FROM skus s JOIN products p ON p.id = s.product_id
		JOIN stock st ON st.sku_id = s.id WHERE p.status = 'on_sale' ORDER BY s.id LIMIT 1`).Scan(&sku, &onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{DB: d}
	actx := audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "two-server test"})
	if _, err := inv.SetCount(actx, sku, reserved+stock, "exactly 40 available for the race"); err != nil {
		t.Fatal(err)
	}

	a, b := r.startServer(), r.startServer()
	defer a.stop()
	defer b.stop()
	r.register(a)

	var sold, refused, other atomic.Int64
	var wg sync.WaitGroup
	for i, token := range r.tokens {
		wg.Go(func() {
			// Each shopper alternates between the two instances.
			for n := 0; n < 20; n++ {
				s := a
				if (i+n)%2 == 1 {
					s = b
				}
				var o struct {
					ID int64 `json:"id"`
				}
				st, err := post(s.base, "/store/checkout", token, newKey(),
					map[string]any{"lines": []map[string]any{{"sku_id": sku, "quantity": 1}}, "ship_to": shipTo}, &o)
				switch {
				case err == nil && st == http.StatusCreated:
					if st, err := post(s.base, fmt.Sprintf("/store/orders/%d/pay", o.ID), token, newKey(), map[string]any{}, nil); err != nil || st != http.StatusOK {
						other.Add(1)
						continue
					}
					sold.Add(1)
				case err == nil && st == http.StatusConflict:
					refused.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if other.Load() != 0 {
		t.Fatalf("%d requests failed other than as sold out; the log:\n%s", other.Load(), tail(r.logPath))
	}
	if sold.Load() != stock {
		t.Fatalf("sold %d units across two servers, want exactly the %d in stock (%d refused)", sold.Load(), stock, refused.Load())
	}
	var available int64
	if err := d.QueryRow(ctx, "SELECT on_hand - reserved FROM stock WHERE sku_id = $1", sku).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if available != 0 {
		t.Fatalf("available after the race = %d, want 0", available)
	}
	if bad, err := inventory.CheckLedger(ctx, d); err != nil || len(bad) != 0 {
		t.Fatalf("ledger mismatches %v, %v", bad, err)
	}
	t.Logf("two servers, %d shoppers: %d sold, %d refused as sold out", len(r.tokens), sold.Load(), refused.Load())
}
