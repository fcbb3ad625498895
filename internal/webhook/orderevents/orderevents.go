// Package orderevents turns an order's changes of status into webhook
// events. It is an order.Hook: Moved runs inside the transaction that
// changes the order, so the event is in the outbox exactly when the change
// committed. (It lives apart from package webhook so that any package may
// call webhook.Emit without depending on the order package.)
package orderevents

import (
	"context"
	"database/sql"
	"fmt"
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
type Order = webhook.OrderData

// Type is the event a change of status to to (from from) is, or "".
func Type(from, to order.Status) string { return webhook.OrderEvent(string(to)) }

// Moved emits the event of a change of status, reading the order's money
// and shipping as the transaction left them.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	typ := Type(m.From, m.To)
	if typ == "" {
		return nil
	}
	o := Order{ID: m.OrderID, OrderNo: m.No, CustomerID: m.CustomerID, Status: string(m.To), PreviousStatus: string(m.From),
		Action: string(m.Action), At: m.At.UTC()}
	var ext sql.NullString
	if err := tx.QueryRow(ctx, `SELECT external_id, channel, currency, total, refunded_total, carrier, tracking_no FROM orders WHERE id = $1`, m.OrderID).
		Scan(&ext, &o.Channel, &o.Currency, &o.Total, &o.RefundedTotal, &o.Carrier, &o.TrackingNo); err != nil {
		return fmt.Errorf("webhook event of order %s: %w", m.No, err)
	}
	o.ExternalID = ext.String
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
