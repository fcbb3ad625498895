package groupbuy_test

import (
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// BenchmarkOrdinaryCheckoutAndPay measures what group buys cost orders that
// are not in a group: one order placed and paid, with parallel buyers, on
// SQLite, without and with the group-buy pricer and hook (whose Moved reads
// the order's membership on payment).
func BenchmarkOrdinaryCheckoutAndPay(b *testing.B) {
	for _, withGroupBuys := range []bool{false, true} {
		name := "without"
		if withGroupBuys {
			name = "with_group_buys"
		}
		b.Run(name, func(b *testing.B) {
			d := dbtest.SQLite(b)
			f := newFixture(b, d)
			if !withGroupBuys {
				f.orders.Pricer, f.orders.Hooks = price.ListPricer{DB: d}, nil
			}
			sku := f.sku("BENCH", 5900, 1_000_000)
			cu := f.customers(1)[0]
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o, err := f.orders.Checkout(buyerCtx(cu), buy(cu, sku, 1))
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := f.orders.Pay(buyerCtx(cu), cu, o.ID, order.PayInput{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
