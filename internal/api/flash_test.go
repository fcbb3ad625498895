package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// An operator creates a flash sale of 2 units; the storefront lists it,
// two buyers get it at the flash price, the third is told it is sold out;
// ending it gives nothing back (all sold) and it leaves the storefront.
func TestFlashSalesAPI_CreateListBuySoldOutEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		svc := &flash.Service{DB: d, Inventory: f.a.Inventory}
		f.a.Flash = svc
		f.a.Orders.Pricer = flash.Pricer{Flash: svc, Next: price.ListPricer{DB: d}}
		f.a.Orders.Hooks = []order.Hook{flash.Hook{Flash: svc}}
		now := time.Now().UTC()
		in := map[string]any{"name": "零点秒杀", "starts_at": now.Add(-time.Minute), "ends_at": now.Add(time.Hour),
			"per_customer_limit": 1, "items": []map[string]any{{"sku_id": f.sku, "flash_price": 990, "stock": 2}}}
		if st, b := f.call("viewer", "POST", "/api/v1/flash-sales", in); st != http.StatusForbidden {
			t.Errorf("viewer creates a flash sale: %d %s", st, b)
		}
		bad := map[string]any{"name": "反了", "starts_at": now.Add(time.Hour), "ends_at": now,
			"items": []map[string]any{{"sku_id": f.sku, "flash_price": 990, "stock": 2}}}
		if st, b := f.call("operator", "POST", "/api/v1/flash-sales", bad); st != 422 || !strings.Contains(string(b), `"field":"ends_at"`) {
			t.Errorf("reversed dates: %d %s", st, b)
		}
		st, b := f.call("operator", "POST", "/api/v1/flash-sales", in)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %s", st, b)
		}
		sale := decodeAs[flash.Sale](t, b)
		if sale.Status != flash.Active || sale.Items[0].Left != 2 || f.stock().Reserved != 2 {
			t.Errorf("created: %+v, stock %+v", sale, f.stock())
		}
		st, b = f.storeCall("", nil, "GET", "/api/v1/store/flash-sales", nil)
		if list := decodeAs[api.StoreFlashSales](t, b); st != 200 || len(list.Sales) != 1 || list.Sales[0].Items[0].FlashPrice != 990 {
			t.Fatalf("storefront list: %d %s", st, b)
		}
		body := map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}, "ship_to": shipTo}
		for i, phone := range []string{"13800138001", "13800138002"} {
			s := f.shopper("买家", phone, nil)
			st, b := f.storeCall(s.Token, map[string]string{api.HeaderIdempotencyKey: "fs-" + phone}, "POST", "/api/v1/store/checkout", body)
			o := decodeAs[api.StoreOrder](t, b)
			if st != 201 || o.ItemsTotal-o.DiscountTotal != 990 {
				t.Fatalf("buyer %d: %d %s", i, st, b)
			}
		}
		s := f.shopper("晚到的", "13800138003", nil)
		if st, b := f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", body); st != http.StatusConflict || !strings.Contains(string(b), "sold out") {
			t.Errorf("third buyer: %d %s", st, b)
		}
		st, b = f.call("operator", "POST", "/api/v1/flash-sales/"+itoa(sale.ID)+"/end", nil)
		if ended := decodeAs[flash.Sale](t, b); st != 200 || ended.Status != flash.Ended || ended.Items[0].Sold != 2 {
			t.Errorf("end: %d %s", st, b)
		}
		if _, b := f.storeCall("", nil, "GET", "/api/v1/store/flash-sales", nil); len(decodeAs[api.StoreFlashSales](t, b).Sales) != 0 {
			t.Errorf("an ended sale is still listed: %s", b)
		}
		if st, b := f.call("viewer", "GET", "/api/v1/flash-sales", nil); st != 200 || !strings.Contains(string(b), "零点秒杀") {
			t.Errorf("viewer lists: %d %s", st, b)
		}
	})
}
