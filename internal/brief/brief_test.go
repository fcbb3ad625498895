package brief_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/brief"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/webhook"
)

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func demoStore(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	sh := shanghai(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 400, Days: 60, Seed: 6, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.GenerateTraffic(ctx, d, 6, nil); err != nil {
		t.Fatal(err)
	}
}

// 2026-11-21 09:30 in Shanghai.
var morning = time.Date(2026, 11, 21, 1, 30, 0, 0, time.UTC)

func TestGenerate_DailyBriefInBothLanguagesAndFormats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		demoStore(t, d)
		ctx := context.Background()
		ws := &webhook.Service{DB: d, AllowPrivate: true}
		if _, err := ws.CreateEndpoint(audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: 1, Name: "t"}),
			webhook.EndpointInput{URL: "http://127.0.0.1:9/hook", Events: []string{"brief.*"}}); err != nil {
			t.Fatal(err)
		}
		b, err := brief.Generate(ctx, d, brief.Daily, 20261120, morning)
		if err != nil {
			t.Fatal(err)
		}
		f, err := metric.PeriodFigures(ctx, d, 20261120, 20261120)
		if err != nil {
			t.Fatal(err)
		}
		prev, _ := metric.PeriodFigures(ctx, d, 20261119, 20261119)
		if b.Data.Figures[4].Key != "gmv" || b.Data.Figures[4].Value != f.GMV || b.Data.Figures[4].Previous != prev.GMV || f.GMV == 0 {
			t.Errorf("GMV figure %+v, indicators %d / %d", b.Data.Figures[4], f.GMV, prev.GMV)
		}
		if b.Data.YearAgoFrom != 20251121 || len(b.Data.Watch) == 0 {
			t.Errorf("year ago %d, watch %v", b.Data.YearAgoFrom, b.Data.Watch)
		}
		gmv := i18n.FormatMoney("zh-CN", f.GMV, "CNY")
		for _, c := range []struct{ lang, format, want string }{
			{"zh-CN", brief.FormatMarkdown, "# 花间生活馆 数据日报"},
			{"zh-CN", brief.FormatMarkdown, "| 成交总额 GMV | " + gmv + " |"},
			{"zh-CN", brief.FormatHTML, "<h2 style=\"font-size:16px\">核心指标</h2>"},
			{"en", brief.FormatMarkdown, "## Biggest movers"},
			{"en", brief.FormatHTML, "What to look at"},
		} {
			out, err := brief.Render(b, c.lang, c.format)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("%s %s lacks %q:\n%s", c.lang, c.format, c.want, out)
			}
			if strings.Contains(out, "%!") || strings.Contains(out, "brief.") || strings.Contains(out, "analytics.") {
				t.Errorf("%s %s has a formatting slip or a missing string:\n%s", c.lang, c.format, out)
			}
		}
		if _, err := brief.Render(b, "fr", "md"); err == nil {
			t.Error("rendered in French")
		}
		// Stored, listed, and announced to the webhook in the same transaction.
		got, err := brief.Find(ctx, d, brief.Daily, 20261120)
		if err != nil || got.ID != b.ID || got.Data.Figures[4] != b.Data.Figures[4] {
			t.Fatalf("find: %+v %v", got.Data.Figures, err)
		}
		var n int
		d.QueryRow(ctx, "SELECT COUNT(*) FROM webhook_events WHERE type = 'brief.created' AND payload LIKE '%数据日报%'").Scan(&n)
		if n != 1 {
			t.Errorf("%d brief.created events in the outbox", n)
		}
		// Today is not over: no brief of it.
		if _, err := brief.Generate(ctx, d, brief.Daily, 20261121, morning); !errors.Is(err, brief.ErrNotYet) {
			t.Errorf("brief of today: %v", err)
		}
	})
}

func TestSchedule_YesterdayAfterTheHourAndTheWeekOnMondays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		demoStore(t, d)
		ctx := context.Background()
		s := brief.Schedule{Hour: 8}
		sh := shanghai(t)
		// Monday 2026-11-23 07:59: before the hour, nothing.
		if bs, err := s.RunDue(ctx, d, time.Date(2026, 11, 23, 7, 59, 0, 0, sh)); err != nil || len(bs) != 0 {
			t.Fatalf("before the hour: %d briefs, %v", len(bs), err)
		}
		bs, err := s.RunDue(ctx, d, time.Date(2026, 11, 23, 8, 5, 0, 0, sh))
		if err != nil || len(bs) != 2 {
			t.Fatalf("Monday 08:05: %d briefs, %v", len(bs), err)
		}
		if bs[0].Kind != brief.Daily || bs[0].To != 20261122 || bs[1].Kind != brief.Weekly || bs[1].From != 20261116 || bs[1].To != 20261122 {
			t.Errorf("briefs: %+v %+v", bs[0], bs[1])
		}
		if again, err := s.RunDue(ctx, d, time.Date(2026, 11, 23, 9, 0, 0, 0, sh)); err != nil || len(again) != 0 {
			t.Errorf("second run: %d briefs, %v", len(again), err)
		}
		if bs, _ := s.RunDue(ctx, d, time.Date(2026, 11, 24, 8, 0, 0, 0, sh)); len(bs) != 1 || bs[0].Kind != brief.Daily {
			t.Errorf("Tuesday: %+v", bs)
		}
		list, err := brief.List(ctx, d, 10)
		if err != nil || len(list) != 3 || list[0].To != 20261123 {
			t.Errorf("list: %d, %v", len(list), err)
		}
	})
}
