package presale_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// BenchmarkOrdinaryCheckoutAndPay measures what presales cost orders that
// are not presale orders: one order placed and paid, with parallel buyers,
// on SQLite, without and with the presale pricer and hook.
func BenchmarkOrdinaryCheckoutAndPay(b *testing.B) {
	for _, with := range []bool{false, true} {
		name := "without"
		if with {
			name = "with_presales"
		}
		b.Run(name, func(b *testing.B) {
			d := dbtest.SQLite(b)
			f := newFixture(b, d)
			if !with {
				f.orders.Pricer, f.orders.Hooks = price.ListPricer{DB: d}, nil
			}
			sku := f.sku("BENCH", 5900, 1_000_000)
			cu := f.customers(1)[0]
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o, err := f.orders.Checkout(buyerCtx(cu), order.CheckoutInput{CustomerID: cu, ShipTo: home, Lines: []price.Line{{SKUID: sku, Quantity: 1}}})
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

// BenchmarkDepositRush measures a deposit placed and paid by a distinct
// buyer, parallel buyers, on SQLite: the 双11 evening's hot path (the
// pool's conditional UPDATE and the deposit's insert in the order's
// transaction). The buyers are created before the timer starts.
func BenchmarkDepositRush(b *testing.B) {
	d := dbtest.SQLite(b)
	f := newFixture(b, d)
	f.clock.Set(start.Add(time.Hour))
	sku := f.sku("RUSH", 149900, 1_000_000)
	f.clock.Set(start)
	p := f.presale(sku, 500_000, false)
	f.clock.Set(start.Add(time.Hour))
	cs := f.customers(b.N + 8)
	next := make(chan int64, len(cs))
	for _, c := range cs {
		next <- c
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := <-next
			_, o, err := f.ps.Deposit(buyerCtx(c), p.ID, buy(c, sku, 1))
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := f.orders.Pay(buyerCtx(c), c, o.ID, order.PayInput{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if got, _ := f.ps.Get(context.Background(), p.ID); got.Deposited != int64(b.N) {
		b.Fatalf("%d units deposited after %d deposits", got.Deposited, b.N)
	}
}
