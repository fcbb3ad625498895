package metric_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

// BenchmarkIndicatorReport is GET /api/v1/indicators' work on the default
// demo store with its year of traffic (setup takes a minute or two).
func BenchmarkIndicatorReport(b *testing.B) {
	ctx := context.Background()
	d := dbtest.SQLite(b)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 20000, Days: 400, Seed: 1, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
		b.Fatal(err)
	}
	if _, err := demo.GenerateTraffic(ctx, d, 1, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := (&metric.Rollup{DB: d}).Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if _, err := (&metric.IndicatorRollup{DB: d}).Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("indicator rollups for 400 days filled in %s", time.Since(began))
	for _, c := range []struct {
		name, grain, by string
		from, to        int64
	}{
		{"30days-day-channel", metric.GrainDay, metric.ByChannel, 20261022, 20261120},
		{"13months-week-channel", metric.GrainWeek, metric.ByChannel, 20251101, 20261120},
		{"13months-month-product", metric.GrainMonth, metric.ByProduct, 20251101, 20261120},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := metric.IndicatorReport(ctx, d, c.from, c.to, c.grain, c.by); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
