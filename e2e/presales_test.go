package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_Presales finds the demo's 双12 presale taking deposits, with
// its deal and stock on the list and its own page, and its deposits paid
// and waiting; sends the presale form
// with a deposit value below the deposit and reads why next to the field;
// creates a presale of the demo flash sale's SKU, then stops its deposits
// through the confirmation.
func TestBrowser_Presales(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list, deal, deposits string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/presales"),
		chromedp.WaitVisible(`#presale-table`, chromedp.ByQuery),
		chromedp.Text(`#presale-table`, &list, chromedp.ByQuery),
		chromedp.Click(`//a[contains(., "双12 预售")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#deposit-table`, chromedp.ByQuery),
		chromedp.Text(`dl.details`, &deal, chromedp.ByQuery),
		chromedp.Text(`#deposit-table`, &deposits, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("the demo presale: %v", err)
	}
	screenshot(t, ctx, "presale-demo.png")
	if !strings.Contains(list, "双12 预售") || !strings.Contains(list, "年货节 预售") || strings.Contains(list, "presales.") ||
		(!strings.Contains(list, "付定金中") && !strings.Contains(list, "Taking deposits")) ||
		(!strings.Contains(deal, "抵") && !strings.Contains(deal, "counts as")) || !strings.Contains(deal, "定金不退") ||
		(!strings.Contains(deposits, "定金已付") && !strings.Contains(deposits, "Deposit paid")) ||
		(!strings.Contains(deposits, "待付定金") && !strings.Contains(deposits, "Awaiting deposit")) {
		t.Fatalf("list %q\ndeal %q\ndeposits %q", list, deal, deposits)
	}

	var code string
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/flash-sales"),
		chromedp.Click(`//a[contains(., "20点秒杀")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#flash-item-table`, chromedp.ByQuery),
		chromedp.Text(`#flash-item-table tbody code`, &code, chromedp.ByQuery),
	)
	if err != nil || strings.TrimSpace(code) == "" {
		t.Fatalf("a demo SKU code: %q %v", code, err)
	}
	var valueErr string
	start := time.Now().Add(-time.Hour)
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/presales/new"),
		chromedp.WaitVisible(`input[name="deposit_value"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="name"]`, "测试预售", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="sku"]`, strings.TrimSpace(code), chromedp.ByQuery),
		chromedp.SendKeys(`input[name="stock"]`, "1", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="presale_price"]`, "0.50", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="deposit"]`, "0.10", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="deposit_value"]`, "0.05", chromedp.ByQuery),
		chromedp.SetValue(`input[name="deposit_starts_at"]`, start.Format("2006-01-02T15:04"), chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="deposit_value"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`input[name="deposit_value"] + .hint + .field-error, input[name="deposit_value"] ~ .field-error`, &valueErr, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create form: %v", err)
	}
	screenshot(t, ctx, "presale-form-error.png")
	if !strings.Contains(valueErr, "at least itself") {
		t.Fatalf("the deposit value's message: %q", valueErr)
	}
	var phase string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`input[name="deposit_value"]`, "0.20", chromedp.ByQuery),
		chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#deposit-table`, chromedp.ByQuery),
		chromedp.Click(`details.inline-details > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#end-form button`, chromedp.ByQuery),
		chromedp.Click(`#end-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`h1 [data-phase="awaiting_tail"]`, chromedp.ByQuery),
		chromedp.Text(`h1`, &phase, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("create and stop the presale: %v", err)
	}
	screenshot(t, ctx, "presale.png")
	if !strings.Contains(phase, "测试预售") || (!strings.Contains(phase, "待付尾款") && !strings.Contains(phase, "Awaiting tail")) {
		t.Fatalf("after stopping deposits: %q", phase)
	}
}
