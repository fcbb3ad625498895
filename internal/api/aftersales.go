package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/order"
)

// aftersaleRoutes are the shop's after-sales (售后) desk.
func (a *API) aftersaleRoutes() []Route {
	idem := "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/aftersales", Perm: permOrdersRead, Tag: "aftersales", Summary: "List after-sales cases, newest first",
			Query: append([]Param{
				{"status", "string", "requested, approved, awaiting_return, goods_received, refunded, exchanged, closed or rejected"},
				{"kind", "string", "refund_only, return_refund or exchange"},
				{"overdue", "boolean", "true: only cases waiting for approval or rejection past their due time"},
				{"order_id", "integer", "one order's cases"},
				{"customer_id", "integer", "one customer's cases"},
			}, pageParams...),
			Reply: List[order.AfterSale]{}, handle: a.listAfterSales},
		{Method: "GET", Path: "/aftersales/{id}", Perm: permOrdersRead, Tag: "aftersales", Summary: "An after-sales case with its lines and history",
			Reply: order.AfterSale{}, handle: a.getAfterSale},
		{Method: "POST", Path: "/aftersales", Perm: permOrdersWrite, Tag: "aftersales",
			Summary: "Open an after-sales case for a buyer (the amount is computed by the server)" + idem,
			Body:    order.AfterSaleInput{}, Status: http.StatusCreated, Reply: order.AfterSale{}, Idempotent: true, handle: a.openAfterSale},
		{Method: "POST", Path: "/aftersales/{id}/approve", Perm: permOrdersWrite, Tag: "aftersales", Summary: "Approve a requested case (同意)",
			Body: NoteInput{}, Reply: order.AfterSale{}, handle: a.caseStep(order.CaseApprove)},
		{Method: "POST", Path: "/aftersales/{id}/reject", Perm: permOrdersWrite, Tag: "aftersales", Summary: "Reject a requested case (拒绝); its units can be claimed again",
			Body: NoteInput{}, Reply: order.AfterSale{}, handle: a.caseStep(order.CaseReject)},
		{Method: "POST", Path: "/aftersales/{id}/receive", Perm: permOrdersWrite, Tag: "aftersales",
			Summary: "Record that the returned goods arrived; they go back into stock",
			Body:    NoteInput{}, Reply: order.AfterSale{}, handle: a.caseStep(order.CaseReceive)},
		{Method: "POST", Path: "/aftersales/{id}/refund", Perm: permOrdersWrite, Tag: "aftersales",
			Summary: "Pay the case back through the payment provider (refund only: once approved; return: once the goods are back)" + idem,
			Body:    NoteInput{}, Reply: order.AfterSale{}, Idempotent: true, handle: a.caseStep(order.CaseRefund)},
		{Method: "POST", Path: "/aftersales/{id}/exchange-ship", Perm: permOrdersWrite, Tag: "aftersales",
			Summary: "Ship an exchange's replacement units with carrier and tracking number (409 when out of stock)" + idem,
			Body:    order.ShipInput{}, Reply: order.AfterSale{}, Idempotent: true, handle: a.shipExchange},
		{Method: "POST", Path: "/aftersales/{id}/close", Perm: permOrdersWrite, Tag: "aftersales",
			Summary: "Close a case: file a finished one, or withdraw an open one (its units can be claimed again)",
			Body:    NoteInput{}, Reply: order.AfterSale{}, handle: a.caseStep(order.CaseClose)},
	}
}

// storeAftersaleRoutes are the buyer's side of after-sales.
func (a *API) storeAftersaleRoutes() []Route {
	idem := "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/store/aftersales", Store: true, Tag: "storefront", Summary: "My after-sales cases, newest first",
			Query: append([]Param{{"order_id", "integer", "one of my orders"}}, pageParams...),
			Reply: List[StoreAfterSale]{}, handle: a.storeAfterSales},
		{Method: "GET", Path: "/store/aftersales/{id}", Store: true, Tag: "storefront", Summary: "One of my after-sales cases and its progress",
			Reply: StoreAfterSale{}, handle: a.storeAfterSale},
		{Method: "POST", Path: "/store/aftersales", Store: true, Tag: "storefront",
			Summary: "Ask for a refund, a return or an exchange of units of my order" + idem,
			Body:    order.AfterSaleInput{}, Status: http.StatusCreated, Reply: StoreAfterSale{}, Idempotent: true, handle: a.storeOpenAfterSale},
		{Method: "POST", Path: "/store/aftersales/{id}/return", Store: true, Tag: "storefront",
			Summary: "Tell the shop I posted the goods back, with carrier and tracking number",
			Body:    order.ShipInput{}, Reply: StoreAfterSale{}, handle: a.storeReturnSent},
		{Method: "POST", Path: "/store/aftersales/{id}/withdraw", Store: true, Tag: "storefront",
			Summary: "Withdraw my request before the shop decided",
			Body:    NoteInput{}, Reply: StoreAfterSale{}, handle: a.storeWithdrawAfterSale},
	}
}

// StoreAfterSale is a case as its buyer sees it: no staff names.
type StoreAfterSale struct {
	ID               int64                 `json:"id"`
	OrderID          int64                 `json:"order_id"`
	OrderNo          string                `json:"order_no"`
	Kind             order.AfterSaleKind   `json:"kind"`
	Reason           order.AfterSaleReason `json:"reason"`
	Description      string                `json:"description"`
	Status           order.AfterSaleStatus `json:"status"`
	Amount           int64                 `json:"amount"`
	ReturnCarrier    string                `json:"return_carrier"`
	ReturnTrackingNo string                `json:"return_tracking_no"`
	Carrier          string                `json:"carrier"`
	TrackingNo       string                `json:"tracking_no"`
	DueAt            time.Time             `json:"due_at"`
	CreatedAt        time.Time             `json:"created_at"`
	UpdatedAt        time.Time             `json:"updated_at"`
	Lines            []order.AfterSaleLine `json:"lines,omitempty"`
	Events           []StoreCaseEvent      `json:"events,omitempty"`
}

// StoreCaseEvent is a step of the buyer's case.
type StoreCaseEvent struct {
	At     time.Time             `json:"at"`
	Action order.AfterSaleAction `json:"action"`
	To     order.AfterSaleStatus `json:"to"`
	Note   string                `json:"note"`
}

func toStoreAfterSale(c order.AfterSale) StoreAfterSale {
	s := StoreAfterSale{ID: c.ID, OrderID: c.OrderID, OrderNo: c.OrderNo, Kind: c.Kind, Reason: c.Reason, Description: c.Description,
		Status: c.Status, Amount: c.Amount, ReturnCarrier: c.ReturnCarrier, ReturnTrackingNo: c.ReturnTrackingNo, Carrier: c.Carrier,
		TrackingNo: c.TrackingNo, DueAt: c.DueAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Lines: c.Lines}
	for _, e := range c.Events {
		s.Events = append(s.Events, StoreCaseEvent{At: e.At, Action: e.Action, To: e.To, Note: e.Note})
	}
	return s
}

func (a *API) listAfterSales(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := order.AfterSaleFilter{Status: q.Get("status"), Kind: q.Get("kind"), Request: p}
	if v := q.Get("overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			return nil, errBadRequest("overdue", "overdue must be true or false, not %q", v)
		}
	}
	if f.OrderID, err = r.int64Query("order_id"); err != nil {
		return nil, err
	}
	if f.CustomerID, err = r.int64Query("customer_id"); err != nil {
		return nil, err
	}
	items, next, err := a.Orders.ListAfterSales(ctx, f)
	return listOf(items, next), err
}

func (a *API) getAfterSale(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.Orders.GetAfterSale(ctx, id)
}

func (a *API) openAfterSale(ctx context.Context, r *request) (any, error) {
	var in order.AfterSaleInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Orders.OpenAfterSale(ctx, 0, in)
}

// caseStep is the handler of an operator's step that takes a note.
func (a *API) caseStep(action order.AfterSaleAction) func(ctx context.Context, r *request) (any, error) {
	return func(ctx context.Context, r *request) (any, error) {
		id, err := r.id("id")
		if err != nil {
			return nil, err
		}
		var in NoteInput
		if err := decode(r.Request, &in); err != nil {
			return nil, err
		}
		switch action {
		case order.CaseApprove:
			return a.Orders.ApproveAfterSale(ctx, id, in.Note)
		case order.CaseReject:
			return a.Orders.RejectAfterSale(ctx, id, in.Note)
		case order.CaseReceive:
			return a.Orders.ReceiveReturn(ctx, id, in.Note)
		case order.CaseRefund:
			return a.Orders.RefundAfterSale(ctx, id, in.Note)
		default:
			return a.Orders.CloseAfterSale(ctx, id, in.Note)
		}
	}
}

func (a *API) shipExchange(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in order.ShipInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Orders.ShipExchange(ctx, id, in)
}

func (a *API) storeAfterSales(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	if r.customerID <= 0 {
		// A zero customer filter would list every buyer's cases.
		return nil, errUnauthorized("sign in to see your after-sales cases")
	}
	f := order.AfterSaleFilter{CustomerID: r.customerID, Request: p}
	if f.OrderID, err = r.int64Query("order_id"); err != nil {
		return nil, err
	}
	items, next, err := a.Orders.ListAfterSales(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]StoreAfterSale, len(items))
	for i, c := range items {
		out[i] = toStoreAfterSale(c)
	}
	return listOf(out, next), nil
}

func (a *API) storeAfterSale(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	c, err := a.Orders.GetAfterSaleForCustomer(ctx, r.customerID, id)
	if err != nil {
		return nil, err
	}
	return toStoreAfterSale(c), nil
}

func (a *API) storeOpenAfterSale(ctx context.Context, r *request) (any, error) {
	var in order.AfterSaleInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	c, err := a.Orders.OpenAfterSale(ctx, r.customerID, in)
	if err != nil {
		return nil, err
	}
	return toStoreAfterSale(c), nil
}

func (a *API) storeReturnSent(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in order.ShipInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	c, err := a.Orders.ReturnSent(ctx, r.customerID, id, in)
	if err != nil {
		return nil, err
	}
	return toStoreAfterSale(c), nil
}

func (a *API) storeWithdrawAfterSale(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in NoteInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	c, err := a.Orders.WithdrawAfterSale(ctx, r.customerID, id, in.Note)
	if err != nil {
		return nil, err
	}
	return toStoreAfterSale(c), nil
}
