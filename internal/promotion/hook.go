package promotion

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
)

// Hook records, in the checkout transaction, what each promotion took off
// the order (price.Priced.Applied), so that a promotion's results count
// exactly the orders it priced. It holds nothing, so status changes need
// nothing: results count an order once it is paid.
type Hook struct{}

var _ order.Hook = Hook{}

// Placed implements order.Hook.
func (Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	for _, a := range o.Priced.Applied {
		if a.Kind != "promotion" || a.PromotionID == 0 {
			continue
		}
		// Two steps of one promotion on one order do not happen today; if
		// they ever do, their amounts add up.
		if _, err := tx.Exec(ctx, `INSERT INTO promotion_orders (promotion_id, order_id, off, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (promotion_id, order_id) DO UPDATE SET off = promotion_orders.off + excluded.off`,
			a.PromotionID, o.ID, a.Off, o.At.UnixMilli()); err != nil {
			return fmt.Errorf("record promotion %d on order %s: %w", a.PromotionID, o.No, err)
		}
	}
	return nil
}

// Moved implements order.Hook.
func (Hook) Moved(context.Context, *db.Tx, order.Moved) error { return nil }
