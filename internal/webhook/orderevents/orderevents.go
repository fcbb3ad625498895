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
// called off (a full refund before shipping) or an after-sales case
// refunds; and aftersale.* as cases move (CaseMoved).
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
	// Most shops have no endpoint for most events: one read of the
	// endpoints then, not the order too (this runs on every payment).
	refund := m.From == order.Paid && m.To == order.Closed
	if ok, err := webhook.Wanted(ctx, tx, typ); err != nil || !ok {
		if err != nil || !refund {
			return err
		}
		if ok, err = webhook.Wanted(ctx, tx, webhook.OrderRefunded); err != nil || !ok {
			return err
		}
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

var _ order.CaseHook = Hook{}

// CaseMoved emits aftersale.<status> when a case reaches a status, and
// order.refunded when a case refunds money.
func (Hook) CaseMoved(ctx context.Context, tx *db.Tx, m order.CaseMoved) error {
	typ := webhook.AfterSaleEvent(string(m.To))
	if typ == "" {
		return nil
	}
	c := webhook.AfterSaleData{ID: m.CaseID, OrderID: m.OrderID, OrderNo: m.OrderNo, CustomerID: m.CustomerID, Kind: string(m.Kind),
		Status: string(m.To), PreviousStatus: string(m.From), Action: string(m.Action), Amount: m.Amount, At: m.At.UTC()}
	if err := webhook.Emit(ctx, tx, typ, c); err != nil {
		return err
	}
	if m.To != order.CaseRefunded || m.Amount <= 0 {
		return nil
	}
	if ok, err := webhook.Wanted(ctx, tx, webhook.OrderRefunded); err != nil || !ok {
		return err
	}
	o := Order{ID: m.OrderID, OrderNo: m.OrderNo, CustomerID: m.CustomerID, Action: "aftersale_refund", At: m.At.UTC(), Refunded: m.Amount}
	var ext sql.NullString
	if err := tx.QueryRow(ctx, `SELECT external_id, status, channel, currency, total, refunded_total, carrier, tracking_no FROM orders WHERE id = $1`, m.OrderID).
		Scan(&ext, &o.Status, &o.Channel, &o.Currency, &o.Total, &o.RefundedTotal, &o.Carrier, &o.TrackingNo); err != nil {
		return fmt.Errorf("webhook event of order %s: %w", m.OrderNo, err)
	}
	o.ExternalID, o.PreviousStatus = ext.String, o.Status
	return webhook.Emit(ctx, tx, webhook.OrderRefunded, o)
}
