package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_FlashSales opens the demo shop's flash sales, the upcoming
// sale's page with each item's pool, sends the create form with a SKU the
// shop lacks and reads why next to its row, then ends the sale through the
// confirmation: the page says it ended.
func TestBrowser_FlashSales(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list, carved, items, status string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/flash-sales"),
		chromedp.WaitVisible(`#flash-sale-table`, chromedp.ByQuery),
		chromedp.Text(`#flash-sale-table`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("flash sales list: %v", err)
	}
	screenshot(t, ctx, "flash-sales.png")
	err = chromedp.Run(ctx,
		chromedp.Click(`//a[contains(., "20点秒杀")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#flash-item-table`, chromedp.ByQuery),
		chromedp.Text(`[data-kpi="carved"]`, &carved, chromedp.ByQuery),
		chromedp.Text(`#flash-item-table`, &items, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("flash sale page: %v", err)
	}
	screenshot(t, ctx, "flash-sale.png")
	if !strings.Contains(list, "20点秒杀") || !(strings.Contains(list, "即将开始") || strings.Contains(list, "Upcoming")) || strings.TrimSpace(carved) == "0" ||
		!strings.Contains(items, "¥") || strings.Contains(items, "flash_sales.") {
		t.Fatalf("list %q\ncarved %q\nitems %q", list, carved, items)
	}
	// The create form: a SKU the shop does not have is named next to its row.
	var skuErr string
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/flash-sales/new"),
		chromedp.WaitVisible(`input[name="items[2].sku"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="name"]`, "测试秒杀", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="items[0].sku"]`, "NO-SUCH-SKU", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="items[0].flash_price"]`, "9.9", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="items[0].stock"]`, "10", chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="items[0].sku"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`#flash-form-items .field-error`, &skuErr, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create form: %v", err)
	}
	screenshot(t, ctx, "flash-sale-form-error.png")
	if !strings.Contains(skuErr, "NO-SUCH-SKU") {
		t.Fatalf("the unknown SKU's message: %q", skuErr)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/flash-sales"),
		chromedp.Click(`//a[contains(., "20点秒杀")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#flash-item-table`, chromedp.ByQuery),
		chromedp.Click(`details.inline-details > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#end-form button`, chromedp.ByQuery),
		chromedp.Click(`#end-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`h1 [data-status="ended"]`, chromedp.ByQuery),
		chromedp.Text(`h1`, &status, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("end the sale: %v", err)
	}
	if !strings.Contains(status, "已结束") && !strings.Contains(status, "Ended") {
		t.Fatalf("after ending: %q", status)
	}
}
