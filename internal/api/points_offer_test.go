package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promotion"
)

// A buyer with 10,000 points puts two ¥59 T-shirts in the cart: the cart
// and the quote both offer 5,900 points for ¥59 (half of ¥118), checking
// out with them takes exactly that, and the order's last step is points.
func TestStorefront_PointsOfferInCartQuoteAndCheckout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		pricer := &promotion.Pricer{DB: d, Points: &points.Service{DB: d}}
		f.a.Orders.Pricer = pricer
		f.a.Orders.Hooks = append(f.a.Orders.Hooks, points.Hook{}, promotion.Hook{})
		f.a.Carts.Pricer = pricer
		s := f.shopper("积分买家", "13800138301", nil)
		if st, b := f.call("operator", "POST", "/api/v1/customers/"+itoa(s.CustomerID)+"/points/adjustments",
			map[string]any{"points": 10000, "reason": "开业赠送"}); st != http.StatusCreated {
			t.Fatalf("give points: %d %s", st, b)
		}
		st, b := f.storeCall(s.Token, nil, "POST", "/api/v1/store/cart/items", map[string]any{"sku_id": f.sku, "quantity": 2})
		v := decodeAs[cart.View](t, b)
		if st != 200 || v.PointsOffer == nil || v.PointsOffer.Usable != 5900 || v.PointsOffer.Off != 5900 || v.PointsOffer.Balance != 10000 {
			t.Fatalf("cart: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "POST", "/api/v1/store/quote", map[string]any{})
		q := decodeAs[api.Quote](t, b)
		if st != 200 || q.PointsOffer == nil || *q.PointsOffer != *v.PointsOffer || !strings.Contains(string(b), `"points_offer":{"balance":10000,"usable":5900,"off":5900`) {
			t.Fatalf("quote: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "POST", "/api/v1/store/quote", map[string]any{"points": q.PointsOffer.Usable})
		q = decodeAs[api.Quote](t, b)
		if last := q.Explanation[len(q.Explanation)-1]; st != 200 || q.Total != 5900 || !strings.Contains(last, "points: 积分抵现 points −¥59.00") {
			t.Fatalf("quote with the offer: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"ship_to": shipTo, "points": 5900})
		o := decodeAs[api.StoreOrder](t, b)
		if st != http.StatusCreated || o.DiscountTotal != 5900 {
			t.Fatalf("checkout with the offer: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "GET", "/api/v1/store/points", nil)
		if a := decodeAs[points.Account](t, b); st != 200 || a.Balance != 4100 {
			t.Errorf("balance after: %d %s", st, b)
		}
	})
}
