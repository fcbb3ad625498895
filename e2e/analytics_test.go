package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/demo"
)

// analyticsServer is the demo store with its year of traffic.
func analyticsServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "e2e.db"), db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 1500, Days: 120, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.GenerateTraffic(ctx, d, 7, nil); err != nil {
		t.Fatal(err)
	}
	a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "e2e", BriefHour: -1})
	if _, err := a.Auth.CreateOperator(ctx, auth.NewOperator{Username: "boss", DisplayName: "店长", Role: "admin", Password: "e2e-password"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowser_AnalyticsDashboardsAndBrief opens 数据分析, checks that all
// eight charts drew and the funnel table is filled, then writes yesterday's
// brief from the console and reads it.
func TestBrowser_AnalyticsDashboardsAndBrief(t *testing.T) {
	ctx := browser(t)
	base := analyticsServer(t)
	var drawn int
	var funnel, briefText string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/analytics?days=90&grain=week"),
		chromedp.WaitVisible(`#chart-funnel[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-chart][data-rendered="true"] canvas').length`, &drawn),
		chromedp.Text(`#funnel-table`, &funnel, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("analytics page: %v", err)
	}
	screenshot(t, ctx, "analytics.png")
	// Chromium asks for English; the page follows Accept-Language.
	if drawn < 8 || !(strings.Contains(funnel, "Add to cart") || strings.Contains(funnel, "加入购物车")) {
		t.Fatalf("%d charts drew; funnel %q", drawn, funnel)
	}
	yesterday := time.Now().In(shanghai(t)).AddDate(0, 0, -1).Format("2006-01-02")
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/briefs"),
		chromedp.WaitVisible(`#brief-date`, chromedp.ByQuery),
		chromedp.SetValue(`#brief-date`, yesterday, chromedp.ByQuery),
		chromedp.Submit(`#brief-date`, chromedp.ByQuery),
		chromedp.WaitVisible(`#brief-body`, chromedp.ByQuery),
		chromedp.Text(`#brief-body`, &briefText, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("write a brief: %v", err)
	}
	screenshot(t, ctx, "brief.png")
	if !(strings.Contains(briefText, "Key figures") && strings.Contains(briefText, "What to look at")) &&
		!(strings.Contains(briefText, "核心指标") && strings.Contains(briefText, "建议关注")) {
		t.Fatalf("brief: %q", briefText)
	}
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
