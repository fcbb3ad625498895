package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/flash"
)

// wireFlash puts flash sales (秒杀) in front of the promotions engine: a
// SKU in a running flash sale is priced at its flash price and sold from its
// pool, everything else as before. It must run after wirePromotions.
func (a *App) wireFlash() {
	svc := &flash.Service{DB: a.DB, Inventory: a.Inventory}
	a.API.Flash = svc
	a.Flash = svc
	a.Console.Flash = svc
	a.API.Orders.Pricer = flash.Pricer{Flash: svc, Next: a.API.Orders.Pricer}
	a.API.Carts.Pricer = flash.Pricer{Flash: svc, Next: a.API.Carts.Pricer}
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, flash.Hook{Flash: svc})
}

// startFlashJobs closes unpaid flash orders after their sale's short
// payment window and ends sales whose time is over, every 15 seconds:
// units come back to the pool, or to the SKU, soon after they are free.
// Both are safe on several instances at once (conditional updates).
func (a *App) startFlashJobs(ctx context.Context, j *Jobs) {
	j.every(ctx, 15*time.Second, func(ctx context.Context) {
		if n, err := a.Flash.CloseUnpaid(ctx, a.API.Orders); err != nil {
			a.Log.Warn("close unpaid flash orders", "err", err, "closed", n)
		}
		if _, err := a.Flash.EndDue(ctx); err != nil {
			a.Log.Warn("end flash sales", "err", err)
		}
	})
}
