package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_GroupBuys sends the group-buy form with a SKU the shop lacks
// and reads why next to its row, creates a campaign of a SKU the demo's
// flash sale shows, finds it on the list and on its own page (no groups
// yet), then ends it through the confirmation.
func TestBrowser_GroupBuys(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var code string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/flash-sales"),
		chromedp.Click(`//a[contains(., "20点秒杀")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#flash-item-table`, chromedp.ByQuery),
		chromedp.Text(`#flash-item-table tbody code`, &code, chromedp.ByQuery),
	)
	if err != nil || strings.TrimSpace(code) == "" {
		t.Fatalf("a demo SKU code: %q %v", code, err)
	}
	var skuErr string
	start := time.Now().Add(-time.Hour)
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/group-buys/new"),
		chromedp.WaitVisible(`input[name="items[2].sku"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="name"]`, "测试三人团", chromedp.ByQuery),
		chromedp.SetValue(`input[name="starts_at"]`, start.Format("2006-01-02T15:04"), chromedp.ByQuery),
		chromedp.SendKeys(`input[name="items[0].sku"]`, "NO-SUCH-SKU", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="items[0].group_price"]`, "0.01", chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="items[0].sku"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`#group-buy-form-items .field-error`, &skuErr, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create form: %v", err)
	}
	screenshot(t, ctx, "group-buy-form-error.png")
	if !strings.Contains(skuErr, "NO-SUCH-SKU") {
		t.Fatalf("the unknown SKU's message: %q", skuErr)
	}
	var list, groups, status string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`input[name="items[0].sku"]`, strings.TrimSpace(code), chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#group-table`, chromedp.ByQuery),
		chromedp.Text(`#group-table`, &groups, chromedp.ByQuery),
		chromedp.Navigate(base+"/group-buys"),
		chromedp.WaitVisible(`#group-buy-table`, chromedp.ByQuery),
		chromedp.Text(`#group-buy-table`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create and list: %v", err)
	}
	screenshot(t, ctx, "group-buys.png")
	if !strings.Contains(list, "测试三人团") || !strings.Contains(list, strings.TrimSpace(code)) || strings.Contains(list, "group_buys.") ||
		(!strings.Contains(groups, "这里还没有团") && !strings.Contains(groups, "No groups")) {
		t.Fatalf("list %q\ngroups %q", list, groups)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`//a[contains(., "测试三人团")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#group-table`, chromedp.ByQuery),
		chromedp.Click(`details.inline-details > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#end-form button`, chromedp.ByQuery),
		chromedp.Click(`#end-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`h1 [data-status="ended"]`, chromedp.ByQuery),
		chromedp.Text(`h1`, &status, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("end the group buy: %v", err)
	}
	screenshot(t, ctx, "group-buy.png")
	if !strings.Contains(status, "已结束") && !strings.Contains(status, "Ended") {
		t.Fatalf("after ending: %q", status)
	}
}
