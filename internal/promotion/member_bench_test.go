package promotion_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
)

// BenchmarkPricer_MemberQuote is what a signed-in member's quote adds to a
// guest's on SQLite: 20 lines, the tier discount (a member_discount
// promotion) and 满300减50 running, gold prices on half the SKUs. guest:
// neither tier nor points; gold: the buyer's row and the member prices of
// the gold tier; gold_with_points: also the points offer (the rules, the
// balance and a second engine run as if the whole balance were redeemed).
func BenchmarkPricer_MemberQuote(b *testing.B) {
	d := dbtest.SQLite(b)
	f := newFixture(b, d)
	ctx := opCtx()
	var lines []price.Line
	for i := range 20 {
		_, sku := f.sku(fmt.Sprintf("M%02d", i), f.dress, int64(1990+i*1370), 100)
		lines = append(lines, price.Line{SKUID: sku, Quantity: int64(1 + i%3)})
		if i%2 == 0 {
			list := int64(1990 + i*1370)
			if _, err := f.cat.SetMemberPrices(ctx, sku, catalog.MemberPrices{"gold": list * 88 / 100}, []string{"normal", "silver", "gold", "platinum"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	f.schedule(promo.Promotion{Name: "会员等级折扣", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder,
		TierRatesBP: map[string]int64{"silver": 200, "gold": 500, "platinum": 1000}})
	f.schedule(promo.Promotion{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Levels: []promo.Level{{Threshold: 30000, Off: 5000}}})
	cust := &customer.Service{DB: d}
	pts := &points.Service{DB: d}
	member := func(name string, balance int64) int64 {
		c, err := cust.Create(ctx, customer.Profile{Name: name})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Exec(context.Background(), `INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at) VALUES ($1, 'gold', 2000, 1, 1)`, c.ID); err != nil {
			b.Fatal(err)
		}
		if balance > 0 {
			if _, err := pts.Adjust(ctx, c.ID, points.AdjustInput{Points: balance, Reason: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		return c.ID
	}
	gold, rich := member("金卡", 0), member("金卡有积分", 100000)
	pricer := &promotion.Pricer{DB: d, Points: pts, Now: f.clock.Now}
	for _, c := range []struct {
		name     string
		customer int64
	}{{"guest", 0}, {"gold", gold}, {"gold_with_points", rich}} {
		b.Run(c.name, func(b *testing.B) {
			req := price.Request{CustomerID: c.customer, Lines: lines, Channel: "direct", At: start}
			if _, err := pricer.Price(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pricer.Price(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
