package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/flash"
)

// flashSales is the service the API and the storefront pricer use (its
// changes drop their in-memory view of live items at once); nil: one over
// DB, whose changes the pricer sees within a second.
func (c *Console) flashSales() *flash.Service {
	if c.Flash != nil {
		return c.Flash
	}
	return &flash.Service{DB: c.DB, Inventory: c.Inventory}
}

// flashItemRow is an item with the figures the pages show.
type flashItemRow struct {
	flash.Item
	Pending int64 // units held by unpaid orders: sold − paid
	// The stock bar's segments in % of the pool; they add up to 100.
	PaidPct, PendingPct, LeftPct int64
	// SellThroughBP is paid ÷ carved in basis points; -1 once the sale has
	// ended, when the pool has given its unsold units back and no longer
	// says how many were carved.
	SellThroughBP int64
	GMV           int64 // paid × flash price
	Discount      int64 // paid × (list − flash price): what the buyers saved
}

// flashSaleRow is a sale with its items' figures and their totals.
type flashSaleRow struct {
	flash.Sale
	Rows                                             []flashItemRow
	Carved, Sold, Paid, Pending, Left, GMV, Discount int64
	SellThroughBP                                    int64
	// Closed: the sale was ended (its unsold units are back on the SKUs);
	// until then the End button confirms it, also once its time is over.
	Closed bool
	// WindowMinutes is the payment window in whole minutes, as the form
	// takes it.
	WindowMinutes int64
}

func newFlashSaleRow(s flash.Sale) flashSaleRow {
	out := flashSaleRow{Sale: s, Closed: s.EndedAt != nil, SellThroughBP: -1,
		WindowMinutes: int64(time.Duration(s.PaymentWindow) / time.Minute)}
	for _, it := range s.Items {
		r := flashItemRow{Item: it, Pending: it.Sold - it.Paid, SellThroughBP: -1,
			GMV: it.Paid * it.FlashPrice, Discount: it.Paid * (it.ListPrice - it.FlashPrice)}
		r.PaidPct, r.PendingPct, r.LeftPct = stockBar(it.Paid, r.Pending, it.Stock)
		if it.Carved > 0 {
			r.SellThroughBP = it.Paid * 10000 / it.Carved
		}
		out.Rows = append(out.Rows, r)
		out.Carved += it.Carved
		out.Sold += it.Sold
		out.Paid += it.Paid
		out.Pending += r.Pending
		out.Left += it.Left
		out.GMV += r.GMV
		out.Discount += r.Discount
	}
	if out.Carved > 0 {
		out.SellThroughBP = out.Paid * 10000 / out.Carved
	}
	return out
}

// stockBar splits a pool of stock units into paid, pending and left
// percentages that add up to 100 (all 0 for an empty pool); a segment that
// holds any unit is at least 1% wide, so a single paid unit shows.
func stockBar(paid, pending, stock int64) (p, q, l int64) {
	if stock <= 0 {
		return 0, 0, 0
	}
	part := func(n int64) int64 {
		if n <= 0 {
			return 0
		}
		return max(1, n*100/stock)
	}
	p, q = part(paid), part(pending)
	if p+q > 100 {
		q = 100 - p
	}
	l = 100 - p - q
	if paid+pending >= stock {
		// Nothing left: the rounding goes to the last filled segment.
		if pending > 0 {
			q += l
		} else {
			p += l
		}
		l = 0
	}
	return p, q, l
}

func (c *Console) flashSaleList(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	sales, err := c.flashSales().List(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rows := make([]flashSaleRow, len(sales))
	for i, s := range sales {
		rows[i] = newFlashSaleRow(s)
	}
	c.render(w, r, http.StatusOK, "flash_sales", tr(v, "nav.flash_sales"), "flash_sales", rows)
}

func (c *Console) flashSaleDetail(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	s, err := c.flashSales().Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "flash_sale", s.Name, "flash_sales", newFlashSaleRow(s))
}

// endFlashSale ends a sale now; ending one that has ended already changes
// nothing and says the same.
func (c *Console) endFlashSale(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	if _, err := c.flashSales().End(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/flash-sales/%d", id), "flash.flash_sale_ended")
}

// flashForm is the create form as typed: prices in 元, times in the
// store's zone, the payment window in minutes; a refused form shows back
// what was typed.
type flashForm struct {
	Name     string
	StartsAt string // 2006-01-02T15:04 in the store's zone
	EndsAt   string
	Limit    string
	Window   string // minutes
	Rows     []flashFormRow
	Errors   map[string]string // form field → message
	Error    string
}

// flashFormRow is one item as typed: a SKU code or id, the flash price in
// 元 and the units to carve.
type flashFormRow struct {
	SKU, Price, Units string
}

// Rows the form offers: a new form shows flashFormRows, "more rows" adds
// flashFormRows more, up to the service's 200 items.
const (
	flashFormRows    = 3
	flashFormMaxRows = 200
)

func newFlashForm(loc *time.Location, now time.Time) *flashForm {
	// Tomorrow 20:00 to 22:00, the usual evening session.
	t := now.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day()+1, 20, 0, 0, 0, loc)
	return &flashForm{StartsAt: start.Format(formTime), EndsAt: start.Add(2 * time.Hour).Format(formTime),
		Limit: "1", Window: strconv.FormatInt(int64(flash.DefaultPaymentWindow/time.Minute), 10),
		Rows: make([]flashFormRow, flashFormRows), Errors: map[string]string{}}
}

func (f *flashForm) read(p url.Values) {
	g := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	f.Name, f.StartsAt, f.EndsAt, f.Limit, f.Window = g("name"), g("starts_at"), g("ends_at"), g("per_customer_limit"), g("payment_window")
	f.Rows = nil
	for i := 0; i < flashFormMaxRows; i++ {
		k := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		_, a := p[k("sku")]
		_, b := p[k("flash_price")]
		_, c := p[k("stock")]
		if !a && !b && !c {
			break
		}
		f.Rows = append(f.Rows, flashFormRow{SKU: g(k("sku")), Price: g(k("flash_price")), Units: g(k("stock"))})
	}
}

// input converts the typed form; a value that is not a number, a SKU or a
// time is an error on its field before the service sees anything. Empty
// rows are skipped; rows maps the service's items[i] back to the form's
// row.
func (f *flashForm) input(v *viewer, loc *time.Location, sku func(string) (int64, error)) (in flash.SaleInput, rows []int) {
	in.Name = f.Name
	at := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(formTime, s, loc)
		if err != nil {
			f.Errors[field] = tr(v, "flash_sales.form.time")
		}
		return t
	}
	whole := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Errors[field] = tr(v, "flash_sales.form.whole_number")
		}
		return n
	}
	in.StartsAt, in.EndsAt = at("starts_at", f.StartsAt), at("ends_at", f.EndsAt)
	in.PerCustomerLimit = whole("per_customer_limit", f.Limit)
	if m := whole("payment_window", f.Window); m != 0 {
		lo, hi := int64(flash.MinPaymentWindow/time.Minute), int64(flash.MaxPaymentWindow/time.Minute)
		if m < lo || m > hi {
			f.Errors["payment_window"] = tr(v, "flash_sales.form.window_range", lo, hi)
		} else {
			in.PaymentWindow = flash.Duration(time.Duration(m) * time.Minute)
		}
	}
	for i, row := range f.Rows {
		if row.SKU == "" && row.Price == "" && row.Units == "" {
			continue
		}
		field := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		it := flash.ItemInput{}
		if row.SKU == "" {
			f.Errors[field("sku")] = tr(v, "flash_sales.form.sku_required")
		} else if id, err := sku(row.SKU); err != nil {
			f.Errors[field("sku")] = tr(v, "flash_sales.form.unknown_sku", row.SKU)
		} else {
			it.SKUID = id
		}
		if n, err := parseYuan(row.Price); err != nil {
			f.Errors[field("flash_price")] = tr(v, yuanErrorKey(err))
		} else {
			it.FlashPrice = n
		}
		if row.Units == "" {
			f.Errors[field("stock")] = tr(v, "flash_sales.form.units_required")
		} else {
			it.Stock = whole(field("stock"), row.Units)
		}
		in.Items = append(in.Items, it)
		rows = append(rows, i)
	}
	return in, rows
}

var serviceItemField = regexp.MustCompile(`^items\[(\d+)\]\.(sku_id|flash_price|stock)$`)

// formFlashField maps the service's field to the form's: items[i] of the
// service is the i-th row that was filled in, and its SKU is typed as a
// code or an id.
func formFlashField(field string, rows []int) string {
	return formItemField(serviceItemField, field, rows)
}

func (c *Console) flashFormPage(w http.ResponseWriter, r *http.Request, status int, f *flashForm) {
	v := viewerFrom(r.Context())
	c.render(w, r, status, "flash_sale_form", tr(v, "flash_sales.new"), "flash_sales", f)
}

func (c *Console) newFlashSale(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	c.flashFormPage(w, r, http.StatusOK, newFlashForm(v.Store.Location(), time.Now()))
}

// createFlashSale reads the form and creates the sale, carving its units;
// a refused field shows the form again with the service's explanation next
// to it, and nothing is carved. The "more rows" button shows the form
// again with more empty rows, creating nothing.
func (c *Console) createFlashSale(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &flashForm{Errors: map[string]string{}}
	f.read(r.PostForm)
	if r.PostForm.Get("more") != "" {
		for range flashFormRows {
			if len(f.Rows) < flashFormMaxRows {
				f.Rows = append(f.Rows, flashFormRow{})
			}
		}
		c.flashFormPage(w, r, http.StatusOK, f)
		return
	}
	in, rows := f.input(v, v.Store.Location(), func(s string) (int64, error) { return c.skuByCodeOrID(r, s) })
	if len(f.Errors) == 0 && c.created(w, r, "flash.flash_sale_created", func() (string, error) {
		s, err := c.flashSales().Create(r.Context(), in)
		return fmt.Sprintf("/flash-sales/%d", s.ID), err
	}, f.Errors, &f.Error, func(field string) string { return formFlashField(field, rows) }) {
		return
	}
	if len(f.Rows) == 0 {
		f.Rows = make([]flashFormRow, flashFormRows)
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.flashFormPage(w, r, http.StatusUnprocessableEntity, f)
}
