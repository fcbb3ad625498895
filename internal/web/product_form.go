package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
)

// blankSKURows are the empty SKU rows the form offers for new variants, so
// adding one needs no JavaScript.
const blankSKURows = 2

// skuRow is one SKU line of the form, as typed (prices are text until saved).
type skuRow struct {
	Code, Spec           string
	ListPrice, CostPrice string
	OnHand, Available    int64
	Existing             bool
}

type productForm struct {
	ID          int64
	Title       string
	TitleEn     string
	CategoryID  string
	Role        string
	Status      string
	Description string
	Images      string
	SKUs        []skuRow
	CreatedAt   any
	UpdatedAt   any

	Categories []catalog.Category
	Statuses   []string
	Roles      []string
	Errors     map[string]string // field name as the service names it → message
	Error      string            // a message that belongs to no field
	// MemberPrices is the member prices form of a saved product.
	MemberPrices *memberPriceForm
}

func (f *productForm) fill(p catalog.Product) {
	f.ID, f.Title, f.TitleEn = p.ID, p.Title, p.TitleEn
	f.CategoryID, f.Role, f.Status = idString(p.CategoryID), p.Role, p.Status
	f.Description, f.Images = p.Description, strings.Join(p.Images, "\n")
	f.CreatedAt, f.UpdatedAt = p.CreatedAt, p.UpdatedAt
	f.SKUs = f.SKUs[:0]
	for _, k := range p.SKUs {
		f.SKUs = append(f.SKUs, skuRow{Code: k.Code, Spec: k.Spec, ListPrice: formatYuan(k.ListPrice),
			CostPrice: formatYuan(k.CostPrice), OnHand: k.OnHand, Available: k.Available, Existing: true})
	}
}

func (c *Console) withBlankRows(f *productForm) {
	for range blankSKURows {
		f.SKUs = append(f.SKUs, skuRow{})
	}
}

func (c *Console) productFormPage(w http.ResponseWriter, r *http.Request, status int, f *productForm) {
	v := viewerFrom(r.Context())
	var err error
	if f.Categories, err = c.Catalog.ListCategories(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	f.Statuses, f.Roles = productStatuses, productRoles
	if f.ID != 0 && f.MemberPrices == nil {
		p, err := c.Catalog.GetProduct(r.Context(), f.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if f.MemberPrices, err = c.memberPricesOf(r, p); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	title := tr(v, "product.new")
	if f.ID != 0 {
		title = f.Title
	}
	c.render(w, r, status, "product", title, "products", f)
}

func (c *Console) newProduct(w http.ResponseWriter, r *http.Request) {
	f := &productForm{Role: catalog.RoleLongtail, Status: catalog.StatusDraft}
	c.withBlankRows(f)
	c.productFormPage(w, r, http.StatusOK, f)
}

func (c *Console) product(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	p, err := c.Catalog.GetProduct(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := &productForm{}
	f.fill(p)
	if viewerFrom(r.Context()).Can("products:write") {
		c.withBlankRows(f)
	}
	c.productFormPage(w, r, http.StatusOK, f)
}

func (c *Console) createProduct(w http.ResponseWriter, r *http.Request) {
	c.saveProduct(w, r, 0)
}

func (c *Console) updateProduct(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	// The stock figures shown next to the SKUs come from the database, not
	// the form, so a re-shown form with errors still shows them right.
	c.saveProduct(w, r, id)
}

// saveProduct reads the form, converts the prices from 元 to 分 and asks the
// catalog to save. A wrong field shows the form again with the message next
// to that field, and nothing is saved.
func (c *Console) saveProduct(w http.ResponseWriter, r *http.Request, id int64) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &productForm{
		ID:          id,
		Title:       r.PostForm.Get("title"),
		TitleEn:     r.PostForm.Get("title_en"),
		CategoryID:  r.PostForm.Get("category_id"),
		Role:        r.PostForm.Get("role"),
		Status:      r.PostForm.Get("status"),
		Description: r.PostForm.Get("description"),
		Images:      r.PostForm.Get("images"),
		Errors:      map[string]string{},
	}
	in := catalog.ProductInput{
		Title: f.Title, TitleEn: f.TitleEn, Role: f.Role, Status: f.Status, Description: f.Description,
	}
	if f.CategoryID != "" {
		cat := parseID(f.CategoryID)
		if cat == 0 {
			f.Errors["category_id"] = tr(v, "form.choose_category")
		}
		in.CategoryID = &cat
	}
	for line := range strings.Lines(f.Images) {
		if s := strings.TrimSpace(line); s != "" {
			in.Images = append(in.Images, s)
		}
	}

	// SKU rows: the form's row i becomes input SKU k once blank rows are
	// dropped; rowOf maps the service's skus[k] back to the row.
	codes, specs := r.PostForm["sku_code"], r.PostForm["sku_spec"]
	lists, costs := r.PostForm["sku_list_price"], r.PostForm["sku_cost_price"]
	var rowOf []int
	for i := range codes {
		row := skuRow{Code: codes[i], Spec: at(specs, i), ListPrice: at(lists, i), CostPrice: at(costs, i)}
		f.SKUs = append(f.SKUs, row)
		if strings.TrimSpace(row.Code+row.Spec+row.ListPrice+row.CostPrice) == "" {
			continue
		}
		k := catalog.SKUInput{Code: row.Code, Spec: row.Spec}
		var err error
		if k.ListPrice, err = parseYuan(row.ListPrice); err != nil {
			f.Errors[skuField(i, "list_price")] = tr(v, yuanErrorKey(err))
		}
		if k.CostPrice, err = parseYuan(row.CostPrice); err != nil {
			f.Errors[skuField(i, "cost_price")] = tr(v, yuanErrorKey(err))
		}
		rowOf = append(rowOf, i)
		in.SKUs = append(in.SKUs, k)
	}

	if len(f.Errors) == 0 {
		var p catalog.Product
		var err error
		if id != 0 {
			if err := c.keepHiddenFields(r, id, &in); err != nil {
				c.fail(w, r, err)
				return
			}
		}
		for i := range in.SKUs {
			if in.SKUs[i].Currency == "" {
				in.SKUs[i].Currency = v.Store.Currency
			}
		}
		if id == 0 {
			p, err = c.Catalog.CreateProduct(r.Context(), in)
		} else {
			p, err = c.Catalog.UpdateProduct(r.Context(), id, in)
		}
		if err == nil {
			flash := "flash.product_saved"
			if id == 0 {
				flash = "flash.product_created"
			}
			c.redirect(w, r, fmt.Sprintf("/products/%d", p.ID), flash)
			return
		}
		var fe *apperr.FieldError
		switch {
		case errors.As(err, &fe):
			f.Errors[formField(fe.Field, rowOf)] = fieldMessage(v, fe)
		case errors.Is(err, catalog.ErrSKUInUse):
			f.Error = tr(v, "product.sku_in_use")
		default:
			c.fail(w, r, err)
			return
		}
	}
	c.reshowProduct(w, r, f)
}

// keepHiddenFields copies into in what the form does not show (attributes,
// and each kept SKU's attributes, currency, barcode and weight): an update
// replaces every field, and saving a title in the console must not wipe
// what an import or the API set.
func (c *Console) keepHiddenFields(r *http.Request, id int64, in *catalog.ProductInput) error {
	p, err := c.Catalog.GetProduct(r.Context(), id)
	if err != nil {
		return err
	}
	in.Attributes = p.Attributes
	byCode := make(map[string]catalog.SKU, len(p.SKUs))
	for _, k := range p.SKUs {
		byCode[k.Code] = k
	}
	for i := range in.SKUs {
		if old, ok := byCode[strings.TrimSpace(in.SKUs[i].Code)]; ok {
			k := &in.SKUs[i]
			k.Attributes, k.Currency, k.Barcode, k.WeightG = old.Attributes, old.Currency, old.Barcode, old.WeightG
		}
	}
	return nil
}

// reshowProduct shows a form that did not save, with the stock figures of
// the SKUs that exist.
func (c *Console) reshowProduct(w http.ResponseWriter, r *http.Request, f *productForm) {
	if f.ID != 0 {
		p, err := c.Catalog.GetProduct(r.Context(), f.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		f.CreatedAt, f.UpdatedAt = p.CreatedAt, p.UpdatedAt
		stock := map[string]catalog.SKU{}
		for _, k := range p.SKUs {
			stock[k.Code] = k
		}
		for i := range f.SKUs {
			if k, ok := stock[strings.TrimSpace(f.SKUs[i].Code)]; ok {
				f.SKUs[i].OnHand, f.SKUs[i].Available, f.SKUs[i].Existing = k.OnHand, k.Available, true
			}
		}
	}
	if len(f.SKUs) == 0 {
		c.withBlankRows(f)
	}
	if f.Error == "" && len(f.Errors) > 0 {
		f.Error = tr(viewerFrom(r.Context()), "form.fix_errors")
	}
	c.productFormPage(w, r, http.StatusUnprocessableEntity, f)
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func skuField(row int, name string) string { return fmt.Sprintf("skus[%d].%s", row, name) }

// formField maps a service's field name for input SKU k (skus[k].x) to the
// form's row; other names pass through.
func formField(field string, rowOf []int) string {
	var k int
	var rest string
	if n, err := fmt.Sscanf(field, "skus[%d].%s", &k, &rest); err == nil && n == 2 && k >= 0 && k < len(rowOf) {
		return skuField(rowOf[k], rest)
	}
	if strings.HasPrefix(field, "images[") {
		return "images"
	}
	return field
}

// fieldMessage is what the form shows next to a field the service refused:
// the service's message, which says what to fix, after a translated lead.
func fieldMessage(v *viewer, fe *apperr.FieldError) string {
	return tr(v, "form.invalid_field", fe.Message)
}
