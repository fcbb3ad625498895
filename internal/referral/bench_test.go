package referral_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/referral"
)

// BenchmarkOrdinaryCheckoutAndPay measures what the referral hook costs a
// buyer nobody invited: one order placed and paid with parallel buyers on
// SQLite, with the other hooks, without and with the referral hook (one
// indexed read of the buyer's invitation at payment).
func BenchmarkOrdinaryCheckoutAndPay(b *testing.B) {
	for _, with := range []bool{false, true} {
		name := "without"
		if with {
			name = "with_referral_hook"
		}
		b.Run(name, func(b *testing.B) {
			f := newFixture(b, dbtest.SQLite(b))
			if !with {
				f.orders.Hooks = f.orders.Hooks[:len(f.orders.Hooks)-1]
			}
			cu := f.customer("张三", "13800000001")
			ctx := context.Background()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o, err := f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: cu, ShipTo: address(1, ""),
						Lines: []price.Line{{SKUID: f.sku, Quantity: 1}}})
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := f.orders.Pay(ctx, cu, o.ID, order.PayInput{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGrantDue measures the reward job per invitation: the claim, the
// refund re-check, the monthly cap's upsert, a coupon for the inviter and
// points for both, on SQLite and PostgreSQL.
func BenchmarkGrantDue(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
			d := dbtest.SQLite(b)
			if eng == "postgres" {
				if dbtest.PostgresURL() == "" {
					b.Skip("STOREOPS_TEST_POSTGRES is not set")
				}
				d = dbtest.Postgres(b)
			}
			f := newFixture(b, d)
			f.programme(func(p *referral.Programme) { p.ReviewThreshold = 100; p.MonthlyCap = 1000 })
			code := f.code(f.customer("王丽", "13800000001"), "")
			for i := range b.N {
				c := f.customer(fmt.Sprintf("朋友%d", i), fmt.Sprintf("139%08d", i))
				f.link(c, code, "")
				f.buy(c, 1, address(i, ""))
			}
			now := f.clock.Now().Add(8 * 24 * time.Hour)
			b.ResetTimer()
			r, err := f.ref.GrantDue(context.Background(), now)
			b.StopTimer()
			if err != nil || r.Rewarded != b.N {
				b.Fatalf("%+v %v", r, err)
			}
		})
	}
}
