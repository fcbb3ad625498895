package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_CouponTemplates opens the demo shop's coupons, the newcomer
// coupon's page with its results, then creates a coupon whose threshold is
// under its discount, reads the message next to the threshold, fixes it
// and lands on the new coupon's page.
func TestBrowser_CouponTemplates(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list, issued, fieldErr, created string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/coupons"),
		chromedp.WaitVisible(`#coupon-table`, chromedp.ByQuery),
		chromedp.Text(`#coupon-table`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("coupons list: %v", err)
	}
	screenshot(t, ctx, "coupons.png")
	err = chromedp.Run(ctx,
		chromedp.Click(`//a[contains(., "新人券")]`, chromedp.BySearch),
		chromedp.WaitVisible(`[data-kpi="issued"]`, chromedp.ByQuery),
		chromedp.Text(`[data-kpi="issued"]`, &issued, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("coupons list and page: %v", err)
	}
	screenshot(t, ctx, "coupon.png")
	if !strings.Contains(list, "直播间专属券") || !strings.Contains(list, "SUMMER50") || strings.TrimSpace(issued) != "200" {
		t.Fatalf("list %q, newcomer coupons issued %q", list, issued)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/coupons/new"),
		chromedp.WaitVisible(`input[name="name"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="name"]`, "倒挂券", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="rule.amount"]`, "10", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="rule.threshold"]`, "5", chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="rule.threshold"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`.coupon-form .field-error`, &fieldErr, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("a threshold under the discount: %v", err)
	}
	screenshot(t, ctx, "coupon-form-error.png")
	err = chromedp.Run(ctx,
		chromedp.SetValue(`input[name="rule.threshold"]`, "99", chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#coupon-list`, chromedp.ByQuery),
		chromedp.Text(`h1`, &created, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create a coupon: %v", err)
	}
	screenshot(t, ctx, "coupon-created.png")
	if !strings.Contains(fieldErr, "threshold") || !strings.Contains(created, "倒挂券") {
		t.Fatalf("field error %q, created page %q", fieldErr, created)
	}
}
