package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_MemberPricesAndGrowthActions: on a product of the demo shop
// a gold price above list is refused next to its cell and ¥1 is saved;
// on the tiers page a negative check-in growth is refused next to its
// cell and 8 is saved.
func TestBrowser_MemberPricesAndGrowthActions(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var priceErr, price, growthErr, growth string
	cell := `#member-prices tbody tr:first-child input[name$=".gold"]`
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/products/1"),
		chromedp.WaitVisible(cell, chromedp.ByQuery),
		chromedp.SetValue(cell, "99999999", chromedp.ByQuery),
		chromedp.Submit(cell, chromedp.ByQuery),
		chromedp.WaitVisible(cell+`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`#member-prices .field-error`, &priceErr, chromedp.ByQuery),
		chromedp.SetValue(cell, "1", chromedp.ByQuery),
		chromedp.Submit(cell, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(cell, chromedp.ByQuery),
		chromedp.Value(cell, &price, chromedp.ByQuery),
	)
	screenshot(t, ctx, "member-prices.png")
	if err != nil {
		t.Fatalf("member prices: %v", err)
	}
	if !strings.Contains(priceErr, "above the list price") || price != "1.00" {
		t.Fatalf("field error %q, saved %q", priceErr, price)
	}
	field := `#growth-actions input[name="actions[0].growth"]`
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/tiers"),
		chromedp.WaitVisible(field, chromedp.ByQuery),
		chromedp.SetValue(field, "-1", chromedp.ByQuery),
		chromedp.Submit(field, chromedp.ByQuery),
		chromedp.WaitVisible(field+`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`#growth-actions .field-error`, &growthErr, chromedp.ByQuery),
		chromedp.SetValue(field, "8", chromedp.ByQuery),
		chromedp.Submit(field, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(field, chromedp.ByQuery),
		chromedp.Value(field, &growth, chromedp.ByQuery),
	)
	screenshot(t, ctx, "growth-actions.png")
	if err != nil {
		t.Fatalf("growth actions: %v", err)
	}
	if !strings.Contains(growthErr, "give 0 (off)") || growth != "8" {
		t.Fatalf("field error %q, saved %q", growthErr, growth)
	}
}
