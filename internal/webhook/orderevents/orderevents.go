// Package orderevents turns an order's changes of status into webhook
// events. It is an order.Hook: Moved runs inside the transaction that
// changes the order, so the event is in the outbox exactly when the change
// committed. (It lives apart from package webhook so that any package may
// call webhook.Emit without depending on the order package.)
package orderevents

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/webhook"
)

// Hook emits order.paid, order.shipped, order.delivered, order.completed,
// order.cancelled, order.closed, and order.refunded when a paid order is
// called off (a full refund before shipping).
type Hook struct{}

var _ order.Hook = Hook{}

// Placed emits nothing: an order waiting for payment is not news to an ERP
// yet (order.paid is).
func (Hook) Placed(context.Context, *db.Tx, order.Placed) error { return nil }

// Order is the data of an order event.
type Order struct {
	ID             int64     `json:"id"`
	OrderNo        string    `json:"order_no"`
	CustomerID     int64     `json:"customer_id,omitempty"`
	Status         string    `json:"status"`
	PreviousStatus string    `json:"previous_status"`
	Action         string    `json:"action"`
	Channel        string    `json:"channel"`
	Currency       string    `json:"currency"`
	Total          int64     `json:"total" doc:"what the buyer paid, in minor units (分)"`
	RefundedTotal  int64     `json:"refunded_total"`
	Carrier        string    `json:"carrier,omitempty"`
	TrackingNo     string    `json:"tracking_no,omitempty"`
	At             time.Time `json:"at"`
	// Refunded is the amount of this refund, on order.refunded.
	Refunded int64 `json:"refunded,omitempty"`
}

// Type is the event a change of status to to (from from) is, or "".
func Type(from, to order.Status) string {
	switch to {
	case order.Paid:
		return webhook.OrderPaid
	case order.Shipped:
		return webhook.OrderShipped
	case order.Delivered:
		return webhook.OrderDelivered
	case order.Completed:
		return webhook.OrderCompleted
	case order.Cancelled:
		return webhook.OrderCancelled
	case order.Closed:
		return webhook.OrderClosed
	}
	return ""
}

// Moved emits the event of a change of status, reading the order's money
// and shipping as the transaction left them.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	typ := Type(m.From, m.To)
	if typ == "" {
		return nil
	}
	o := Order{ID: m.OrderID, OrderNo: m.No, CustomerID: m.CustomerID, Status: string(m.To), PreviousStatus: string(m.From),
		Action: string(m.Action), At: m.At.UTC()}
	if err := tx.QueryRow(ctx, `SELECT channel, currency, total, refunded_total, carrier, tracking_no FROM orders WHERE id = $1`, m.OrderID).
		Scan(&o.Channel, &o.Currency, &o.Total, &o.RefundedTotal, &o.Carrier, &o.TrackingNo); err != nil {
		return fmt.Errorf("webhook event of order %s: %w", m.No, err)
	}
	if err := webhook.Emit(ctx, tx, typ, o); err != nil {
		return err
	}
	if m.From == order.Paid && m.To == order.Closed && o.RefundedTotal > 0 {
		// Cancelling a paid order refunds all of it in the same
		// transaction (order.Service.Cancel).
		r := o
		r.Refunded = o.RefundedTotal
		return webhook.Emit(ctx, tx, webhook.OrderRefunded, r)
	}
	return nil
}
