package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/promotion"
)

func TestPromotionsAPI_CreateScheduleTryCalendarResults(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	ctx := context.Background()
	p, err := f.a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: "D-1", ListPrice: 35000, CostPrice: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	sku := p.SKUs[0].ID

	// A threshold below its discount is refused, naming the field.
	st, body := f.call("operator", "POST", "/api/v1/promotions", map[string]any{"name": "满30减50", "kind": "fixed_off", "scope": "order",
		"amount": 5000, "threshold": 3000})
	if st != 422 || !strings.Contains(string(body), `"amount"`) {
		t.Fatalf("threshold below discount: %d %s", st, body)
	}
	// Dates reversed.
	st, body = f.call("operator", "POST", "/api/v1/promotions", map[string]any{"name": "满300减50", "kind": "tiered_off", "scope": "order",
		"levels": []map[string]int64{{"threshold": 30000, "off": 5000}}, "starts_at": "2026-06-18T00:00:00Z", "ends_at": "2026-06-01T00:00:00Z"})
	if st != 422 || !strings.Contains(string(body), "ends_at") {
		t.Fatalf("dates reversed: %d %s", st, body)
	}
	if st, _ := f.call("viewer", "POST", "/api/v1/promotions", map[string]any{"name": "x"}); st != 403 {
		t.Fatalf("viewer creates: %d", st)
	}
	st, body = f.call("operator", "POST", "/api/v1/promotions", map[string]any{"name": "满300减50", "kind": "tiered_off", "scope": "order",
		"levels": []map[string]int64{{"threshold": 30000, "off": 5000}}})
	created := decodeAs[promotion.Promotion](t, body)
	if st != 201 || created.Status != promotion.StatusDraft {
		t.Fatalf("create: %d %s", st, body)
	}
	id := itoa(created.ID)
	st, body = f.call("operator", "POST", "/api/v1/promotions/"+id+"/schedule", nil)
	if got := decodeAs[promotion.Promotion](t, body); st != 200 || got.Status != promotion.StatusActive {
		t.Fatalf("schedule: %d %s", st, body)
	}
	if st, body := f.call("operator", "POST", "/api/v1/promotions/"+id+"/resume", nil); st != 409 {
		t.Fatalf("resume an active promotion: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/promotions?status=active", nil)
	if list := decodeAs[struct{ Items []promotion.Promotion }](t, body); st != 200 || len(list.Items) != 1 {
		t.Fatalf("list active: %d %s", st, body)
	}

	// Try a cart: the engine's steps, and the explanation.
	st, body = f.call("finance", "POST", "/api/v1/promotions/preview", map[string]any{"lines": []map[string]int64{{"sku_id": sku, "quantity": 1}}})
	pv := decodeAs[promotion.Preview](t, body)
	if st != 200 || pv.Total != 30000 || len(pv.Steps) != 1 || pv.Steps[0].PromotionID != created.ID || len(pv.Explanation) == 0 {
		t.Fatalf("preview: %d %s", st, body)
	}

	st, body = f.call("designer", "GET", "/api/v1/promotions/calendar?from="+time.Now().Format("2006-01-02"), nil)
	if cal := decodeAs[struct{ Promotions []promotion.Promotion }](t, body); st != 200 || len(cal.Promotions) != 1 {
		t.Fatalf("calendar: %d %s", st, body)
	}
	if st, body := f.call("viewer", "GET", "/api/v1/promotions/calendar?from=618", nil); st != 400 {
		t.Fatalf("bad day: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/promotions/"+id+"/results", nil)
	if res := decodeAs[promotion.Results](t, body); st != 200 || res.Orders != 0 {
		t.Fatalf("results: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/promotions/"+id+"/end", nil)
	if got := decodeAs[promotion.Promotion](t, body); st != 200 || got.Status != promotion.StatusEnded {
		t.Fatalf("end: %d %s", st, body)
	}
}
