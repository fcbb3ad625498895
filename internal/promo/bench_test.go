package promo_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/promo"
)

// bigStore is a store on a sale day: 200 active promotions, of which a
// dozen touch the cart below, and a buyer holding 5 coupons. Most
// promotions are scoped to products and categories the cart does not hold
// (as in any store with a long catalog); among those in scope two 满减
// share a stacking group and three store coupons share one, so the engine
// has 5 conflicting choices to weigh (32 combinations); a few are
// ineligible (another channel, first order only, ended, a Wednesday-only
// member day on a Sunday).
func bigStore() promo.Input {
	in := promo.Input{At: sunday, Channel: "search", Customer: promo.Customer{ID: 7, Tier: "gold"}}
	for i := range 20 {
		sku := int64(i + 1)
		l := line(sku, int64(1990+i*1370), int64(1+i%3), int64(100+i%4), 1)
		if i%5 == 0 {
			l.MemberPrice = l.ListPrice * 95 / 100
		}
		in.Lines = append(in.Lines, l)
	}
	id := int64(0)
	next := func() int64 { id++; return id }
	for i := range 150 {
		p := promo.Promotion{ID: next(), Name: "单品折扣", Kind: promo.KindPercentOff, Scope: promo.ScopeProducts,
			ProductIDs: []int64{int64(1000 + i), int64(2000 + i), int64(3000 + i)}, RateBP: 1000 + int64(i%5)*500, Priority: i % 3}
		if i%3 == 0 {
			p.Kind, p.RateBP, p.Amount, p.PerUnit = promo.KindFixedOff, 0, 500, true
		}
		in.Promotions = append(in.Promotions, p)
	}
	for i := range 30 {
		p := promo.Promotion{ID: next(), Name: "类目满减", Kind: promo.KindTieredOff, Scope: promo.ScopeCategories,
			CategoryIDs: []int64{int64(500 + i)}, Levels: []promo.Level{{Threshold: 20000, Off: 2000}}}
		switch i % 3 {
		case 1:
			p.Kind, p.Levels, p.RateBP = promo.KindPercentOff, nil, 2000
		case 2:
			p.Kind, p.Levels, p.BuyN, p.GetM = promo.KindBuyNGetM, nil, 2, 1
		}
		in.Promotions = append(in.Promotions, p)
	}
	inScope := []promo.Promotion{
		{Name: "金卡会员95折", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder, TierRatesBP: map[string]int64{"gold": 500}},
		{Name: "爆款9折", Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{10, 20, 30}, RateBP: 1000},
		{Name: "每件立减5元", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{40, 50}, Amount: 500, PerUnit: true},
		{Name: "女装8折", Kind: promo.KindPercentOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{101}, RateBP: 2000, Cap: 10000},
		{Name: "买二送一", Kind: promo.KindBuyNGetM, Scope: promo.ScopeProducts, ProductIDs: []int64{60, 70, 80}, BuyN: 2, GetM: 1},
		{Name: "护肤套餐", Kind: promo.KindBundle, Scope: promo.ScopeOrder, BundleSKUs: []int64{9, 10}, BundlePrice: 22000},
		{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Group: "满减",
			Levels: []promo.Level{{Threshold: 30000, Off: 5000}, {Threshold: 50000, Off: 10000}}, Priority: 2},
		{Name: "每满300减30", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Group: "满减", Repeat: true,
			Levels: []promo.Level{{Threshold: 30000, Off: 3000}}, Priority: 1},
		{Name: "美妆满200减20", Kind: promo.KindTieredOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{102},
			Levels: []promo.Level{{Threshold: 20000, Off: 2000}}},
		{Name: "满199赠小样", Kind: promo.KindGift, Scope: promo.ScopeOrder, Threshold: 19900,
			Gift: promo.Gift{SKUID: 900, ProductID: 9000, Quantity: 1, InStock: true}},
		{Name: "新人首单立减20", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 2000, FirstOrderOnly: true},
		{Name: "直播间9折", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000, Channels: []string{"live"}},
		{Name: "周三会员日", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1200,
			Schedule: promo.Schedule{Weekdays: []time.Weekday{time.Wednesday}}},
		{Name: "双11预热", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000,
			StartsAt: sunday.AddDate(0, 0, -30), EndsAt: sunday.AddDate(0, 0, -20)},
	}
	for _, p := range inScope {
		p.ID = next()
		in.Promotions = append(in.Promotions, p)
	}
	for len(in.Promotions) < 200 {
		in.Promotions = append(in.Promotions, promo.Promotion{ID: next(), Name: "单品立减", Kind: promo.KindFixedOff,
			Scope: promo.ScopeProducts, ProductIDs: []int64{int64(5000 + id)}, Amount: 300})
	}
	in.Coupons = []promo.Coupon{
		{ID: 1, Code: "SHOP20", Rule: promo.Promotion{Name: "满199减20", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 2000, Threshold: 19900, Group: "店铺券"}},
		{ID: 2, Code: "SHOP150", Rule: promo.Promotion{Name: "满1000减150", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Group: "店铺券",
			Levels: []promo.Level{{Threshold: 100000, Off: 15000}}}},
		{ID: 3, Code: "SHOP9", Rule: promo.Promotion{Name: "9折券", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000, Cap: 5000, Group: "店铺券"}},
		{ID: 4, Code: "BEAUTY10", Rule: promo.Promotion{Name: "美妆券", Kind: promo.KindFixedOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{103}, Amount: 1000}},
		{ID: 5, Code: "LIVE30", Rule: promo.Promotion{Name: "直播间专属券", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 3000, Channels: []string{"live"}}},
	}
	return in
}

func TestBigStore_PricesWhatIsInScope(t *testing.T) {
	in := bigStore()
	r := price(t, in)
	if len(r.Steps) < 6 {
		t.Fatalf("only %d steps: %+v", len(r.Steps), r.Steps)
	}
	// The same answer with the promotions prepared once.
	in2 := bigStore()
	in2.Prepared = promo.Prepare(in2.Promotions)
	in2.Promotions = nil
	r2 := price(t, in2)
	if r2.Total != r.Total || len(r2.Steps) != len(r.Steps) {
		t.Fatalf("prepared: total %d steps %d, plain: total %d steps %d", r2.Total, len(r2.Steps), r.Total, len(r.Steps))
	}
	for i := range r.Steps {
		if r.Steps[i].Off != r2.Steps[i].Off || r.Steps[i].PromotionID != r2.Steps[i].PromotionID || r.Steps[i].Coupon != r2.Steps[i].Coupon {
			t.Fatalf("step %d: %+v vs %+v", i, r.Steps[i], r2.Steps[i])
		}
	}
}

// BenchmarkPrice_20Lines200Promotions5Coupons is the target: a
// 20-line cart against 200 active promotions (prepared once, as the
// storefront's pricer keeps them) and 5 coupons, with the full result:
// steps, per-line discounts and explanations.
func BenchmarkPrice_20Lines200Promotions5Coupons(b *testing.B) {
	benchBigStore(b, false)
}

// The same cart as the storefront's pricer asks for it: the per-line
// discount records left out (NoLineDiscounts), the explanations, steps
// and figures the same.
func BenchmarkPrice_20Lines200Promotions5CouponsStorefront(b *testing.B) {
	benchBigStore(b, true)
}

// benchBigStore prices bigStore's cart against its promotions prepared
// once, as the storefront's pricer keeps them.
func benchBigStore(b *testing.B, noLineDiscounts bool) {
	in := bigStore()
	in.Prepared = promo.Prepare(in.Promotions)
	in.Promotions = nil
	in.NoLineDiscounts = noLineDiscounts
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := promo.Price(in); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the CPU time the process has used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op: the CPU time the process spent per pricing,
// garbage collection included. On a machine shared with other work the
// wall-clock ns/op grows with the neighbours' load; this figure does not,
// so it is the one to compare with the target (run with -cpu 1 so that
// no second thread's idle spinning is counted).
func reportCPU(b *testing.B, since time.Duration) {
	if since > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
	}
}

// The same cart with the 200 promotions passed as a plain list: what the
// operator's try-a-cart preview pays (every promotion validated and
// explained, also those with nothing in the cart).
func BenchmarkPrice_20Lines200Promotions5CouponsUnprepared(b *testing.B) {
	in := bigStore()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := promo.Price(in); err != nil {
			b.Fatal(err)
		}
	}
}
