package presale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// Hook keeps a presale's pool and deposits in the orders' own
// transactions; it implements order.Hook and order.Checker.
type Hook struct {
	Presales *Service
}

// Check implements order.Checker: a deposit already held, by reading,
// before the checkout writes anything.
func (h Hook) Check(ctx context.Context, tx *db.Tx, o order.Placed) error {
	in := intentFrom(ctx)
	if in == nil || in.depositID > 0 {
		return nil
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM presale_deposits WHERE presale_id = $1 AND customer_id = $2 AND status IN ('pending', 'paid', 'completed')`,
		in.presaleID, o.CustomerID).Scan(&n); err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	if n > 0 {
		return ErrAlreadyDeposited
	}
	return nil
}

// Placed implements order.Hook. A deposit takes its units from the pool
// with one conditional UPDATE (never more than the pool holds, only in the
// deposit window) and writes the deposit, which the unique index keeps to
// one live deposit per buyer. A tail order is tied to its deposit with one
// conditional UPDATE (the deposit paid, no other tail waiting, the tail
// window open).
func (h Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	in := intentFrom(ctx)
	if in == nil {
		return nil
	}
	at := o.At.UnixMilli()
	// The presale's line is the one with a stock rule; a promotion may
	// have added a gift line to a tail order.
	i := slices.IndexFunc(o.Priced.Lines, func(l price.LinePrice) bool { return l.Stock != price.StockShelf })
	if i < 0 {
		return fmt.Errorf("presale order without its presale line: %w", apperr.ErrConflict)
	}
	l := o.Priced.Lines[i]
	if in.depositID > 0 {
		res, err := tx.Exec(ctx, `UPDATE presale_deposits SET tail_order_id = $1
			WHERE id = $2 AND customer_id = $3 AND status = 'paid' AND tail_order_id IS NULL AND quantity = $4
			AND presale_id IN (SELECT id FROM presales WHERE tail_starts_at <= $5 AND tail_ends_at > $5)`,
			o.ID, in.depositID, o.CustomerID, l.Quantity, at)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("deposit %d: %w", in.depositID, ErrNoTailDue)
		}
		// The tail order is the purchase the figures count, at the goods'
		// value: its total plus the deposit paid (docs/METRICS.md).
		_, err = tx.Exec(ctx, `UPDATE orders SET presale_role = 'tail', deposit_total = (
				SELECT od.total FROM presale_deposits d JOIN orders od ON od.id = d.deposit_order_id WHERE d.id = $2)
			WHERE id = $1`, o.ID, in.depositID)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		return nil
	}
	res, err := tx.Exec(ctx, `UPDATE presales SET deposited = deposited + $1, updated_at = $3
		WHERE id = $2 AND deposited + $1 <= stock AND $1 <= per_customer_limit AND ended_at IS NULL AND released_at IS NULL
		AND deposit_starts_at <= $3 AND deposit_ends_at > $3`, l.Quantity, in.presaleID, at)
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var left int64
		var open bool
		err := tx.QueryRow(ctx, `SELECT stock - deposited, ended_at IS NULL AND released_at IS NULL AND deposit_starts_at <= $2 AND deposit_ends_at > $2
			FROM presales WHERE id = $1`, in.presaleID, at).Scan(&left, &open)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		if !open {
			return ErrNotTakingDeposits
		}
		if left < l.Quantity {
			return fmt.Errorf("%d left: %w", left, ErrSoldOut)
		}
		return fmt.Errorf("over the per-customer limit: %w", ErrNotTakingDeposits)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO presale_deposits (presale_id, customer_id, quantity, status, deposit_order_id, created_at)
		VALUES ($1, $2, $3, 'pending', $4, $5) ON CONFLICT DO NOTHING RETURNING id`, in.presaleID, o.CustomerID, l.Quantity, o.ID, at).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrAlreadyDeposited
	}
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	// A deposit is never a purchase by itself: the figures leave it out.
	if _, err := tx.Exec(ctx, `UPDATE orders SET presale_role = 'deposit' WHERE id = $1`, o.ID); err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	return nil
}

// CheckMove implements order.MoveChecker: a deposit order ships nothing,
// and is not refunded while a tail order of its deposit waits for payment
// (paying that tail would sell units the refund gives back). Both are
// refused by reading, before the order service asks the payment provider
// for the deposit back: a refusal after the refund would leave the buyer
// refunded and the deposit standing.
func (h Hook) CheckMove(ctx context.Context, tx *db.Tx, m order.Moved) error {
	shipping := m.To == order.Shipped
	refunding := m.From == order.Paid && (m.To == order.Closed || m.To == order.Cancelled)
	if !shipping && !refunding {
		return nil
	}
	var status string
	var tail sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT status, tail_order_id FROM presale_deposits WHERE deposit_order_id = $1`, m.OrderID).Scan(&status, &tail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a deposit order
	}
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	if shipping {
		return fmt.Errorf("order %s: %w", m.No, ErrDepositShips)
	}
	if status == "paid" && tail.Valid {
		return fmt.Errorf("order %s: its tail order %d waits for payment; cancel that first: %w", m.No, tail.Int64, ErrTailPending)
	}
	return nil
}

// deposit is the presale state an order's move needs.
type deposit struct {
	id, presaleID, customerID, quantity int64
	status                              string
	depositOrder                        int64
	tailOrder                           sql.NullInt64
}

// Moved implements order.Hook.
//
// Deposit order: paid → the deposit is paid; closed or cancelled unpaid →
// closed, its units back; refunded (paid → closed) while the tail is
// unpaid → refunded, its units back; shipping is refused.
//
// Tail order: paid → the deposit is completed and its units sold; closed
// unpaid → the buyer may place another tail within the window; refunded
// → the deposit is refunded too (the sweep refunds the deposit order).
// Shipping a tail order is ordinary.
func (h Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	if m.To != order.Paid && m.To != order.Closed && m.To != order.Cancelled && m.To != order.Shipped {
		return nil
	}
	if m.Lines != nil {
		// Every presale order's line has a stock rule; the payment passes
		// the lines, so an ordinary order's payment costs no read here.
		ours := false
		for _, l := range m.Lines {
			ours = ours || l.Stock != price.StockShelf
		}
		if !ours {
			return nil
		}
	}
	var d deposit
	err := tx.QueryRow(ctx, `SELECT id, presale_id, customer_id, quantity, status, deposit_order_id, tail_order_id FROM presale_deposits
		WHERE deposit_order_id = $1 OR tail_order_id = $1`, m.OrderID).
		Scan(&d.id, &d.presaleID, &d.customerID, &d.quantity, &d.status, &d.depositOrder, &d.tailOrder)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a presale order
	}
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	at := m.At.UnixMilli()
	set := func(from, to string, extra string) error {
		_, err := tx.Exec(ctx, `UPDATE presale_deposits SET status = $1`+extra+` WHERE id = $2 AND status = $3`, to, d.id, from, at)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		return nil
	}
	if m.OrderID == d.depositOrder {
		switch {
		case m.To == order.Shipped:
			return fmt.Errorf("order %s: %w", m.No, ErrDepositShips)
		case m.From == order.PendingPayment && m.To == order.Paid:
			return set("pending", "paid", ", paid_at = $4")
		case m.From == order.PendingPayment:
			if err := set("pending", "closed", ", settled_at = $4"); err != nil {
				return err
			}
			return h.Presales.giveBack(ctx, tx, d, m.At)
		case m.From == order.Paid && d.status == "paid":
			// Refunded before the tail: the buyer or the shop called it
			// off. Not while a tail order waits: paying it would sell
			// units the refund gives back.
			if d.tailOrder.Valid {
				return fmt.Errorf("order %s: its tail order %d waits for payment; cancel that first: %w", m.No, d.tailOrder.Int64, ErrTailPending)
			}
			if err := set("paid", "refunded", ", settled_at = $4"); err != nil {
				return err
			}
			return h.Presales.giveBack(ctx, tx, d, m.At)
		case m.From == order.Paid && d.status == "completed":
			// The deposit refunded alone after the tail was paid: the
			// goods are the tail order's, which stays as it is.
			return set("completed", "refunded", ", settled_at = $4")
		case m.From == order.Paid && d.status == "forfeited":
			// A kept deposit given back after all (goodwill); its units
			// went back when it was forfeited.
			return set("forfeited", "refunded", ", settled_at = $4")
		}
		return nil
	}
	switch {
	case m.From == order.PendingPayment && m.To == order.Paid:
		if err := set("paid", "completed", ", settled_at = $4"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE presales SET sold = sold + $1, updated_at = $3 WHERE id = $2`, d.quantity, d.presaleID, at); err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		return audit.Record(ctx, tx, "presale.tail_paid", "presale", d.presaleID, nil, map[string]any{"deposit_id": d.id, "order_no": m.No})
	case m.From == order.PendingPayment:
		_, err := tx.Exec(ctx, `UPDATE presale_deposits SET tail_order_id = NULL WHERE id = $1 AND tail_order_id = $2`, d.id, m.OrderID)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
	case m.From == order.Paid && (m.To == order.Closed || m.To == order.Cancelled):
		// The tail's refund put the goods back on the shelf; the deposit
		// follows it (the sweep refunds the deposit order).
		return set("completed", "refunded", ", settled_at = $4")
	}
	return nil
}

// giveBack returns a deposit's units: to the pool while it takes deposits,
// to the SKU once the pool has released its free units.
func (s *Service) giveBack(ctx context.Context, tx *db.Tx, d deposit, at interface{ UnixMilli() int64 }) error {
	var sku int64
	var released bool
	err := tx.QueryRow(ctx, `UPDATE presales SET deposited = deposited - $1, updated_at = $3 WHERE id = $2 RETURNING sku_id, released_at IS NOT NULL`,
		d.quantity, d.presaleID, at.UnixMilli()).Scan(&sku, &released)
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	if !released {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE presales SET stock = stock - $1 WHERE id = $2`, d.quantity, d.presaleID); err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	return s.inv().Release(ctx, tx, sku, d.quantity)
}
