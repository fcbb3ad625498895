package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_Tiers opens the member tiers page of the demo shop: the
// distribution chart draws and silver holds customers; a keep threshold
// above its tier's threshold is refused next to the field; a valid one is
// saved.
func TestBrowser_Tiers(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var silver, fieldErr, saved string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/tiers"),
		chromedp.WaitVisible(`#chart-tiers[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.Text(`#tier-distribution tr[data-tier="silver"] td.num`, &silver, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("tiers page: %v", err)
	}
	screenshot(t, ctx, "tiers.png")
	if silver == "" || silver == "0" {
		t.Fatalf("silver holds %q customers in the demo shop", silver)
	}
	field := `input[name="levels[1].keep_threshold"]`
	err = chromedp.Run(ctx,
		chromedp.SetValue(field, "9999", chromedp.ByQuery),
		chromedp.Submit(field, chromedp.ByQuery),
		chromedp.WaitVisible(field+`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`.field-error`, &fieldErr, chromedp.ByQuery),
		chromedp.SetValue(field, "250", chromedp.ByQuery),
		chromedp.Submit(field, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Value(field, &saved, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("save the ladder: %v", err)
	}
	if !strings.Contains(fieldErr, "500") || saved != "250" {
		t.Fatalf("field error %q, saved %q", fieldErr, saved)
	}
}
