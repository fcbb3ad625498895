package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/webhook"
	"github.com/storeops/storeops/internal/webhook/orderevents"
)

// wireWebhooks builds the webhook service and makes every change of an
// order's status an event in the outbox, in the change's own transaction.
func (a *App) wireWebhooks(opt Options) {
	a.Webhooks = &webhook.Service{DB: a.DB, Log: a.Log, AllowPrivate: opt.WebhooksAllowPrivate}
	a.API.Webhooks = a.Webhooks
	a.Console.Webhooks = a.Webhooks
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, orderevents.Hook{})
}

// startWebhooks sends the outbox: every instance runs the worker, and the
// deliveries' leases keep two of them from sending one delivery at once.
func (a *App) startWebhooks(ctx context.Context, j *Jobs) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		a.Webhooks.Run(ctx, time.Second)
	}()
	// The delivery log keeps 30 days.
	j.every(ctx, time.Hour, func(ctx context.Context) {
		if _, err := a.Webhooks.Purge(ctx, 30*24*time.Hour); err != nil {
			a.Log.Warn("purge webhook log", "err", err)
		}
	})
}
