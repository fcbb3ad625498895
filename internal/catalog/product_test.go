package catalog_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
)

func validInput() catalog.ProductInput {
	return catalog.ProductInput{
		Title:   "夏季碎花连衣裙",
		TitleEn: "Floral Summer Dress",
		Role:    catalog.RoleProfit,
		Images:  []string{"https://img.example.com/a.jpg", "http://img.example.com/b.jpg"},
		SKUs: []catalog.SKUInput{
			{Code: "DR-01-S", Spec: "红色 / S", ListPrice: 19900, CostPrice: 8000, Currency: "CNY"},
			{Code: "DR-01-M", Spec: "红色 / M", ListPrice: 19900, CostPrice: 8000, Currency: "CNY"},
		},
	}
}

func TestProductInput_Validate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(in *catalog.ProductInput)
		field string // "" means valid
	}{
		{"valid", func(in *catalog.ProductInput) {}, ""},
		{"title of 200 characters", func(in *catalog.ProductInput) { in.Title = strings.Repeat("裙", 200) }, ""},
		{"cost above list price is allowed", func(in *catalog.ProductInput) { in.SKUs[0].CostPrice = 30000 }, ""},
		{"price at the maximum", func(in *catalog.ProductInput) { in.SKUs[0].ListPrice = catalog.MaxPrice }, ""},
		{"free gift at 0", func(in *catalog.ProductInput) { in.SKUs[1].ListPrice = 0 }, ""},
		{"empty title", func(in *catalog.ProductInput) { in.Title = "" }, "title"},
		{"title of 201 characters", func(in *catalog.ProductInput) { in.Title = strings.Repeat("裙", 201) }, "title"},
		{"unknown role", func(in *catalog.ProductInput) { in.Role = "hero" }, "role"},
		{"unknown status", func(in *catalog.ProductInput) { in.Status = "sold" }, "status"},
		{"no SKU", func(in *catalog.ProductInput) { in.SKUs = nil }, "skus"},
		{"duplicate code", func(in *catalog.ProductInput) { in.SKUs[1].Code = "DR-01-S" }, "skus[1].code"},
		{"empty code", func(in *catalog.ProductInput) { in.SKUs[0].Code = "" }, "skus[0].code"},
		{"code with a space", func(in *catalog.ProductInput) { in.SKUs[0].Code = "DR 01" }, "skus[0].code"},
		{"negative list price", func(in *catalog.ProductInput) { in.SKUs[1].ListPrice = -1 }, "skus[1].list_price"},
		{"list price above maximum", func(in *catalog.ProductInput) { in.SKUs[1].ListPrice = catalog.MaxPrice + 1 }, "skus[1].list_price"},
		{"negative cost", func(in *catalog.ProductInput) { in.SKUs[0].CostPrice = -5 }, "skus[0].cost_price"},
		{"currency in words", func(in *catalog.ProductInput) { in.SKUs[0].Currency = "yuan" }, "skus[0].currency"},
		{"lower-case currency is upper-cased", func(in *catalog.ProductInput) { in.SKUs[0].Currency = " cny" }, ""},
		{"empty currency means CNY", func(in *catalog.ProductInput) { in.SKUs[0].Currency = "" }, ""},
		{"title of spaces", func(in *catalog.ProductInput) { in.Title = "   " }, "title"},
		{"negative weight", func(in *catalog.ProductInput) { in.SKUs[0].WeightG = -1 }, "skus[0].weight_g"},
		{"ftp image", func(in *catalog.ProductInput) { in.Images[1] = "ftp://img.example.com/b.jpg" }, "images[1]"},
		{"image without host", func(in *catalog.ProductInput) { in.Images[0] = "https:///a.jpg" }, "images[0]"},
		{"image path only", func(in *catalog.ProductInput) { in.Images[0] = "/a.jpg" }, "images[0]"},
		{"empty attribute name", func(in *catalog.ProductInput) { in.Attributes = map[string]string{" ": "x"} }, "attributes"},
		{"SKU attribute too long", func(in *catalog.ProductInput) {
			in.SKUs[1].Attributes = map[string]string{"颜色": strings.Repeat("红", 501)}
		}, "skus[1].attributes.颜色"},
		{"bad category id", func(in *catalog.ProductInput) { zero := int64(0); in.CategoryID = &zero }, "category_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput()
			c.edit(&in)
			err := in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want valid", err)
				}
				return
			}
			var fe *apperr.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a FieldError on %s", err, c.field)
			}
			if fe.Field != c.field || fe.Message == "" {
				t.Fatalf("Validate() field %q (%s), want %q", fe.Field, fe.Message, c.field)
			}
		})
	}
}

func TestSearchText_LowerCasesTitlesCodesAndCategories(t *testing.T) {
	got := catalog.SearchText("夏季碎花连衣裙", " Floral Summer Dress ", []string{"DR-01-S", "DR-01-M"}, []string{"连衣裙", "", "女装", "Women"})
	want := "夏季碎花连衣裙 floral summer dress dr-01-s dr-01-m 连衣裙 女装 women"
	if got != want {
		t.Fatalf("SearchText = %q\nwant         %q", got, want)
	}
}

func TestTreeOrder_ParentsBeforeChildrenSiblingsBySort(t *testing.T) {
	id := func(v int64) *int64 { return &v }
	cats := []catalog.Category{
		{ID: 5, ParentID: id(1), Name: "半身裙", Sort: 2},
		{ID: 2, Name: "男装", Sort: 2},
		{ID: 4, ParentID: id(1), Name: "连衣裙", Sort: 1},
		{ID: 1, Name: "女装", Sort: 1},
		{ID: 6, ParentID: id(4), Name: "碎花", Sort: 0},
		{ID: 3, ParentID: id(2), Name: "T恤"},
		{ID: 7, ParentID: id(99), Name: "孤儿"}, // parent not loaded: shown at the top
	}
	got := catalog.TreeOrder(cats)
	var order []int64
	var depths []int
	for _, c := range got {
		order = append(order, c.ID)
		depths = append(depths, c.Depth)
	}
	wantOrder := []int64{7, 1, 4, 6, 5, 2, 3}
	wantDepth := []int{0, 0, 1, 2, 1, 0, 1}
	if !slices.Equal(order, wantOrder) || !slices.Equal(depths, wantDepth) {
		t.Fatalf("TreeOrder ids %v depths %v, want %v %v", order, depths, wantOrder, wantDepth)
	}
}
