package order

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/payment"
)

// PayInput is how the buyer pays. Outcome only matters to the sandbox
// provider: succeed (default), fail or pending.
type PayInput struct {
	Outcome string `json:"outcome" doc:"sandbox only: succeed (default), fail, or pending (confirmed later by the signed callback)"`
}

// Pay takes an unpaid order's money through the provider. The payment row
// is written first, and the unique index on live payments refuses a second
// one while it is pending or after it succeeded, so two clicks never charge
// twice (payment.ErrLivePayment, 409). A success commits the sale (stock
// leaves the shelf) in the same transaction that marks the order paid.
// customerID > 0 limits the call to the buyer's own order.
func (s *Service) Pay(ctx context.Context, customerID, id int64, in PayInput) (payment.Payment, error) {
	prov := s.provider()
	if prov.Name() == payment.SandboxName {
		if err := payment.CheckOutcome(in.Outcome); err != nil {
			return payment.Payment{}, err
		}
	}
	if payment.IsInstant(prov) {
		return s.payInstant(ctx, prov, customerID, id, in)
	}
	var p payment.Payment
	var o Order
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if o, err = getOrder(ctx, tx, id, s.window()); err != nil {
			return err
		}
		if customerID > 0 && o.CustomerID != customerID {
			return fmt.Errorf("order %d: %w", id, apperr.ErrNotFound)
		}
		if _, err := Next(o.Status, ActionPay); err != nil {
			return fmt.Errorf("order %s: %w", o.No, err)
		}
		p, err = payment.Start(ctx, tx, o.ID, prov.Name(), o.Total, o.Currency, s.now())
		if err != nil {
			return fmt.Errorf("pay order %s: %w", o.No, err)
		}
		return claimTx(ctx, tx, p.ID, s.now())
	})
	if err != nil {
		return payment.Payment{}, err
	}
	res, err := prov.Charge(ctx, payment.Charge{PaymentID: p.ID, OrderNo: o.No, Amount: p.Amount, Currency: p.Currency, Outcome: in.Outcome})
	if err != nil {
		// The charge did not happen: the attempt fails and the buyer may
		// pay again.
		serr := s.DB.InTx(ctx, func(tx *db.Tx) error {
			_, err := payment.Settle(ctx, tx, p.ID, payment.StatusPending, payment.StatusFailed, "", truncate(err.Error(), 500), s.now())
			return err
		})
		if serr != nil {
			return payment.Payment{}, fmt.Errorf("pay order %s: %w (and recording the failure: %v)", o.No, err, serr)
		}
		return payment.Payment{}, err
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.settle(ctx, tx, p, res)
	})
	if err != nil {
		return payment.Payment{}, err
	}
	return payment.Get(ctx, s.DB, p.ID)
}

// payInstant is Pay with a provider that answers from memory: the attempt,
// the charge and its settlement are one transaction, so paying costs one
// commit and a crash leaves either nothing or the settled payment.
func (s *Service) payInstant(ctx context.Context, prov payment.Provider, customerID, id int64, in PayInput) (payment.Payment, error) {
	// The order and its lines are read before the transaction, on a
	// reader, to keep the writer's work short: the lines of an unpaid
	// order never change, and the status is guarded where it matters —
	// the payment's insert refuses a second live payment and the order's
	// update matches only the status read.
	o, err := getOrder(ctx, s.DB, id, s.window())
	if err != nil {
		return payment.Payment{}, err
	}
	if customerID > 0 && o.CustomerID != customerID {
		return payment.Payment{}, fmt.Errorf("order %d: %w", id, apperr.ErrNotFound)
	}
	if _, err := Next(o.Status, ActionPay); err != nil {
		return payment.Payment{}, fmt.Errorf("order %s: %w", o.No, err)
	}
	lines, err := linesBySKU(ctx, s.DB, o.ID)
	if err != nil {
		return payment.Payment{}, err
	}
	var p payment.Payment
	// Rerunnable: an instant provider answers from memory, and the rest is
	// database work (db.InTxRerun).
	err = s.DB.InTxRerun(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		if p, err = payment.Start(ctx, tx, o.ID, prov.Name(), o.Total, o.Currency, now); err != nil {
			return fmt.Errorf("pay order %s: %w", o.No, err)
		}
		res, err := prov.Charge(ctx, payment.Charge{PaymentID: p.ID, OrderNo: o.No, Amount: p.Amount, Currency: p.Currency, Outcome: in.Outcome})
		if err != nil {
			return err
		}
		if err := s.settleOrder(ctx, tx, p, res, &o, lines); err != nil {
			return err
		}
		// What settle wrote, without reading it back.
		p.Status, p.UpdatedAt = res.Status, now
		if res.Ref != "" {
			p.ProviderRef = res.Ref
		}
		if res.Status == payment.StatusFailed {
			p.Failure = res.Failure
		}
		return claimTx(ctx, tx, p.ID, now)
	})
	if err != nil {
		return payment.Payment{}, err
	}
	return p, nil
}

// settle applies the provider's answer about a pending payment. It is
// idempotent: a payment no longer pending is left as it is.
func (s *Service) settle(ctx context.Context, tx *db.Tx, p payment.Payment, res payment.Result) error {
	return s.settleOrder(ctx, tx, p, res, nil, nil)
}

// settleOrder is settle with the payment's order and its lines (by SKU) as
// read already (nil: read them).
func (s *Service) settleOrder(ctx context.Context, tx *db.Tx, p payment.Payment, res payment.Result, o *Order, lines []Line) error {
	now := s.now()
	switch res.Status {
	case payment.StatusPending:
		_, err := payment.Settle(ctx, tx, p.ID, payment.StatusPending, payment.StatusPending, res.Ref, "", now)
		return err
	case payment.StatusFailed:
		_, err := payment.Settle(ctx, tx, p.ID, payment.StatusPending, payment.StatusFailed, res.Ref, res.Failure, now)
		return err
	case payment.StatusSucceeded:
	default:
		return fmt.Errorf("payment %d: provider answered %q: %w", p.ID, res.Status, apperr.ErrConflict)
	}
	ok, err := payment.Settle(ctx, tx, p.ID, payment.StatusPending, payment.StatusSucceeded, res.Ref, "", now)
	if err != nil || !ok {
		// Not pending any more: a callback came twice, or the order
		// closed and cancelled the payment (handled below for a late
		// success of a cancelled one).
		if err == nil {
			return s.lateSuccess(ctx, tx, p, res, now)
		}
		return err
	}
	return s.transitionTx(ctx, tx, move{id: p.OrderID, action: ActionPay, note: p.Provider + " " + res.Ref, order: o, lines: lines})
}

// lateSuccess handles money that arrived for a payment the shop had given
// up on (its order closed or was cancelled meanwhile): it is refunded at
// once rather than kept for goods that were released.
func (s *Service) lateSuccess(ctx context.Context, tx *db.Tx, p payment.Payment, res payment.Result, now time.Time) error {
	cur, err := payment.Get(ctx, tx, p.ID)
	if err != nil || cur.Status != payment.StatusCancelled {
		return err
	}
	ref := res.Ref
	if ref == "" {
		ref = cur.ProviderRef
	}
	if err := s.providerFor(cur).Refund(ctx, ref, cur.Amount); err != nil {
		return fmt.Errorf("refund late payment %d: %w", p.ID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE payments SET refunded = amount, provider_ref = $1, failure = $2, updated_at = $3 WHERE id = $4`,
		ref, "paid after the order was closed; refunded", now.UnixMilli(), p.ID); err != nil {
		return fmt.Errorf("refund late payment %d: %w", p.ID, err)
	}
	o, err := getOrder(ctx, tx, p.OrderID, s.window())
	if err != nil {
		return err
	}
	return addEvent(ctx, tx, o.ID, ActionRefund, string(o.Status), o.Status, fmt.Sprintf("payment %d arrived after the order was %s; refunded %d", p.ID, o.Status, cur.Amount), now)
}

// SandboxCallback applies a signed notification from the sandbox provider
// (the body and the two headers as received). Signature, age and nonce are
// checked first (payment.ErrBadCallback, 403); a payment settled already is
// answered as it is.
func (s *Service) SandboxCallback(ctx context.Context, timestamp, signature string, body []byte) (payment.Payment, error) {
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		cb, err := s.sandbox().Verify(ctx, tx, timestamp, signature, body, s.now())
		if err != nil {
			return err
		}
		p, err := payment.ByRef(ctx, tx, payment.SandboxName, cb.Ref)
		if err != nil {
			return err
		}
		id = p.ID
		if p.Status != payment.StatusPending && p.Status != payment.StatusCancelled {
			return nil
		}
		return s.settle(ctx, tx, p, payment.Result{Status: cb.Status, Ref: cb.Ref})
	})
	if err != nil {
		return payment.Payment{}, err
	}
	return payment.Get(ctx, s.DB, id)
}

// PaymentForCustomer returns a payment of one of the buyer's orders;
// another customer's is ErrNotFound.
func (s *Service) PaymentForCustomer(ctx context.Context, customerID, id int64) (payment.Payment, error) {
	p, err := payment.Get(ctx, s.DB, id)
	if err != nil {
		return p, err
	}
	if _, err := s.GetForCustomer(ctx, customerID, p.OrderID); err != nil {
		return payment.Payment{}, fmt.Errorf("payment %d: %w", id, apperr.ErrNotFound)
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
