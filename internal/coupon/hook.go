package coupon

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
)

// Hook ties coupons to orders in the orders' own transactions: a checkout
// locks every coupon its price applied, payment uses them, and cancelling
// or closing an unpaid order — or cancelling a paid one before it ships —
// gives them back.
type Hook struct{}

var _ order.Hook = Hook{}

// Placed locks every coupon the order's price applied with a conditional
// UPDATE (status = 'issued'): of 100 checkouts racing for one coupon,
// exactly one locks it and the others roll back with a conflict.
func (Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	at := o.At.UTC().UnixMilli()
	for _, a := range o.Priced.Applied {
		if a.Kind != "coupon" || a.CouponID == 0 {
			continue
		}
		res, err := tx.Exec(ctx, `UPDATE coupons SET status = 'locked', order_id = $1, locked_at = $2, discount = $3, updated_at = $2
			WHERE id = $4 AND customer_id = $5 AND status = 'issued' AND valid_from <= $2 AND valid_to > $2`,
			o.ID, at, a.Off, a.CouponID, o.CustomerID)
		if err != nil {
			return fmt.Errorf("lock coupon %d: %w", a.CouponID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("coupon %d was just used by another order; place the order again without it: %w", a.CouponID, apperr.ErrConflict)
		}
	}
	return nil
}

// Moved uses an unpaid order's coupons when it is paid, and gives them back
// when it is cancelled or closed before payment, or when a paid order is
// cancelled before shipping (交易关闭: refunded in full, as if never paid):
// issued again while still valid, else expired. Refunds after shipping
// (after-sales) keep them used: the order stood.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	at := m.At.UTC().UnixMilli()
	var held string // the status the order's coupons are in now
	switch {
	case m.From == order.PendingPayment && m.To == order.Paid:
		if _, err := tx.Exec(ctx, `UPDATE coupons SET status = 'used', used_at = $1, updated_at = $1 WHERE order_id = $2 AND status = 'locked'`,
			at, m.OrderID); err != nil {
			return fmt.Errorf("use coupons of order %s: %w", m.No, err)
		}
		return nil
	case m.From == order.PendingPayment && (m.To == order.Cancelled || m.To == order.Closed):
		held = "locked"
	case m.From == order.Paid && m.To == order.Closed:
		held = "used"
	default:
		return nil
	}
	// An ended template's coupons don't come back either: ending is how
	// the shop withdraws them.
	if _, err := tx.Exec(ctx, `UPDATE coupons SET
			status = CASE WHEN valid_to > $1 AND (SELECT status FROM coupon_templates t WHERE t.id = coupons.template_id) <> 'ended'
				THEN 'issued' ELSE 'expired' END,
			order_id = NULL, locked_at = NULL, used_at = NULL, discount = 0, returned = returned + 1, updated_at = $1
		WHERE order_id = $2 AND status = $3`, at, m.OrderID, held); err != nil {
		return fmt.Errorf("return coupons of order %s: %w", m.No, err)
	}
	return nil
}
