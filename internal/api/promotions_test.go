package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/promo"
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

// A storefront checkout priced by the engine answers what each promotion
// took, and so does the order's page.
func TestStoreCheckout_ListsTheOrdersPromotions(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	f.loadSpec()
	ctx := context.Background()
	f.a.Orders.Pricer = &promotion.Pricer{DB: d}
	f.a.Orders.Hooks = append(f.a.Orders.Hooks, promotion.Hook{})
	p, err := f.a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: "D-9", ListPrice: 35000, CostPrice: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	sku := p.SKUs[0].ID
	if _, err := f.a.Inventory.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		t.Fatal(err)
	}
	s := &promotion.Service{DB: d}
	cut, err := s.Create(ctx, promotion.Input{Promotion: promo.Promotion{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder,
		Levels: []promo.Level{{Threshold: 30000, Off: 5000}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Schedule(ctx, cut.ID); err != nil {
		t.Fatal(err)
	}
	token := f.customerToken()
	st, body := f.storeCall(token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": sku, "quantity": 1}},
		"ship_to": map[string]string{"recipient": "张三", "phone": "13800138000", "province": "上海", "city": "上海", "district": "浦东新区", "detail": "世纪大道 1 号"}})
	o := decodeAs[api.StoreOrder](t, body)
	if st != 201 || o.DiscountTotal != 5000 || len(o.Promotions) != 1 || o.Promotions[0].PromotionID != cut.ID || o.Promotions[0].Off != 5000 {
		t.Fatalf("checkout: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "GET", "/api/v1/store/orders/"+itoa(o.ID), nil)
	if got := decodeAs[api.StoreOrder](t, body); st != 200 || len(got.Promotions) != 1 || got.Promotions[0].Name != "满300减50" {
		t.Fatalf("order page: %d %s", st, body)
	}
}
