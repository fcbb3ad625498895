package points_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/points"
)

func (f *fixture) quote(customerID, sku, qty, pts int64) price.Priced {
	f.t.Helper()
	p, _, err := f.orders.Quote(context.Background(), price.Request{CustomerID: customerID, Lines: []price.Line{{SKUID: sku, Quantity: qty}}, Points: pts})
	if err != nil {
		f.t.Fatalf("quote: %v", err)
	}
	return p
}

func (f *fixture) give(c, pts int64) {
	f.t.Helper()
	if _, err := f.points.Adjust(opCtx(), c, points.AdjustInput{Points: pts, Reason: "测试"}); err != nil {
		f.t.Fatal(err)
	}
}

func pointsOff(p price.Priced) int64 {
	for _, a := range p.Applied {
		if a.Kind == "points" {
			return a.Off
		}
	}
	return 0
}

// The quote tells a buyer with 6000 points on a ¥100 cart that 5000 of
// them take ¥50 off (half of what is left to pay); checking out with
// those 5000 takes exactly ¥50, and points are the last step.
func TestPointsOffer_QuoteThenCheckoutTakesExactlyThat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("BAG", 10000, 10)
		c := f.customer("赵六")
		f.give(c, 6000)
		q := f.quote(c, sku, 1, 0)
		o := q.PointsOffer
		if o == nil || o.Balance != 6000 || o.Usable != 5000 || o.Off != 5000 || o.PerYuan != 100 || o.MaxShareBP != 5000 {
			t.Fatalf("offer: %+v", o)
		}
		if last := q.Explanation[len(q.Explanation)-1]; !strings.Contains(last, "use 5000 of your 6000 points for −¥50") {
			t.Errorf("explanation: %q", q.Explanation)
		}
		if g := f.quote(0, sku, 1, 0); g.PointsOffer != nil {
			t.Errorf("a guest has an offer: %+v", g.PointsOffer)
		}
		ord, err := f.checkout(c, sku, 1, o.Usable)
		if err != nil {
			t.Fatal(err)
		}
		if ord.DiscountTotal != o.Off || f.balance(c) != 1000 {
			t.Fatalf("checkout with the offer: discount %d, balance %d", ord.DiscountTotal, f.balance(c))
		}
	})
}

// Whatever the rate, the cap and the balance, redeeming the offer's usable
// points takes exactly its amount off, and asking for more takes no more.
func TestPointsOffer_RedeemingItTakesExactlyItsAmount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.customer("钱七")
		f.give(c, 1)
		rng := rand.New(rand.NewPCG(30, 6))
		rates := []points.Rules{
			{EarnPerYuan: 1, RedeemPerYuan: 100, MaxShareBP: 5000},
			{EarnPerYuan: 1, RedeemPerYuan: 30, MaxShareBP: 3333},
			{EarnPerYuan: 1, RedeemPerYuan: 7, MaxShareBP: 10000},
			{EarnPerYuan: 1, RedeemPerYuan: 1000, MaxShareBP: 1},
		}
		skus := []int64{f.sku("A", 101, 0), f.sku("B", 9999, 0), f.sku("C", 12345, 0)}
		balance := int64(1)
		for i := range 24 {
			r := rates[i%len(rates)]
			if _, err := f.points.SaveRules(opCtx(), r); err != nil {
				t.Fatal(err)
			}
			if add := rng.Int64N(20000); add > 0 {
				f.give(c, add)
				balance += add
			}
			sku, qty := skus[rng.IntN(len(skus))], 1+rng.Int64N(3)
			o := f.quote(c, sku, qty, 0).PointsOffer
			if o == nil || o.Balance != balance || o.Usable > balance {
				t.Fatalf("case %d: offer %+v, balance %d", i, o, balance)
			}
			if o.Usable == 0 {
				continue
			}
			if got := pointsOff(f.quote(c, sku, qty, o.Usable)); got != o.Off {
				t.Fatalf("case %d (%+v, SKU %d × %d): offer %+v, redeeming %d takes %d", i, r, sku, qty, o, o.Usable, got)
			}
			if got := pointsOff(f.quote(c, sku, qty, balance)); got != o.Off {
				t.Fatalf("case %d: the whole balance takes %d, the offer said %d", i, got, o.Off)
			}
		}
	})
}
