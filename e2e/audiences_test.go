package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// countIsNot waits until the live preview shows a count other than was.
func countIsNot(was string) chromedp.Action {
	var ok bool
	return chromedp.Poll(`(() => { const c = document.querySelector('#preview-count'); return !!c && c.textContent.trim() !== `+"`"+was+"`"+`; })()`, &ok)
}

// typeInto sets a field's value as typing would, firing input and change
// (which the builder's htmx triggers listen to).
func typeInto(sel, value string) chromedp.Action {
	return chromedp.Evaluate(`(() => { const el = document.querySelector(`+"`"+sel+"`"+`); el.value = `+"`"+value+"`"+`;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); })()`, nil)
}

// settled waits until htmx has no request in flight and has finished
// settling what it swapped in (its handlers are attached only then; a
// person is never that fast, a test is).
func settled() chromedp.Action {
	return chromedp.Poll(`!!window.htmx && document.readyState === 'complete' && !document.querySelector('.htmx-request, .htmx-added, .htmx-settling, .htmx-swapping')`, nil)
}

// TestBrowser_Audiences opens the demo's saved segments, builds a new one
// in the builder — the count following every edit, a nested group added
// and its rule's field changed, a bad value shown on its rule — saves it,
// and finds it on the list.
func TestBrowser_Audiences(t *testing.T) {
	ctx := browser(t)
	base := demoServer(t)
	var list string
	err := chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`#chart-gmv`, chromedp.ByQuery),
		chromedp.Navigate(base+"/audiences"),
		chromedp.WaitVisible(`#audience-list`, chromedp.ByQuery),
		chromedp.Text(`#audience-list`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("segment list: %v", err)
	}
	if !strings.Contains(list, "高价值沉睡") || !strings.Contains(list, "新客待复购") {
		t.Fatalf("demo segments missing: %q", list)
	}
	var all, some, nested string
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/audiences/new"),
		chromedp.WaitVisible(`#preview-count`, chromedp.ByQuery),
		chromedp.Text(`#preview-count`, &all, chromedp.ByQuery),
		settled(),
		// orders ≥ 1 becomes orders ≥ 3: fewer customers, counted live.
		typeInto(`input[name="r0.value"]`, "3"),
	)
	if err != nil {
		t.Fatalf("builder: %v", err)
	}
	// Step by step, each with its own limit, so a hang names its step.
	steps := []chromedp.Action{
		countIsNot(all),
		chromedp.Text(`#preview-count`, &some, chromedp.ByQuery),
		// A nested group (its first rule: tag is one of …), then its
		// field changed to spend: the operator and the input follow.
		chromedp.Click(`button[data-action="add_group@"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`select[name="g0.r0.field"]`, chromedp.ByQuery),
		settled(),
		typeInto(`select[name="g0.match"]`, "any"),
		typeInto(`select[name="g0.r0.field"]`, "spend"),
		chromedp.WaitVisible(`input[name="g0.r0.value"]`, chromedp.ByQuery),
		settled(),
		typeInto(`input[name="g0.r0.value"]`, "abc"),
		chromedp.WaitVisible(`#preview-error`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#preview-error').textContent.includes('12.34')`, nil),
	}
	for i, step := range steps {
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := chromedp.Run(sctx, step)
		cancel()
		if err != nil {
			var page string
			chromedp.Run(ctx, chromedp.OuterHTML(`#audience-form`, &page, chromedp.ByQuery))
			t.Fatalf("nested group, step %d: %v\n%s", i, err, page)
		}
	}
	screenshot(t, ctx, "audience-builder-error.png")
	err = chromedp.Run(ctx,
		typeInto(`input[name="g0.r0.value"]`, "500"),
		chromedp.WaitVisible(`#preview-count`, chromedp.ByQuery),
		chromedp.Text(`#preview-count`, &nested, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="name"]`, "三单以上大客", chromedp.ByQuery),
		chromedp.Click(`#save-audience`, chromedp.ByQuery),
		chromedp.WaitVisible(`#export-xlsx`, chromedp.ByQuery),
		chromedp.Navigate(base+"/audiences"),
		chromedp.WaitVisible(`#audience-list`, chromedp.ByQuery),
		chromedp.Text(`#audience-list`, &list, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	screenshot(t, ctx, "audiences.png")
	if all == some || !strings.Contains(list, "三单以上大客") {
		t.Fatalf("counts %s → %s → %s; list %q", all, some, nested, list)
	}
}
