package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/brief"
)

// startBriefs writes yesterday's data brief once the store's clock passes
// the configured hour (and on Mondays the weekly review), checking every
// ten minutes; the brief.created webhook goes out with it.
func (a *App) startBriefs(ctx context.Context, j *Jobs) {
	if a.briefHour < 0 || a.briefHour > 23 {
		return
	}
	s := brief.Schedule{Hour: a.briefHour}
	j.every(ctx, 10*time.Minute, func(ctx context.Context) {
		bs, err := s.RunDue(ctx, a.DB, time.Now())
		if err != nil {
			a.Log.Warn("write data brief", "err", err)
		}
		for _, b := range bs {
			a.Log.Info("data brief written", "kind", b.Kind, "to", b.To)
		}
	})
}
