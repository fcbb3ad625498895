// Package e2e drives the whole program in a real browser: Debian's Chromium
// through the DevTools protocol (chromedp), against the real server on
// loopback and a real generated store.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
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

func chromiumPath(t *testing.T) string {
	if os.Getenv("STOREOPS_BROWSER") == "" {
		t.Skip("browser tests run with STOREOPS_BROWSER=1 (CI sets it; they need Debian's chromium)")
	}
	for _, p := range []string{os.Getenv("STOREOPS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	t.Fatal("STOREOPS_BROWSER is set but no chromium was found (apt-get install chromium)")
	return ""
}

// demoServer starts the program on a small generated store.
func demoServer(t *testing.T) string {
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
	a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "e2e"})
	if _, err := a.Auth.CreateOperator(ctx, auth.NewOperator{Username: "boss", DisplayName: "店长", Role: "admin", Password: "e2e-password"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func browser(t *testing.T) context.Context {
	// Not t.TempDir: Chromium may still be writing its profile while the
	// test's cleanup runs, so the folder is removed after the browser is
	// gone, best effort.
	profile, err := os.MkdirTemp("", "storeops-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

func login(base, user, pw string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(`input[name="username"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="username"]`, user, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, pw, chromedp.ByQuery),
		chromedp.Submit(`input[name="password"]`, chromedp.ByQuery),
	}
}

func TestBrowser_LoginOverviewChartsRender(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var canvases int
	var gmvText, title string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#chart-orders[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#chart-gmv canvas, #chart-orders canvas').length`, &canvases),
		chromedp.Title(&title),
		chromedp.Text(`body`, &gmvText, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("overview in the browser: %v", err)
	}
	screenshot(t, ctx, "overview.png")
	if canvases < 2 {
		t.Fatalf("charts drew %d canvases, want one per chart", canvases)
	}
	if !strings.Contains(gmvText, "GMV") || !strings.Contains(gmvText, "¥") {
		t.Fatalf("overview shows no GMV figure in 元: %.300q", gmvText)
	}
	t.Logf("overview %q rendered %d chart canvases", title, canvases)
}

func TestBrowser_ProductSearchAndEnglish(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list, english string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/products?q="+"连衣裙"),
		chromedp.WaitVisible(`table`, chromedp.ByQuery),
		chromedp.Text(`table`, &list, chromedp.ByQuery),
		chromedp.Navigate(base+"/customers"),
		chromedp.WaitVisible(`table`, chromedp.ByQuery),
		chromedp.Evaluate(`(async () => {
			const body = new URLSearchParams({lang: 'en', next: '/customers'});
			await fetch('/lang', {method: 'POST', body});
			return true; })()`, nil),
		chromedp.Navigate(base+"/customers"),
		chromedp.WaitVisible(`table`, chromedp.ByQuery),
		chromedp.Text(`nav`, &english, chromedp.ByQuery),
	)
	screenshot(t, ctx, "customers-en.png")
	if err != nil {
		t.Fatalf("products and customers in the browser: %v", err)
	}
	if !strings.Contains(list, "夏季碎花连衣裙") {
		t.Fatalf("searching 连衣裙 did not list 夏季碎花连衣裙: %.300q", list)
	}
	if !strings.Contains(english, "Customers") || !strings.Contains(english, "Products") {
		t.Fatalf("after switching to English the navigation reads %.300q", english)
	}
}

// screenshot saves the page as a PNG into STOREOPS_SCREENSHOT_DIR, when set,
// so a person can look at what the test saw.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("STOREOPS_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// TestBrowser_SegmentsAndCustomerValue recomputes the RFM segments and refits
// the customer-value model from their pages, as an operator would, and checks
// that every chart on both pages drew.
func TestBrowser_SegmentsAndCustomerValue(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var segCharts, valueCharts int
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/segments"),
		chromedp.WaitVisible(`form[action="/segments/runs"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action="/segments/runs"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.chart[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.chart[data-rendered="true"] canvas').length`, &segCharts),
	)
	if err != nil {
		t.Fatalf("segments page: %v", err)
	}
	screenshot(t, ctx, "segments.png")
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/customer-value"),
		chromedp.WaitVisible(`form[action="/customer-value/fits"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action="/customer-value/fits"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.chart[data-rendered="true"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.chart[data-rendered="true"] canvas').length`, &valueCharts),
	)
	if err != nil {
		t.Fatalf("customer value page: %v", err)
	}
	screenshot(t, ctx, "customer-value.png")
	if segCharts < 1 || valueCharts < 1 {
		t.Fatalf("charts drawn: segments %d, customer value %d", segCharts, valueCharts)
	}
}

// TestBrowser_OrdersListAndDetail opens the order list, filters it to
// completed orders, and follows the first order to its detail page and
// timeline.
func TestBrowser_OrdersListAndDetail(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var timeline, status string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/orders?status=completed"),
		chromedp.WaitVisible(`#order-table table`, chromedp.ByQuery),
		chromedp.Click(`#order-table tbody tr a[href^="/orders/"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#order-timeline`, chromedp.ByQuery),
		chromedp.Text(`#order-timeline`, &timeline, chromedp.ByQuery),
		chromedp.Text(`.badge`, &status, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("orders in the browser: %v", err)
	}
	screenshot(t, ctx, "order.png")
	if strings.TrimSpace(timeline) == "" || strings.TrimSpace(status) == "" {
		t.Fatalf("order page shows no timeline (%q) or status (%q)", timeline, status)
	}
}
