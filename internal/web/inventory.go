package web

import (
	"errors"
	"fmt"
	"github.com/storeops/storeops/internal/catalog"
	"net/http"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/page"
)

// defaultLowStock is the threshold the low-stock filter starts with.
const defaultLowStock = 10

// adjustReasons are the movements an operator records by hand.
var adjustReasons = []string{inventory.ReasonReceipt, inventory.ReasonAdjustment, inventory.ReasonDamage}

type inventoryPage struct {
	Query     string
	Low       bool
	Threshold int64
	Rows      []inventory.Item
	Next      string
	Error     string
}

func (c *Console) inventory(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := inventoryPage{Query: q.Get("q"), Low: q.Get("low") != "", Threshold: defaultLowStock}
	if n, err := strconv.ParseInt(q.Get("threshold"), 10, 64); err == nil && n >= 0 {
		pg.Threshold = n
	}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		pg.Error = tr(v, "err.bad_cursor")
		req = page.Request{}
	}
	req.Limit = 50
	rows, next, err := c.Inventory.List(r.Context(), inventory.Filter{Query: pg.Query, LowOnly: pg.Low, Threshold: pg.Threshold, Request: req})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Rows = rows
	if next != "" {
		pg.Next = "/inventory?" + withCursor(q, next)
	}
	if isHTMX(r, "stock-table") {
		c.renderBlock(w, r, http.StatusOK, "inventory", "stock_table", tr(v, "nav.inventory"), "inventory", pg)
		return
	}
	c.render(w, r, http.StatusOK, "inventory", tr(v, "nav.inventory"), "inventory", pg)
}

type adjustForm struct {
	Delta, Reason, Ref, Note string
	Errors                   map[string]string
	Error                    string
}

type skuStockPage struct {
	SKU       catalog.SKURef
	Level     inventory.Level
	Movements []inventory.Movement
	Next      string
	Reasons   []string
	Form      adjustForm
}

func (c *Console) inventorySKU(w http.ResponseWriter, r *http.Request) {
	c.skuStockPage(w, r, http.StatusOK, adjustForm{Reason: inventory.ReasonReceipt})
}

func (c *Console) skuStockPage(w http.ResponseWriter, r *http.Request, status int, f adjustForm) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("skuID"))
	sku, err := c.Catalog.GetSKU(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := skuStockPage{SKU: sku, Reasons: adjustReasons, Form: f}
	if pg.Level, err = c.Inventory.Get(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	req, err := page.Parse("", r.URL.Query().Get("cursor"))
	if err != nil {
		req = page.Request{}
	}
	var next string
	if pg.Movements, next, err = c.Inventory.Movements(r.Context(), id, req); err != nil {
		c.serverError(w, r, err)
		return
	}
	if next != "" {
		pg.Next = fmt.Sprintf("/inventory/%d?cursor=%s", id, next)
	}
	c.render(w, r, status, "stock", tr(v, "inventory.sku_title", sku.Code), "inventory", pg)
}

func (c *Console) adjustStock(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("skuID"))
	f := adjustForm{
		Delta:  strings.TrimSpace(r.PostFormValue("delta")),
		Reason: r.PostFormValue("reason"),
		Ref:    r.PostFormValue("ref"),
		Note:   r.PostFormValue("note"),
		Errors: map[string]string{},
	}
	delta, err := strconv.ParseInt(strings.TrimPrefix(f.Delta, "+"), 10, 64)
	if err != nil {
		f.Errors["delta"] = tr(v, "inventory.delta_invalid")
		f.Error = tr(v, "form.fix_errors")
		c.skuStockPage(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	_, err = c.Inventory.Adjust(r.Context(), id, delta, f.Reason, f.Ref, f.Note)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/inventory/%d", id), "flash.stock_adjusted")
	case errors.As(err, &fe):
		f.Errors[fe.Field] = fieldMessage(v, fe)
		f.Error = tr(v, "form.fix_errors")
		c.skuStockPage(w, r, http.StatusUnprocessableEntity, f)
	case errors.Is(err, inventory.ErrBelowReserved):
		f.Errors["delta"] = tr(v, "inventory.below_reserved")
		f.Error = tr(v, "form.fix_errors")
		c.skuStockPage(w, r, http.StatusConflict, f)
	default:
		c.fail(w, r, err)
	}
}
