package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func productValues(title, code, list, cost string) url.Values {
	return url.Values{
		"title": {title}, "title_en": {"Floral dress"}, "category_id": {""}, "role": {"profit"}, "status": {"on_sale"},
		"description": {"夏季新款"}, "images": {"https://img.example.com/a.jpg\n\nhttps://img.example.com/b.jpg\n"},
		"sku_code": {code, ""}, "sku_spec": {"红色 / M", ""}, "sku_list_price": {list, ""}, "sku_cost_price": {cost, ""},
	}
}

func TestProductForm_CreateEditRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		s := f.login("yunying")
		ctx := context.Background()

		w := f.post("/products", productValues("夏季碎花连衣裙", "DRESS-RED-M", "199.9", "0.29"), s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create: status %d: %s", w.Code, w.Body.String())
		}
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/products/") {
			t.Fatalf("create redirected to %q", loc)
		}
		list, _, err := f.console.Catalog.ListProducts(ctx, catalog.ProductFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("products after create: %v, %v", list, err)
		}
		p := list[0]
		// 199.9 元 and 0.29 元 in 分, exactly (0.29 as a float is 0.28999…).
		if len(p.SKUs) != 1 || p.SKUs[0].ListPrice != 19990 || p.SKUs[0].CostPrice != 29 {
			t.Fatalf("saved SKUs %+v, want list 19990 cost 29", p.SKUs)
		}
		if p.Title != "夏季碎花连衣裙" || p.Role != "profit" || p.Status != "on_sale" || len(p.Images) != 2 {
			t.Errorf("saved product %+v", p)
		}

		// The page after the redirect shows the flash and the prices in 元.
		w = f.get(loc, s, cookieNamed(w, flashCookie))
		mustContain(t, w.Body.String(), "商品已创建", `value="199.90"`, `value="0.29"`, `value="DRESS-RED-M"`)

		// Edit: a third decimal is refused next to that field, nothing saved.
		w = f.post(loc, productValues("夏季碎花连衣裙 改", "DRESS-RED-M", "12.345", "5"), s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad price: status %d, want 422", w.Code)
		}
		body := w.Body.String()
		mustContain(t, body, `name="sku_list_price" value="12.345"`, "最多两位小数", `value="夏季碎花连衣裙 改"`)
		// The message sits in the list price cell of that row.
		cell := body[strings.Index(body, `value="12.345"`):]
		cell = cell[:strings.Index(cell, "</td>")]
		if !strings.Contains(cell, `aria-invalid="true"`) || !strings.Contains(cell, "field-error") {
			t.Errorf("error not next to the list price field: %s", cell)
		}
		got, err := f.console.Catalog.GetProduct(ctx, p.ID)
		if err != nil || got.Title != "夏季碎花连衣裙" || got.SKUs[0].ListPrice != 19990 {
			t.Fatalf("a refused form changed the product: %+v %v", got, err)
		}

		// A rule of the catalog (a title is needed) shows on its field.
		w = f.post(loc, productValues("", "DRESS-RED-M", "12.00", "5"), s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("empty title: status %d, want 422", w.Code)
		}
		body = w.Body.String()
		titleField := body[strings.Index(body, `id="title"`):]
		titleField = titleField[:strings.Index(titleField, "</div>")]
		if !strings.Contains(titleField, "field-error") {
			t.Errorf("empty title: no error at the title field: %s", titleField)
		}

		// What the form does not show survives an edit through it.
		f.exec(`UPDATE products SET attributes = '{"材质":"棉"}' WHERE id = $1`, p.ID)
		f.exec(`UPDATE skus SET barcode = '6901234567892', weight_g = 250 WHERE code = 'DRESS-RED-M'`)

		// A good edit saves, and adds a second SKU from a blank row.
		form := productValues("夏季碎花连衣裙 改", "DRESS-RED-M", "1,299.50", "5")
		form["sku_code"] = []string{"DRESS-RED-M", "DRESS-RED-L"}
		form["sku_spec"] = []string{"红色 / M", "红色 / L"}
		form["sku_list_price"] = []string{"1,299.50", "¥88"}
		form["sku_cost_price"] = []string{"5", "40.1"}
		w = f.post(loc, form, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("edit: status %d: %s", w.Code, w.Body.String())
		}
		got, _ = f.console.Catalog.GetProduct(ctx, p.ID)
		if got.Title != "夏季碎花连衣裙 改" || len(got.SKUs) != 2 {
			t.Fatalf("after edit: %+v", got)
		}
		prices := map[string][2]int64{}
		for _, k := range got.SKUs {
			prices[k.Code] = [2]int64{k.ListPrice, k.CostPrice}
		}
		if prices["DRESS-RED-M"] != [2]int64{129950, 500} || prices["DRESS-RED-L"] != [2]int64{8800, 4010} {
			t.Errorf("prices after edit %v", prices)
		}
		if got.Attributes["材质"] != "棉" {
			t.Errorf("product attributes lost: %v", got.Attributes)
		}
		for _, k := range got.SKUs {
			if k.Code == "DRESS-RED-M" && (k.Barcode != "6901234567892" || k.WeightG != 250) {
				t.Errorf("SKU barcode and weight lost: %+v", k)
			}
		}
	})
}

func TestProducts_LiveSearchReturnsOnlyTheTable(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("yunying", auth.RoleOperator)
	s := f.login("yunying")
	for code, title := range map[string]string{"DRESS-1": "夏季碎花连衣裙", "SHIRT-1": "男士衬衫"} {
		if w := f.post("/products", productValues(title, code, "10", "5"), s); w.Code != http.StatusSeeOther {
			t.Fatalf("create %s: %d %s", title, w.Code, w.Body.String())
		}
	}
	w := f.do(request{path: "/products?q=" + url.QueryEscape("连衣裙"), cookies: []*http.Cookie{s},
		header: map[string]string{"HX-Request": "true", "HX-Target": "product-table"}})
	body := w.Body.String()
	if w.Code != http.StatusOK || strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<div id="product-table">`) {
		t.Fatalf("htmx search: status %d, body %s", w.Code, body)
	}
	if !strings.Contains(body, "夏季碎花连衣裙") || strings.Contains(body, "男士衬衫") {
		t.Errorf("search for 连衣裙 found the wrong products: %s", body)
	}
	// The same URL without htmx is the whole page, with the search filled in.
	w = f.get("/products?q="+url.QueryEscape("连衣裙"), s)
	mustContain(t, w.Body.String(), "<html", `value="连衣裙"`, `hx-trigger="keyup changed delay:300ms`)
}

func TestProducts_ReadOnlyRoleSeesNoSaveButton(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("viewer", auth.RoleViewer)
	f.seedOneOfEach()
	s := f.login("viewer")
	body := f.get("/products/1", s).Body.String()
	if !strings.Contains(body, "<fieldset disabled>") || strings.Contains(body, `type="submit">保存`) {
		t.Error("a viewer gets an editable product form")
	}
	if strings.Contains(f.get("/products", s).Body.String(), `href="/products/new"`) {
		t.Error("a viewer sees the new product button")
	}
}

func TestCSRF_CrossSitePostIsRefused(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("yunying", auth.RoleOperator)
	s := f.login("yunying")
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		w := f.do(request{method: http.MethodPost, path: "/products", form: productValues("跨站商品", "EVIL-1", "1", "1"),
			cookies: []*http.Cookie{s}, header: h})
		if w.Code != http.StatusForbidden {
			t.Errorf("%v: status %d, want 403", h, w.Code)
		}
	}
	list, _, err := f.console.Catalog.ListProducts(context.Background(), catalog.ProductFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("a cross-site post saved %v (%v)", list, err)
	}
	// Same-origin posts go through.
	w := f.do(request{method: http.MethodPost, path: "/products", form: productValues("本站商品", "OK-1", "1", "1"),
		cookies: []*http.Cookie{s}, header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if w.Code != http.StatusSeeOther {
		t.Errorf("same-origin post: status %d", w.Code)
	}
	// A cross-site GET is a link, and fine.
	if w := f.do(request{path: "/products", cookies: []*http.Cookie{s}, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}); w.Code != http.StatusOK {
		t.Errorf("cross-site GET: status %d", w.Code)
	}
}
