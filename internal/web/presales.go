package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/presale"
)

// presales is the service the API and the pricer use; nil: one over DB
// (the console creates, changes, ends and reads presales; it places no
// orders).
func (c *Console) presales() *presale.Service {
	if c.Presales != nil {
		return c.Presales
	}
	return &presale.Service{DB: c.DB, Inventory: c.Inventory, Orders: c.Orders}
}

func (c *Console) presaleList(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	ps, err := c.presales().List(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "presales", tr(v, "nav.presales"), "presales", ps)
}

// presalePage is a presale with its deposits, filtered by status, and the
// edit form.
type presalePage struct {
	presale.Presale
	Filter   string
	Deposits []presale.Deposit
	Edit     *presaleEditForm
	Statuses []string // the filter's choices
}

// presaleEditForm is the change form as typed.
type presaleEditForm struct {
	Name, Limit, TailEndsAt string
	Errors                  map[string]string
	Error                   string
}

func (c *Console) presaleDetail(w http.ResponseWriter, r *http.Request) {
	c.presaleDetailPage(w, r, http.StatusOK, nil)
}

func (c *Console) presaleDetailPage(w http.ResponseWriter, r *http.Request, status int, edit *presaleEditForm) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	p, err := c.presales().Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	filter := r.URL.Query().Get("status")
	switch filter {
	case "", presale.DepositPending, presale.DepositPaid, presale.DepositCompleted, presale.DepositClosed, presale.DepositForfeited, presale.DepositRefunded:
	default:
		filter = ""
	}
	ds, err := c.presales().Deposits(r.Context(), id, filter)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if edit == nil {
		edit = &presaleEditForm{Name: p.Name, Limit: strconv.FormatInt(p.PerCustomerLimit, 10),
			TailEndsAt: p.TailEndsAt.In(v.Store.Location()).Format(formTime), Errors: map[string]string{}}
	}
	c.render(w, r, status, "presale", p.Name, "presales", presalePage{Presale: p, Filter: filter, Deposits: ds, Edit: edit,
		Statuses: []string{presale.DepositPending, presale.DepositPaid, presale.DepositCompleted, presale.DepositForfeited, presale.DepositRefunded, presale.DepositClosed}})
}

// endPresale stops taking deposits now; ending one that has ended already
// changes nothing and says the same.
func (c *Console) endPresale(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	if _, err := c.presales().End(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/presales/%d", id), "presales.ended")
}

// updatePresale changes the name, the per-customer limit or the tail's end.
func (c *Console) updatePresale(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	g := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := &presaleEditForm{Name: g("name"), Limit: g("per_customer_limit"), TailEndsAt: g("tail_ends_at"), Errors: map[string]string{}}
	var p presale.Patch
	p.Name = &f.Name
	if n, err := strconv.ParseInt(f.Limit, 10, 64); err != nil {
		f.Errors["per_customer_limit"] = tr(v, "presales.form.whole_number")
	} else {
		p.PerCustomerLimit = &n
	}
	if t, err := time.ParseInLocation(formTime, f.TailEndsAt, v.Store.Location()); err != nil {
		f.Errors["tail_ends_at"] = tr(v, "presales.form.time")
	} else {
		p.TailEndsAt = &t
	}
	if len(f.Errors) == 0 {
		_, err := c.presales().Update(r.Context(), id, p)
		if err == nil {
			c.redirect(w, r, fmt.Sprintf("/presales/%d", id), "presales.updated")
			return
		}
		var fe *apperr.FieldError
		switch {
		case errors.As(err, &fe):
			f.Errors[fe.Field] = fieldMessage(v, fe)
		case errors.Is(err, apperr.ErrConflict):
			f.Error = err.Error()
		default:
			c.fail(w, r, err)
			return
		}
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.presaleDetailPage(w, r, http.StatusUnprocessableEntity, f)
}

// presaleForm is the create form as typed: prices in 元, times in the
// store's zone.
type presaleForm struct {
	Name, SKU, PresalePrice, Deposit, DepositValue, TailDiscount, Stock, Limit string
	DepositStartsAt, DepositEndsAt, TailStartsAt, TailEndsAt                   string
	Refundable                                                                 bool
	Errors                                                                     map[string]string
	Error                                                                      string
}

func newPresaleForm(loc *time.Location, now time.Time) *presaleForm {
	// Deposits from tomorrow 00:00 for 10 days, the tail two days after
	// for two days: the shape of a 双11 presale.
	t := now.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	depEnd := start.AddDate(0, 0, 10)
	return &presaleForm{DepositStartsAt: start.Format(formTime), DepositEndsAt: depEnd.Format(formTime),
		TailStartsAt: depEnd.AddDate(0, 0, 2).Format(formTime), TailEndsAt: depEnd.AddDate(0, 0, 4).Format(formTime),
		Limit: "1", TailDiscount: "0", Errors: map[string]string{}}
}

func (f *presaleForm) read(p url.Values) {
	g := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	f.Name, f.SKU, f.PresalePrice, f.Deposit, f.DepositValue = g("name"), g("sku"), g("presale_price"), g("deposit"), g("deposit_value")
	f.TailDiscount, f.Stock, f.Limit = g("tail_discount"), g("stock"), g("per_customer_limit")
	f.DepositStartsAt, f.DepositEndsAt, f.TailStartsAt, f.TailEndsAt = g("deposit_starts_at"), g("deposit_ends_at"), g("tail_starts_at"), g("tail_ends_at")
	f.Refundable = p.Get("deposit_refundable") != ""
}

// input converts the typed form; what is not a number, a SKU or a time is
// an error on its field before the service sees anything.
func (f *presaleForm) input(v *viewer, loc *time.Location, sku func(string) (int64, error)) presale.Input {
	in := presale.Input{Name: f.Name, DepositRefundable: f.Refundable}
	at := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(formTime, s, loc)
		if err != nil {
			f.Errors[field] = tr(v, "presales.form.time")
		}
		return t
	}
	whole := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Errors[field] = tr(v, "presales.form.whole_number")
		}
		return n
	}
	money := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := parseYuan(s)
		if err != nil {
			f.Errors[field] = tr(v, yuanErrorKey(err))
		}
		return n
	}
	if f.SKU == "" {
		f.Errors["sku_id"] = tr(v, "presales.form.sku_required")
	} else if id, err := sku(f.SKU); err != nil {
		f.Errors["sku_id"] = tr(v, "presales.form.unknown_sku", f.SKU)
	} else {
		in.SKUID = id
	}
	in.PresalePrice, in.Deposit = money("presale_price", f.PresalePrice), money("deposit", f.Deposit)
	in.DepositValue, in.TailDiscount = money("deposit_value", f.DepositValue), money("tail_discount", f.TailDiscount)
	in.Stock, in.PerCustomerLimit = whole("stock", f.Stock), whole("per_customer_limit", f.Limit)
	in.DepositStartsAt, in.DepositEndsAt = at("deposit_starts_at", f.DepositStartsAt), at("deposit_ends_at", f.DepositEndsAt)
	in.TailStartsAt, in.TailEndsAt = at("tail_starts_at", f.TailStartsAt), at("tail_ends_at", f.TailEndsAt)
	return in
}

func (c *Console) presaleFormPage(w http.ResponseWriter, r *http.Request, status int, f *presaleForm) {
	v := viewerFrom(r.Context())
	c.render(w, r, status, "presale_form", tr(v, "presales.new"), "presales", f)
}

func (c *Console) newPresale(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	c.presaleFormPage(w, r, http.StatusOK, newPresaleForm(v.Store.Location(), time.Now()))
}

// createPresale reads the form and creates the presale; a refused field
// shows the form again with the service's explanation next to it.
func (c *Console) createPresale(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &presaleForm{Errors: map[string]string{}}
	f.read(r.PostForm)
	in := f.input(v, v.Store.Location(), func(s string) (int64, error) { return c.skuByCodeOrID(r, s) })
	if len(f.Errors) == 0 && c.created(w, r, "presales.created", func() (string, error) {
		p, err := c.presales().Create(r.Context(), in)
		return fmt.Sprintf("/presales/%d", p.ID), err
	}, f.Errors, &f.Error, func(field string) string { return field }) {
		return
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.presaleFormPage(w, r, http.StatusUnprocessableEntity, f)
}
