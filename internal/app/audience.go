package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/audience"
)

// startAudienceJobs keeps the custom segments' order facts warm: refreshed
// once at start (filling them on a first run, which at a million customers
// takes seconds better spent here than in an operator's first preview)
// and then every minute, so a preview only has the last minute's orders to
// fold in. Safe on several instances: a refresh recomputes customers from
// their orders, whoever does it.
func (a *App) startAudienceJobs(ctx context.Context, j *Jobs) {
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if err := audience.Refresh(ctx, a.DB, true); err != nil && ctx.Err() == nil {
			a.Log.Warn("refresh segment facts", "err", err)
		}
	})
}
