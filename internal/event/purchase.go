package event

import (
	"context"
	"fmt"
	"strings"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/purchase"
)

// PurchaseRecorder is the order hook that stores a purchase event when an
// order is paid, so conversion counts every paid order even when the
// buyer's page never reported it (closed tab, blocked script, an app or a
// platform without the snippet). It shares the dedup key with the page's
// own purchase event (PurchaseEventID): whichever arrives first is kept.
//
// It runs in the payment transaction, on the checkout path: one INSERT …
// SELECT, reading the order row the same transaction just wrote (its
// paid_day, channel and customer).
type PurchaseRecorder struct{}

// ServerAnonymousPrefix starts the anonymous id of a purchase the server
// recorded: the server does not know the browser's id, so a guest's paid
// order stands for a visitor of its own; a customer's order counts as that
// customer (see Traffic's visitors).
const ServerAnonymousPrefix = "order:"

// Placed does nothing: an order placed is not yet a purchase.
func (PurchaseRecorder) Placed(context.Context, *db.Tx, order.Placed) error { return nil }

// Moved stores the purchase event of an order that became paid; a
// presale's deposit is not a purchase (its tail is: docs/METRICS.md).
func (PurchaseRecorder) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	if m.To != order.Paid {
		return nil
	}
	at := m.At.UnixMilli()
	_, err := tx.Exec(ctx, `INSERT INTO purchase_events (`+strings.Join(purchaseColumns, ", ")+`)
		SELECT $1, $2, $2, paid_day, 'purchase', $3, customer_id, '', channel, '', NULL, NULL, '', order_no, '', '', '', ''
		FROM orders o WHERE id = $4 AND paid_day IS NOT NULL AND `+purchase.Is("o")+`
		ON CONFLICT (event_id) DO NOTHING`,
		PurchaseEventID(m.No), at, ServerAnonymousPrefix+m.No, m.OrderID)
	if err != nil {
		return fmt.Errorf("record purchase event of order %s: %w", m.No, err)
	}
	return nil
}
