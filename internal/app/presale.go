package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/presale"
)

// wirePresales puts presales (预售) in front of group buys, flash sales and
// the promotions engine: a checkout started by a deposit or a tail is
// priced by the presale, everything else as before; the hook keeps the
// presale's pool and deposits in the orders' own transactions. It must
// run after wireGroupBuys.
func (a *App) wirePresales() {
	svc := &presale.Service{DB: a.DB, Inventory: a.Inventory, Orders: a.API.Orders}
	a.API.Presales = svc
	a.Console.Presales = svc
	a.API.Orders.Pricer = presale.Pricer{Presales: svc, Next: a.API.Orders.Pricer}
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, presale.Hook{Presales: svc})
}

// startPresaleJobs runs the presales' clock every minute: free units back
// when deposits close, tail reminders (presale.tail_due), unpaid tails
// closed and their deposits forfeited or refunded at the window's end.
// Safe on several instances at once: conditional updates, and an order
// already moved is skipped.
func (a *App) startPresaleJobs(ctx context.Context, j *Jobs) {
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if r, err := a.API.Presales.Sweep(ctx, a.API.Orders); err != nil {
			a.Log.Warn("presale sweep", "err", err, "released", r.Released, "reminded", r.Reminded,
				"tails_closed", r.TailsClosed, "forfeited", r.Forfeited, "refunded", r.Refunded)
		}
	})
}
