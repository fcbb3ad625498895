package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/shopper"
)

// wireCommerce builds the commerce core (orders, carts, storefront
// sign-in, idempotency keys) and hands it to the API. The list pricer set
// here is replaced by the promotions engine (wirePromotions), which flash
// sales wrap (wireFlash).
func (a *App) wireCommerce() {
	d := a.DB
	pricer := price.ListPricer{DB: d}
	a.API.Orders = &order.Service{DB: d, Inventory: a.Inventory, Pricer: pricer, Sandbox: &payment.Sandbox{DB: d}}
	// Every paid order is a purchase event, whether or not its page said so.
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, event.PurchaseRecorder{})
	a.API.Carts = &cart.Service{DB: d, Pricer: pricer}
	a.API.Shoppers = &shopper.Service{DB: d, Customers: a.Customers}
	a.API.Keys = &order.Keys{DB: d}
	a.wireCoupons()
}

// startCommerceJobs closes unpaid orders every minute (their stock goes
// back on sale) and clears expired keys, sessions, nonces and guest carts
// every hour. Closing is safe on several instances at once: each order
// closes with a conditional update.
func (a *App) startCommerceJobs(ctx context.Context, j *Jobs) {
	orders := a.API.Orders
	a.startCouponJobs(ctx, j)
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if n, err := orders.CloseExpired(ctx, time.Now()); err != nil {
			a.Log.Warn("close expired orders", "err", err, "closed", n)
		} else if n > 0 {
			a.Log.Info("closed unpaid orders", "count", n)
		}
	})
	j.every(ctx, time.Hour, func(ctx context.Context) {
		if _, err := a.API.Keys.Purge(ctx); err != nil {
			a.Log.Warn("purge idempotency keys", "err", err)
		}
		if _, err := a.API.Shoppers.PurgeExpired(ctx); err != nil {
			a.Log.Warn("purge customer sessions", "err", err)
		}
		if _, err := a.API.Carts.PurgeGuestCarts(ctx); err != nil {
			a.Log.Warn("purge guest carts", "err", err)
		}
		if _, err := payment.PurgeNonces(ctx, a.DB, time.Now()); err != nil {
			a.Log.Warn("purge payment callback nonces", "err", err)
		}
	})
}
