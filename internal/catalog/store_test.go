package catalog_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/page"
)

var clock = time.Date(2026, 6, 18, 2, 0, 0, 0, time.UTC) // 618, 10:00 in Shanghai

func newService(d *db.DB) *catalog.Service {
	return &catalog.Service{DB: d, Now: func() time.Time { return clock }}
}

func operatorCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 7, Name: "小王"})
}

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func mustCreate(t *testing.T, s *catalog.Service, in catalog.ProductInput) catalog.Product {
	t.Helper()
	p, err := s.CreateProduct(operatorCtx(), in)
	if err != nil {
		t.Fatalf("CreateProduct(%s): %v", in.Title, err)
	}
	return p
}

func count(t *testing.T, d *db.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func codes(p catalog.Product) []string {
	var out []string
	for _, k := range p.SKUs {
		out = append(out, k.Code)
	}
	return out
}

func TestCreateProduct_WritesSKUsZeroStockAndAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		cat, err := s.CreateCategory(ctx, catalog.NewCategory{Name: "连衣裙", NameEn: "Dresses"})
		if err != nil {
			t.Fatal(err)
		}
		in := validInput()
		in.CategoryID = &cat.ID
		in.Attributes = map[string]string{"材质": "棉"}
		in.SKUs[0].Currency = " cny " // normalised, not refused
		p, err := s.CreateProduct(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetProduct(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "夏季碎花连衣裙" || got.TitleEn != "Floral Summer Dress" || got.Role != "profit" || got.Status != "draft" ||
			got.CategoryName != "连衣裙" || *got.CategoryID != cat.ID || got.Attributes["材质"] != "棉" ||
			!slices.Equal(got.Images, in.Images) || !got.CreatedAt.Equal(clock) {
			t.Fatalf("GetProduct = %+v", got)
		}
		if !slices.Equal(codes(got), []string{"DR-01-S", "DR-01-M"}) {
			t.Fatalf("SKUs %v", codes(got))
		}
		k := got.SKUs[0]
		if k.ProductID != p.ID || k.Spec != "红色 / S" || k.ListPrice != 19900 || k.CostPrice != 8000 || k.Currency != "CNY" ||
			k.OnHand != 0 || k.Reserved != 0 || k.Available != 0 || k.Attributes == nil {
			t.Fatalf("SKU = %+v", k)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM stock st JOIN skus k ON k.id = st.sku_id WHERE k.product_id = $1 AND st.on_hand = 0", p.ID); n != 2 {
			t.Fatalf("%d empty stock rows, want 2", n)
		}
		entries, err := audit.List(ctx, d, audit.Filter{Entity: "product"})
		if err != nil || len(entries) != 1 || entries[0].Action != "product.create" || entries[0].Actor.Name != "小王" || entries[0].After == nil {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
	})
}

func TestCreateProduct_RefusesBadReferencesWithoutWriting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		mustCreate(t, s, validInput())

		in := validInput()
		in.Title = "另一条裙子"
		in.SKUs[0].Code = "OTHER-1" // DR-01-M at skus[1] belongs to the first product
		_, err := s.CreateProduct(ctx, in)
		if fieldOf(err) != "skus[1].code" {
			t.Fatalf("reused code: %v, want a FieldError on skus[1].code", err)
		}
		in = validInput()
		in.SKUs = []catalog.SKUInput{{Code: "NEW-1", ListPrice: 100, Currency: "CNY"}}
		missing := int64(999)
		in.CategoryID = &missing
		if _, err := s.CreateProduct(ctx, in); fieldOf(err) != "category_id" {
			t.Fatalf("unknown category: %v", err)
		}
		in.CategoryID = nil
		in.SKUs[0].ListPrice = -1
		if _, err := s.CreateProduct(ctx, in); fieldOf(err) != "skus[0].list_price" {
			t.Fatalf("negative price: %v", err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM products"); n != 1 {
			t.Fatalf("%d products after refusals, want 1", n)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM skus"); n != 2 {
			t.Fatalf("%d SKUs after refusals, want 2", n)
		}
	})
}

func TestUpdateProduct_ReconcilesSKUsByCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		p := mustCreate(t, s, validInput())
		if err := s.SetStatus(ctx, p.ID, catalog.StatusOnSale); err != nil {
			t.Fatal(err)
		}
		keptID := p.SKUs[1].ID

		in := validInput()
		in.Title = "夏季碎花连衣裙 2026款"
		in.SKUs = []catalog.SKUInput{
			{Code: "DR-01-M", Spec: "红色 / M", ListPrice: 17900, CostPrice: 8000, Currency: "CNY"},
			{Code: "DR-01-L", Spec: "红色 / L", ListPrice: 19900, CostPrice: 8000, Currency: "CNY"},
		}
		got, err := s.UpdateProduct(ctx, p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "夏季碎花连衣裙 2026款" || got.Status != catalog.StatusOnSale {
			t.Fatalf("updated product %q status %q (empty status must keep on_sale)", got.Title, got.Status)
		}
		if !slices.Equal(codes(got), []string{"DR-01-M", "DR-01-L"}) {
			t.Fatalf("SKUs after update %v", codes(got))
		}
		if got.SKUs[0].ID != keptID || got.SKUs[0].ListPrice != 17900 {
			t.Fatalf("DR-01-M must keep its id %d and get the new price: %+v", keptID, got.SKUs[0])
		}
		if n := count(t, d, "SELECT COUNT(*) FROM stock st JOIN skus k ON k.id = st.sku_id WHERE k.code = 'DR-01-L'"); n != 1 {
			t.Fatal("new SKU has no stock row")
		}
		if n := count(t, d, "SELECT COUNT(*) FROM skus WHERE code = 'DR-01-S'"); n != 0 {
			t.Fatal("removed SKU still there")
		}
		entries, _ := audit.List(ctx, d, audit.Filter{Entity: "product", Action: "product.update"})
		if len(entries) != 1 || entries[0].Before == nil || entries[0].After == nil {
			t.Fatalf("audit = %+v", entries)
		}
		if _, err := s.UpdateProduct(ctx, 424242, in); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("update of a missing product: %v", err)
		}
	})
}

func TestUpdateProduct_RefusesRemovingSKUWithStockOrOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		p := mustCreate(t, s, validInput())
		stocked, ordered := p.SKUs[0], p.SKUs[1]
		if _, err := d.Exec(ctx, "UPDATE stock SET on_hand = 5 WHERE sku_id = $1", stocked.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO orders (id, order_no, status, items_total, total, created_at, updated_at)
			VALUES (1, 'SO-1', 'paid', 19900, 19900, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, line_total)
			VALUES (1, $1, $2, 'x', 1, 19900, 19900, 19900)`, ordered.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		for _, keep := range []catalog.SKUInput{validInput().SKUs[1], validInput().SKUs[0]} {
			in := validInput()
			in.Title = "changed"
			in.SKUs = []catalog.SKUInput{keep}
			_, err := s.UpdateProduct(ctx, p.ID, in)
			if !errors.Is(err, catalog.ErrSKUInUse) || !errors.Is(err, apperr.ErrConflict) {
				t.Fatalf("keeping only %s: %v, want ErrSKUInUse", keep.Code, err)
			}
		}
		got, _ := s.GetProduct(ctx, p.ID)
		if got.Title != validInput().Title || len(got.SKUs) != 2 || got.SKUs[0].OnHand != 5 {
			t.Fatalf("a refused update changed the product: %+v", got)
		}
	})
}

func TestSetStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		p := mustCreate(t, s, validInput())
		if err := s.SetStatus(ctx, p.ID, catalog.StatusOffShelf); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetProduct(ctx, p.ID); got.Status != catalog.StatusOffShelf {
			t.Fatalf("status %q", got.Status)
		}
		if err := s.SetStatus(ctx, p.ID, "sold_out"); fieldOf(err) != "status" {
			t.Fatalf("bad status: %v", err)
		}
		if err := s.SetStatus(ctx, 999, catalog.StatusOnSale); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("missing product: %v", err)
		}
		if entries, _ := audit.List(ctx, d, audit.Filter{Action: "product.status"}); len(entries) != 1 {
			t.Fatalf("%d status audit entries, want 1", len(entries))
		}
	})
}

func TestCategories_TreeRulesAndOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		mk := func(parent *int64, name string, sort int) catalog.Category {
			t.Helper()
			c, err := s.CreateCategory(ctx, catalog.NewCategory{ParentID: parent, Name: name, Sort: sort})
			if err != nil {
				t.Fatalf("CreateCategory(%s): %v", name, err)
			}
			return c
		}
		men := mk(nil, "男装", 2)
		women := mk(nil, "女装", 1)
		dresses := mk(&women.ID, "连衣裙", 0)
		floral := mk(&dresses.ID, "碎花", 0)
		tees := mk(&men.ID, "T恤", 0)

		list, err := s.ListCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list {
			names = append(names, c.Name)
		}
		if want := []string{"女装", "连衣裙", "碎花", "男装", "T恤"}; !slices.Equal(names, want) || list[2].Depth != 2 {
			t.Fatalf("ListCategories = %v (depth of 碎花 %d), want %v", names, list[2].Depth, want)
		}

		if _, err := s.CreateCategory(ctx, catalog.NewCategory{ParentID: &women.ID, Name: "连衣裙"}); fieldOf(err) != "name" {
			t.Fatalf("duplicate sibling name: %v", err)
		}
		if _, err := s.CreateCategory(ctx, catalog.NewCategory{ParentID: &men.ID, Name: "连衣裙"}); err != nil {
			t.Fatalf("same name under another parent: %v", err)
		}
		missing := int64(999)
		if _, err := s.CreateCategory(ctx, catalog.NewCategory{ParentID: &missing, Name: "x"}); fieldOf(err) != "parent_id" {
			t.Fatalf("missing parent: %v", err)
		}
		if _, err := s.UpdateCategory(ctx, women.ID, catalog.NewCategory{ParentID: &floral.ID, Name: "女装"}); fieldOf(err) != "parent_id" {
			t.Fatalf("moving under own descendant: %v", err)
		}
		if _, err := s.UpdateCategory(ctx, women.ID, catalog.NewCategory{ParentID: &women.ID, Name: "女装"}); fieldOf(err) != "parent_id" {
			t.Fatalf("moving under itself: %v", err)
		}
		moved, err := s.UpdateCategory(ctx, tees.ID, catalog.NewCategory{ParentID: &women.ID, Name: "T恤", NameEn: "Tees", Sort: 5})
		if err != nil || *moved.ParentID != women.ID || moved.NameEn != "Tees" {
			t.Fatalf("move T恤 under 女装: %+v, %v", moved, err)
		}
		if _, err := s.UpdateCategory(ctx, 999, catalog.NewCategory{Name: "x"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if entries, _ := audit.List(ctx, d, audit.Filter{Entity: "category"}); len(entries) != 7 {
			t.Fatalf("%d category audit entries, want 7 (6 creates, 1 update)", len(entries))
		}
	})
}

func TestSearch_ChineseAndEnglish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		women, err := s.CreateCategory(ctx, catalog.NewCategory{Name: "女装", NameEn: "Women"})
		if err != nil {
			t.Fatal(err)
		}
		dresses, err := s.CreateCategory(ctx, catalog.NewCategory{ParentID: &women.ID, Name: "裙装", NameEn: "Skirts & Dresses"})
		if err != nil {
			t.Fatal(err)
		}
		dress := validInput()
		dress.CategoryID = &dresses.ID
		dressID := mustCreate(t, s, dress).ID
		tee := catalog.ProductInput{Title: "男士100%纯棉T恤", TitleEn: "Men's Cotton Tee",
			SKUs: []catalog.SKUInput{{Code: "TEE_01", ListPrice: 5900, Currency: "CNY"}}}
		teeID := mustCreate(t, s, tee).ID

		search := func(q string) []int64 {
			t.Helper()
			ps, _, err := s.ListProducts(ctx, catalog.ProductFilter{Query: q})
			if err != nil {
				t.Fatalf("ListProducts(%q): %v", q, err)
			}
			var ids []int64
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		cases := []struct {
			query string
			want  []int64
		}{
			{"连衣裙", []int64{dressID}},
			{"dress", []int64{dressID}},
			{"DRESS", []int64{dressID}},
			{"碎花  summer", []int64{dressID}},
			{"碎花 tee", nil},
			{"dr-01-m", []int64{dressID}},
			{"女装", []int64{dressID}}, // the parent category's name
			{"women", []int64{dressID}},
			{"纯棉", []int64{teeID}},
			{"100%", []int64{teeID}},
			{"%", []int64{teeID}},   // a literal percent sign, not "anything"
			{"e_0", []int64{teeID}}, // tee_01; the underscore is literal too
			{"s_d", nil},            // would match "s d" if _ were a wildcard
			{"", []int64{teeID, dressID}},
		}
		for _, c := range cases {
			if got := search(c.query); !slices.Equal(got, c.want) {
				t.Errorf("search %q = %v, want %v", c.query, got, c.want)
			}
		}

		// Category names are part of the search text, so renaming one
		// re-indexes the products below it.
		if _, err := s.UpdateCategory(ctx, women.ID, catalog.NewCategory{Name: "女士服装", NameEn: "Ladies"}); err != nil {
			t.Fatal(err)
		}
		if got := search("ladies"); !slices.Equal(got, []int64{dressID}) {
			t.Errorf("after renaming the parent, search ladies = %v", got)
		}
		if got := search("women"); got != nil {
			t.Errorf("after renaming, the old name still finds %v", got)
		}
	})
}

func TestListProducts_FiltersAndPagesNewestFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := operatorCtx()
		s := newService(d)
		women, _ := s.CreateCategory(ctx, catalog.NewCategory{Name: "女装"})
		dresses, _ := s.CreateCategory(ctx, catalog.NewCategory{ParentID: &women.ID, Name: "连衣裙"})
		men, _ := s.CreateCategory(ctx, catalog.NewCategory{Name: "男装"})
		var ids []int64
		for i, c := range []struct {
			cat    int64
			role   string
			status string
		}{
			{women.ID, "traffic", "on_sale"},
			{dresses.ID, "profit", "on_sale"},
			{men.ID, "profit", "draft"},
			{dresses.ID, "longtail", "off_shelf"},
			{dresses.ID, "profit", "on_sale"},
		} {
			in := catalog.ProductInput{Title: "商品", Role: c.role, Status: c.status, CategoryID: &c.cat,
				SKUs: []catalog.SKUInput{{Code: "P" + string(rune('A'+i)), ListPrice: 100, Currency: "CNY"}}}
			ids = append(ids, mustCreate(t, s, in).ID)
		}
		list := func(f catalog.ProductFilter) ([]int64, string) {
			t.Helper()
			ps, next, err := s.ListProducts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
				if len(p.SKUs) != 1 {
					t.Fatalf("product %d listed with %d SKUs", p.ID, len(p.SKUs))
				}
			}
			return out, next
		}
		check := func(name string, f catalog.ProductFilter, want ...int64) {
			t.Helper()
			if got, _ := list(f); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("all", catalog.ProductFilter{}, ids[4], ids[3], ids[2], ids[1], ids[0])
		check("on sale", catalog.ProductFilter{Status: "on_sale"}, ids[4], ids[1], ids[0])
		check("profit", catalog.ProductFilter{Role: "profit"}, ids[4], ids[2], ids[1])
		check("女装 and below", catalog.ProductFilter{CategoryID: women.ID}, ids[4], ids[3], ids[1], ids[0])
		check("连衣裙 profit on sale", catalog.ProductFilter{CategoryID: dresses.ID, Role: "profit", Status: "on_sale"}, ids[4], ids[1])

		var seen []int64
		req := page.Request{Limit: 2}
		for pages := 1; ; pages++ {
			got, next := list(catalog.ProductFilter{Request: req})
			seen = append(seen, got...)
			if next == "" {
				if pages != 3 {
					t.Fatalf("%d pages of 2 for 5 products, want 3", pages)
				}
				break
			}
			r, err := page.Parse("2", next)
			if err != nil || pages > 3 {
				t.Fatalf("page %d: cursor %q: %v", pages, next, err)
			}
			req = r
		}
		if want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}; !slices.Equal(seen, want) {
			t.Fatalf("paged through %v, want %v", seen, want)
		}
		if _, _, err := s.ListProducts(ctx, catalog.ProductFilter{Status: "sold"}); fieldOf(err) != "status" {
			t.Fatalf("bad status filter: %v", err)
		}
	})
}

func TestGetSKU_ReturnsTheSKUWithItsProduct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(d)
		p := mustCreate(t, s, catalog.ProductInput{Title: "夏季碎花连衣裙", SKUs: []catalog.SKUInput{
			{Code: "D-S", Spec: "S", ListPrice: 29900, CostPrice: 11000},
			{Code: "D-M", Spec: "M", ListPrice: 29900, CostPrice: 11000},
		}})
		got, err := s.GetSKU(context.Background(), p.SKUs[1].ID)
		if err != nil || got.Code != "D-M" || got.ProductTitle != "夏季碎花连衣裙" || got.ProductID != p.ID {
			t.Fatalf("GetSKU = %+v, %v", got, err)
		}
		if _, err := s.GetSKU(context.Background(), 999999); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("GetSKU(missing) = %v, want not found", err)
		}
	})
}
