package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/page"
)

// afterSalesPageSize is how many cases one page of the queue shows.
const afterSalesPageSize = 30

// afterSalesForm is the queue's filter as typed, so the form shows it back.
type afterSalesForm struct {
	Status  string
	Kind    string
	Overdue bool
}

// afterSaleRow is one line of the queue.
type afterSaleRow struct {
	order.AfterSale
	CustomerName string
	Badge        string
	// Waiting is the case still waiting for a decision, so its due time
	// matters; Left is the time left, or how long overdue, in words.
	Waiting bool
	Left    string
}

type afterSalesPage struct {
	Form     afterSalesForm
	Statuses []order.AfterSaleStatus
	Kinds    []order.AfterSaleKind
	Rows     []afterSaleRow
	Next     string
	Error    string
}

func (c *Console) afterSales(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	q := r.URL.Query()
	pg := afterSalesPage{Statuses: order.AfterSaleStatuses(), Kinds: order.AfterSaleKinds()}
	f := order.AfterSaleFilter{Status: q.Get("status"), Kind: q.Get("kind"), Overdue: q.Get("overdue") != ""}
	// A value the service does not know is dropped, like the order list
	// does, rather than answering the whole page with an error.
	if (order.AfterSaleFilter{Status: f.Status}).Validate() != nil {
		f.Status = ""
	}
	if (order.AfterSaleFilter{Kind: f.Kind}).Validate() != nil {
		f.Kind = ""
	}
	pg.Form = afterSalesForm{Status: f.Status, Kind: f.Kind, Overdue: f.Overdue}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		pg.Error = tr(v, "err.bad_cursor")
		req = page.Request{}
	}
	req.Limit = afterSalesPageSize
	f.Request = req
	list, next, err := c.Orders.ListAfterSales(ctx, f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if pg.Rows, err = c.afterSaleRows(ctx, v, list, c.caseNow()); err != nil {
		c.serverError(w, r, err)
		return
	}
	if next != "" {
		pg.Next = "/aftersales?" + withCursor(q, next)
	}
	c.render(w, r, http.StatusOK, "aftersales", tr(v, "nav.aftersales"), "aftersales", pg)
}

// afterSaleRows adds the customers' names (each read once per page) and
// the deadlines in words.
func (c *Console) afterSaleRows(ctx context.Context, v *viewer, list []order.AfterSale, now time.Time) ([]afterSaleRow, error) {
	names := map[int64]string{}
	out := make([]afterSaleRow, len(list))
	for i, a := range list {
		out[i] = afterSaleRow{AfterSale: a, Badge: caseBadge(a.Status), Waiting: a.Status == order.CaseRequested}
		if out[i].Waiting {
			out[i].Left = timeLeft(v, a.DueAt, now)
		}
		if a.CustomerID == 0 {
			continue
		}
		name, ok := names[a.CustomerID]
		if !ok {
			cu, err := c.Customers.Get(ctx, a.CustomerID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				name = tr(v, "customer.number", a.CustomerID)
			case err != nil:
				return nil, err
			default:
				name = customerTitle(v, cu)
			}
			names[a.CustomerID] = name
		}
		out[i].CustomerName = name
	}
	return out, nil
}

// timeLeft is the time to due, or past it, in words, to the minute: an
// operator sorting the queue reads "3 h 20 min left" faster than a clock time.
func timeLeft(v *viewer, due, now time.Time) string {
	d := due.Sub(now)
	key := "aftersales.left"
	if d < 0 {
		key, d = "aftersales.over", -d
	}
	return tr(v, key, spanWords(v, d))
}

func spanWords(v *viewer, d time.Duration) string {
	mins := int64(d / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	if days > 0 {
		return tr(v, "aftersales.span.days", days, hours)
	}
	return tr(v, "aftersales.span.hours", hours, m)
}

// caseBadge is the badge colour of a case's status: a request waiting for
// a decision stands out, cases in progress are noticeable, finished ones
// are quiet.
func caseBadge(st order.AfterSaleStatus) string {
	switch st {
	case order.CaseRequested:
		return "badge-warning"
	case order.CaseApproved, order.CaseAwaitingReturn, order.CaseGoodsReceived:
		return "badge-info"
	case order.CaseRefunded, order.CaseExchanged:
		return "badge-success"
	}
	return "badge-neutral"
}

// caseActions are the console's moves on a case, in the order shown; the
// buyer's return_sent is not one of them.
var caseActions = []order.AfterSaleAction{order.CaseApprove, order.CaseReject, order.CaseReceive,
	order.CaseRefund, order.CaseExchangeShip, order.CaseClose}

// allowedCaseActions is the state machine's answer for a case, so that a
// button is never shown for a move the service would refuse.
func allowedCaseActions(k order.AfterSaleKind, st order.AfterSaleStatus) map[string]bool {
	out := map[string]bool{}
	for _, a := range caseActions {
		if _, err := order.NextCase(k, st, a); err == nil {
			out[string(a)] = true
		}
	}
	return out
}

type afterSalePage struct {
	Case     order.AfterSale
	Badge    string
	Customer string
	Left     string
	Actions  map[string]bool // by order.AfterSaleAction
	// Failed is the action whose form did not go through; Note and Ship
	// are what was typed in it, Errors its fields' messages.
	Failed string
	Note   string
	Ship   order.ShipInput
	Errors map[string]string
	Error  string
}

func (c *Console) afterSaleDetail(w http.ResponseWriter, r *http.Request) {
	c.afterSalePage(w, r, http.StatusOK, parseID(r.PathValue("id")), &afterSalePage{})
}

func (c *Console) afterSalePage(w http.ResponseWriter, r *http.Request, status int, id int64, pg *afterSalePage) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	a, err := c.Orders.GetAfterSale(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Case, pg.Badge, pg.Actions = a, caseBadge(a.Status), allowedCaseActions(a.Kind, a.Status)
	if a.Status == order.CaseRequested {
		pg.Left = timeLeft(v, a.DueAt, c.caseNow())
	}
	if a.CustomerID > 0 {
		cu, err := c.Customers.Get(ctx, a.CustomerID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			pg.Customer = tr(v, "customer.number", a.CustomerID)
		case err != nil:
			c.serverError(w, r, err)
			return
		default:
			pg.Customer = customerTitle(v, cu)
		}
	}
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	c.render(w, r, status, "aftersale", tr(v, "aftersales.title", a.ID), "aftersales", pg)
}

// The console's moves on a case, one form each.
func (c *Console) approveAfterSale(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseApprove)
}

func (c *Console) rejectAfterSale(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseReject)
}

func (c *Console) receiveAfterSale(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseReceive)
}

func (c *Console) refundAfterSale(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseRefund)
}

func (c *Console) shipExchange(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseExchangeShip)
}

func (c *Console) closeAfterSale(w http.ResponseWriter, r *http.Request) {
	c.afterSaleAction(w, r, order.CaseClose)
}

// afterSaleAction runs a move from its form: back to the case with a
// flash, or the case again with what went wrong, a field to correct (422)
// or the state machine's refusal in its own words (409).
func (c *Console) afterSaleAction(w http.ResponseWriter, r *http.Request, action order.AfterSaleAction) {
	v := viewerFrom(r.Context())
	ctx := r.Context()
	id := parseID(r.PathValue("id"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	pg := &afterSalePage{Failed: string(action), Note: note}
	var err error
	switch action {
	case order.CaseApprove:
		_, err = c.Orders.ApproveAfterSale(ctx, id, note)
	case order.CaseReject:
		// The buyer is told why; a refusal without a reason only
		// brings the complaint back.
		if note == "" {
			pg.Errors = map[string]string{"note": tr(v, "aftersales.error.reject_note")}
			pg.Error = tr(v, "form.fix_errors")
			c.afterSalePage(w, r, http.StatusUnprocessableEntity, id, pg)
			return
		}
		_, err = c.Orders.RejectAfterSale(ctx, id, note)
	case order.CaseReceive:
		_, err = c.Orders.ReceiveReturn(ctx, id, note)
	case order.CaseRefund:
		_, err = c.Orders.RefundAfterSale(ctx, id, note)
	case order.CaseExchangeShip:
		pg.Ship = order.ShipInput{Carrier: r.PostFormValue("carrier"), TrackingNo: r.PostFormValue("tracking_no"), Note: note}
		_, err = c.Orders.ShipExchange(ctx, id, pg.Ship)
	case order.CaseClose:
		_, err = c.Orders.CloseAfterSale(ctx, id, note)
	}
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/aftersales/%d", id), "flash.aftersale_"+string(action))
	case errors.As(err, &fe):
		pg.Errors = map[string]string{fe.Field: fieldMessage(v, fe)}
		pg.Error = tr(v, "form.fix_errors")
		c.afterSalePage(w, r, http.StatusUnprocessableEntity, id, pg)
	case errors.Is(err, apperr.ErrConflict):
		pg.Error = tr(v, "orders.error.refused", err.Error())
		c.afterSalePage(w, r, http.StatusConflict, id, pg)
	default:
		c.fail(w, r, err)
	}
}

// orderAfterSales is the cases of one order, for the order page.
func (c *Console) orderAfterSales(ctx context.Context, orderID int64) ([]afterSaleRow, error) {
	list, _, err := c.Orders.ListAfterSales(ctx, order.AfterSaleFilter{OrderID: orderID, Request: page.Request{Limit: page.MaxLimit}})
	if err != nil {
		return nil, err
	}
	out := make([]afterSaleRow, len(list))
	for i, a := range list {
		out[i] = afterSaleRow{AfterSale: a, Badge: caseBadge(a.Status), Waiting: a.Status == order.CaseRequested}
	}
	return out, nil
}

// caseNow is the order service's clock, so that the time left agrees with
// the service's overdue flag.
func (c *Console) caseNow() time.Time {
	if c.Orders.Now != nil {
		return c.Orders.Now()
	}
	return time.Now()
}
