package points

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/settings"
)

// Hook ties points to orders in the orders' own transactions:
//   - a checkout deducts the points its price redeemed (Applied "points");
//   - payment earns points on what was paid for goods, plus the ladder's
//     bonus for the customer's Nth paid order;
//   - an unpaid order called off gives its redeemed points back;
//   - a paid order closed (refunded in full) takes back what it earned and
//     gives back what it redeemed;
//   - an after-sales refund takes back earned points in proportion to the
//     refunded amount.
//
// Every movement has a key naming its event (earn:order:42,
// reverse:case:7), so a hook that runs twice (db.InTxRerun), or an order
// paid twice, moves points once.
type Hook struct {
	// DB, when set, is read for the store's time zone through the
	// settings cache instead of once per payment in the payment's own
	// transaction (the writer's hot path).
	DB *db.DB
}

var (
	_ order.Hook     = Hook{}
	_ order.CaseHook = Hook{}
)

func orderKey(what string, id int64) string { return what + ":order:" + strconv.FormatInt(id, 10) }

// Placed implements order.Hook: it deducts the redeemed points; a balance
// spent meanwhile (another checkout, an expiry) rolls the checkout back.
func (Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	for _, a := range o.Priced.Applied {
		if a.Kind != "points" || a.Points <= 0 {
			continue
		}
		if o.CustomerID == 0 {
			return apperr.Field("points", "sign in to use your points")
		}
		_, err := Write(ctx, tx, Entry{CustomerID: o.CustomerID, Kind: Redeem, Points: -a.Points, SourceKind: "order", SourceID: o.ID,
			Key: orderKey("redeem", o.ID), Reason: "order " + o.No, At: o.At})
		if isInsufficient(err) {
			return fmt.Errorf("points were spent meanwhile; place the order again with fewer points: %w", apperr.ErrConflict)
		}
		return err
	}
	return nil
}

// Moved implements order.Hook.
func (h Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	if m.CustomerID == 0 {
		return nil
	}
	switch {
	case m.From == order.PendingPayment && m.To == order.Paid:
		return earn(ctx, tx, m, h.DB)
	case m.From == order.PendingPayment && (m.To == order.Cancelled || m.To == order.Closed):
		return giveBack(ctx, tx, m.CustomerID, m.OrderID, m.No, m.At)
	case m.To == order.Cancelled || m.To == order.Closed:
		// A paid order closed is refunded in full (order.Closed from Paid).
		if err := giveBack(ctx, tx, m.CustomerID, m.OrderID, m.No, m.At); err != nil {
			return err
		}
		return takeBack(ctx, tx, m.CustomerID, m.OrderID, orderKey("reverse", m.OrderID), "order "+m.No+" refunded", -1, m.At)
	}
	return nil
}

// CaseMoved implements order.CaseHook: a refunded case takes back the
// points its order earned on goods in proportion to the amount refunded.
func (Hook) CaseMoved(ctx context.Context, tx *db.Tx, m order.CaseMoved) error {
	if m.To != order.CaseRefunded || m.CustomerID == 0 || m.Amount <= 0 {
		return nil
	}
	var total, shipping int64
	if err := tx.QueryRow(ctx, `SELECT total, shipping_fee FROM orders WHERE id = $1`, m.OrderID).Scan(&total, &shipping); err != nil {
		return fmt.Errorf("points: order %s: %w", m.OrderNo, err)
	}
	goods := total - shipping
	if goods <= 0 {
		return nil
	}
	earned, err := sum(ctx, tx, `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE event_key = $1`, orderKey("earn", m.OrderID))
	if err != nil {
		return err
	}
	due := earned * min(m.Amount, goods) / goods
	return takeBack(ctx, tx, m.CustomerID, m.OrderID, "reverse:case:"+strconv.FormatInt(m.CaseID, 10),
		fmt.Sprintf("order %s refund case %d", m.OrderNo, m.CaseID), due, m.At)
}

// earn writes the order's points and the ladder's bonus.
func earn(ctx context.Context, tx *db.Tx, m order.Moved, d *db.DB) error {
	rules, err := LoadRules(ctx, tx)
	if err != nil {
		return err
	}
	var st settings.Store
	if d != nil {
		st, err = settings.Cached(ctx, d)
	} else {
		st, err = settings.Load(ctx, tx)
	}
	if err != nil {
		return err
	}
	var total, shipping, paidAt int64
	if err := tx.QueryRow(ctx, `SELECT total, shipping_fee, COALESCE(paid_at, $2) FROM orders WHERE id = $1`, m.OrderID, m.At.UnixMilli()).
		Scan(&total, &shipping, &paidAt); err != nil {
		return fmt.Errorf("points: order %s: %w", m.No, err)
	}
	exp := rules.ExpiresAt(m.At, st.Location())
	if _, err := Write(ctx, tx, Entry{CustomerID: m.CustomerID, Kind: Earn, Points: rules.EarnFor(total - shipping), SourceKind: "order",
		SourceID: m.OrderID, Key: orderKey("earn", m.OrderID), Reason: "order " + m.No, ExpiresAt: exp, At: m.At}); err != nil {
		return err
	}
	if len(rules.Ladder) == 0 {
		return nil
	}
	// The order's number among the customer's paid orders, by payment
	// time then id: the same however often this runs.
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE customer_id = $1 AND paid_at IS NOT NULL
		AND (paid_at < $2 OR (paid_at = $2 AND id <= $3))`, m.CustomerID, paidAt, m.OrderID).Scan(&n); err != nil {
		return fmt.Errorf("points: paid orders of customer %d: %w", m.CustomerID, err)
	}
	g, ok := rules.BonusFor(n)
	if !ok {
		return nil
	}
	reason := fmt.Sprintf("paid order #%d %s", n, m.No)
	if g.Label != "" {
		reason = g.Label + " · " + reason
	}
	_, err = Write(ctx, tx, Entry{CustomerID: m.CustomerID, Kind: Earn, Points: g.Bonus, SourceKind: "order", SourceID: m.OrderID,
		Key: orderKey("bonus", m.OrderID), Reason: reason, ExpiresAt: exp, At: m.At})
	return err
}

// giveBack returns the points an order redeemed (once).
func giveBack(ctx context.Context, tx *db.Tx, customerID, orderID int64, no string, at time.Time) error {
	redeemed, err := sum(ctx, tx, `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE event_key = $1`, orderKey("redeem", orderID))
	if err != nil || redeemed == 0 {
		return err
	}
	_, err = Write(ctx, tx, Entry{CustomerID: customerID, Kind: Reverse, Points: -redeemed, SourceKind: "order", SourceID: orderID,
		Key: orderKey("return", orderID), Reason: "order " + no + " called off: points returned", At: at})
	return err
}

// takeBack reverses up to due of what the order earned and was not taken
// back yet (due < 0: all of it). Points already spent cannot be taken: it
// reverses at most the balance, and the shop carries the rest.
func takeBack(ctx context.Context, tx *db.Tx, customerID, orderID int64, key, reason string, due int64, at time.Time) error {
	left, err := sum(ctx, tx, `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE source_kind = 'order' AND source_id = $1
		AND (kind = 'earn' OR (kind = 'reverse' AND points < 0))`, orderID)
	if err != nil {
		return err
	}
	if due < 0 || due > left {
		due = left
	}
	// Two tries: a redemption committed between the read and the debit
	// (PostgreSQL) leaves less; take what is there then.
	for range 2 {
		bal, err := Balance(ctx, tx, customerID)
		if err != nil {
			return err
		}
		n := min(due, bal)
		if n <= 0 {
			return nil
		}
		_, err = Write(ctx, tx, Entry{CustomerID: customerID, Kind: Reverse, Points: -n, SourceKind: "order", SourceID: orderID,
			Key: key, Reason: reason, At: at})
		if !isInsufficient(err) {
			return err
		}
	}
	return nil
}

func sum(ctx context.Context, q db.Queryer, query string, args ...any) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("points: %w", err)
	}
	return n, nil
}
