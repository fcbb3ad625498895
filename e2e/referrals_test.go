package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_Referrals opens the demo shop's 邀请有礼 page (results of its
// last 30 days, the programme running), sends a holding period the
// programme refuses and reads why next to the field, saves a valid one,
// then works the review queue: approves one held invitation and rejects
// another with a reason, which then shows among the void ones.
func TestBrowser_Referrals(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var head, invitations, fieldErr, held string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/referrals"),
		chromedp.WaitVisible(`#programme-form`, chromedp.ByQuery),
		chromedp.Text(`h1`, &head, chromedp.ByQuery),
		chromedp.Text(`[data-kpi="invitations"]`, &invitations, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("referrals page: %v", err)
	}
	screenshot(t, ctx, "referrals.png")
	if !either(head, "邀请有礼", "Referrals") || !either(head, "进行中", "Running") || strings.TrimSpace(invitations) == "0" {
		t.Fatalf("head %q, invitations %q", head, invitations)
	}
	err = chromedp.Run(ctx,
		chromedp.SetValue(`input[name="holding_days"]`, "365", chromedp.ByQuery),
		chromedp.Submit(`input[name="holding_days"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="holding_days"][aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.Text(`.field-error`, &fieldErr, chromedp.ByQuery),
		chromedp.SetValue(`input[name="holding_days"]`, "10", chromedp.ByQuery),
		chromedp.Submit(`input[name="holding_days"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[aria-invalid="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="holding_days"][value="10"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("save the programme: %v", err)
	}
	if !strings.Contains(fieldErr, "90") {
		t.Fatalf("holding days message %q", fieldErr)
	}
	var rows int
	err = chromedp.Run(ctx,
		chromedp.Click(`#review-queue`, chromedp.ByQuery),
		chromedp.WaitVisible(`#invitations`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#invitations tr[data-review="pending"]').length`, &rows),
	)
	if err != nil || rows < 2 {
		t.Fatalf("review queue: %d held, %v", rows, err)
	}
	screenshot(t, ctx, "referral-review.png")
	var after int
	var flash string
	err = chromedp.Run(ctx,
		chromedp.Click(`#invitations tr[data-review="pending"] button[data-approve]`, chromedp.ByQuery),
		chromedp.WaitVisible(`div.flash[role="status"]`, chromedp.ByQuery),
		chromedp.Text(`div.flash[role="status"]`, &flash, chromedp.ByQuery),
	)
	if err != nil || !either(flash, "已通过", "Approved") {
		t.Fatalf("approve: %q %v", flash, err)
	}
	err = chromedp.Run(ctx,
		chromedp.SendKeys(`#invitations tr[data-review="pending"] input[id^="note-"]`, "同一设备批量注册", chromedp.ByQuery),
		chromedp.Click(`#invitations tr[data-review="pending"] button[data-reject]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//div[@role="status"][contains(., "已驳回") or contains(., "Rejected")]`, chromedp.BySearch),
		chromedp.Evaluate(`document.querySelectorAll('#invitations tr[data-review="pending"]').length`, &after),
		chromedp.Text(`#filter-review`, &held, chromedp.ByQuery),
	)
	if err != nil {
		screenshot(t, ctx, "referral-reject-failed.png")
		t.Fatalf("reject: %v", err)
	}
	if after != rows-2 || !either(held, "待审核", "To review") {
		t.Fatalf("held %d before, %d after; filter %q", rows, after, held)
	}
	var void string
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/referrals/invitations?status=void"),
		chromedp.WaitVisible(`#invitations`, chromedp.ByQuery),
		chromedp.Text(`#invitations`, &void, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(void, "同一设备批量注册") || !either(void, "审核驳回", "Rejected on review") {
		t.Fatalf("void invitations %q %v", void, err)
	}
}

// either: the page reads in Chinese or English, as the browser asks.
func either(s, zh, en string) bool { return strings.Contains(s, zh) || strings.Contains(s, en) }
