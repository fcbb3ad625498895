package clv

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
)

// BenchmarkFitNow_DemoStore fits the default demo shop (20,000 customers,
// 400 days): the calibration fit and holdout forecast, the full fit, the
// Gamma-Gamma fit, every customer's prediction, and storing them.
func BenchmarkFitNow_DemoStore(b *testing.B) {
	end := time.Date(2025, 12, 31, 0, 0, 0, 0, time.FixedZone("Asia/Shanghai", 8*3600))
	b.StopTimer()
	d := dbtest.SQLite(b)
	if _, err := demo.Generate(context.Background(), d, demo.Options{End: end}); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	s := &Service{DB: d}
	for b.Loop() {
		f, err := s.FitNow(context.Background(), Options{AsOf: end})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(f.Customers), "customers")
	}
}
