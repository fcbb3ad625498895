package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_Promotions opens the demo shop's promotions, a running one's
// page with its results, the month calendar, and tries a cart: the steps
// and what did not apply are on the page. Then it creates a promotion for
// one of the shop's saved custom segments through the audience picker: the
// new promotion's page names that segment as its audience.
func TestBrowser_Promotions(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list, status, calendar, steps, notApplied string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/promotions?status=active"),
		chromedp.WaitVisible(`#promotion-table`, chromedp.ByQuery),
		chromedp.Text(`#promotion-table`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("promotions list: %v", err)
	}
	screenshot(t, ctx, "promotions.png")
	err = chromedp.Run(ctx,
		chromedp.Click(`//a[text()="满300减50"]`, chromedp.BySearch),
		chromedp.WaitVisible(`[data-kpi="roi"]`, chromedp.ByQuery),
		chromedp.Text(`h1`, &status, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("promotion page: %v", err)
	}
	screenshot(t, ctx, "promotion.png")
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/promotions/calendar"),
		chromedp.WaitVisible(`#promotion-calendar`, chromedp.ByQuery),
		chromedp.Text(`#promotion-calendar`, &calendar, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("calendar: %v", err)
	}
	screenshot(t, ctx, "promotion-calendar.png")
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/promotions/try?lines="+url.QueryEscape("1 3\n2 2")+"&channel=direct"),
		chromedp.WaitVisible(`#try-steps`, chromedp.ByQuery),
		chromedp.Text(`#try-steps`, &steps, chromedp.ByQuery),
		chromedp.Text(`#try-not-applied`, &notApplied, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("try a cart: %v", err)
	}
	screenshot(t, ctx, "promotion-try.png")
	if !strings.Contains(list, "满300减50") || !strings.Contains(list, "周三会员日") || !(strings.Contains(status, "进行中") || strings.Contains(status, "Running")) ||
		!strings.Contains(calendar, "满300减50") || steps == "" || !strings.Contains(notApplied, "周三会员日") {
		t.Fatalf("list %q\nstatus %q\ncalendar %.300q\nsteps %q\nnot applied %.500q", list, status, calendar, steps, notApplied)
	}

	custom := `.audience-group[data-group="custom"] label:first-of-type`
	var segment, who string
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/promotions/new"),
		chromedp.WaitVisible(custom, chromedp.ByQuery),
		chromedp.Text(custom, &segment, chromedp.ByQuery),
		chromedp.SetValue(`#name`, "粉丝专享立减20", chromedp.ByQuery),
		chromedp.SetValue(`#kind`, "fixed_off", chromedp.ByQuery),
		chromedp.SetValue(`#scope`, "order", chromedp.ByQuery),
		chromedp.SetValue(`#amount`, "20", chromedp.ByQuery),
		chromedp.Click(custom+` input`, chromedp.ByQuery),
		chromedp.Submit(`#name`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-kpi="roi"]`, chromedp.ByQuery),
		chromedp.Text(`main`, &who, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("a promotion for a custom segment: %v", err)
	}
	screenshot(t, ctx, "promotion-audience.png")
	segment = strings.TrimSpace(segment)
	if segment == "" || !strings.Contains(who, "粉丝专享立减20") || !strings.Contains(who, segment) {
		t.Fatalf("picked %q; the new promotion's page reads %.800q", segment, who)
	}
}
