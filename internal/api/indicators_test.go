package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

func TestIndicators_PeriodSeriesBreakdownsAndCohorts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 300, Days: 60, Seed: 4, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.GenerateTraffic(ctx, d, 4, nil); err != nil {
			t.Fatal(err)
		}
		st, body := f.call("viewer", "GET", "/api/v1/indicators?from=20261101&to=20261120&grain=week&by=channel", nil)
		if st != 200 {
			t.Fatalf("indicators: %d %s", st, body)
		}
		rep := decodeAs[metric.Report](t, body)
		c := rep.Current
		if c.UV == 0 || c.PV == 0 || c.PaidOrders == 0 || c.Purchases != c.PaidOrders || c.ConversionBP <= 0 || c.AOV <= 0 {
			t.Errorf("current: %+v", c)
		}
		if len(rep.Series) != 4 || rep.Series[0].Label != "2026-W44" || rep.Series[0].To != 20261101 || len(rep.Groups) == 0 {
			t.Errorf("series %d (first %q), groups %d", len(rep.Series), rep.Series[0].Label, len(rep.Groups))
		}
		var gmv int64
		for _, b := range rep.Series {
			gmv += b.GMV
		}
		if gmv != c.GMV {
			t.Errorf("weeks add up to GMV %d, the period has %d", gmv, c.GMV)
		}
		if rep.PreviousFrom != 20261012 || rep.PreviousTo != 20261031 || rep.YearAgoFrom != 20251102 {
			t.Errorf("compared with %d–%d and %d", rep.PreviousFrom, rep.PreviousTo, rep.YearAgoFrom)
		}
		if _, ok := rep.PoPBP["gmv"]; !ok {
			t.Errorf("no 环比 for GMV: %v", rep.PoPBP)
		}
		if _, ok := rep.YoYBP["gmv"]; ok {
			t.Errorf("同比 for GMV with no sales a year before: %v", rep.YoYBP)
		}
		for _, by := range []string{"category", "product", "none"} {
			if st, body := f.call("finance", "GET", "/api/v1/indicators?from=20261120&to=20261120&by="+by, nil); st != 200 {
				t.Errorf("by=%s: %d %s", by, st, body)
			}
		}
		if st, body = f.call("viewer", "GET", "/api/v1/indicators/cohorts?months=3&to=20261120", nil); st != 200 {
			t.Fatalf("cohorts: %d %s", st, body)
		}
		if cs := decodeAs[[]metric.Cohort](t, body); len(cs) != 3 || cs[0].Month != "2026-09" {
			t.Errorf("cohorts: %+v", cs)
		}
		if st, _ = f.call("service", "GET", "/api/v1/indicators", nil); st != 403 {
			t.Errorf("customer service reads indicators: %d", st)
		}
		for _, bad := range []struct{ q, field string }{
			{"grain=hour", "grain"}, {"by=city", "by"}, {"from=20261120&to=20261101", "from"}, {"to=2026-11-20", "to"},
			{"from=20200101&to=20261120&grain=day", "grain"},
		} {
			st, body := f.call("admin", "GET", "/api/v1/indicators?"+bad.q, nil)
			if e := decodeAs[api.ErrorBody](t, body); st != 400 || e.Error.Field != bad.field {
				t.Errorf("%s: %d %s, want 400 naming %s", bad.q, st, body, bad.field)
			}
		}
	})
}
