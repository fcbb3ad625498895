package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/alert"
	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/brief"
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
		for _, by := range []string{"category", "product", "segment", "none"} {
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

func TestAlertsAndBriefs_API(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := d.Exec(ctx, `INSERT INTO alerts (day, metric, channel, value, baseline, low, high, severity, status, playbook, created_at, updated_at)
			VALUES (20261118, 'conversion', '', 300, 800, 640, 960, 'critical', 'open', 'conversion', 1, 1)`); err != nil {
			t.Fatal(err)
		}
		st, body := f.call("viewer", "GET", "/api/v1/alerts?status=open", nil)
		if list := decodeAs[[]alert.Alert](t, body); st != 200 || len(list) != 1 || list[0].Playbook != "conversion" {
			t.Fatalf("alerts: %d %s", st, body)
		}
		if st, _ = f.call("viewer", "POST", "/api/v1/alerts/1/acknowledge", map[string]string{"note": "x"}); st != 403 {
			t.Errorf("viewer acknowledges: %d", st)
		}
		if st, body = f.call("operator", "POST", "/api/v1/alerts/1/resolve", map[string]string{"note": ""}); st != 422 {
			t.Errorf("resolve without note: %d %s", st, body)
		}
		if st, body = f.call("operator", "POST", "/api/v1/alerts/1/acknowledge", map[string]string{"note": "看详情页"}); st != 200 {
			t.Fatalf("acknowledge: %d %s", st, body)
		}
		st, body = f.call("operator", "POST", "/api/v1/alerts/1/resolve", map[string]string{"note": "详情页图片加载慢，已修复"})
		if a := decodeAs[alert.Alert](t, body); st != 200 || a.Status != alert.Resolved || len(a.Notes) != 2 {
			t.Fatalf("resolve: %d %s", st, body)
		}
		if st, _ = f.call("operator", "POST", "/api/v1/alerts/1/resolve", map[string]string{"note": "again"}); st != 409 {
			t.Errorf("resolve twice: %d", st)
		}
		b, err := brief.Store(ctx, d, brief.Data{Kind: brief.Daily, From: 20261120, To: 20261120, Currency: "CNY", StoreName: "测试店",
			Watch: []brief.Watch{{Issue: "all_clear", Playbook: "none"}}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, body = f.call("finance", "GET", "/api/v1/briefs/"+itoa(b.ID)+"?lang=en&format=html", nil)
		if bt := decodeAs[api.BriefText](t, body); st != 200 || !strings.Contains(bt.Text, "<html>") || !strings.Contains(bt.Text, "daily brief") {
			t.Errorf("brief: %d %s", st, body)
		}
		if st, body = f.call("finance", "GET", "/api/v1/briefs", nil); st != 200 || len(decodeAs[[]brief.Brief](t, body)) != 1 {
			t.Errorf("briefs: %d %s", st, body)
		}
		if st, _ = f.call("finance", "GET", "/api/v1/briefs/"+itoa(b.ID)+"?format=pdf", nil); st != 400 {
			t.Errorf("pdf: %d", st)
		}
	})
}
