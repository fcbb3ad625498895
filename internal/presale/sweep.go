package presale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/webhook"
)

// Webhook events of presales, sent through the outbox.
const (
	EventTailDue          = "presale.tail_due"          // a paid deposit's tail is due: stage "open" when the window opens, "closing" within a day of its end
	EventDepositForfeited = "presale.deposit_forfeited" // the tail window passed unpaid; the deposit is kept
	EventDepositRefunded  = "presale.deposit_refunded"  // the tail window passed unpaid on a refundable presale
)

// ClosingSoon is how long before the tail window ends the second
// reminder goes out.
const ClosingSoon = 24 * time.Hour

// Orders calls presale orders off (the order service): CloseUnpaid closes
// an unpaid tail order at the end of the window, Cancel refunds a paid
// deposit order in full.
type Orders interface {
	Cancel(ctx context.Context, id int64, reason string) (order.Order, error)
	CloseUnpaid(ctx context.Context, id int64, note string) error
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Released, Reminded, TailsClosed, Forfeited, Refunded int
}

// Sweep runs a presale's clock, for the scheduler: it gives the pools'
// free units back when deposits close, reminds buyers of their tails
// (EventTailDue), closes tail orders still unpaid when the tail window
// ends, forfeits (or, on a refundable presale, refunds) the deposits whose
// tail went unpaid and gives their units back, and refunds the deposit
// orders of refunded deposits. Safe on several instances at once and
// idempotent: every step is a conditional update, and an order moved
// meanwhile is skipped for the next sweep.
func (s *Service) Sweep(ctx context.Context, orders Orders) (SweepResult, error) {
	var r SweepResult
	now := s.now()
	at := now.UnixMilli()
	var errs []error

	ids, err := s.ids(ctx, `SELECT id FROM presales WHERE released_at IS NULL AND (deposit_ends_at <= $1 OR ended_at IS NOT NULL) LIMIT 500`, at)
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		if err := s.DB.InTx(ctx, func(tx *db.Tx) error { return s.releaseTx(ctx, tx, id, now) }); err != nil {
			errs = append(errs, err)
			continue
		}
		r.Released++
	}

	// Reminders: 1 when the tail window opens, 2 within ClosingSoon of
	// its end (a deposit paid late in the window gets only the second).
	rows, err := s.DB.Query(ctx, `SELECT d.id, CASE WHEN ps.tail_ends_at - $1 <= $2 THEN 2 ELSE 1 END FROM presale_deposits d
		JOIN presales ps ON ps.id = d.presale_id
		WHERE d.status = 'paid' AND d.tail_order_id IS NULL AND ps.tail_starts_at <= $1 AND ps.tail_ends_at > $1
		AND d.reminders < CASE WHEN ps.tail_ends_at - $1 <= $2 THEN 2 ELSE 1 END LIMIT 1000`, at, ClosingSoon.Milliseconds())
	if err != nil {
		return r, fmt.Errorf("presale reminders: %w", err)
	}
	type remind struct{ id, stage int64 }
	var due []remind
	for rows.Next() {
		var x remind
		if err := rows.Scan(&x.id, &x.stage); err != nil {
			rows.Close()
			return r, err
		}
		due = append(due, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	for _, x := range due {
		sent := false
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			sent = false
			res, err := tx.Exec(ctx, `UPDATE presale_deposits SET reminders = $2 WHERE id = $1 AND reminders < $2 AND status = 'paid'`, x.id, x.stage)
			if err != nil {
				return fmt.Errorf("remind deposit %d: %w", x.id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			d, err := s.depositTx(ctx, tx, x.id)
			if err != nil {
				return err
			}
			stage := "open"
			if x.stage == 2 {
				stage = "closing"
			}
			sent = true
			return webhook.Emit(ctx, tx, EventTailDue, reminderPayload(d, stage))
		})
		if err != nil {
			errs = append(errs, err)
		} else if sent {
			r.Reminded++
		}
	}

	// Tail orders still unpaid when the window ends close; their
	// deposits are then settled below (next sweep at the latest).
	ids, err = s.ids(ctx, `SELECT d.tail_order_id FROM presale_deposits d JOIN presales ps ON ps.id = d.presale_id
		JOIN orders o ON o.id = d.tail_order_id
		WHERE d.status = 'paid' AND ps.tail_ends_at <= $1 AND o.status = 'pending_payment' LIMIT 1000`, at)
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		err := orders.CloseUnpaid(ctx, id, "预售尾款未在支付期内付清 (tail window passed)")
		switch {
		case err == nil:
			r.TailsClosed++
		case errors.Is(err, order.ErrIllegalTransition):
		default:
			errs = append(errs, fmt.Errorf("close tail order %d: %w", id, err))
		}
	}

	ids, err = s.ids(ctx, `SELECT d.id FROM presale_deposits d JOIN presales ps ON ps.id = d.presale_id
		WHERE d.status = 'paid' AND d.tail_order_id IS NULL AND ps.tail_ends_at <= $1 ORDER BY d.id LIMIT 1000`, at)
	if err != nil {
		return r, err
	}
	for _, id := range ids {
		forfeited := false
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			d, err := s.depositTx(ctx, tx, id)
			if err != nil {
				return err
			}
			next, event := DepositForfeited, EventDepositForfeited
			if d.Refundable {
				next, event = DepositRefunded, EventDepositRefunded
			}
			res, err := tx.Exec(ctx, `UPDATE presale_deposits SET status = $2, settled_at = $3 WHERE id = $1 AND status = 'paid' AND tail_order_id IS NULL`,
				id, next, at)
			if err != nil {
				return fmt.Errorf("settle deposit %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // a tail order came meanwhile
			}
			if err := s.giveBack(ctx, tx, deposit{id: d.ID, presaleID: d.PresaleID, quantity: d.Quantity}, now); err != nil {
				return err
			}
			forfeited = next == DepositForfeited
			if err := audit.Record(ctx, tx, "presale.deposit_"+next, "presale", d.PresaleID, nil,
				map[string]any{"deposit_id": d.ID, "order_no": d.DepositOrderNo, "amount": d.DepositAmount}); err != nil {
				return err
			}
			d.Status = next
			return webhook.Emit(ctx, tx, event, reminderPayload(d, ""))
		})
		if err != nil {
			errs = append(errs, err)
		} else if forfeited {
			r.Forfeited++
		}
	}

	// Refunded deposits whose deposit order still holds the money: a
	// refundable presale's unpaid tail, or a refunded tail order.
	rows, err = s.DB.Query(ctx, `SELECT d.deposit_order_id, ps.name FROM presale_deposits d JOIN presales ps ON ps.id = d.presale_id
		JOIN orders o ON o.id = d.deposit_order_id WHERE d.status = 'refunded' AND o.status = 'paid' ORDER BY d.id LIMIT 1000`)
	if err != nil {
		return r, fmt.Errorf("presale refunds: %w", err)
	}
	type refund struct {
		order int64
		name  string
	}
	var refunds []refund
	for rows.Next() {
		var x refund
		if err := rows.Scan(&x.order, &x.name); err != nil {
			rows.Close()
			return r, err
		}
		refunds = append(refunds, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	for _, x := range refunds {
		_, err := orders.Cancel(ctx, x.order, "预售 "+x.name+": 定金退还 (deposit refunded)")
		switch {
		case err == nil:
			r.Refunded++
		case errors.Is(err, order.ErrIllegalTransition):
		default:
			errs = append(errs, fmt.Errorf("refund deposit order %d: %w", x.order, err))
		}
	}
	return r, errors.Join(errs...)
}

func reminderPayload(d Deposit, stage string) map[string]any {
	out := map[string]any{"deposit_id": d.ID, "presale_id": d.PresaleID, "presale": d.Presale, "customer_id": d.CustomerID,
		"quantity": d.Quantity, "status": d.Status, "deposit_amount": d.DepositAmount, "tail_amount": d.TailAmount,
		"tail_starts_at": d.TailStartsAt, "tail_ends_at": d.TailEndsAt, "deposit_order_no": d.DepositOrderNo,
		"deposit_refundable": d.Refundable, "forfeit_rule": d.ForfeitRule, "forfeit_rule_zh": d.ForfeitRuleZH}
	if stage != "" {
		out["stage"] = stage
	}
	return out
}

// depositTx reads a deposit inside a transaction.
func (s *Service) depositTx(ctx context.Context, tx *db.Tx, id int64) (Deposit, error) {
	ds, err := s.depositsQ(ctx, tx, `WHERE d.id = $1`, id)
	if err != nil {
		return Deposit{}, err
	}
	if len(ds) == 0 {
		return Deposit{}, fmt.Errorf("deposit %d: %w", id, sql.ErrNoRows)
	}
	return ds[0], nil
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("presale sweep: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
