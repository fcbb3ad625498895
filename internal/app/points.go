package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promotion"
)

// wirePoints ties points to orders: the promotions pricer takes the
// buyer's points at checkout (the store's rate and cap), and the hook
// deducts them when the order is placed, gives them back when it is called
// off, earns points on payment and takes them back on refunds, all in the
// order's own transactions. It must run right after wirePromotions, while
// the orders' pricer is still the promotions pricer.
func (a *App) wirePoints() {
	svc := &points.Service{DB: a.DB}
	if p, ok := a.API.Orders.Pricer.(*promotion.Pricer); ok {
		p.Points = svc
	}
	if p, ok := a.API.Carts.Pricer.(*promotion.Pricer); ok {
		p.Points = svc
	}
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, points.Hook{DB: a.DB})
	// The customer page shows the customer's cart as the storefront prices
	// it, with what their points would take off.
	a.Console.Carts = a.API.Carts
}

// startPointsJobs writes the expiry of points past their date every hour;
// expiry is a conditional, keyed movement, so instances running it at once
// expire each customer's points once.
func (a *App) startPointsJobs(ctx context.Context, j *Jobs) {
	svc := &points.Service{DB: a.DB}
	j.every(ctx, time.Hour, func(ctx context.Context) {
		if n, err := svc.ExpireDue(ctx, time.Now()); err != nil {
			a.Log.Warn("expire points", "err", err)
		} else if n > 0 {
			a.Log.Info("expired points", "customers", n)
		}
	})
}
