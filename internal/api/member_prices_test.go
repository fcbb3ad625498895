package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/tier"
)

// placeInTier puts a customer at a tier as a payment's upgrade would.
func placeInTier(t *testing.T, d *db.DB, customerID int64, code string) {
	t.Helper()
	if _, err := d.Exec(context.Background(), `INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at) VALUES ($1, $2, 0, 1, 1)`,
		customerID, code); err != nil {
		t.Fatal(err)
	}
}

// 金卡价: an operator sets the T-shirt's gold price ¥50 (list ¥59); a gold
// buyer's quote charges it instead of gold's 5% off and says so, a silver
// buyer still gets silver's 2% off, a guest pays list. A gold price above
// what the 5% would leave still applies (the member price replaces the
// rate). Prices above list, at 0 or for a tier not on the ladder are
// refused, and so is a list price lowered under a member price.
func TestMemberPrices_SetAndPriceForTheBuyersTier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		f.a.Orders.Pricer = &promotion.Pricer{DB: d}
		if st, b := f.call("operator", "PUT", "/api/v1/tiers", tier.Default()); st != 200 {
			t.Fatalf("save ladder (makes the tier discount promotion): %d %s", st, b)
		}
		path := "/api/v1/skus/" + itoa(f.sku) + "/member-prices"
		for _, c := range []struct {
			name   string
			prices map[string]int64
			field  string
		}{
			{"above list", map[string]int64{"gold": 5901}, "member_prices.gold"},
			{"zero", map[string]int64{"silver": 0}, "member_prices.silver"},
			{"negative", map[string]int64{"gold": -100}, "member_prices.gold"},
			{"not a tier", map[string]int64{"diamond": 5000}, "member_prices.diamond"},
		} {
			st, b := f.call("operator", "PUT", path, map[string]any{"member_prices": c.prices})
			if st != 422 || !strings.Contains(string(b), `"field":"`+c.field+`"`) {
				t.Errorf("%s: %d %s", c.name, st, b)
			}
		}
		if st, b := f.call("viewer", "PUT", path, map[string]any{"member_prices": map[string]int64{"gold": 5000}}); st != http.StatusForbidden {
			t.Errorf("viewer sets a member price: %d %s", st, b)
		}
		st, b := f.call("operator", "PUT", path, map[string]any{"member_prices": map[string]int64{"gold": 5000}})
		if k := decodeAs[catalog.SKURef](t, b); st != 200 || k.MemberPrices["gold"] != 5000 || len(k.MemberPrices) != 1 {
			t.Fatalf("set gold price: %d %s", st, b)
		}
		st, b = f.call("viewer", "GET", "/api/v1/skus/"+itoa(f.sku), nil)
		if k := decodeAs[catalog.SKURef](t, b); st != 200 || k.MemberPrices["gold"] != 5000 {
			t.Errorf("read SKU: %d %s", st, b)
		}

		gold := f.shopper("金会员", "13800138101", nil)
		placeInTier(t, d, gold.CustomerID, "gold")
		silver := f.shopper("银会员", "13800138102", nil)
		placeInTier(t, d, silver.CustomerID, "silver")
		quote := func(token string) api.Quote {
			t.Helper()
			st, b := f.storeCall(token, nil, "POST", "/api/v1/store/quote", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 2}}})
			if st != 200 {
				t.Fatalf("quote: %d %s", st, b)
			}
			return decodeAs[api.Quote](t, b)
		}
		q := quote(gold.Token)
		if q.Total != 10000 || q.Lines[0].UnitPrice != 5000 || !strings.Contains(strings.Join(q.Explanation, "\n"), "会员价 member price −¥18.00") {
			t.Errorf("gold pays the gold price: %+v", q.Priced)
		}
		for _, a := range q.Applied {
			if a.Kind == "promotion" {
				t.Errorf("the tier discount applied on top of the member price: %+v", q.Applied)
			}
		}
		if q = quote(silver.Token); q.Total != 11564 || !strings.Contains(strings.Join(q.Explanation, "\n"), "会员等级折扣") {
			t.Errorf("silver has no member price and gets 2%% off: %+v", q.Priced)
		}
		if q = quote(""); q.Total != 11800 {
			t.Errorf("a guest pays list: %+v", q.Priced)
		}
		// ¥58 is more than gold's 5% off (¥56.05) would leave: still ¥58.
		if st, b := f.call("operator", "PUT", path, map[string]any{"member_prices": map[string]int64{"gold": 5800, "silver": 5900}}); st != 200 {
			t.Fatalf("raise gold price: %d %s", st, b)
		}
		if q = quote(gold.Token); q.Total != 11600 {
			t.Errorf("the gold price replaces the lower tier rate: %+v", q.Priced)
		}
		if q = quote(silver.Token); q.Total != 11800 {
			t.Errorf("a member price at list keeps the SKU out of silver's rate: %+v", q.Priced)
		}

		st, b = f.call("admin", "GET", "/api/v1/products/"+itoa(skuProduct(t, d, f.sku)), nil)
		p := decodeAs[catalog.Product](t, b)
		in := catalog.ProductInput{Title: p.Title, Status: p.Status, SKUs: []catalog.SKUInput{{Code: p.SKUs[0].Code, Spec: p.SKUs[0].Spec, ListPrice: 5700, CostPrice: 2000}}}
		if st, b := f.call("admin", "PUT", "/api/v1/products/"+itoa(p.ID), in); st != 422 || !strings.Contains(string(b), `"field":"skus[0].list_price"`) {
			t.Errorf("list price under the member prices: %d %s", st, b)
		}
		if st, b := f.call("operator", "PUT", path, map[string]any{"member_prices": map[string]int64{}}); st != 200 || strings.Contains(string(b), `"gold"`) {
			t.Errorf("remove member prices: %d %s", st, b)
		}
		if st, b := f.call("admin", "PUT", "/api/v1/products/"+itoa(p.ID), in); st != 200 {
			t.Errorf("list price without member prices: %d %s", st, b)
		}
	})
}

func skuProduct(t *testing.T, d *db.DB, sku int64) int64 {
	t.Helper()
	var id int64
	if err := d.QueryRow(context.Background(), `SELECT product_id FROM skus WHERE id = $1`, sku).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
