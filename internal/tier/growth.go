package tier

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
)

// Hook earns growth when an order is paid and takes it back when the
// order is closed with a full refund or an after-sales case refunds part
// of it, in the order's own transaction; a payment that takes the window's
// growth over a threshold upgrades the customer there too. Every movement
// has a unique source, so a transaction that runs again (db.InTxRerun) or
// a step seen twice counts once.
type Hook struct{}

// Placed implements order.Hook: placing earns nothing.
func (Hook) Placed(context.Context, *db.Tx, order.Placed) error { return nil }

// Moved implements order.Hook.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	if m.CustomerID == 0 {
		return nil
	}
	switch {
	case m.To == order.Paid:
		var total int64
		if err := tx.QueryRow(ctx, `SELECT total FROM orders WHERE id = $1`, m.OrderID).Scan(&total); err != nil {
			return fmt.Errorf("tier growth: order %d: %w", m.OrderID, err)
		}
		c, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		return Apply(ctx, tx, c, Movement{CustomerID: m.CustomerID, OrderID: m.OrderID,
			Source: fmt.Sprintf("order:%d:paid", m.OrderID), Amount: c.Growth(total), At: m.At})
	case m.To == order.Closed && m.From != order.PendingPayment:
		// A paid order called off is refunded in full: take back what it
		// still counts for.
		return takeBack(ctx, tx, m.CustomerID, m.OrderID, fmt.Sprintf("order:%d:closed", m.OrderID), -1, m.At)
	}
	return nil
}

// CaseMoved implements order.CaseHook: a refund takes back the growth its
// amount earned, at most what the order still counts for.
func (Hook) CaseMoved(ctx context.Context, tx *db.Tx, m order.CaseMoved) error {
	if m.CustomerID == 0 || m.To != order.CaseRefunded || m.Amount <= 0 {
		return nil
	}
	return takeBack(ctx, tx, m.CustomerID, m.OrderID, fmt.Sprintf("case:%d:refunded", m.CaseID), m.Amount, m.At)
}

// takeBack subtracts the growth fen earns (fen < 0: all of it) from what
// the order still counts for.
func takeBack(ctx context.Context, tx *db.Tx, customerID, orderID int64, source string, fen int64, at time.Time) error {
	var left int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM growth_movements WHERE order_id = $1`, orderID).Scan(&left); err != nil {
		return fmt.Errorf("tier growth: order %d: %w", orderID, err)
	}
	c, err := Load(ctx, tx)
	if err != nil {
		return err
	}
	g := left
	if fen >= 0 {
		g = min(left, c.Growth(fen))
	}
	if g <= 0 {
		return nil
	}
	return Apply(ctx, tx, c, Movement{CustomerID: customerID, OrderID: orderID, Source: source, Amount: -g, At: at})
}

// Movement is one change of a customer's growth. Source names the event
// that caused it and is unique.
type Movement struct {
	CustomerID int64
	OrderID    int64 // 0: not from an order
	Source     string
	Amount     int64
	At         time.Time
	// Action is the action code of growth not from spend (ActionCheckIn,
	// ActionManual, …; "" for spend) and Reason what the customer page
	// shows for it.
	Action string
	Reason string
}

// Apply records a movement once (a source seen before changes nothing),
// adds it to the customer's growth and, when it raised the window's growth
// over a higher tier's threshold, upgrades them and records why.
func Apply(ctx context.Context, tx *db.Tx, c Config, mv Movement) error {
	var orderID any
	if mv.OrderID > 0 {
		orderID = mv.OrderID
	}
	res, err := tx.Exec(ctx, `INSERT INTO growth_movements (customer_id, source, order_id, amount, at, action, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (source) DO NOTHING`, mv.CustomerID, mv.Source, orderID, mv.Amount, mv.At.UnixMilli(), mv.Action, mv.Reason)
	if err != nil {
		return fmt.Errorf("tier growth %s: %w", mv.Source, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	now := mv.At.UnixMilli()
	// The upsert takes the customer's row lock first, so two payments of
	// one customer decide their upgrades one after the other.
	var current string
	if err := tx.QueryRow(ctx, `INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at) VALUES ($1, $2, $3, 0, $4)
		ON CONFLICT (customer_id) DO UPDATE SET growth = customer_tiers.growth + excluded.growth, updated_at = excluded.updated_at
		RETURNING tier`, mv.CustomerID, c.Levels[0].Code, mv.Amount, now).Scan(&current); err != nil {
		return fmt.Errorf("tier growth of customer %d: %w", mv.CustomerID, err)
	}
	if mv.Amount <= 0 {
		return nil // refunds never downgrade at once; the evaluation does
	}
	wg, err := windowGrowth(ctx, tx, mv.CustomerID, c, mv.At)
	if err != nil {
		return err
	}
	d := c.OnPayment(current, wg)
	if d.Kind != Upgrade {
		return nil
	}
	return move(ctx, tx, c, mv.CustomerID, current, d, wg, mv.At, mv.Source)
}

// move changes a customer's tier and records the change; source is the
// movement that made it ("" for the scheduled evaluation).
func move(ctx context.Context, tx *db.Tx, c Config, customerID int64, from string, d Decision, wg int64, at time.Time, source string) error {
	if _, err := tx.Exec(ctx, `UPDATE customer_tiers SET tier = $1, since = $2, updated_at = $2 WHERE customer_id = $3`,
		d.To, at.UnixMilli(), customerID); err != nil {
		return fmt.Errorf("tier of customer %d: %w", customerID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tier_changes (customer_id, from_tier, to_tier, kind, growth, threshold, window_months, at, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, customerID, from, d.To, d.Kind, wg, d.Threshold, c.WindowMonths, at.UnixMilli(), source); err != nil {
		return fmt.Errorf("record tier change of customer %d: %w", customerID, err)
	}
	return nil
}

// Summary is what an evaluation did.
type Summary struct {
	Evaluated  int `json:"evaluated"`
	Upgraded   int `json:"upgraded"`
	Downgraded int `json:"downgraded"`
}

// Evaluate applies the keep and downgrade rules (and any upgrade a ladder
// change made due) to every customer above the lowest tier or with growth
// in the window, as of now. One grouped read finds who moves; each move is
// its own transaction that takes the customer's row and decides again on
// what it reads there, so a payment committed meanwhile is counted. Safe
// to run on several instances at once.
func (s *Service) Evaluate(ctx context.Context) (Summary, error) {
	now := s.now()
	c, err := s.Config(ctx)
	if err != nil {
		return Summary{}, err
	}
	type cand struct {
		id   int64
		tier string
		wg   int64
	}
	rows, err := s.DB.Query(ctx, `SELECT t.customer_id, t.tier, COALESCE(SUM(m.amount), 0) FROM customer_tiers t
		LEFT JOIN growth_movements m ON m.customer_id = t.customer_id AND m.at >= $1
		GROUP BY t.customer_id, t.tier`, windowStart(c, now))
	if err != nil {
		return Summary{}, fmt.Errorf("tier evaluation: %w", err)
	}
	var sum Summary
	var moving []cand
	for rows.Next() {
		var x cand
		if err := rows.Scan(&x.id, &x.tier, &x.wg); err != nil {
			rows.Close()
			return sum, err
		}
		sum.Evaluated++
		if c.Evaluate(x.tier, x.wg).Kind != Keep {
			moving = append(moving, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, err
	}
	for _, x := range moving {
		var kind string
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			kind = ""
			var current string
			if err := tx.QueryRow(ctx, `UPDATE customer_tiers SET evaluated_at = $1 WHERE customer_id = $2 RETURNING tier`,
				now.UnixMilli(), x.id).Scan(&current); err != nil {
				return fmt.Errorf("tier of customer %d: %w", x.id, err)
			}
			wg, err := windowGrowth(ctx, tx, x.id, c, now)
			if err != nil {
				return err
			}
			d := c.Evaluate(current, wg)
			if d.Kind == Keep {
				return nil
			}
			kind = d.Kind
			return move(ctx, tx, c, x.id, current, d, wg, now, "")
		})
		if err != nil {
			return sum, err
		}
		switch kind {
		case Upgrade:
			sum.Upgraded++
		case Downgrade:
			sum.Downgraded++
		}
	}
	return sum, nil
}

// Backfill earns the growth of orders paid before tiers were kept (an
// imported or generated history): each paid order's total at its payment
// and its refunds at its last update, under the sources the hook uses for
// a full refund, so running it twice or after the hook counts once. Then
// every customer whose window growth reaches a tier is placed there, with
// an upgrade recorded at now.
func (s *Service) Backfill(ctx context.Context) (Summary, error) {
	c, err := s.Config(ctx)
	if err != nil {
		return Summary{}, err
	}
	per := c.GrowthPerYuan
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO growth_movements (customer_id, source, order_id, amount, at)
			SELECT customer_id, 'order:' || id || ':paid', id, total * $1 / 100, paid_at FROM orders
			WHERE customer_id IS NOT NULL AND paid_at IS NOT NULL AND total * $1 / 100 > 0
			ON CONFLICT (source) DO NOTHING`, per); err != nil {
			return fmt.Errorf("backfill growth: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO growth_movements (customer_id, source, order_id, amount, at)
			SELECT customer_id, 'order:' || id || ':closed', id, -(CASE WHEN refunded_total > total THEN total ELSE refunded_total END * $1 / 100), updated_at FROM orders
			WHERE customer_id IS NOT NULL AND paid_at IS NOT NULL AND refunded_total * $1 / 100 > 0
			ON CONFLICT (source) DO NOTHING`, per); err != nil {
			return fmt.Errorf("backfill refunds: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at)
			SELECT customer_id, $1, SUM(amount), 0, $2 FROM growth_movements GROUP BY customer_id
			ON CONFLICT (customer_id) DO UPDATE SET growth = excluded.growth`, c.Levels[0].Code, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return Summary{}, err
	}
	return s.Evaluate(ctx)
}
