package app

import (
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/promotion"
)

// wirePromotions puts the promotions engine behind the order's and the
// cart's price.Pricer, so that quotes, carts and checkouts are priced with
// the running promotions and the buyer's coupons and explain every step;
// the hook records what each promotion took off each order, in the
// checkout transaction, for the promotion's results. A change made in the
// console or the API drops the pricer's cached promotions at once.
func (a *App) wirePromotions() {
	pricer := &promotion.Pricer{DB: a.DB, Coupons: &coupon.Service{DB: a.DB}}
	svc := &promotion.Service{DB: a.DB, Changed: pricer.Invalidate}
	a.API.Promotions = svc
	a.API.Orders.Pricer = pricer
	a.API.Carts.Pricer = pricer
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, promotion.Hook{})
	a.Console.Promotions = svc
}
