package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/groupbuy"
)

// wireGroupBuys puts group buys (拼团) in front of flash sales and the
// promotions engine: a checkout started by opening or joining a group is
// priced at the group price, everything else as before; the hook keeps the
// group's slots, payments and the per-customer limit in the orders' own
// transactions. It must run after wireFlash.
func (a *App) wireGroupBuys() {
	svc := &groupbuy.Service{DB: a.DB, Orders: a.API.Orders}
	a.API.GroupBuys = svc
	a.Console.GroupBuys = svc
	a.API.Orders.Pricer = groupbuy.Pricer{GroupBuys: svc, Next: a.API.Orders.Pricer}
	a.API.Carts.Pricer = groupbuy.Pricer{GroupBuys: svc, Next: a.API.Carts.Pricer}
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, groupbuy.Hook{GroupBuys: svc})
}

// startGroupBuyJobs fails the groups whose time limit passed and refunds
// their paid members (closing the unpaid ones' orders) every 30 seconds.
// Safe on several instances at once: conditional updates, and an order
// already moved is skipped.
func (a *App) startGroupBuyJobs(ctx context.Context, j *Jobs) {
	j.every(ctx, 30*time.Second, func(ctx context.Context) {
		if failed, off, err := a.API.GroupBuys.Sweep(ctx, a.API.Orders); err != nil {
			a.Log.Warn("fail expired groups", "err", err, "failed", failed, "called_off", off)
		}
	})
}
