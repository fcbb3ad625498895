package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/importer"
)

// startImportJobs fails the imports whose committing process died (their
// lease ran out) at start-up and every minute after, so the console shows
// them as failed and resumable instead of running forever; and drops
// uploaded files nobody can commit any more after a week.
func (a *App) startImportJobs(ctx context.Context, j *Jobs) {
	s := &importer.Service{DB: a.DB}
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if n, err := s.FailStale(ctx); err != nil {
			a.Log.Warn("fail abandoned imports", "err", err)
		} else if n > 0 {
			a.Log.Warn("imports left running by a stopped process marked failed; commit them again to resume", "count", n)
		}
	})
	j.every(ctx, time.Hour, func(ctx context.Context) {
		if _, err := s.PurgeFiles(ctx, 7*24*time.Hour); err != nil {
			a.Log.Warn("purge uploaded import files", "err", err)
		}
	})
}
