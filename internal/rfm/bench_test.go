// The benchmarks sit outside package rfm: the demo generator they use
// imports rfm (through coupons' audiences).
package rfm_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/rfm"
)

var demoEnd = time.Date(2025, 12, 31, 0, 0, 0, 0, time.FixedZone("Asia/Shanghai", 8*3600))

// openDemo generates the default demo shop (20,000 customers, 400 days).
func openDemo(b *testing.B) *db.DB {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	d := dbtest.SQLite(b)
	sum, err := demo.Generate(context.Background(), d, demo.Options{End: demoEnd})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("demo store: %d customers, %d orders", sum.Customers, sum.Orders)
	return d
}

// BenchmarkCompute_DemoStore scores the default demo shop: one aggregate
// query over its orders, the gap histogram, and the scoring in Go.
func BenchmarkCompute_DemoStore(b *testing.B) {
	d := openDemo(b)
	s := &rfm.Service{DB: d}
	var n int
	for b.Loop() {
		res, err := s.Compute(context.Background(), demoEnd)
		if err != nil {
			b.Fatal(err)
		}
		n = len(res.Customers)
	}
	b.ReportMetric(float64(n), "customers")
}

// BenchmarkRun_DemoStore computes and stores a run (20,000 score rows).
func BenchmarkRun_DemoStore(b *testing.B) {
	d := openDemo(b)
	s := &rfm.Service{DB: d}
	for b.Loop() {
		if _, err := s.Run(context.Background(), rfm.Options{AsOf: demoEnd}); err != nil {
			b.Fatal(err)
		}
	}
}
