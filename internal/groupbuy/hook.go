package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// Hook writes a group-buy order's membership in the checkout transaction
// and follows the order through payment, closing and refunds; it
// implements order.Hook and order.Checker. It only reads and writes the
// database, so it may run more than once (db.InTxRerun).
type Hook struct {
	GroupBuys *Service
}

// groupLine is the checkout's group-buy line and its campaign.
func groupLine(p price.Priced) (campaignID int64, l price.LinePrice, ok bool) {
	for _, a := range p.Applied {
		if a.Kind == KindGroupBuy && len(p.Lines) == 1 {
			return a.PromotionID, p.Lines[0], true
		}
	}
	return 0, price.LinePrice{}, false
}

func (h Hook) placedLine(o order.Placed) (*price.GroupBuy, int64, price.LinePrice, error) {
	in := o.Request.GroupBuy
	if in == nil {
		return nil, 0, price.LinePrice{}, nil
	}
	campaign, l, ok := groupLine(o.Priced)
	if !ok {
		// The order service's pricer does not include groupbuy.Pricer.
		return nil, 0, price.LinePrice{}, errors.New("group buy: the checkout was not priced at the group price (groupbuy.Pricer is not wired)")
	}
	return in, campaign, l, nil
}

// Check implements order.Checker: over the limit, a full or closed group,
// and a buyer already in the group are found by reading.
func (h Hook) Check(ctx context.Context, tx *db.Tx, o order.Placed) error {
	in, campaign, l, err := h.placedLine(o)
	if in == nil || err != nil {
		return err
	}
	var limit, held int64
	if err := tx.QueryRow(ctx, `SELECT c.per_customer_limit, COALESCE(b.quantity, 0) FROM group_buy_campaigns c
		LEFT JOIN group_buy_buys b ON b.campaign_id = c.id AND b.customer_id = $2 WHERE c.id = $1`, campaign, o.CustomerID).Scan(&limit, &held); err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	if held+l.Quantity > limit {
		return fmt.Errorf("you hold %d, at most %d per customer: %w", held, limit, ErrLimit)
	}
	if in.Open {
		return nil
	}
	var st string
	var joined, size, expires int64
	var member bool
	err = tx.QueryRow(ctx, `SELECT g.status, g.joined, g.group_size, g.expires_at,
			EXISTS (SELECT 1 FROM group_buy_members m WHERE m.group_id = g.id AND m.customer_id = $2 AND m.status IN ('pending', 'paid'))
		FROM group_buy_groups g WHERE g.code = $1`, in.Code, o.CustomerID).Scan(&st, &joined, &size, &expires, &member)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoGroup(in.Code)
	}
	if err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	if member {
		return ErrAlreadyMember
	}
	return joinable(GroupStatus(st), joined, size, expires, o.At.UnixMilli())
}

// Placed implements order.Hook: the buyer's units against the campaign's
// limit (one conditional upsert), then a new group with its leader, or a
// slot in the group (one conditional UPDATE: never more than its size) and
// the membership.
func (h Hook) Placed(ctx context.Context, tx *db.Tx, o order.Placed) error {
	in, campaign, l, err := h.placedLine(o)
	if in == nil || err != nil {
		return err
	}
	at := o.At.UnixMilli()
	res, err := tx.Exec(ctx, `INSERT INTO group_buy_buys (campaign_id, customer_id, quantity)
		SELECT id, $2, $3 FROM group_buy_campaigns WHERE id = $1 AND per_customer_limit >= $3
		ON CONFLICT (campaign_id, customer_id) DO UPDATE SET quantity = group_buy_buys.quantity + excluded.quantity
		WHERE group_buy_buys.quantity + excluded.quantity <= (SELECT per_customer_limit FROM group_buy_campaigns WHERE id = $1)`,
		campaign, o.CustomerID, l.Quantity)
	if err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLimit
	}
	var groupID int64
	if in.Open {
		err := tx.QueryRow(ctx, `INSERT INTO group_buy_groups (campaign_id, code, leader_id, group_size, status, joined, paid, opened_at, expires_at)
			SELECT id, $2, $3, group_size, 'forming', 1, 0, $4, $4 + time_limit_ms FROM group_buy_campaigns
			WHERE id = $1 AND ended_at IS NULL AND starts_at <= $4 AND ends_at > $4 RETURNING id`,
			campaign, in.Code, o.CustomerID, at).Scan(&groupID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotRunning
		}
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("a new group's code was taken; try again: %w", apperr.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
	} else {
		err := tx.QueryRow(ctx, `UPDATE group_buy_groups SET joined = joined + 1
			WHERE code = $1 AND status = 'forming' AND joined < group_size AND expires_at > $2 RETURNING id`, in.Code, at).Scan(&groupID)
		if errors.Is(err, sql.ErrNoRows) {
			var st string
			var joined, size, expires int64
			if err := tx.QueryRow(ctx, `SELECT status, joined, group_size, expires_at FROM group_buy_groups WHERE code = $1`, in.Code).
				Scan(&st, &joined, &size, &expires); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errNoGroup(in.Code)
				}
				return fmt.Errorf("group buy: %w", err)
			}
			if err := joinable(GroupStatus(st), joined, size, expires, at); err != nil {
				return err
			}
			return ErrFull
		}
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
	}
	// A buyer whose earlier order in the group closed unpaid (left) may
	// join again; one pending or paid in it may not.
	res, err = tx.Exec(ctx, `INSERT INTO group_buy_members (group_id, customer_id, order_id, leader, status, joined_at)
		VALUES ($1, $2, $3, $4, 'pending', $5)
		ON CONFLICT (group_id, customer_id) DO UPDATE SET order_id = excluded.order_id, status = 'pending', joined_at = excluded.joined_at, paid_at = NULL
		WHERE group_buy_members.status = 'left'`, groupID, o.CustomerID, o.ID, in.Open, at)
	if err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyMember
	}
	return nil
}

// Moved implements order.Hook. Paid: the member counts, and the Nth
// payment within the time limit marks the group succeeded (one conditional
// UPDATE, so it cannot count past N). Closed or cancelled: a member of a
// forming group gives back their slot; any member gives back their units
// of the per-customer limit. Shipped: refused until the group succeeded.
func (h Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	paid := m.From == order.PendingPayment && m.To == order.Paid
	ended := m.To == order.Closed || m.To == order.Cancelled
	ship := m.To == order.Shipped
	if !paid && !ended && !ship {
		return nil
	}
	var memberID, groupID, campaignID, expires, size, gpaid int64
	var ms, gs, code string
	err := tx.QueryRow(ctx, `SELECT mb.id, mb.status, g.id, g.status, g.code, g.campaign_id, g.expires_at, g.group_size, g.paid
		FROM group_buy_members mb JOIN group_buy_groups g ON g.id = mb.group_id WHERE mb.order_id = $1`, m.OrderID).
		Scan(&memberID, &ms, &groupID, &gs, &code, &campaignID, &expires, &size, &gpaid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a group-buy order
	}
	if err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	at := m.At.UnixMilli()
	switch {
	case ship:
		if GroupStatus(gs) != Succeeded {
			return fmt.Errorf("order %s is in group %s, which is %s (%d of %d paid): %w", m.No, code, gs, gpaid, size, ErrNotSucceeded)
		}
		return nil
	case paid:
		if _, err := tx.Exec(ctx, `UPDATE group_buy_members SET status = 'paid', paid_at = $2 WHERE id = $1 AND status = 'pending'`, memberID, at); err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		// Late payments (after the time limit, or in a failed group) do
		// not count; the sweep refunds them.
		res, err := tx.Exec(ctx, `UPDATE group_buy_groups SET paid = paid + 1,
				status = CASE WHEN paid + 1 >= group_size THEN 'succeeded' ELSE 'forming' END,
				closed_at = CASE WHEN paid + 1 >= group_size THEN $2 ELSE NULL END
			WHERE id = $1 AND status = 'forming' AND paid < joined AND expires_at > $2`, groupID, at)
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 && gpaid+1 >= size {
			return audit.Record(ctx, tx, "group_buy.group_succeeded", "group_buy_group", groupID, nil,
				map[string]any{"code": code, "paid": gpaid + 1, "order_no": m.No})
		}
		return nil
	}
	// Closed or cancelled.
	if ms != MemberPending && ms != MemberPaid {
		return nil
	}
	wasPaid := m.From == order.Paid
	next := MemberLeft
	if GroupStatus(gs) == Forming {
		var dp int64
		if wasPaid && ms == MemberPaid {
			dp = 1
		}
		if _, err := tx.Exec(ctx, `UPDATE group_buy_groups SET joined = joined - 1, paid = paid - $2 WHERE id = $1 AND status = 'forming'`,
			groupID, dp); err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
	} else if wasPaid {
		next = MemberRefunded
	}
	if _, err := tx.Exec(ctx, `UPDATE group_buy_members SET status = $2 WHERE id = $1`, memberID, next); err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	var units int64
	if m.Lines != nil {
		for _, l := range m.Lines {
			units += l.Quantity
		}
	} else if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE order_id = $1`, m.OrderID).Scan(&units); err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE group_buy_buys SET quantity = quantity - $1 WHERE campaign_id = $2 AND customer_id = $3 AND quantity >= $1`,
		units, campaignID, m.CustomerID); err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	return nil
}

// Canceller calls orders off (the order service): Cancel refunds a paid,
// unshipped order in full; CloseUnpaid closes an unpaid one.
type Canceller interface {
	Cancel(ctx context.Context, id int64, reason string) (order.Order, error)
	CloseUnpaid(ctx context.Context, id int64, note string) error
}

// Sweep fails the forming groups whose time limit passed, then calls off
// every order still live in a failed group: a paid one is refunded in
// full, an unpaid one closes. It returns how many groups it failed and
// orders it called off. Safe on several instances at once (conditional
// updates; an order moved meanwhile is skipped) and idempotent: a payment
// that lands in a failed group after a sweep is refunded by the next.
func (s *Service) Sweep(ctx context.Context, orders Canceller) (failed, calledOff int, err error) {
	now := s.now()
	rows, err := s.DB.Query(ctx, `SELECT id FROM group_buy_groups WHERE status = 'forming' AND expires_at <= $1 ORDER BY expires_at LIMIT 500`, now.UnixMilli())
	if err != nil {
		return 0, 0, fmt.Errorf("fail groups: %w", err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE group_buy_groups SET status = 'failed', closed_at = $2 WHERE id = $1 AND status = 'forming' AND expires_at <= $2`,
				id, now.UnixMilli())
			if err != nil {
				return fmt.Errorf("fail group %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // succeeded or failed meanwhile
			}
			failed++
			return audit.Record(ctx, tx, "group_buy.group_failed", "group_buy_group", id, nil, nil)
		})
		if err != nil {
			return failed, 0, err
		}
	}
	type live struct {
		order int64
		st    string
		code  string
		limit int64
	}
	rows, err = s.DB.Query(ctx, `SELECT mb.order_id, o.status, g.code, c.time_limit_ms FROM group_buy_members mb
		JOIN group_buy_groups g ON g.id = mb.group_id JOIN group_buy_campaigns c ON c.id = g.campaign_id JOIN orders o ON o.id = mb.order_id
		WHERE g.status = 'failed' AND mb.status IN ('pending', 'paid') ORDER BY mb.order_id LIMIT 1000`)
	if err != nil {
		return failed, 0, fmt.Errorf("refund failed groups: %w", err)
	}
	var todo []live
	for rows.Next() {
		var l live
		if err := rows.Scan(&l.order, &l.st, &l.code, &l.limit); err != nil {
			rows.Close()
			return failed, 0, err
		}
		todo = append(todo, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return failed, 0, err
	}
	var errs []error
	for _, l := range todo {
		note := fmt.Sprintf("拼团失败: group %s did not fill within %s", l.code, time.Duration(l.limit)*time.Millisecond)
		var err error
		switch order.Status(l.st) {
		case order.PendingPayment:
			err = orders.CloseUnpaid(ctx, l.order, note)
		case order.Paid:
			_, err = orders.Cancel(ctx, l.order, note+"; refunded in full")
		default:
			continue
		}
		switch {
		case err == nil:
			calledOff++
		case errors.Is(err, order.ErrIllegalTransition):
			// paid, closed or cancelled meanwhile: the next sweep sees it
		default:
			errs = append(errs, fmt.Errorf("order %d: %w", l.order, err))
		}
	}
	return failed, calledOff, errors.Join(errs...)
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
