package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/catalog"
)

func (a *API) catalogRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/categories", Perm: permProductsRead, Tag: "catalog", Summary: "List the category tree",
			Reply: List[catalog.Category]{}, handle: a.listCategories},
		{Method: "POST", Path: "/categories", Perm: permProductsWrite, Tag: "catalog", Summary: "Create a category",
			Body: catalog.NewCategory{}, Status: http.StatusCreated, Reply: catalog.Category{}, handle: a.createCategory},
		{Method: "PUT", Path: "/categories/{id}", Perm: permProductsWrite, Tag: "catalog", Summary: "Change a category",
			Body: catalog.NewCategory{}, Reply: catalog.Category{}, handle: byID(func(ctx context.Context, id int64, in catalog.NewCategory) (any, error) {
				return a.Catalog.UpdateCategory(ctx, id, in)
			})},
		{Method: "GET", Path: "/products", Perm: permProductsRead, Tag: "catalog", Summary: "List and search products",
			Query: append([]Param{
				{"q", "string", "search: every word must occur in the Chinese or English title, a SKU code or a category name"},
				{"category_id", "integer", "this category and those below it"},
				{"status", "string", "draft, on_sale or off_shelf"},
				{"role", "string", "traffic, profit or longtail"},
			}, pageParams...),
			Reply: List[catalog.Product]{}, handle: a.listProducts},
		{Method: "POST", Path: "/products", Perm: permProductsWrite, Tag: "catalog", Summary: "Create a product with its SKUs",
			Body: catalog.ProductInput{}, Status: http.StatusCreated, Reply: catalog.Product{}, handle: a.createProduct},
		{Method: "GET", Path: "/products/{id}", Perm: permProductsRead, Tag: "catalog", Summary: "Get a product with its SKUs and stock",
			Reply: catalog.Product{}, handle: a.getProduct},
		{Method: "PUT", Path: "/products/{id}", Perm: permProductsWrite, Tag: "catalog", Summary: "Replace a product; SKUs are matched by code",
			Body: catalog.ProductInput{}, Reply: catalog.Product{}, handle: byID(func(ctx context.Context, id int64, in catalog.ProductInput) (any, error) {
				return a.Catalog.UpdateProduct(ctx, id, in)
			})},
		{Method: "PUT", Path: "/products/{id}/status", Perm: permProductsWrite, Tag: "catalog", Summary: "Put a product on sale, off the shelf or back to draft",
			Body: StatusInput{}, Reply: catalog.Product{}, handle: a.setProductStatus},
	}
}

// StatusInput changes a status.
type StatusInput struct {
	Status string `json:"status" doc:"draft, on_sale or off_shelf"`
}

func (a *API) listCategories(ctx context.Context, r *request) (any, error) {
	cats, err := a.Catalog.ListCategories(ctx)
	return listOf(cats, ""), err
}

func (a *API) createCategory(ctx context.Context, r *request) (any, error) {
	var in catalog.NewCategory
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Catalog.CreateCategory(ctx, in)
}

func (a *API) listProducts(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	cat, err := r.int64Query("category_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, next, err := a.Catalog.ListProducts(ctx, catalog.ProductFilter{
		Query: q.Get("q"), CategoryID: cat, Status: q.Get("status"), Role: q.Get("role"), Request: p})
	return listOf(items, next), err
}

func (a *API) createProduct(ctx context.Context, r *request) (any, error) {
	var in catalog.ProductInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Catalog.CreateProduct(ctx, in)
}

func (a *API) getProduct(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.Catalog.GetProduct(ctx, id)
}

func (a *API) setProductStatus(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in StatusInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if err := a.Catalog.SetStatus(ctx, id, in.Status); err != nil {
		return nil, err
	}
	return a.Catalog.GetProduct(ctx, id)
}
