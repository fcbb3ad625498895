package flash

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
)

// Hook takes a flash order's units from its item's pool in the checkout
// transaction and gives them back when the order closes unpaid; it
// implements order.Hook.
type Hook struct {
	Flash *Service
}

// Check implements order.Checker: sold out and over the limit are found by
// reading, before the checkout writes anything.
func (h Hook) Check(ctx context.Context, tx *db.Tx, o order.Placed) error {
	for _, l := range o.Priced.Lines {
		if l.FlashItemID == 0 {
			continue
		}
		limit, err := h.limit(ctx, tx, l.FlashItemID)
		if err != nil {
			return err
		}
		var left, held int64
		if err := tx.QueryRow(ctx, `SELECT i.stock - i.sold, COALESCE(b.quantity, 0) FROM flash_sale_items i
			LEFT JOIN flash_sale_buys b ON b.flash_item_id = i.id AND b.customer_id = $2 WHERE i.id = $1`,
			l.FlashItemID, o.CustomerID).Scan(&left, &held); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if left < l.Quantity {
			if left <= 0 {
				h.Flash.gate.markSoldOut(l.FlashItemID)
			}
			return fmt.Errorf("%s: %w", l.Title, ErrSoldOut)
		}
		if held+l.Quantity > limit {
			h.Flash.gate.markLimited(l.FlashItemID, o.CustomerID)
			return fmt.Errorf("%s: you hold %d, at most %d per customer: %w", l.Title, held, limit, ErrLimit)
		}
	}
	return nil
}

// Placed implements order.Hook: one conditional UPDATE per flash line
// (never more than the pool holds, while the sale runs) and one
// conditional upsert for the buyer's limit.
func (h Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	s := h.Flash
	for _, l := range o.Priced.Lines {
		if l.FlashItemID == 0 {
			continue
		}
		res, err := tx.Exec(ctx, `UPDATE flash_sale_items SET sold = sold + $1 WHERE id = $2 AND sold + $1 <= stock
			AND flash_sale_id IN (SELECT id FROM flash_sales WHERE ended_at IS NULL AND starts_at <= $3 AND ends_at > $3)`,
			l.Quantity, l.FlashItemID, o.At.UnixMilli())
		if err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var left int64
			var running bool
			err := tx.QueryRow(ctx, `SELECT i.stock - i.sold, f.ended_at IS NULL AND f.starts_at <= $2 AND f.ends_at > $2
				FROM flash_sale_items i JOIN flash_sales f ON f.id = i.flash_sale_id WHERE i.id = $1`, l.FlashItemID, o.At.UnixMilli()).Scan(&left, &running)
			if err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
			if !running {
				return fmt.Errorf("%s: the flash sale is not running: %w", l.Title, apperr.ErrConflict)
			}
			if left <= 0 {
				s.gate.markSoldOut(l.FlashItemID)
				return fmt.Errorf("%s: %w", l.Title, ErrSoldOut)
			}
			return fmt.Errorf("%s: only %d left in the flash sale: %w", l.Title, left, ErrSoldOut)
		}
		limit, err := h.limit(ctx, tx, l.FlashItemID)
		if err != nil {
			return err
		}
		res, err = tx.Exec(ctx, `INSERT INTO flash_sale_buys (flash_item_id, customer_id, quantity) VALUES ($1, $2, $3)
			ON CONFLICT (flash_item_id, customer_id) DO UPDATE SET quantity = flash_sale_buys.quantity + excluded.quantity
			WHERE flash_sale_buys.quantity + excluded.quantity <= $4`, l.FlashItemID, o.CustomerID, l.Quantity, limit)
		if err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 || l.Quantity > limit {
			return fmt.Errorf("%s: at most %d per customer: %w", l.Title, limit, ErrLimit)
		}
	}
	return nil
}

// limit is the per-customer limit of an item, from memory when the item is
// live there (it never changes after the sale is created).
func (h Hook) limit(ctx context.Context, tx *db.Tx, item int64) (int64, error) {
	if v := h.Flash.gate.view.Load(); v != nil {
		if l, ok := v.byItem[item]; ok {
			return l.Limit, nil
		}
	}
	var limit int64
	err := tx.QueryRow(ctx, `SELECT f.per_customer_limit FROM flash_sale_items i JOIN flash_sales f ON f.id = i.flash_sale_id WHERE i.id = $1`, item).Scan(&limit)
	if err != nil {
		return 0, fmt.Errorf("flash sale: %w", err)
	}
	return limit, nil
}

// Moved implements order.Hook: a paid flash order counts as paid; one that
// closes unpaid gives its units back — to the pool while the sale has not
// ended, to the SKU after — and frees the buyer's limit.
func (h Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	paid := m.From == order.PendingPayment && m.To == order.Paid
	released := m.From == order.PendingPayment && (m.To == order.Closed || m.To == order.Cancelled)
	if !paid && !released {
		return nil
	}
	if m.Lines != nil {
		flash := false
		for _, l := range m.Lines {
			flash = flash || l.FlashItemID > 0
		}
		if !flash {
			return nil
		}
	}
	if released {
		// Lock the order's items first, so that whether the sale has ended
		// is read after any End that holds them has committed (see endTx).
		if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET sold = sold WHERE id IN
			(SELECT flash_item_id FROM order_lines WHERE order_id = $1 AND flash_item_id IS NOT NULL)`, m.OrderID); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT l.flash_item_id, l.sku_id, l.quantity, f.ended_at IS NOT NULL
		FROM order_lines l JOIN flash_sale_items i ON i.id = l.flash_item_id JOIN flash_sales f ON f.id = i.flash_sale_id
		WHERE l.order_id = $1 ORDER BY l.sku_id`, m.OrderID)
	if err != nil {
		return fmt.Errorf("flash sale: %w", err)
	}
	type held struct {
		item, sku, n int64
		ended        bool
	}
	var lines []held
	for rows.Next() {
		var x held
		if err := rows.Scan(&x.item, &x.sku, &x.n, &x.ended); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range lines {
		if paid {
			if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET paid = paid + $1 WHERE id = $2`, x.n, x.item); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
			continue
		}
		if x.ended {
			// The pool gave its unsold units back when the sale ended;
			// these follow them to the SKU.
			if err := h.Flash.inv().Release(ctx, tx, x.sku, x.n); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET sold = sold - $1, stock = stock - $1 WHERE id = $2`, x.n, x.item); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
		} else if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET sold = sold - $1 WHERE id = $2`, x.n, x.item); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE flash_sale_buys SET quantity = quantity - $1 WHERE flash_item_id = $2 AND customer_id = $3 AND quantity >= $1`,
			x.n, x.item, m.CustomerID); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		h.Flash.gate.clearSoldOut(x.item)
		h.Flash.gate.clearLimited(x.item, m.CustomerID)
	}
	return nil
}

// Closer closes one unpaid order (the order service).
type Closer interface {
	CloseUnpaid(ctx context.Context, id int64, note string) error
}

// CloseUnpaid closes the flash orders still unpaid after their sale's
// payment window, for the scheduler; their units go back to the pool.
func (s *Service) CloseUnpaid(ctx context.Context, orders Closer) (int, error) {
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT o.id, f.payment_window_ms FROM orders o
		JOIN order_lines l ON l.order_id = o.id JOIN flash_sale_items i ON i.id = l.flash_item_id JOIN flash_sales f ON f.id = i.flash_sale_id
		WHERE o.status = 'pending_payment' AND o.created_at + f.payment_window_ms <= $1 LIMIT 1000`, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("close flash orders: %w", err)
	}
	type due struct{ id, window int64 }
	var ids []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.window); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, d := range ids {
		err := orders.CloseUnpaid(ctx, d.id, "flash sale: unpaid after "+(time.Duration(d.window)*time.Millisecond).String())
		switch {
		case err == nil:
			n++
		case errors.Is(err, order.ErrIllegalTransition):
			// paid or cancelled meanwhile
		default:
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
