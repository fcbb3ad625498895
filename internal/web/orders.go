package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/page"
)

// ordersPageSize is how many orders one page of the list shows.
const ordersPageSize = 30

// ordersExportMax bounds a CSV export: beyond it the operator should narrow
// the filter rather than wait for a spreadsheet nobody can open.
const ordersExportMax = 20000

// ordersForm is the order list's filter as typed, so the form shows it back.
type ordersForm struct {
	Status     string
	From, To   string // YYYY-MM-DD in the store's zone, both days included
	Channel    string
	Min, Max   string // 元
	Customer   string // a customer id
	CustomerQ  string // a name or phone to look up
	No         string
	Errors     map[string]string
	customerID int64
}

func ordersFormOf(q url.Values) ordersForm {
	return ordersForm{Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"), Channel: q.Get("channel"),
		Min: q.Get("min"), Max: q.Get("max"), Customer: strings.TrimSpace(q.Get("customer")),
		CustomerQ: strings.TrimSpace(q.Get("customer_q")), No: strings.TrimSpace(q.Get("q"))}
}

// filter turns the form into the service's filter, in the store's zone;
// each field that does not read is named in Errors and left out.
func (f *ordersForm) filter(v *viewer) order.Filter {
	f.Errors = map[string]string{}
	var out order.Filter
	if order.ValidListStatus(f.Status) {
		out.Status = f.Status
	} else {
		f.Status = ""
	}
	if customer.ValidChannel(f.Channel) {
		out.Channel = f.Channel
	} else {
		f.Channel = ""
	}
	out.No = f.No
	loc := v.Store.Location()
	if f.From != "" {
		t, err := time.ParseInLocation("2006-01-02", f.From, loc)
		if err != nil {
			f.Errors["from"] = tr(v, "orders.error.date")
		}
		out.From = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation("2006-01-02", f.To, loc)
		if err != nil {
			f.Errors["to"] = tr(v, "orders.error.date")
		} else {
			out.To = t.AddDate(0, 0, 1) // the whole of the last day
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.From.Before(out.To) {
		f.Errors["to"] = tr(v, "orders.error.date_order")
		out.To = time.Time{}
	}
	for _, m := range []struct {
		name, in string
		out      *int64
	}{{"min", f.Min, &out.MinTotal}, {"max", f.Max, &out.MaxTotal}} {
		if strings.TrimSpace(m.in) == "" {
			continue
		}
		fen, err := parseYuan(m.in)
		if err != nil {
			f.Errors[m.name] = tr(v, yuanErrorKey(err))
			continue
		}
		*m.out = fen
	}
	if out.MaxTotal > 0 && out.MinTotal > out.MaxTotal {
		f.Errors["max"] = tr(v, "orders.error.amount_order")
		out.MaxTotal = 0
	}
	if f.Customer != "" {
		if f.customerID = parseID(f.Customer); f.customerID == 0 {
			f.Errors["customer"] = tr(v, "orders.error.customer")
		}
		out.CustomerID = f.customerID
	}
	return out
}

// orderRow is one line of the order list.
type orderRow struct {
	order.Order
	CustomerName string
	Badge        string
	DepositNote  string // a paid presale deposit: what it waits for, instead of "paid"
}

type statusTab struct {
	Status string // "": all
	Count  int64
	Href   string
}

type ordersPage struct {
	Form      ordersForm
	Tabs      []statusTab
	Channels  []string
	Rows      []orderRow
	Picks     []customer.Customer // customers matching CustomerQ, to pick one
	Picked    string              // the name of the customer filtered on
	Next      string
	ExportCSV string
	// FilterError repeats the fields' errors inside the table, which is
	// all an htmx update replaces.
	FilterError string
	Error       string
}

func (c *Console) orders(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	q := r.URL.Query()
	pg := ordersPage{Form: ordersFormOf(q), Channels: customerChannels}
	f := pg.Form.filter(v)
	picked, err := c.pickCustomer(ctx, v, &pg, &f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		pg.Error = tr(v, "err.bad_cursor")
		req = page.Request{}
	}
	req.Limit = ordersPageSize
	f.Request = req
	if len(pg.Form.Errors) > 0 {
		msgs := make([]string, 0, len(pg.Form.Errors))
		for _, m := range pg.Form.Errors {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		pg.FilterError = tr(v, "orders.error.filter", strings.Join(msgs, "; "))
	}
	if pg.Tabs, err = c.statusTabs(ctx, q); err != nil {
		c.serverError(w, r, err)
		return
	}
	var list []order.Order
	var next string
	if picked {
		if list, next, err = c.Orders.List(ctx, f); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	if pg.Rows, err = c.orderRows(ctx, v, list); err != nil {
		c.serverError(w, r, err)
		return
	}
	if next != "" {
		pg.Next = "/orders?" + withCursor(q, next)
	}
	pg.ExportCSV = "/orders.csv"
	if qs := withoutCursor(q).Encode(); qs != "" {
		pg.ExportCSV += "?" + qs
	}
	if isHTMX(r, "order-table") {
		c.renderBlock(w, r, http.StatusOK, "orders", "order_table", tr(v, "nav.orders"), "orders", pg)
		return
	}
	c.render(w, r, http.StatusOK, "orders", tr(v, "nav.orders"), "orders", pg)
}

// pickCustomer resolves the customer part of the filter: an id is used as
// it is; a name or phone that matches exactly one customer picks them, and
// several matches are offered to pick from (the list then shows nothing
// until one is picked, rather than everyone's orders). It reports whether
// there are orders to list.
func (c *Console) pickCustomer(ctx context.Context, v *viewer, pg *ordersPage, f *order.Filter) (bool, error) {
	if f.CustomerID > 0 {
		cu, err := c.Customers.Get(ctx, f.CustomerID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			pg.Form.Errors["customer"] = tr(v, "orders.error.customer")
			return false, nil
		case err != nil:
			return false, err
		}
		pg.Picked = customerTitle(v, cu)
		return true, nil
	}
	if pg.Form.CustomerQ == "" {
		return true, nil
	}
	found, _, err := c.Customers.List(ctx, customer.Filter{Query: pg.Form.CustomerQ, Request: page.Request{Limit: 10}})
	if err != nil {
		return false, err
	}
	switch len(found) {
	case 0:
		pg.Form.Errors["customer_q"] = tr(v, "orders.error.no_customer")
		return false, nil
	case 1:
		f.CustomerID = found[0].ID
		pg.Form.Customer = strconv.FormatInt(found[0].ID, 10)
		pg.Picked = customerTitle(v, found[0])
		return true, nil
	}
	pg.Picks = found
	return false, nil
}

// statusTabs are the status filter's tabs with how many orders each holds;
// each keeps the other filters.
func (c *Console) statusTabs(ctx context.Context, q url.Values) ([]statusTab, error) {
	counts, err := c.Orders.CountByStatus(ctx)
	if err != nil {
		return nil, err
	}
	link := func(st string) string {
		qs := withoutCursor(q)
		qs.Del("status")
		if st != "" {
			qs.Set("status", st)
		}
		if e := qs.Encode(); e != "" {
			return "/orders?" + e
		}
		return "/orders"
	}
	var all int64
	tabs := []statusTab{{}}
	for _, st := range order.ListStatuses() {
		all += counts[st]
		tabs = append(tabs, statusTab{Status: string(st), Count: counts[st], Href: link(string(st))})
	}
	tabs[0] = statusTab{Count: all, Href: link("")}
	return tabs, nil
}

// withoutCursor is q without the page cursor and empty values.
func withoutCursor(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		if k != "cursor" && len(vs) > 0 && vs[0] != "" {
			out.Set(k, vs[0])
		}
	}
	return out
}

// orderRows adds the customers' names; each customer is read once per page.
func (c *Console) orderRows(ctx context.Context, v *viewer, list []order.Order) ([]orderRow, error) {
	names := map[int64]string{}
	out := make([]orderRow, len(list))
	for i, o := range list {
		out[i] = orderRow{Order: o, Badge: statusBadge(o.Status), DepositNote: depositNote(v, o)}
		if o.CustomerID == 0 {
			continue
		}
		name, ok := names[o.CustomerID]
		if !ok {
			cu, err := c.Customers.Get(ctx, o.CustomerID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				name = tr(v, "customer.number", o.CustomerID)
			case err != nil:
				return nil, err
			default:
				name = customerTitle(v, cu)
			}
			names[o.CustomerID] = name
		}
		out[i].CustomerName = name
	}
	return out, nil
}

// statusBadge is the badge colour of a status: what needs the shop's hand
// (waiting to ship) stands out, finished orders are quiet.
func statusBadge(st order.Status) string {
	switch st {
	case order.PendingPayment:
		return "badge-warning"
	case order.Paid:
		return "badge-danger"
	case order.Shipped, order.Delivered:
		return "badge-info"
	case order.Completed:
		return "badge-success"
	}
	return "badge-neutral"
}

// ordersCSV is the filtered list as a download, every page of it.
func (c *Console) ordersCSV(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	q := r.URL.Query()
	form := ordersFormOf(q)
	f := form.filter(v)
	var pg ordersPage
	pg.Form = form
	picked, err := c.pickCustomer(ctx, v, &pg, &f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !picked || len(pg.Form.Errors) > 0 {
		c.redirect(w, r, "/orders?"+withoutCursor(q).Encode(), "flash.error.orders_filter")
		return
	}
	loc := v.Store.Location()
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	header := []string{tr(v, "order.no"), tr(v, "orders.csv.customer_id"), tr(v, "common.channel"),
		tr(v, "common.status"), tr(v, "order.items_total"), tr(v, "order.discount_total"), tr(v, "order.shipping_fee"),
		tr(v, "order.total"), tr(v, "order.refunded_total"), tr(v, "csv.currency"), tr(v, "common.created_at"),
		tr(v, "order.paid_at"), tr(v, "orders.csv.recipient"), tr(v, "orders.csv.region"), tr(v, "order.tracking_no")}
	var rows [][]string
	f.Request = page.Request{Limit: page.MaxLimit}
	for len(rows) < ordersExportMax {
		list, next, err := c.Orders.List(ctx, f)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		// No customer names: reading every customer would make a big export
		// slow; the id and the recipient identify the buyer.
		for _, o := range list {
			cid := ""
			if o.CustomerID > 0 {
				cid = itoa(o.CustomerID)
			}
			rows = append(rows, []string{o.No, cid, tr(v, "channel."+o.Channel), tr(v, "order.status."+string(o.Status)),
				formatYuan(o.ItemsTotal), formatYuan(o.DiscountTotal), formatYuan(o.ShippingFee), formatYuan(o.Total),
				formatYuan(o.RefundedTotal), o.Currency, stamp(&o.CreatedAt), stamp(o.PaidAt), o.ShipTo.Recipient,
				strings.TrimSpace(o.ShipTo.Province + " " + o.ShipTo.City + " " + o.ShipTo.District), o.TrackingNo})
		}
		if next == "" {
			break
		}
		if f.Request, err = page.Parse(strconv.Itoa(page.MaxLimit), next); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	name := fmt.Sprintf("orders-%s.csv", time.Now().In(loc).Format("20060102-150405"))
	if err := writeCSV(w, name, header, rows); err != nil {
		c.log().Warn("console: write csv", "err", err)
	}
}

// orderLine is a line of the order page with its SKU's code, for the link to
// the SKU's stock ledger.
type orderLine struct {
	order.Line
	Code string
}

type orderPage struct {
	Order    order.Order
	Badge    string
	Customer string // the customer's name; "" when the order has none
	Lines    []orderLine
	Timeline []timelineEntry
	Actions  map[string]bool // by order.Action
	Ship     order.ShipInput
	Reason   string
	Confirm  bool // the cancel form was sent once: ask again before doing it
	Errors   map[string]string
	Error    string

	// AfterSales is the order's after-sales cases, newest first.
	AfterSales []afterSaleRow

	// DepositNote: a paid presale deposit, stated instead of "paid".
	DepositNote string
}

func (c *Console) orderDetail(w http.ResponseWriter, r *http.Request) {
	c.orderPage(w, r, http.StatusOK, parseID(r.PathValue("id")), &orderPage{})
}

// orderPage shows an order; pg carries a form that did not go through.
func (c *Console) orderPage(w http.ResponseWriter, r *http.Request, status int, id int64, pg *orderPage) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	o, err := c.Orders.Get(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Order, pg.Badge, pg.Timeline, pg.Actions = o, statusBadge(o.Status), orderTimeline(o), allowedActions(o.Status)
	pg.DepositNote = depositNote(v, o)
	shipsNothing(o, pg.Actions)
	if o.CustomerID > 0 {
		cu, err := c.Customers.Get(ctx, o.CustomerID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			pg.Customer = tr(v, "customer.number", o.CustomerID)
		case err != nil:
			c.serverError(w, r, err)
			return
		default:
			pg.Customer = customerTitle(v, cu)
		}
	}
	for _, l := range o.Lines {
		ol := orderLine{Line: l}
		// A SKU deleted since the sale still shows its line, without a link.
		if sku, err := c.Catalog.GetSKU(ctx, l.SKUID); err == nil {
			ol.Code = sku.Code
		} else if !errors.Is(err, apperr.ErrNotFound) {
			c.serverError(w, r, err)
			return
		}
		pg.Lines = append(pg.Lines, ol)
	}
	if pg.AfterSales, err = c.orderAfterSales(ctx, o.ID); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, status, "order", tr(v, "orders.title", o.No), "orders", pg)
}

// allowedActions is what the console offers on an order in status st: the
// state machine's answer, so that a button is never shown for a move the
// service would refuse.
func allowedActions(st order.Status) map[string]bool {
	out := map[string]bool{}
	for _, a := range []order.Action{order.ActionShip, order.ActionDeliver, order.ActionComplete, order.ActionCancel} {
		if _, err := order.Next(st, a); err == nil {
			out[string(a)] = true
		}
	}
	return out
}

func (c *Console) shipOrder(w http.ResponseWriter, r *http.Request) {
	in := order.ShipInput{Carrier: r.PostFormValue("carrier"), TrackingNo: r.PostFormValue("tracking_no"), Note: r.PostFormValue("note")}
	id := parseID(r.PathValue("id"))
	_, err := c.Orders.Ship(r.Context(), id, in)
	c.afterAction(w, r, id, err, "flash.order_shipped", &orderPage{Ship: in})
}

func (c *Console) deliverOrder(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	_, err := c.Orders.Deliver(r.Context(), id, r.PostFormValue("note"))
	c.afterAction(w, r, id, err, "flash.order_delivered", &orderPage{})
}

func (c *Console) completeOrder(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	_, err := c.Orders.Complete(r.Context(), id, r.PostFormValue("note"))
	c.afterAction(w, r, id, err, "flash.order_completed", &orderPage{})
}

// cancelOrder asks once more before it cancels: a paid order is refunded in
// full, which no one can take back. The first POST shows the question, the
// second (with confirm=yes) cancels.
func (c *Console) cancelOrder(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		c.orderPage(w, r, http.StatusUnprocessableEntity, id, &orderPage{
			Errors: map[string]string{"reason": tr(v, "orders.error.reason")}, Error: tr(v, "form.fix_errors")})
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		c.orderPage(w, r, http.StatusOK, id, &orderPage{Reason: reason, Confirm: true})
		return
	}
	_, err := c.Orders.Cancel(r.Context(), id, reason)
	c.afterAction(w, r, id, err, "flash.order_cancelled", &orderPage{Reason: reason})
}

// afterAction sends the operator back to the order with a flash, or shows
// the order again with what went wrong: a field to correct (422) or the
// state machine's refusal in its own words (409).
func (c *Console) afterAction(w http.ResponseWriter, r *http.Request, id int64, err error, flash string, pg *orderPage) {
	v := viewerFrom(r.Context())
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/orders/%d", id), flash)
	case errors.As(err, &fe):
		field := fe.Field
		if field == "note" && pg.Reason != "" {
			field = "reason" // a cancel's reason is the event's note
		}
		pg.Errors = map[string]string{field: fieldMessage(v, fe)}
		pg.Error = tr(v, "form.fix_errors")
		c.orderPage(w, r, http.StatusUnprocessableEntity, id, pg)
	case errors.Is(err, apperr.ErrConflict):
		pg.Error = tr(v, "orders.error.refused", err.Error())
		c.orderPage(w, r, http.StatusConflict, id, pg)
	default:
		c.fail(w, r, err)
	}
}

// timelineEntry is one moment of an order's history.
type timelineEntry struct {
	At     time.Time
	Action order.Action
	From   string
	To     order.Status
	Actor  string // "" when unknown
	Note   string
	// Derived entries come from the order's own timestamps, for orders
	// (imported, or the demo's) that were never moved by the service.
	Derived bool
}

// orderTimeline is the order's recorded events, completed by the
// milestones its timestamps tell of when no event records them, oldest
// first.
func orderTimeline(o order.Order) []timelineEntry {
	var out, events []timelineEntry
	have := map[order.Action]bool{}
	for _, e := range o.Events {
		events = append(events, timelineEntry{At: e.At, Action: e.Action, From: e.From, To: e.To, Actor: e.ActorName, Note: e.Note})
		have[e.Action] = true
	}
	// cancel and close both stamp cancelled_at.
	if have[order.ActionClose] {
		have[order.ActionCancel] = true
	}
	derive := func(at *time.Time, a order.Action, from, to order.Status) {
		if at == nil || at.IsZero() || have[a] {
			return
		}
		out = append(out, timelineEntry{At: *at, Action: a, From: string(from), To: to, Derived: true})
	}
	created := o.CreatedAt
	derive(&created, order.ActionCreate, "", order.PendingPayment)
	derive(o.PaidAt, order.ActionPay, order.PendingPayment, order.Paid)
	derive(o.ShippedAt, order.ActionShip, order.Paid, order.Shipped)
	derive(o.DeliveredAt, order.ActionDeliver, order.Shipped, order.Delivered)
	derive(o.CompletedAt, order.ActionComplete, order.Delivered, order.Completed)
	if o.CancelledAt != nil {
		switch {
		case o.PaidAt != nil:
			// Paid, then called off before shipping: refunded, closed.
			derive(o.CancelledAt, order.ActionCancel, order.Paid, order.Closed)
		case o.Status == order.Closed:
			derive(o.CancelledAt, order.ActionClose, order.PendingPayment, order.Closed)
		default:
			derive(o.CancelledAt, order.ActionCancel, order.PendingPayment, order.Cancelled)
		}
	}
	// Derived milestones first and a stable sort: at one instant they come
	// before the recorded events, which keep the order they were recorded in.
	out = append(out, events...)
	slices.SortStableFunc(out, func(a, b timelineEntry) int { return cmp.Compare(a.At.UnixMilli(), b.At.UnixMilli()) })
	return out
}
