package alert_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/alert"
	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/metric"
)

// The demo store with its traffic; then the search channel loses 70% of
// its visits on Wednesday 2026-11-18 (a platform rule change): the
// detector raises that, and its workflow runs open → acknowledged →
// resolved.
func TestDetect_ChannelTrafficDropOnTheDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 3000, Days: 90, Seed: 2, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.GenerateTraffic(ctx, d, 2, nil); err != nil {
			t.Fatal(err)
		}
		// Whole visits go: sessions whose id ends in one of 25 of the 36
		// base-36 digits, about 70%.
		if _, err := event.Remove(ctx, d, 20261118, 20261118, func(e *event.Event) bool {
			return e.Channel == "search" && e.SessionID != "" && strings.ContainsRune("0123456789abcdefghijklmno", rune(e.SessionID[len(e.SessionID)-1]))
		}); err != nil {
			t.Fatal(err)
		}
		if err := (&metric.IndicatorRollup{DB: d}).Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		if err := (&metric.Rollup{DB: d}).Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		det := &alert.Detector{DB: d}
		found, err := det.Detect(ctx, 20261118)
		if err != nil {
			t.Fatal(err)
		}
		var hit *alert.Alert
		for i, a := range found {
			if a.Metric == alert.MetricUV && a.Channel == "search" {
				hit = &found[i]
			}
		}
		if hit == nil || hit.Value >= hit.Low || hit.Playbook != "traffic" || hit.Status != alert.Open {
			ev, _ := det.EvidenceFor(ctx, alert.Alert{Day: 20261118, Metric: alert.MetricUV, Channel: "search"})
			t.Fatalf("search traffic drop not raised: %+v\nsearch UV by day %v\nbaseline %v", found, ev.Values, ev.Baseline)
		}
		// Ordinary days of the same store: report how many alerts they raise.
		var noise int
		for _, day := range []int64{20261112, 20261113, 20261114, 20261115, 20261116} {
			fs, err := det.Check(ctx, day)
			if err != nil {
				t.Fatal(err)
			}
			noise += len(fs)
		}
		t.Logf("the drop raised %d alerts (search UV %d against baseline %d, band %d–%d, %s); 5 ordinary days raised %d",
			len(found), hit.Value, hit.Baseline, hit.Low, hit.High, hit.Severity, noise)
		if noise > 5 {
			t.Errorf("%d alerts on 5 ordinary days", noise)
		}
		// Detecting the same day again adds nothing.
		if again, err := det.Detect(ctx, 20261118); err != nil || len(again) != 0 {
			t.Errorf("second detection: %d, %v", len(again), err)
		}
		ev, err := det.EvidenceFor(ctx, *hit)
		if err != nil || len(ev.Days) != 56 || ev.Values[55] != hit.Value || ev.Low[55] != hit.Low {
			t.Errorf("evidence: %v, last %d/%d", err, ev.Values[len(ev.Values)-1], hit.Value)
		}

		op := audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: 1, Name: "运营 小李"})
		now := time.Now()
		if _, err := alert.Move(op, d, hit.ID, alert.Resolved, "", now); !isField(err, "note") {
			t.Errorf("resolve without a note: %v", err)
		}
		if _, err := alert.Move(op, d, hit.ID, alert.Acknowledged, "在查：百度规则调整？", now); err != nil {
			t.Fatal(err)
		}
		if _, err := alert.Move(op, d, hit.ID, alert.Acknowledged, "", now); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("acknowledge twice: %v", err)
		}
		a, err := alert.Move(op, d, hit.ID, alert.Resolved, "关键词出价调整后恢复；私域推送专属券", now)
		if err != nil || a.Status != alert.Resolved || len(a.Notes) != 2 || a.Notes[1].Actor != "运营 小李" || a.Notes[0].To != alert.Acknowledged {
			t.Fatalf("resolved: %+v %v", a, err)
		}
		open, _ := alert.List(ctx, d, alert.Open, 100)
		for _, o := range open {
			if o.ID == hit.ID {
				t.Error("a resolved alert is listed as open")
			}
		}
	})
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// A shop whose conversion is steady at 3% raises nothing against its own
// baseline, but does against a configured benchmark of 5%.
func TestDetect_ConversionUnderTheBenchmark(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for k := 0; k <= 6; k++ {
			day := metric.AddDays(20261118, -7*k)
			if _, err := d.Exec(ctx, `INSERT INTO traffic_daily (day, channel, pv, uv, sessions, product_views, searches, add_to_carts,
					checkout_starts, purchases, funnel_view, funnel_cart, funnel_checkout, funnel_paid, converted, refreshed_at)
				VALUES ($1, '', 2000, 1000, 1000, 800, 50, 100, 40, 30, 600, 90, 40, 30, 30, 1)`, day); err != nil {
				t.Fatal(err)
			}
		}
		plain, err := (&alert.Detector{DB: d}).Check(ctx, 20261118)
		if err != nil || len(plain) != 0 {
			t.Fatalf("steady shop: %+v %v", plain, err)
		}
		found, err := (&alert.Detector{DB: d, ConversionBenchmarkBP: 500}).Detect(ctx, 20261118)
		if err != nil || len(found) != 1 || found[0].Metric != alert.MetricConversion || found[0].Value != 300 || found[0].Low != 500 ||
			found[0].Severity != alert.Warning || found[0].Playbook != "conversion" {
			t.Fatalf("under the benchmark: %+v %v", found, err)
		}
	})
}
