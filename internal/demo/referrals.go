package demo

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	engine "github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/referral"
)

// Demo referral programme (邀请有礼) sizes.
const (
	referralDays     = 60   // the programme has run this long
	referralInviters = 30   // loyal customers who share their code
	referralInvitees = 160  // newcomers of the period who signed up with one
	referralFarm     = 6    // invitees of the first inviter on one device
	referralMinOrder = 5000 // 分: the smallest first order that earns the rewards
)

// writeReferrals runs the demo shop's referral programme over its last 60
// days through the programme's own code: the loyal customers' codes, the
// newcomers of those days linked to them at sign-up, each invitee's first
// payment and refunds through the order hook at the time they happened,
// and the reward job once a day, so every state is there — linked (no paid
// order yet), holding, rewarded, void (refunded, self-referral) — plus a
// device farm held for review, one of which the operator approved and one
// rejected. Codes are random, as in the shop: the demo's other tables stay
// the same for the same options.
func writeReferrals(ctx context.Context, d *db.DB, end time.Time) error {
	start := end.AddDate(0, 0, -referralDays)
	at := start
	clock := func() time.Time { return at }
	tpl, err := (&coupon.Service{DB: d, Now: clock}).CreateTemplate(ctx, coupon.Input{Name: "邀请有礼 满100减20",
		Description: "邀请好友首单满 7 天后发放", ValidDays: 30, PerCustomerLimit: 50,
		Rule: coupon.Rule{Kind: engine.KindFixedOff, Amount: 2000, Threshold: 10000, Scope: engine.ScopeOrder}})
	if err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	ref := &referral.Service{DB: d, Now: clock}
	if _, err := ref.SaveProgramme(ctx, referral.Programme{Enabled: true, InviterCouponTemplateID: tpl.ID, InviterPoints: 500,
		InviteePoints: 300, HoldingDays: 7, MonthlyCap: 10, NewCustomersOnly: true, MinOrderAmount: referralMinOrder, ReviewThreshold: 2}); err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	inviters, err := referralIDs(ctx, d, `SELECT o.customer_id FROM orders o JOIN customers c ON c.id = o.customer_id
		WHERE o.paid_at IS NOT NULL AND c.created_at < $1 GROUP BY o.customer_id ORDER BY COUNT(*) DESC, o.customer_id LIMIT $2`,
		start.UnixMilli(), referralInviters)
	if err != nil {
		return fmt.Errorf("demo referrals: inviters: %w", err)
	}
	if len(inviters) == 0 {
		return nil // a shop younger than the programme: nobody to invite yet
	}
	// Newcomers of the period, the ones without a paid order first so
	// that some invitations are still only linked, the others spread over
	// the period.
	invitees, err := referralIDs(ctx, d, `SELECT c.id FROM customers c WHERE c.created_at >= $1 AND c.created_at < $2
		ORDER BY (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id AND o.paid_at IS NOT NULL) > 0, (c.id * 7919) % 10007, c.id LIMIT $3`,
		start.UnixMilli(), end.UnixMilli(), referralInvitees)
	if err != nil {
		return fmt.Errorf("demo referrals: invitees: %w", err)
	}
	for _, c := range inviters {
		if _, err := ref.Code(ctx, c, "demo-device-"+strconv.FormatInt(c, 10)); err != nil {
			return fmt.Errorf("demo referrals: %w", err)
		}
	}
	codes := map[int64]string{}
	for _, c := range inviters {
		if codes[c], err = ref.Code(ctx, c, ""); err != nil {
			return fmt.Errorf("demo referrals: %w", err)
		}
	}
	// The device farm and the self-referral are newcomers who paid after
	// signing up early enough in the period for their holding to be over,
	// a first order that qualifies (else the farm would be voided as below
	// the minimum instead of held for review; which newcomers fall in the
	// period moves with the time of day the demo is made).
	special, err := referralIDs(ctx, d, `SELECT c.id FROM customers c WHERE c.created_at >= $1 AND EXISTS (SELECT 1 FROM orders o
		WHERE o.customer_id = c.id AND o.paid_at >= c.created_at AND o.paid_at < $2)
		AND (SELECT o.total FROM orders o WHERE o.customer_id = c.id AND o.paid_at IS NOT NULL ORDER BY o.paid_at, o.id LIMIT 1) >= $4
		ORDER BY c.id LIMIT $3`,
		start.UnixMilli(), end.AddDate(0, 0, -10).UnixMilli(), referralFarm+1, referralMinOrder)
	if err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	links := map[int64]referral.LinkInput{}
	for i, c := range invitees {
		// A few inviters bring most invitees, as in any shop.
		inviter := inviters[i%len(inviters)]
		if i%3 == 0 {
			inviter = inviters[i%min(5, len(inviters))]
		}
		links[c] = referral.LinkInput{CustomerID: c, Code: codes[inviter], DeviceID: "demo-device-" + strconv.FormatInt(c, 10)}
	}
	for i, c := range special {
		if i < referralFarm {
			links[c] = referral.LinkInput{CustomerID: c, Code: codes[inviters[0]], DeviceID: "demo-device-farm"}
		} else if len(inviters) > 1 {
			// The inviter signed a second account up on their own phone.
			links[c] = referral.LinkInput{CustomerID: c, Code: codes[inviters[1]], DeviceID: "demo-device-" + strconv.FormatInt(inviters[1], 10)}
		}
	}
	byID := make([]int64, 0, len(links))
	for c := range links {
		byID = append(byID, c)
	}
	sort.Slice(byID, func(i, j int) bool { return byID[i] < byID[j] })
	for _, c := range byID {
		var created int64
		if err := d.QueryRow(ctx, `SELECT created_at FROM customers WHERE id = $1`, c).Scan(&created); err != nil {
			return fmt.Errorf("demo referrals: %w", err)
		}
		// They signed up with the code just before their first order.
		at = time.UnixMilli(created)
		if _, err := ref.Link(ctx, links[c]); err != nil {
			// A newcomer who had paid before signing up is refused, as in
			// the shop; the demo skips them.
			continue
		}
	}
	evs, err := referralEvents(ctx, d, start, end)
	if err != nil {
		return err
	}
	for _, e := range evs {
		at = e.at
		var err error
		switch e.kind {
		case evPaid:
			err = d.InTx(ctx, func(tx *db.Tx) error {
				return referral.Hook{}.Moved(ctx, tx, order.Moved{OrderID: e.order, No: e.no, CustomerID: e.customer,
					Action: order.ActionPay, From: order.PendingPayment, To: order.Paid, At: e.at})
			})
		case evRefund:
			err = d.InTx(ctx, func(tx *db.Tx) error {
				return referral.Hook{}.CaseMoved(ctx, tx, order.CaseMoved{OrderID: e.order, OrderNo: e.no, CustomerID: e.customer,
					To: order.CaseRefunded, At: e.at})
			})
		case evGrant:
			_, err = ref.GrantDue(ctx, e.at)
		}
		if err != nil {
			return fmt.Errorf("demo referrals at %s: %w", e.at.Format(time.DateTime), err)
		}
	}
	// The operator has looked at the farm: approved one (a household),
	// rejected one; the rest wait in the queue.
	at = end.Add(-2 * time.Hour)
	held, _, err := ref.List(ctx, referral.Filter{Review: referral.ReviewPending, Limit: 10})
	if err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	if len(held) >= 3 {
		if _, err := ref.Approve(ctx, held[len(held)-1].ID, "同住家人，已电话核实"); err != nil {
			return fmt.Errorf("demo referrals: %w", err)
		}
		if _, err := ref.Reject(ctx, held[len(held)-2].ID, "同一设备批量注册"); err != nil {
			return fmt.Errorf("demo referrals: %w", err)
		}
	}
	at = end
	if _, err := ref.GrantDue(ctx, end); err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	// Reward coupons of the early weeks have run out, as the coupon job
	// would have recorded.
	if _, err := (&coupon.Service{DB: d, Now: clock}).ExpireDue(ctx, end); err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	return nil
}

type referralEventKind int

const (
	evPaid referralEventKind = iota
	evRefund
	evGrant
)

type referralEvent struct {
	at              time.Time
	kind            referralEventKind
	order, customer int64
	no              string
}

// referralEvents are the invitees' first payments after linking and their
// refunds, and the daily reward runs, in time order.
func referralEvents(ctx context.Context, d *db.DB, start, end time.Time) ([]referralEvent, error) {
	rows, err := d.Query(ctx, `SELECT o.id, o.order_no, o.customer_id, o.paid_at, COALESCE((SELECT MIN(r.refunded_at) FROM refunds r WHERE r.order_id = o.id), 0)
		FROM referral_invitations i JOIN orders o ON o.id = (SELECT x.id FROM orders x WHERE x.customer_id = i.invitee_id AND x.paid_at >= i.linked_at
			ORDER BY x.paid_at, x.id LIMIT 1)`)
	if err != nil {
		return nil, fmt.Errorf("demo referrals: first orders: %w", err)
	}
	defer rows.Close()
	var out []referralEvent
	for rows.Next() {
		var e referralEvent
		var paid, refunded int64
		if err := rows.Scan(&e.order, &e.no, &e.customer, &paid, &refunded); err != nil {
			return nil, err
		}
		e.at, e.kind = time.UnixMilli(paid).UTC(), evPaid
		out = append(out, e)
		if refunded > 0 {
			e.at, e.kind = time.UnixMilli(refunded).UTC(), evRefund
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for t := start.Add(24 * time.Hour); t.Before(end); t = t.Add(24 * time.Hour) {
		out = append(out, referralEvent{at: t, kind: evGrant})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out, nil
}

func referralIDs(ctx context.Context, d *db.DB, q string, args ...any) ([]int64, error) {
	rows, err := d.Query(ctx, q, args...)
	if err != nil {
		return nil, err
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
