package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/settings"
)

// move is one transition as the service runs it.
type move struct {
	id         int64
	customerID int64 // > 0: the buyer acts, and only on their own order
	action     Action
	note       string
	ship       ShipInput
	// order, when set, is the order as read already in this transaction,
	// so the move does not read it again.
	order *Order
	// paidDay is set by the move to paid: the store's day of the payment.
	paidDay int64
	// lines, when set, are the order's lines as read already, by SKU.
	lines []Line
}

// transition runs a move in one transaction: it reads the order, asks the
// state machine, changes the status with an UPDATE that matches only the
// status it read (so a concurrent change cannot be overwritten), applies
// the move's effects on stock and money, and records the event.
func (s *Service) transition(ctx context.Context, m move) (Order, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.transitionTx(ctx, tx, m)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, m.id)
}

func (s *Service) transitionTx(ctx context.Context, tx *db.Tx, m move) error {
	var o Order
	if m.order != nil && m.order.ID == m.id {
		o = *m.order
	} else {
		var err error
		if o, err = getOrder(ctx, tx, m.id, s.window()); err != nil {
			return err
		}
	}
	if m.customerID > 0 && o.CustomerID != m.customerID {
		return fmt.Errorf("order %d: %w", m.id, apperr.ErrNotFound)
	}
	to, err := Next(o.Status, m.action)
	if err != nil {
		return fmt.Errorf("order %s: %w", o.No, err)
	}
	if m.action == ActionCancel && o.Status == Paid {
		// Cancelling refunds the whole order; units an open after-sales case
		// holds would then be refunded twice over, by the cancel and by the
		// case, so the case has to be finished or closed first.
		var held int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(SUM(aftersale_quantity), 0) FROM order_lines WHERE order_id = $1", o.ID).Scan(&held); err != nil {
			return fmt.Errorf("order %s: %w", o.No, err)
		}
		if held > 0 {
			return fmt.Errorf("order %s: %w", o.No, ErrOpenAfterSale)
		}
	}
	now := s.now()
	for _, h := range s.Hooks {
		if c, ok := h.(MoveChecker); ok {
			if err := c.CheckMove(ctx, tx, Moved{OrderID: o.ID, No: o.No, CustomerID: o.CustomerID, Action: m.action, From: o.Status, To: to, At: now, Lines: m.lines}); err != nil {
				return err
			}
		}
	}
	set := "status = $1, updated_at = $2"
	args := []any{string(to), now.UnixMilli(), o.ID, string(o.Status)}
	switch to {
	case Paid:
		st, err := settings.Cached(ctx, s.DB)
		if err != nil {
			return err
		}
		m.paidDay = settings.Day(now, st.Location())
		set += ", paid_at = $2, paid_day = $5"
		args = append(args, m.paidDay)
	case Shipped:
		set += ", shipped_at = $2, carrier = $5, tracking_no = $6"
		args = append(args, strings.TrimSpace(m.ship.Carrier), strings.TrimSpace(m.ship.TrackingNo))
	case Delivered:
		set += ", delivered_at = $2"
	case Completed:
		set += ", completed_at = $2"
	case Cancelled, Closed:
		set += ", cancelled_at = $2"
	}
	res, err := tx.Exec(ctx, `UPDATE orders SET `+set+` WHERE id = $3 AND status = $4`, args...)
	if err != nil {
		return fmt.Errorf("order %s: %s: %w", o.No, m.action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := getOrder(ctx, tx, m.id, s.window())
		if err != nil {
			return err
		}
		_, err = Next(cur.Status, m.action)
		return fmt.Errorf("order %s changed meanwhile: %w", o.No, err)
	}
	lines, err := s.effects(ctx, tx, o, to, m, now)
	if err != nil {
		return err
	}
	for _, h := range s.Hooks {
		if err := h.Moved(ctx, tx, Moved{OrderID: o.ID, No: o.No, CustomerID: o.CustomerID, Action: m.action, From: o.Status, To: to, At: now, Lines: m.lines}); err != nil {
			return err
		}
	}
	if err := addEvent(ctx, tx, o.ID, m.action, string(o.Status), to, m.note, now); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "order."+string(m.action), "order", o.ID,
		map[string]any{"order_no": o.No, "status": o.Status}, map[string]any{"order_no": o.No, "status": to, "note": m.note}); err != nil {
		return err
	}
	return s.moveStock(ctx, tx, o, to, lines)
}

// effects is what a transition does beyond the status and the stock: a
// paid order notes the buyer's first purchase, a pending payment of a
// cancelled order is called off, and a paid order that is called off gets
// its money back. It returns the lines whose stock moves, for moveStock.
func (s *Service) effects(ctx context.Context, tx *db.Tx, o Order, to Status, m move, now time.Time) ([]Line, error) {
	switch {
	case o.Status == PendingPayment && to == Paid:
		lines := m.lines
		if lines == nil {
			var err error
			if lines, err = linesBySKU(ctx, tx, o.ID); err != nil {
				return nil, err
			}
		}
		// An order whose every line moves no goods (a presale deposit) is
		// not a purchase: the buyer's first purchase is the tail's
		// (docs/METRICS.md, "Presale orders").
		goods := len(lines) == 0
		for _, l := range lines {
			goods = goods || l.Stock != price.StockNone
		}
		if goods {
			if err := customer.NotePaid(ctx, tx, o.CustomerID, m.paidDay); err != nil {
				return nil, err
			}
		}
		return lines, nil
	case o.Status == PendingPayment && (to == Cancelled || to == Closed):
		lines, err := linesBySKU(ctx, tx, o.ID)
		if err != nil {
			return nil, err
		}
		// A payment still pending will not be taken: should its success
		// arrive later, settle refunds it.
		if p, ok, err := payment.Live(ctx, tx, o.ID); err != nil {
			return nil, err
		} else if ok && p.Status == payment.StatusPending {
			if _, err := payment.Settle(ctx, tx, p.ID, payment.StatusPending, payment.StatusCancelled, "", "order "+string(to), now); err != nil {
				return nil, err
			}
		}
		return lines, nil
	case o.Status == Paid && to == Closed:
		return nil, s.refundInFull(ctx, tx, o, m.note, now)
	}
	return nil, nil
}

// moveStock moves the stock of a transition's lines: a payment turns the
// reservations into a sale, a cancel or close of an unpaid order gives
// them back. It runs last in the transaction: on PostgreSQL the UPDATE
// locks the SKU's stock row until the commit, and a best seller's row is
// wanted by every checkout and payment at once — taken first, it was held
// through the hooks' dozen statements and paying orders queued on it.
func (s *Service) moveStock(ctx context.Context, tx *db.Tx, o Order, to Status, lines []Line) error {
	inv := s.inventory()
	for _, l := range lines {
		switch {
		case to == Paid:
			if l.Stock == price.StockNone {
				continue
			}
			if err := inv.CommitSale(ctx, tx, l.SKUID, l.Quantity, o.No); err != nil {
				return err
			}
		case to == Cancelled || to == Closed:
			if l.FlashItemID > 0 || l.Stock != price.StockShelf {
				continue // back to a pool (its hook does that), or no goods
			}
			if err := inv.Release(ctx, tx, l.SKUID, l.Quantity); err != nil {
				return err
			}
		}
	}
	return nil
}

// refundInFull returns a paid, unshipped order's money and puts its goods
// back on the shelf: the sale is undone line by line, as 售后 before
// shipping.
func (s *Service) refundInFull(ctx context.Context, tx *db.Tx, o Order, reason string, now time.Time) error {
	amount := o.Total - o.RefundedTotal
	p, ok, err := payment.Live(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	if ok && p.Status == payment.StatusSucceeded && amount > 0 {
		// The provider is asked inside the transaction: if it refuses, the
		// order stays paid and nothing here is written.
		if err := s.providerFor(p).Refund(ctx, p.ProviderRef, min(amount, p.Amount-p.Refunded)); err != nil {
			return fmt.Errorf("refund order %s through %s: %w", o.No, p.Provider, err)
		}
		if err := payment.MarkRefunded(ctx, tx, p.ID, min(amount, p.Amount-p.Refunded), now); err != nil {
			return err
		}
	}
	if amount > 0 {
		st, err := settings.Cached(ctx, s.DB)
		if err != nil {
			return err
		}
		if reason == "" {
			reason = "cancelled before shipping"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO refunds (order_id, amount, reason, refunded_at, refunded_day) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, amount, reason, now.UnixMilli(), settings.Day(now, st.Location())); err != nil {
			return fmt.Errorf("refund order %s: %w", o.No, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE orders SET refunded_total = total WHERE id = $1`, o.ID); err != nil {
			return fmt.Errorf("refund order %s: %w", o.No, err)
		}
	}
	lines, err := linesBySKU(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		back := l.Quantity - l.RefundedQuantity
		if back <= 0 || l.Stock == price.StockNone {
			continue
		}
		if err := s.inventory().Restock(ctx, tx, l.SKUID, back, o.No); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE order_lines SET refunded_quantity = quantity WHERE order_id = $1`, o.ID); err != nil {
		return fmt.Errorf("refund order %s: %w", o.No, err)
	}
	return nil
}

func (s *Service) providerFor(p payment.Payment) payment.Provider {
	if p.Provider == payment.SandboxName {
		return s.sandbox()
	}
	return s.provider()
}

// Ship records that the parcel left with a courier.
func (s *Service) Ship(ctx context.Context, id int64, in ShipInput) (Order, error) {
	if err := in.validate(); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, move{id: id, action: ActionShip, ship: in, note: in.Note})
}

// Deliver records that the parcel arrived (签收).
func (s *Service) Deliver(ctx context.Context, id int64, note string) (Order, error) {
	if err := checkNote(note); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, move{id: id, action: ActionDeliver, note: note})
}

// Complete closes a delivered order as done (确认收货).
func (s *Service) Complete(ctx context.Context, id int64, note string) (Order, error) {
	if err := checkNote(note); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, move{id: id, action: ActionComplete, note: note})
}

// Cancel calls an order off before it ships: an unpaid order releases its
// stock (cancelled); a paid one is refunded in full and its goods return to
// the shelf (closed). Shipped orders go through after-sales instead.
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (Order, error) {
	if err := checkNote(reason); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, move{id: id, action: ActionCancel, note: strings.TrimSpace(reason)})
}

// CancelForCustomer is Cancel by the buyer, on their own order only
// (another's is ErrNotFound).
func (s *Service) CancelForCustomer(ctx context.Context, customerID, id int64, reason string) (Order, error) {
	if customerID <= 0 {
		return Order{}, fmt.Errorf("order %d: %w", id, apperr.ErrNotFound)
	}
	if err := checkNote(reason); err != nil {
		return Order{}, err
	}
	return s.transition(ctx, move{id: id, customerID: customerID, action: ActionCancel, note: strings.TrimSpace(reason)})
}

// CloseUnpaid closes one unpaid order now — a flash-sale order whose
// shorter payment window passed — releasing what it holds.
func (s *Service) CloseUnpaid(ctx context.Context, id int64, note string) error {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.transitionTx(ctx, tx, move{id: id, action: ActionClose, note: note})
	})
	return err
}

// CloseExpired closes the orders still unpaid when their payment window
// ended before now, releasing their stock, and returns how many it closed.
// Each order closes in its own transaction, so one failure stops nothing
// else; an order paid meanwhile is left alone.
func (s *Service) CloseExpired(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-s.window()).UnixMilli()
	closed := 0
	for {
		rows, err := s.DB.Query(ctx, `SELECT id FROM orders WHERE status = $1 AND created_at <= $2 ORDER BY created_at LIMIT 200`,
			string(PendingPayment), cutoff)
		if err != nil {
			return closed, fmt.Errorf("close expired orders: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return closed, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return closed, err
		}
		var errs []error
		for _, id := range ids {
			err := s.DB.InTx(ctx, func(tx *db.Tx) error {
				return s.transitionTx(ctx, tx, move{id: id, action: ActionClose, note: "unpaid after " + s.window().String()})
			})
			switch {
			case err == nil:
				closed++
			case errors.Is(err, ErrIllegalTransition):
			default:
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return closed, fmt.Errorf("close expired orders: %w", errors.Join(errs...))
		}
		if len(ids) < 200 {
			return closed, nil
		}
	}
}

// linesBySKU is an order's lines in ascending SKU order, the order every
// transaction touches stock rows in, so that two of them never wait on each
// other in a circle (a deadlock on PostgreSQL).
func linesBySKU(ctx context.Context, q db.Queryer, orderID int64) ([]Line, error) {
	lines, err := loadLines(ctx, q, orderID)
	slices.SortFunc(lines, func(a, b Line) int { return cmp.Compare(a.SKUID, b.SKUID) })
	return lines, err
}
