package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/tier"
)

// memberPriceForm is the product page's member prices (会员价): a row per
// SKU, a column per tier of the ladder, prices in 元 as typed.
type memberPriceForm struct {
	Tiers  []tier.Level
	Rows   []memberPriceRow
	Errors map[string]string // input name (mp.<sku id>.<tier>) → message
	Error  string
}

type memberPriceRow struct {
	SKUID     int64
	Code      string
	Spec      string
	ListPrice int64
	Prices    map[string]string // tier code → 元 as typed ("" none)
}

// memberPriceInput is the name of one price's input.
func memberPriceInput(skuID int64, code string) string { return fmt.Sprintf("mp.%d.%s", skuID, code) }

// memberPricesOf is the form for a saved product.
func (c *Console) memberPricesOf(r *http.Request, p catalog.Product) (*memberPriceForm, error) {
	cfg, err := c.tiers().Config(r.Context())
	if err != nil {
		return nil, err
	}
	f := &memberPriceForm{Tiers: cfg.Levels, Errors: map[string]string{}}
	for _, k := range p.SKUs {
		row := memberPriceRow{SKUID: k.ID, Code: k.Code, Spec: k.Spec, ListPrice: k.ListPrice, Prices: map[string]string{}}
		for code, fen := range k.MemberPrices {
			row.Prices[code] = formatYuan(fen)
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// saveMemberPrices saves every SKU's member prices of a product at once:
// an empty input removes that tier's price; a wrong one shows the page
// again with the message next to it, and nothing is saved.
func (c *Console) saveMemberPrices(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	p, err := c.Catalog.GetProduct(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	mf, err := c.memberPricesOf(r, p)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	codes := make([]string, len(mf.Tiers))
	for i, l := range mf.Tiers {
		codes[i] = l.Code
	}
	prices := map[int64]catalog.MemberPrices{}
	for i := range mf.Rows {
		row := &mf.Rows[i]
		prices[row.SKUID] = catalog.MemberPrices{}
		for _, code := range codes {
			name := memberPriceInput(row.SKUID, code)
			raw := strings.TrimSpace(r.PostFormValue(name))
			row.Prices[code] = raw
			if raw == "" {
				continue
			}
			fen, err := parseYuan(raw)
			if err != nil {
				mf.Errors[name] = tr(v, yuanErrorKey(err))
				continue
			}
			prices[row.SKUID][code] = fen
		}
	}
	if len(mf.Errors) == 0 {
		_, err := c.Catalog.SetProductMemberPrices(r.Context(), id, prices, codes)
		if err == nil {
			c.redirect(w, r, fmt.Sprintf("/products/%d#member-prices", id), "flash.member_prices_saved")
			return
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) {
			c.fail(w, r, err)
			return
		}
		// skus[i].member_prices.<tier> → the input of that SKU and tier.
		var i int
		var code string
		if n, _ := fmt.Sscanf(fe.Field, "skus[%d].member_prices.%s", &i, &code); n == 2 && i >= 0 && i < len(p.SKUs) {
			mf.Errors[memberPriceInput(p.SKUs[i].ID, code)] = fieldMessage(v, fe)
		} else {
			mf.Error = fieldMessage(v, fe)
		}
	}
	if mf.Error == "" {
		mf.Error = tr(v, "form.fix_errors")
	}
	f := &productForm{}
	f.fill(p)
	f.MemberPrices = mf
	if v.Can("products:write") {
		c.withBlankRows(f)
	}
	c.productFormPage(w, r, http.StatusUnprocessableEntity, f)
}
