package coupon_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
)

// BenchmarkForPricing is the coupon store's share of every quote and
// checkout: five of the buyer's coupons read and checked in one query.
func BenchmarkForPricing_FiveCoupons(b *testing.B) {
	f := newFixture(b, dbtest.SQLite(b))
	buyer := f.customer("张三")
	var ids []int64
	for i := range 5 {
		in := tenOff(fmt.Sprintf("券%d", i))
		ids = append(ids, f.claim(buyer, f.template(in).ID).ID)
	}
	ctx := context.Background()
	at := f.clock.Now()
	b.ReportAllocs()
	for b.Loop() {
		if cs, err := f.coupons.ForPricing(ctx, buyer, ids, at); err != nil || len(cs) != 5 {
			b.Fatal(cs, err)
		}
	}
}

// BenchmarkClaim is one claim: the template's conditional count, the
// customer's conditional claim row and the coupon, in one transaction.
func BenchmarkClaim(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			d := dbtest.SQLite(b)
			if engine == "postgres" {
				d = dbtest.Postgres(b)
			}
			f := newFixture(b, d)
			in := tenOff("领券")
			in.PerCustomerLimit = 1 << 30
			tpl := f.template(in)
			buyer := f.customer("张三")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.coupons.Claim(ctx, buyer, tpl.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaim_Rush is 抢券: many buyers claiming one template at once,
// every claim going through its one hot row; set STOREOPS_TEST_POSTGRES for
// the PostgreSQL figure.
func BenchmarkClaim_Rush(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			d := dbtest.SQLite(b)
			if engine == "postgres" {
				d = dbtest.Postgres(b)
			}
			f := newFixture(b, d)
			in := tenOff("抢券")
			in.PerCustomerLimit = 1 << 30
			tpl := f.template(in)
			var buyers []int64
			for i := range 64 {
				buyers = append(buyers, f.customer(fmt.Sprintf("买家%d", i)))
			}
			var next atomic.Int64
			ctx := context.Background()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					buyer := buyers[next.Add(1)%int64(len(buyers))]
					if _, err := f.coupons.Claim(ctx, buyer, tpl.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
