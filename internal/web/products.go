package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/page"
)

type productRow struct {
	catalog.Product
	MinPrice, MaxPrice int64
	OnHand, Available  int64
}

type productsPage struct {
	Query      string
	Status     string
	Role       string
	CategoryID int64
	Categories []catalog.Category
	Statuses   []string
	Roles      []string
	Rows       []productRow
	Next       string // URL of the next page, "" on the last
	Error      string
}

var (
	productStatuses = []string{catalog.StatusDraft, catalog.StatusOnSale, catalog.StatusOffShelf}
	productRoles    = []string{catalog.RoleTraffic, catalog.RoleProfit, catalog.RoleLongtail}
)

func (c *Console) products(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := productsPage{Query: q.Get("q"), Statuses: productStatuses, Roles: productRoles}
	if s := q.Get("status"); catalog.ValidStatus(s) {
		pg.Status = s
	}
	if s := q.Get("role"); catalog.ValidRole(s) {
		pg.Role = s
	}
	pg.CategoryID = parseID(q.Get("category"))
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		pg.Error = tr(v, "err.bad_cursor")
		req = page.Request{Limit: page.DefaultLimit}
	}
	req.Limit = 30
	list, next, err := c.Catalog.ListProducts(r.Context(), catalog.ProductFilter{
		Query: pg.Query, Status: pg.Status, Role: pg.Role, CategoryID: pg.CategoryID, Request: req,
	})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, p := range list {
		pg.Rows = append(pg.Rows, summarizeProduct(p))
	}
	if next != "" {
		pg.Next = "/products?" + withCursor(q, next)
	}
	if pg.Categories, err = c.Catalog.ListCategories(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	if isHTMX(r, "product-table") {
		c.renderBlock(w, r, http.StatusOK, "products", "product_table", tr(v, "nav.products"), "products", pg)
		return
	}
	c.render(w, r, http.StatusOK, "products", tr(v, "nav.products"), "products", pg)
}

func summarizeProduct(p catalog.Product) productRow {
	row := productRow{Product: p}
	for i, k := range p.SKUs {
		if i == 0 || k.ListPrice < row.MinPrice {
			row.MinPrice = k.ListPrice
		}
		if k.ListPrice > row.MaxPrice {
			row.MaxPrice = k.ListPrice
		}
		row.OnHand += k.OnHand
		row.Available += k.Available
	}
	return row
}

// withCursor is q with the cursor of the next page and without htmx's own
// parameters, as a query string.
func withCursor(q url.Values, cursor string) string {
	out := url.Values{}
	for k, vs := range q {
		if k != "cursor" && len(vs) > 0 && vs[0] != "" {
			out.Set(k, vs[0])
		}
	}
	out.Set("cursor", cursor)
	return out.Encode()
}

// idString formats an optional id for a form field.
func idString(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}
