package order_test

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// BenchmarkCheckoutAndPay measures one order placed and paid (two SKUs),
// with parallel buyers, on SQLite (synchronous=NORMAL, as the tests open it).
func BenchmarkCheckoutAndPay(b *testing.B) {
	d := dbtest.SQLite(b)
	f := newFixture(b, d)
	a := f.sku("BENCH-A", 5900, 2000, 1_000_000)
	c := f.sku("BENCH-B", 3000, 800, 1_000_000)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o, err := f.svc.Checkout(ctx, order.CheckoutInput{Lines: []price.Line{{SKUID: a, Quantity: 1}, {SKUID: c, Quantity: 2}}, ShipTo: home})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := f.svc.Pay(ctx, 0, o.ID, order.PayInput{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
