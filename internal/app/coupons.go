package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/coupon"
)

// wireCoupons ties coupons to orders: a checkout locks the coupons its
// price applied, payment uses them, an unpaid order called off gives them
// back, all in the order's own transactions.
func (a *App) wireCoupons() {
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, coupon.Hook{})
}

// startCouponJobs expires issued coupons past their window every five
// minutes; ForPricing refuses them meanwhile, so the job only makes "my
// coupons" and the statistics say so. Safe on several instances at once.
func (a *App) startCouponJobs(ctx context.Context, j *Jobs) {
	coupons := &coupon.Service{DB: a.DB}
	j.every(ctx, 5*time.Minute, func(ctx context.Context) {
		if n, err := coupons.ExpireDue(ctx, time.Now()); err != nil {
			a.Log.Warn("expire coupons", "err", err)
		} else if n > 0 {
			a.Log.Info("expired coupons", "count", n)
		}
	})
}
