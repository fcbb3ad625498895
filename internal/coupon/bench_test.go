package coupon_test

import (
	"context"
	"fmt"
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
	f := newFixture(b, dbtest.SQLite(b))
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
}
