package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/tier"
	"github.com/storeops/storeops/internal/tier/tierpromo"
)

// wireTiers keeps member tiers with the orders: the hook earns growth on
// payment and takes it back on refunds in the order's own transactions,
// upgrading at once; the ladder's discounts are a promotion made through
// the promotions service, so the pricer's cache drops it at once.
func (a *App) wireTiers() {
	svc := &tier.Service{DB: a.DB, Discounts: tierpromo.PromotionDiscounts(a.API.Promotions)}
	a.API.Tiers = svc
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, tier.Hook{})
	a.Console.Tiers = svc
	// A profile saved complete earns 完善资料 growth in its transaction.
	a.Customers.Saved = tier.ProfileSaved
}

// startTierJobs puts the ladder's discounts in their promotion (the first
// start of a shop creates it for the default ladder) and evaluates keep and
// downgrade every six hours: a tier lasts while the rolling window's growth
// meets its keep threshold, so a few hours' delay is harmless and every
// instance may run it (each move re-reads the customer under their row).
func (a *App) startTierJobs(ctx context.Context, j *Jobs) {
	svc := a.API.Tiers
	j.every(ctx, 6*time.Hour, func(ctx context.Context) {
		if err := svc.SyncDiscount(ctx); err != nil {
			a.Log.Warn("tier discount promotion", "err", err)
		}
		if sum, err := svc.Evaluate(ctx); err != nil {
			a.Log.Warn("evaluate tiers", "err", err)
		} else if sum.Upgraded+sum.Downgraded > 0 {
			a.Log.Info("evaluated tiers", "customers", sum.Evaluated, "upgraded", sum.Upgraded, "downgraded", sum.Downgraded)
		}
	})
}
