package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/clv"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/settings"
)

// wireRFM keeps each customer's RFM aggregates (paid orders, net spend,
// first and last payment) in step with their orders, in the orders' own
// transactions, so a run scores from them instead of from every order.
func (a *App) wireRFM() {
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, rfm.Hook{})
}

// nightlyHour is when, in the store's zone, the day's RFM run and customer
// value fit become due: after the day's orders, before the shop opens.
const nightlyHour = 3

// refreshSegments recomputes the RFM run and refits the customer value
// models once a night. It is checked every hour, so a restart neither
// recomputes what is fresh nor waits a day for what is missing.
func (a *App) refreshSegments(ctx context.Context) {
	st, err := settings.Load(ctx, a.DB)
	if err != nil {
		a.Log.Warn("segments job: load settings", "err", err)
		return
	}
	now := time.Now().In(st.Location())
	due := time.Date(now.Year(), now.Month(), now.Day(), nightlyHour, 0, 0, 0, now.Location())
	if now.Before(due) {
		due = due.AddDate(0, 0, -1)
	}
	maxAge := now.Sub(due)
	if ran, err := (&rfm.Service{DB: a.DB}).RunIfStale(ctx, maxAge); err != nil {
		a.Log.Warn("segments job: rfm run", "err", err)
	} else if ran {
		a.Log.Info("segments job: rfm run done")
	}
	if ran, err := (&clv.Service{DB: a.DB}).FitIfStale(ctx, maxAge); err != nil {
		a.Log.Warn("segments job: customer value fit", "err", err)
	} else if ran {
		a.Log.Info("segments job: customer value fit done")
	}
}
