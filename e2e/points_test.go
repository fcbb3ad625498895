package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_PointsRules opens the points rules, saves a ladder line the
// form cannot read, reads the message next to the ladder, fixes it and
// sees the saved ladder.
func TestBrowser_PointsRules(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var ladder, fieldErr, saved string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/points"),
		chromedp.WaitVisible(`textarea[name="ladder"]`, chromedp.ByQuery),
		chromedp.Value(`textarea[name="ladder"]`, &ladder, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("points rules: %v", err)
	}
	screenshot(t, ctx, "points.png")
	if !strings.Contains(ladder, "首购激励") {
		t.Fatalf("ladder %q", ladder)
	}
	err = chromedp.Run(ctx,
		chromedp.SetValue(`textarea[name="ladder"]`, "1 two hundred", chromedp.ByQuery),
		chromedp.Submit(`textarea[name="ladder"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`textarea[name="ladder"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`.field-error`, &fieldErr, chromedp.ByQuery),
		chromedp.SetValue(`textarea[name="ladder"]`, "1 300 首购激励\n2 150 复购奖励", chromedp.ByQuery),
		chromedp.Submit(`textarea[name="ladder"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Value(`textarea[name="ladder"]`, &saved, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("save the ladder: %v", err)
	}
	if !strings.Contains(fieldErr, "1 200 首购激励") || !strings.Contains(saved, "1 300 首购激励") {
		t.Fatalf("field error %q, saved %q", fieldErr, saved)
	}
}
