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
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/settings"
)

// caseMove is one step of a case as the service runs it.
type caseMove struct {
	id         int64
	customerID int64 // > 0: the buyer acts, on their own case only
	action     AfterSaleAction
	note       string
	ship       ShipInput
}

// ApproveAfterSale accepts a case (同意).
func (s *Service) ApproveAfterSale(ctx context.Context, id int64, note string) (AfterSale, error) {
	return s.moveCase(ctx, caseMove{id: id, action: CaseApprove, note: note})
}

// RejectAfterSale refuses a case (拒绝); its units are free to claim again.
func (s *Service) RejectAfterSale(ctx context.Context, id int64, note string) (AfterSale, error) {
	return s.moveCase(ctx, caseMove{id: id, action: CaseReject, note: note})
}

// ReturnSent records that the buyer posted the goods back, with the
// courier and tracking number. customerID > 0: the buyer, on their own case.
func (s *Service) ReturnSent(ctx context.Context, customerID, id int64, in ShipInput) (AfterSale, error) {
	if customerID < 0 {
		return AfterSale{}, fmt.Errorf("after-sales case %d: %w", id, apperr.ErrNotFound)
	}
	if err := in.validate(); err != nil {
		return AfterSale{}, err
	}
	return s.moveCase(ctx, caseMove{id: id, customerID: customerID, action: CaseReturnSent, note: in.Note, ship: in})
}

// ReceiveReturn records that the returned goods reached the warehouse:
// they go back on the shelf (inventory reason return).
func (s *Service) ReceiveReturn(ctx context.Context, id int64, note string) (AfterSale, error) {
	return s.moveCase(ctx, caseMove{id: id, action: CaseReceive, note: note})
}

// RefundAfterSale pays the case's money back through the payment provider.
func (s *Service) RefundAfterSale(ctx context.Context, id int64, note string) (AfterSale, error) {
	return s.moveCase(ctx, caseMove{id: id, action: CaseRefund, note: note})
}

// ShipExchange sends the replacement units of an exchange whose returned
// goods arrived; out of stock is inventory.ErrOutOfStock (409).
func (s *Service) ShipExchange(ctx context.Context, id int64, in ShipInput) (AfterSale, error) {
	if err := in.validate(); err != nil {
		return AfterSale{}, err
	}
	return s.moveCase(ctx, caseMove{id: id, action: CaseExchangeShip, note: in.Note, ship: in})
}

// CloseAfterSale ends a case: a finished one is filed, an open one is
// withdrawn and its units are free to claim again.
func (s *Service) CloseAfterSale(ctx context.Context, id int64, note string) (AfterSale, error) {
	return s.moveCase(ctx, caseMove{id: id, action: CaseClose, note: note})
}

// WithdrawAfterSale is CloseAfterSale by the buyer, on their own case, before
// the shop decided.
func (s *Service) WithdrawAfterSale(ctx context.Context, customerID, id int64, note string) (AfterSale, error) {
	if customerID <= 0 {
		return AfterSale{}, fmt.Errorf("after-sales case %d: %w", id, apperr.ErrNotFound)
	}
	return s.moveCase(ctx, caseMove{id: id, customerID: customerID, action: CaseClose, note: note})
}

// CaseHook is a hook that also follows after-sales cases: CaseMoved runs in
// the transaction of every step (opening one too, with From ""), after the
// case changed and its money and stock moved.
type CaseHook interface {
	CaseMoved(ctx context.Context, tx *db.Tx, m CaseMoved) error
}

// CaseMoved is one step of an after-sales case, for the hooks. Amount is
// what the case refunds (or refunded, when To is CaseRefunded).
type CaseMoved struct {
	CaseID     int64
	OrderID    int64
	OrderNo    string
	CustomerID int64
	Kind       AfterSaleKind
	Action     AfterSaleAction
	From, To   AfterSaleStatus
	Amount     int64
	At         time.Time
}

func (s *Service) caseHooks(ctx context.Context, tx *db.Tx, m CaseMoved) error {
	for _, h := range s.Hooks {
		if c, ok := h.(CaseHook); ok {
			if err := c.CaseMoved(ctx, tx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// moveCase runs a step in one transaction: read the case, ask the state
// machine, change the status with an UPDATE that matches only the status it
// read, apply the step's effects on stock and money, record the event.
func (s *Service) moveCase(ctx context.Context, m caseMove) (AfterSale, error) {
	m.note = strings.TrimSpace(m.note)
	if err := checkNote(m.note); err != nil {
		return AfterSale{}, err
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := getCase(ctx, tx, m.id, now)
		if err != nil {
			return err
		}
		if m.customerID > 0 && c.CustomerID != m.customerID {
			return fmt.Errorf("after-sales case %d: %w", m.id, apperr.ErrNotFound)
		}
		if m.customerID > 0 && m.action == CaseClose && c.Status != CaseRequested {
			return fmt.Errorf("case %d is %s: only a request not yet decided can be withdrawn: %w", c.ID, c.Status, ErrIllegalCaseTransition)
		}
		to, err := NextCase(c.Kind, c.Status, m.action)
		if err != nil {
			return fmt.Errorf("after-sales case %d: %w", c.ID, err)
		}
		set := "status = $1, updated_at = $2"
		args := []any{string(to), now.UnixMilli(), c.ID, string(c.Status)}
		switch m.action {
		case CaseApprove, CaseReject:
			set += ", handled_at = $2"
		case CaseReturnSent:
			set += ", return_carrier = $5, return_tracking_no = $6"
			args = append(args, strings.TrimSpace(m.ship.Carrier), strings.TrimSpace(m.ship.TrackingNo))
		case CaseExchangeShip:
			set += ", carrier = $5, tracking_no = $6"
			args = append(args, strings.TrimSpace(m.ship.Carrier), strings.TrimSpace(m.ship.TrackingNo))
		}
		res, err := tx.Exec(ctx, `UPDATE aftersale_cases SET `+set+` WHERE id = $3 AND status = $4`, args...)
		if err != nil {
			return fmt.Errorf("after-sales case %d: %s: %w", c.ID, m.action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("after-sales case %d changed meanwhile: %w", c.ID, ErrIllegalCaseTransition)
		}
		if c.Lines, err = loadCaseLines(ctx, tx, c.ID); err != nil {
			return err
		}
		slices.SortFunc(c.Lines, func(a, b AfterSaleLine) int { return cmp.Compare(a.SKUID, b.SKUID) })
		if err := s.caseEffects(ctx, tx, c, to, m, now); err != nil {
			return err
		}
		if err := addCaseEvent(ctx, tx, c.ID, m.action, string(c.Status), to, m.note, now); err != nil {
			return err
		}
		if err := s.caseHooks(ctx, tx, CaseMoved{CaseID: c.ID, OrderID: c.OrderID, OrderNo: c.OrderNo, CustomerID: c.CustomerID, Kind: c.Kind,
			Action: m.action, From: c.Status, To: to, Amount: c.Amount, At: now}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "aftersale."+string(m.action), "aftersale", c.ID,
			map[string]any{"order_no": c.OrderNo, "status": c.Status}, map[string]any{"order_no": c.OrderNo, "status": to, "note": m.note})
	})
	if err != nil {
		return AfterSale{}, err
	}
	return s.GetAfterSale(ctx, m.id)
}

func (s *Service) caseEffects(ctx context.Context, tx *db.Tx, c AfterSale, to AfterSaleStatus, m caseMove, now time.Time) error {
	switch {
	case to == CaseRejected || (to == CaseClosed && (c.Status == CaseRequested || c.Status == CaseApproved || c.Status == CaseAwaitingReturn)):
		return releaseUnits(ctx, tx, c)
	case m.action == CaseReceive:
		// The returned units are back on the shelf; the sale's stock
		// movement is undone by a return movement, not erased.
		for _, l := range c.Lines {
			if err := s.inventory().Restock(ctx, tx, l.SKUID, l.Quantity, c.OrderNo); err != nil {
				return err
			}
		}
	case m.action == CaseRefund:
		return s.refundCase(ctx, tx, c, m.note, now)
	case m.action == CaseExchangeShip:
		return s.shipReplacement(ctx, tx, c)
	}
	return nil
}

// releaseUnits frees the units a case held, so another case may claim them.
func releaseUnits(ctx context.Context, q db.Queryer, c AfterSale) error {
	for _, l := range c.Lines {
		res, err := q.Exec(ctx, `UPDATE order_lines SET aftersale_quantity = aftersale_quantity - $1 WHERE id = $2 AND aftersale_quantity >= $1`,
			l.Quantity, l.OrderLineID)
		if err != nil {
			return fmt.Errorf("release units of after-sales case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("after-sales case %d: line %d holds fewer than %d units: %w", c.ID, l.OrderLineID, l.Quantity, apperr.ErrConflict)
		}
	}
	return nil
}

// shipReplacement sends an exchange's replacement units: a reservation
// turned into a sale at once, exactly as a paid order's units leave, so
// the ledger records a sale and stock is never oversold.
func (s *Service) shipReplacement(ctx context.Context, tx *db.Tx, c AfterSale) error {
	inv := s.inventory()
	byReplacement := slices.Clone(c.Lines)
	slices.SortFunc(byReplacement, func(a, b AfterSaleLine) int { return cmp.Compare(a.ReplacementSKUID, b.ReplacementSKUID) })
	for _, l := range byReplacement {
		sku := l.ReplacementSKUID
		if sku == 0 {
			sku = l.SKUID
		}
		if err := inv.Reserve(ctx, tx, sku, l.Quantity); err != nil {
			if errors.Is(err, inventory.ErrOutOfStock) {
				return fmt.Errorf("replacement for %s: %w", l.Title, err)
			}
			return err
		}
		if err := inv.CommitSale(ctx, tx, sku, l.Quantity, c.OrderNo); err != nil {
			return err
		}
	}
	// The exchanged units are the buyer's again: they may be claimed anew.
	return releaseUnits(ctx, tx, c)
}

// refundCase pays a case back: each line's units at what was paid for them
// (PaidForUnits, taken after the units refunded before, so a line's
// refunds add up to its total), plus shipping when RefundShipping says so.
// The refund row, orders.refunded_total, the lines' refunded quantities and
// orders.updated_at (which the sales rollup follows) change together; the
// provider is asked last, so its refusal rolls everything back.
func (s *Service) refundCase(ctx context.Context, tx *db.Tx, c AfterSale, note string, now time.Time) error {
	// The order row is locked first, as every order transition locks it
	// before stock and lines, so a concurrent cancel cannot deadlock with
	// this refund on PostgreSQL; it also stamps updated_at for the rollup.
	if _, err := tx.Exec(ctx, `UPDATE orders SET updated_at = $1 WHERE id = $2`, now.UnixMilli(), c.OrderID); err != nil {
		return fmt.Errorf("refund after-sales case %d: %w", c.ID, err)
	}
	o, err := getOrder(ctx, tx, c.OrderID, s.window())
	if err != nil {
		return err
	}
	if o.Status != Paid && o.Status != Shipped && o.Status != Delivered && o.Status != Completed {
		return fmt.Errorf("order %s is %s: %w", o.No, o.Status, ErrOrderNotEligible)
	}
	var amount int64
	for _, l := range c.Lines {
		var qty, total, refunded int64
		if err := tx.QueryRow(ctx, `SELECT quantity, line_total, refunded_quantity FROM order_lines WHERE id = $1`, l.OrderLineID).Scan(&qty, &total, &refunded); err != nil {
			return fmt.Errorf("refund after-sales case %d: %w", c.ID, err)
		}
		part := PaidForUnits(total, qty, refunded, l.Quantity)
		res, err := tx.Exec(ctx, `UPDATE order_lines SET refunded_quantity = refunded_quantity + $1, aftersale_quantity = aftersale_quantity - $1
			WHERE id = $2 AND refunded_quantity = $3 AND aftersale_quantity >= $1 AND refunded_quantity + $1 <= quantity`, l.Quantity, l.OrderLineID, refunded)
		if err != nil {
			return fmt.Errorf("refund after-sales case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("refund after-sales case %d: %s: %w", c.ID, l.Title, ErrUnitsClaimed)
		}
		if _, err := tx.Exec(ctx, `UPDATE aftersale_lines SET amount = $1 WHERE case_id = $2 AND order_line_id = $3`, part, c.ID, l.OrderLineID); err != nil {
			return err
		}
		amount += part
	}
	var left int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(quantity - refunded_quantity), 0) FROM order_lines WHERE order_id = $1`, o.ID).Scan(&left); err != nil {
		return err
	}
	if RefundShipping(o.Status, left) {
		amount += o.ShippingFee
	}
	if amount > o.Total-o.RefundedTotal {
		return fmt.Errorf("refund %d 分 of order %s: only %d 分 are left to refund: %w", amount, o.No, o.Total-o.RefundedTotal, apperr.ErrConflict)
	}
	var refundID any
	if amount > 0 {
		st, err := settings.Cached(ctx, s.DB)
		if err != nil {
			return err
		}
		var rid int64
		if err := tx.QueryRow(ctx, `INSERT INTO refunds (order_id, amount, reason, refunded_at, refunded_day) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			o.ID, amount, fmt.Sprintf("after-sales %d: %s", c.ID, c.Reason), now.UnixMilli(), settings.Day(now, st.Location())).Scan(&rid); err != nil {
			return fmt.Errorf("refund after-sales case %d: %w", c.ID, err)
		}
		refundID = rid
	}
	res, err := tx.Exec(ctx, `UPDATE orders SET refunded_total = refunded_total + $1, updated_at = $2 WHERE id = $3 AND refunded_total + $1 <= total`,
		amount, now.UnixMilli(), o.ID)
	if err != nil {
		return fmt.Errorf("refund order %s: %w", o.No, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("refund order %s: more than was paid: %w", o.No, apperr.ErrConflict)
	}
	if _, err := tx.Exec(ctx, `UPDATE aftersale_cases SET amount = $1, refund_id = $2 WHERE id = $3`, amount, refundID, c.ID); err != nil {
		return err
	}
	// Paid but not shipped: the sale took the units off the shelf at
	// payment, yet they never left the warehouse, so they go back.
	if c.Kind == RefundOnly && o.Status == Paid {
		for _, l := range c.Lines {
			if l.Stock == price.StockNone {
				continue
			}
			if err := s.inventory().Restock(ctx, tx, l.SKUID, l.Quantity, o.No); err != nil {
				return err
			}
		}
	}
	to := o.Status
	if left == 0 && o.Status == Paid {
		// Nothing of it is left to ship: 交易关闭, as a cancelled paid order.
		to = Closed
		res, err := tx.Exec(ctx, `UPDATE orders SET status = $1, cancelled_at = $2 WHERE id = $3 AND status = $4`,
			string(Closed), now.UnixMilli(), o.ID, string(Paid))
		if err != nil {
			return fmt.Errorf("close refunded order %s: %w", o.No, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("order %s changed meanwhile: %w", o.No, ErrIllegalTransition)
		}
	}
	msg := fmt.Sprintf("after-sales %d (%s): refunded %d 分", c.ID, c.Kind, amount)
	if note != "" {
		msg += "; " + note
	}
	if err := addEvent(ctx, tx, o.ID, ActionRefund, string(o.Status), to, msg, now); err != nil {
		return err
	}
	if amount == 0 {
		return nil
	}
	p, ok, err := payment.Live(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	if !ok || p.Status != payment.StatusSucceeded {
		// An imported order paid elsewhere: the refund is recorded, the
		// money moves outside storeops.
		return nil
	}
	if err := payment.MarkRefunded(ctx, tx, p.ID, amount, now); err != nil {
		return err
	}
	if err := s.providerFor(p).Refund(ctx, p.ProviderRef, amount); err != nil {
		return fmt.Errorf("refund order %s through %s: %w", o.No, p.Provider, err)
	}
	return nil
}
