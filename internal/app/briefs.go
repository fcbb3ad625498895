package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/alert"
	"github.com/storeops/storeops/internal/brief"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

// startBriefs checks every ten minutes, once the store's clock has passed
// the configured hour: it brings the rollups up to date, raises the anomaly
// alerts of yesterday, then writes yesterday's data brief (and on Mondays
// the weekly review), which lists the alerts; brief.created goes out
// through the webhook outbox with it.
func (a *App) startBriefs(ctx context.Context, j *Jobs) {
	if a.briefHour < 0 {
		return
	}
	if a.briefHour > 23 {
		a.Log.Warn("briefs and alerts are off: the brief hour must be 0–23", "hour", a.briefHour)
		return
	}
	s := brief.Schedule{Hour: a.briefHour}
	j.every(ctx, 10*time.Minute, func(ctx context.Context) {
		if due, err := s.Due(ctx, a.DB, time.Now()); err != nil || !due {
			return
		}
		// The demo's traffic is still being written: yesterday would look
		// like a collapse of every channel.
		var pending int
		if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM job_marks WHERE name = $1", demo.TrafficPendingMark).Scan(&pending); err != nil || pending > 0 {
			return
		}
		if _, err := (&metric.IndicatorRollup{DB: a.DB}).Refresh(ctx); err != nil {
			a.Log.Warn("refresh indicator rollups", "err", err)
			return
		}
		cal, err := alert.PromotionCalendar(ctx, a.DB)
		if err != nil {
			a.Log.Warn("promotion calendar", "err", err)
		}
		raised, err := (&alert.Detector{DB: a.DB, PromotionDay: cal, ConversionBenchmarkBP: a.conversionBench}).DetectYesterday(ctx)
		if err != nil {
			a.Log.Warn("detect anomalies", "err", err)
		}
		for _, al := range raised {
			a.Log.Info("anomaly alert", "day", al.Day, "metric", al.Metric, "channel", al.Channel, "severity", al.Severity)
		}
		bs, err := s.RunDue(ctx, a.DB, time.Now())
		if err != nil {
			a.Log.Warn("write data brief", "err", err)
		}
		for _, b := range bs {
			a.Log.Info("data brief written", "kind", b.Kind, "to", b.To)
		}
	})
}
