package promotion_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
)

// BenchmarkPricer_TwentyLinesTwoHundredPromotions is a storefront quote
// through promotion.Pricer on SQLite: the list pricer's SKU read, the
// buyer's row, the gift's stock and the engine over 200 running promotions
// (cached, as between changes), 12 of which touch the cart.
func BenchmarkPricer_TwentyLinesTwoHundredPromotions(b *testing.B) {
	d := dbtest.SQLite(b)
	f := newFixture(b, d)
	var lines []price.Line
	var products []int64
	for i := range 20 {
		cat := f.dress
		if i%2 == 1 {
			cat = f.beauty
		}
		p, sku := f.sku(fmt.Sprintf("S%02d", i), cat, int64(1990+i*1370), 100)
		products = append(products, p)
		lines = append(lines, price.Line{SKUID: sku, Quantity: int64(1 + i%3)})
	}
	ctx := opCtx()
	add := func(p promo.Promotion) {
		created, err := f.svc.Create(ctx, promotion.Input{Promotion: p})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.Schedule(ctx, created.ID); err != nil {
			b.Fatal(err)
		}
	}
	// 188 promotions on a product outside the cart, 12 that touch it.
	other, _ := f.sku("OTHER", f.beauty, 5000, 10)
	for i := range 188 {
		add(promo.Promotion{Name: fmt.Sprintf("单品%d", i), Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{other}, RateBP: 500 + int64(i%10)*100})
	}
	for i := range 6 {
		add(promo.Promotion{Name: fmt.Sprintf("爆款%d", i), Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{products[i*3]}, RateBP: 1000})
	}
	add(promo.Promotion{Name: "女装8折", Kind: promo.KindPercentOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{f.women}, RateBP: 2000})
	add(promo.Promotion{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Group: "满减", Levels: []promo.Level{{Threshold: 30000, Off: 5000}}})
	add(promo.Promotion{Name: "每满300减30", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Group: "满减", Repeat: true, Levels: []promo.Level{{Threshold: 30000, Off: 3000}}})
	add(promo.Promotion{Name: "美妆满200减20", Kind: promo.KindTieredOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{f.beauty}, Levels: []promo.Level{{Threshold: 20000, Off: 2000}}})
	_, gift := f.sku("GIFT", f.beauty, 1500, 1000)
	add(promo.Promotion{Name: "满199赠小样", Kind: promo.KindGift, Scope: promo.ScopeOrder, Threshold: 19900, Gift: promo.Gift{SKUID: gift, Quantity: 1}})
	add(promo.Promotion{Name: "直播间9折", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000, Channels: []string{"live"}})
	req := price.Request{Lines: lines, Channel: "direct", At: start}
	if _, err := f.pricer.Price(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.pricer.Price(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
