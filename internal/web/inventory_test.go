package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestInventory_AdjustAndLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("cangku", auth.RoleSupply)
		f.seedOneOfEach()
		s := f.login("cangku")

		w := f.post("/inventory/1/adjust", url.Values{"reason": {"receipt"}, "delta": {"+12"}, "ref": {"PO-7"}, "note": {"到货"}}, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("receipt: %d %s", w.Code, w.Body.String())
		}
		// Damage must be negative: the message is at the quantity field.
		w = f.post("/inventory/1/adjust", url.Values{"reason": {"damage"}, "delta": {"3"}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("positive damage: %d", w.Code)
		}
		delta := w.Body.String()[strings.Index(w.Body.String(), `id="delta"`):]
		if !strings.Contains(delta[:strings.Index(delta, "</div>")], "field-error") {
			t.Error("damage error not at the quantity field")
		}
		if w := f.post("/inventory/1/adjust", url.Values{"reason": {"damage"}, "delta": {"abc"}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("non-numeric delta: %d", w.Code)
		}
		f.post("/inventory/1/adjust", url.Values{"reason": {"damage"}, "delta": {"-2"}}, s)
		// Taking out more than there is refuses.
		if w := f.post("/inventory/1/adjust", url.Values{"reason": {"adjustment"}, "delta": {"-11"}}, s); w.Code != http.StatusConflict {
			t.Errorf("below zero: %d", w.Code)
		}

		lvl, err := f.console.Inventory.Get(context.Background(), 1)
		if err != nil || lvl.OnHand != 10 {
			t.Fatalf("on hand %d (%v), want 10", lvl.OnHand, err)
		}
		body := f.get("/inventory/1", s).Body.String()
		mustContain(t, body, "TEST-1", "测试商品", "入库", "报损", "+12", "-2", "PO-7", "到货")

		// Low stock: 10 available is low at the default threshold of 10, not at 5.
		if !strings.Contains(f.get("/inventory?low=1", s).Body.String(), `href="/inventory/1"`) {
			t.Error("low-stock filter misses a SKU with 10 available")
		}
		if strings.Contains(f.get("/inventory?low=1&threshold=5", s).Body.String(), `href="/inventory/1"`) {
			t.Error("low-stock filter at 5 lists a SKU with 10 available")
		}
		if !strings.Contains(f.get("/inventory?q=test-1", s).Body.String(), `href="/inventory/1"`) {
			t.Error("search by SKU code failed")
		}
	})
}
