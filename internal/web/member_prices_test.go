package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// An operator sets 金卡价 ¥89 on a ¥99 SKU from the product page; a price
// above list is shown next to its cell and nothing of the form is saved;
// clearing the cell removes the price.
func TestMemberPriceForm_SaveRefuseClear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		s := f.login("yunying")
		ctx := context.Background()
		p, err := f.console.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "碎花连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "DR-S", ListPrice: 9900}, {Code: "DR-M", ListPrice: 9900}}})
		if err != nil {
			t.Fatal(err)
		}
		loc := "/products/" + strconv.FormatInt(p.ID, 10)
		s1, s2 := p.SKUs[0].ID, p.SKUs[1].ID
		name := func(sku int64, tier string) string { return "mp." + strconv.FormatInt(sku, 10) + "." + tier }

		w := f.get(loc, s)
		mustContain(t, w.Body.String(), "会员价", `name="`+name(s1, "gold")+`"`, `name="`+name(s2, "platinum")+`"`, "金卡会员")

		w = f.post(loc+"/member-prices", url.Values{name(s1, "gold"): {"89"}, name(s2, "gold"): {"89"}, name(s2, "platinum"): {"120"}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("above list: status %d", w.Code)
		}
		mustContain(t, w.Body.String(), "above the list price", `value="120"`)
		if got := f.skuPrices(t, s1); len(got) != 0 {
			t.Errorf("a refused form saved %v", got)
		}

		w = f.post(loc+"/member-prices", url.Values{name(s1, "gold"): {"89"}, name(s2, "platinum"): {"79.5"}}, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("save: status %d: %s", w.Code, w.Body.String())
		}
		if got := f.skuPrices(t, s1); got["gold"] != 8900 || len(got) != 1 {
			t.Errorf("SKU 1 prices %v", got)
		}
		if got := f.skuPrices(t, s2); got["platinum"] != 7950 || len(got) != 1 {
			t.Errorf("SKU 2 prices %v", got)
		}
		w = f.get(loc, s, cookieNamed(w, flashCookie))
		mustContain(t, w.Body.String(), "会员价已保存", `value="89.00"`, `value="79.50"`)

		if w = f.post(loc+"/member-prices", url.Values{name(s1, "gold"): {""}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("clear: status %d", w.Code)
		}
		if got := f.skuPrices(t, s1); len(got) != 0 {
			t.Errorf("cleared SKU 1 still has %v", got)
		}
		f.addOperator("kanban", auth.RoleViewer)
		if w = f.post(loc+"/member-prices", url.Values{name(s1, "gold"): {"50"}}, f.login("kanban")); w.Code != http.StatusForbidden {
			t.Errorf("viewer saves member prices: %d", w.Code)
		}
	})
}

func (f *fixture) skuPrices(t *testing.T, sku int64) catalog.MemberPrices {
	t.Helper()
	k, err := f.console.Catalog.GetSKU(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	return k.MemberPrices
}
