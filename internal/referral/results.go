package referral

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/purchase"
	"github.com/storeops/storeops/internal/points"
)

// Results are the programme's figures over a period (docs/REFERRALS.md
// defines each).
type Results struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Invitations linked in the period, and where they stand now.
	Invitations int64            `json:"invitations"`
	ByStatus    map[Status]int64 `json:"by_status"`
	HeldNow     int64            `json:"held_now" doc:"invitations waiting for review now, whenever linked"`
	// FirstOrders: invitees' first orders paid in the period that the
	// programme accepted (not void for self-referral, not-new or minimum).
	FirstOrders int64 `json:"first_orders"`
	// GMV of every order invitees paid in the period after they linked,
	// invitations not void (before refunds, as GMV is).
	InviteeGMV    int64 `json:"invitee_gmv"`
	InviteeOrders int64 `json:"invitee_orders"`
	// Rewarded in the period, and what it cost: the discount reward
	// coupons took on orders, plus reward points at their redemption
	// value (an upper bound: not every point is spent).
	Rewarded       int64 `json:"rewarded"`
	PointsGiven    int64 `json:"points_given"`
	CouponsGiven   int64 `json:"coupons_given"`
	CouponDiscount int64 `json:"coupon_discount"`
	PointsValue    int64 `json:"points_value"`
	RewardCost     int64 `json:"reward_cost"`
}

// Results reads the figures for [from, to).
func (s *Service) Results(ctx context.Context, from, to time.Time) (Results, error) {
	if !to.After(from) {
		return Results{}, apperr.Field("to", "the end of the period must come after its start")
	}
	f, t := from.UTC().UnixMilli(), to.UTC().UnixMilli()
	r := Results{From: from.UTC(), To: to.UTC(), ByStatus: map[Status]int64{}}
	for _, st := range Statuses() {
		r.ByStatus[st] = 0
	}
	rows, err := s.DB.Query(ctx, `SELECT status, COUNT(*) FROM referral_invitations WHERE linked_at >= $1 AND linked_at < $2 GROUP BY status`, f, t)
	if err != nil {
		return r, fmt.Errorf("referral results: %w", err)
	}
	for rows.Next() {
		var st Status
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return r, err
		}
		r.ByStatus[st] = n
		r.Invitations += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	q := func(query string, dst ...any) error {
		if err := s.DB.QueryRow(ctx, query, f, t).Scan(dst...); err != nil {
			return fmt.Errorf("referral results: %w", err)
		}
		return nil
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM referral_invitations WHERE review = 'pending'`).Scan(&r.HeldNow); err != nil {
		return r, fmt.Errorf("referral results: %w", err)
	}
	if err := q(`SELECT COUNT(*) FROM referral_invitations WHERE paid_at >= $1 AND paid_at < $2
		AND void_reason NOT IN ('self_referral', 'not_new_customer', 'below_minimum')`, &r.FirstOrders); err != nil {
		return r, err
	}
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	if err := q(`SELECT COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0) FROM orders o JOIN referral_invitations i ON i.invitee_id = o.customer_id
		WHERE i.status <> 'void' AND o.paid_at >= $1 AND o.paid_at < $2 AND o.paid_at >= i.linked_at AND `+purchase.Is("o"), &r.InviteeOrders, &r.InviteeGMV); err != nil {
		return r, err
	}
	if err := q(`SELECT COUNT(*), COALESCE(SUM(inviter_points + invitee_points), 0),
		COALESCE(SUM(CASE WHEN inviter_coupon_id IS NULL THEN 0 ELSE 1 END + CASE WHEN invitee_coupon_id IS NULL THEN 0 ELSE 1 END), 0)
		FROM referral_invitations WHERE status = 'rewarded' AND rewarded_at >= $1 AND rewarded_at < $2`, &r.Rewarded, &r.PointsGiven, &r.CouponsGiven); err != nil {
		return r, err
	}
	if err := q(`SELECT COALESCE(SUM(c.discount), 0) FROM coupons c JOIN referral_invitations i
		ON c.id = i.inviter_coupon_id OR c.id = i.invitee_coupon_id
		WHERE i.status = 'rewarded' AND i.rewarded_at >= $1 AND i.rewarded_at < $2 AND c.status = 'used'`, &r.CouponDiscount); err != nil {
		return r, err
	}
	rules, err := points.LoadRules(ctx, s.DB)
	if err != nil {
		return r, err
	}
	r.PointsValue = r.PointsGiven * 100 / max(rules.RedeemPerYuan, 1)
	r.RewardCost = r.CouponDiscount + r.PointsValue
	return r, nil
}
