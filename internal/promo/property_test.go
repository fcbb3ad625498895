package promo_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/promo"
)

// Random carts under random promotions, coupons and points: every result
// adds up (checkInvariants), no line goes negative, and no combination
// makes the buyer pay more than without promotions.
func TestPrice_PropertyRandomCarts(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 18))
	groups := []string{"", "", "a", "b"}
	applied := map[promo.Kind]int{}
	for n := 0; n < 3000; n++ {
		var in promo.Input
		in.At = time.Date(2026, 11, 1+r.IntN(28), r.IntN(24), 0, 0, 0, shanghai)
		in.Customer = promo.Customer{Tier: []string{"", "gold"}[r.IntN(2)], FirstOrder: r.IntN(2) == 0}
		for i := range 1 + r.IntN(8) {
			l := line(int64(i+1), 1+r.Int64N(50000), 1+r.Int64N(5), int64(1+r.IntN(3)))
			if r.IntN(3) == 0 {
				l.MemberPrice = r.Int64N(l.ListPrice + 1)
			}
			in.Lines = append(in.Lines, l)
		}
		for i := range r.IntN(6) {
			p := randomPromotion(r, int64(i+1))
			p.Group, p.Exclusive, p.Priority = groups[r.IntN(len(groups))], r.IntN(8) == 0, r.IntN(3)
			in.Promotions = append(in.Promotions, p)
		}
		if r.IntN(2) == 0 {
			rule := randomPromotion(r, 100)
			if rule.Kind == promo.KindFixedOff || rule.Kind == promo.KindPercentOff || rule.Kind == promo.KindTieredOff {
				in.Coupons = []promo.Coupon{{Code: "C", Rule: rule}}
			}
		}
		if r.IntN(2) == 0 {
			in.Points = promo.Points{Amount: r.Int64N(20000), MaxShareBP: r.Int64N(10001)}
		}
		res, err := promo.Price(in)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		checkInvariants(t, res)
		// Prepared once, the same promotions give the same answer.
		prep := in
		prep.Prepared, prep.Promotions = promo.Prepare(in.Promotions), nil
		pres, err := promo.Price(prep)
		if err != nil {
			t.Fatalf("case %d prepared: %v", n, err)
		}
		if pres.Total != res.Total || len(pres.Steps) != len(res.Steps) || len(pres.Lines) != len(res.Lines) {
			t.Fatalf("case %d: prepared total %d steps %+v, plain total %d steps %+v", n, pres.Total, pres.Steps, res.Total, res.Steps)
		}
		// Without the per-line records (a storefront quote), the rest of
		// the result is the same, to the last explanation.
		lean := prep
		lean.NoLineDiscounts = true
		lres, err := promo.Price(lean)
		if err != nil {
			t.Fatalf("case %d lean: %v", n, err)
		}
		want := pres
		want.Lines = slices.Clone(pres.Lines)
		for i := range want.Lines {
			if !want.Lines[i].Gift {
				want.Lines[i].Discounts = nil
			}
		}
		if !reflect.DeepEqual(lres, want) {
			t.Fatalf("case %d: without line discounts\n%+v\nwant\n%+v", n, lres, want)
		}
		for _, s := range res.Steps {
			applied[s.Kind]++
		}
		if res.Total > res.ItemsTotal {
			t.Fatalf("case %d: total %d above list %d", n, res.Total, res.ItemsTotal)
		}
		// Best for the buyer: dropping any one promotion never makes the
		// cart cheaper, since every combination without it was tried.
		for i := range in.Promotions {
			if n%3 != 0 {
				break
			}
			less := in
			less.Promotions = append(append([]promo.Promotion(nil), in.Promotions[:i]...), in.Promotions[i+1:]...)
			alt, err := promo.Price(less)
			if err != nil {
				t.Fatal(err)
			}
			if alt.Total < res.Total {
				t.Fatalf("case %d: without promotion %d the buyer pays %d, with it %d\n%+v\n%+v", n, i+1, alt.Total, res.Total, res.Steps, alt.Steps)
			}
		}
		gifts := 0
		for _, l := range res.Lines {
			if l.Gift {
				gifts++
			}
		}
		if len(res.Lines)-gifts != len(in.Lines) {
			t.Fatalf("case %d: %d lines for %d", n, len(res.Lines)-gifts, len(in.Lines))
		}
	}
	// The cases must exercise every kind, or the property proves little.
	for _, k := range []promo.Kind{promo.KindTieredOff, promo.KindPercentOff, promo.KindFixedOff, promo.KindBuyNGetM, promo.KindBundle, promo.KindMemberDiscount, promo.KindGift} {
		if applied[k] < 50 {
			t.Errorf("%s applied only %d times", k, applied[k])
		}
	}
	t.Logf("applied: %v", applied)
}

func randomPromotion(r *rand.Rand, id int64) promo.Promotion {
	p := promo.Promotion{ID: id, Name: "p", Scope: promo.ScopeOrder}
	if r.IntN(2) == 0 {
		p.Scope, p.CategoryIDs = promo.ScopeCategories, []int64{int64(1 + r.IntN(3))}
	}
	switch r.IntN(7) {
	case 0:
		p.Kind = promo.KindTieredOff
		th := 1 + r.Int64N(60000)
		p.Levels = []promo.Level{{Threshold: th, Off: 1 + r.Int64N(th)}}
		p.Repeat = r.IntN(2) == 0
	case 1:
		p.Kind, p.RateBP = promo.KindPercentOff, 1+r.Int64N(9999)
	case 2:
		p.Kind, p.Amount, p.PerUnit = promo.KindFixedOff, 1+r.Int64N(20000), p.Scope != promo.ScopeOrder && r.IntN(2) == 0
	case 3:
		p.Kind, p.BuyN, p.GetM = promo.KindBuyNGetM, 1+r.Int64N(3), 1+r.Int64N(2)
	case 4:
		p.Kind, p.BundleSKUs, p.BundlePrice = promo.KindBundle, []int64{1, 2}, 1+r.Int64N(50000)
	case 5:
		p.Kind, p.TierRatesBP = promo.KindMemberDiscount, map[string]int64{"gold": 1 + r.Int64N(9999)}
	case 6:
		p.Kind, p.Threshold, p.Gift = promo.KindGift, r.Int64N(50000), promo.Gift{SKUID: 99, Quantity: 1, InStock: r.IntN(2) == 0}
	}
	if r.IntN(4) == 0 {
		p.Cap = 1 + r.Int64N(5000)
	}
	if r.IntN(4) == 0 {
		p.Threshold = r.Int64N(50000)
	}
	if r.IntN(6) == 0 {
		p.Schedule.Weekdays = []time.Weekday{time.Wednesday}
	}
	if r.IntN(8) == 0 {
		p.FirstOrderOnly = true
	}
	return p
}
