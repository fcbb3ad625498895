package api

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/settings"
)

func (a *API) orderRoutes() []Route {
	idem := "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/orders", Perm: permOrdersRead, Tag: "orders", Summary: "List orders, newest first",
			Query: append([]Param{
				{"status", "string", "pending_payment, paid (to ship: presale deposit orders left out), deposits_paid (paid presale deposits), shipped, delivered, completed, cancelled or closed"},
				{"channel", "string", "search, live, short_video, community, ads or direct"},
				{"customer_id", "integer", "one customer's orders"},
				{"from", "string", "placed on or after this day (YYYY-MM-DD, store time zone)"},
				{"to", "string", "placed on or before this day (YYYY-MM-DD, store time zone)"},
				{"min_total", "integer", "total at least this many 分"},
				{"max_total", "integer", "total at most this many 分"},
				{"q", "string", "part of the order number"},
			}, pageParams...),
			Reply: List[order.Order]{}, handle: a.listOrders},
		{Method: "GET", Path: "/orders/{id}", Perm: permOrdersRead, Tag: "orders", Summary: "An order with its lines, events and payments",
			Reply: order.Order{}, handle: a.getOrder},
		{Method: "POST", Path: "/orders/{id}/ship", Perm: permOrdersWrite, Tag: "orders", Summary: "Ship a paid order (发货) with carrier and tracking number" + idem,
			Body: order.ShipInput{}, Reply: order.Order{}, Idempotent: true, handle: byID(func(ctx context.Context, id int64, in order.ShipInput) (any, error) {
				return a.Orders.Ship(ctx, id, in)
			})},
		{Method: "POST", Path: "/orders/{id}/deliver", Perm: permOrdersWrite, Tag: "orders", Summary: "Record that a shipped order arrived (签收)",
			Body: NoteInput{}, Reply: order.Order{}, handle: byID(func(ctx context.Context, id int64, in NoteInput) (any, error) {
				return a.Orders.Deliver(ctx, id, in.Note)
			})},
		{Method: "POST", Path: "/orders/{id}/complete", Perm: permOrdersWrite, Tag: "orders", Summary: "Complete a delivered order (确认收货)",
			Body: NoteInput{}, Reply: order.Order{}, handle: byID(func(ctx context.Context, id int64, in NoteInput) (any, error) {
				return a.Orders.Complete(ctx, id, in.Note)
			})},
		{Method: "POST", Path: "/orders/{id}/cancel", Perm: permOrdersWrite, Tag: "orders",
			Summary: "Cancel an order before shipping: unpaid → cancelled, stock released; paid → closed, refunded in full, stock back" + idem,
			Body:    CancelInput{}, Reply: order.Order{}, Idempotent: true, handle: byID(func(ctx context.Context, id int64, in CancelInput) (any, error) {
				return a.Orders.Cancel(ctx, id, in.Reason)
			})},
		{Method: "PUT", Path: "/customers/{id}/password", Perm: permCustomersWrite, Tag: "customers",
			Summary: "Set the password a customer signs in to the storefront with (with their phone number)",
			Body:    PasswordInput{}, handle: byID(func(ctx context.Context, id int64, in PasswordInput) (any, error) {
				return done(a.Shoppers.SetPassword(ctx, id, in.Password))
			})},
	}
}

// NoteInput is an optional note on a status change.
type NoteInput struct {
	Note string `json:"note"`
}

// CancelInput says why an order is cancelled.
type CancelInput struct {
	Reason string `json:"reason"`
}

// PasswordInput is a new storefront password.
type PasswordInput struct {
	Password string `json:"password"`
}

func (a *API) listOrders(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := order.Filter{Status: q.Get("status"), Channel: q.Get("channel"), No: q.Get("q"), Request: p}
	if f.CustomerID, err = r.int64Query("customer_id"); err != nil {
		return nil, err
	}
	if f.MinTotal, err = r.int64Query("min_total"); err != nil {
		return nil, err
	}
	if f.MaxTotal, err = r.int64Query("max_total"); err != nil {
		return nil, err
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		st, err := settings.Load(ctx, a.DB)
		if err != nil {
			return nil, err
		}
		if f.From, err = dayQuery(q.Get("from"), "from", st.Location()); err != nil {
			return nil, err
		}
		if f.To, err = dayQuery(q.Get("to"), "to", st.Location()); err != nil {
			return nil, err
		}
		if !f.To.IsZero() {
			f.To = f.To.AddDate(0, 0, 1) // the whole of the last day
		}
	}
	items, next, err := a.Orders.List(ctx, f)
	return listOf(items, next), err
}

func dayQuery(v, name string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return t, errBadRequest(name, "%s must be a day such as 2026-06-18, not %q", name, v)
	}
	return t, nil
}

func (a *API) getOrder(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.Orders.Get(ctx, id)
}
