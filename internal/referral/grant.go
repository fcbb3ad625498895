package referral

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/settings"
	"github.com/storeops/storeops/internal/tier"
)

// GrantBatch bounds the invitations one run of the job rewards; the rest
// wait for the next run.
const GrantBatch = 500

// GrantResult is what one run of the reward job did.
type GrantResult struct {
	Rewarded int `json:"rewarded"`
	Voided   int `json:"voided" doc:"found refunded at the last moment (a refund the hook did not see)"`
	Skipped  int `json:"skipped" doc:"rewarded or voided meanwhile by another run"`
	Failed   int `json:"failed" doc:"left paid for the next run after an error"`
}

// GrantDue rewards the invitations whose holding period has ended by now
// and that are not held for review, each in its own transaction. Safe to
// run twice at once or on several instances: an invitation is rewarded in
// the transaction whose conditional UPDATE moved it paid → rewarded, and a
// run that finds it moved skips it.
func (s *Service) GrantDue(ctx context.Context, now time.Time) (GrantResult, error) {
	var res GrantResult
	rows, err := s.DB.Query(ctx, `SELECT id FROM referral_invitations WHERE status = 'paid' AND review <> 'pending' AND qualifies_at <= $1
		ORDER BY qualifies_at, id LIMIT $2`, now.UTC().UnixMilli(), GrantBatch)
	if err != nil {
		return res, fmt.Errorf("due invitations: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return res, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	st, err := settings.Cached(ctx, s.DB)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var outcome Status
		err := s.DB.InTx(ctx, func(tx *db.Tx) (err error) {
			outcome, err = grant(ctx, tx, id, now.UTC(), st.Location())
			return err
		})
		if err != nil {
			// One invitation that fails (its transaction rolled back)
			// does not hold up the ones after it.
			res.Failed++
			errs = append(errs, fmt.Errorf("reward invitation %d: %w", id, err))
			continue
		}
		switch outcome {
		case Rewarded:
			res.Rewarded++
		case Void:
			res.Voided++
		default:
			res.Skipped++
		}
	}
	return res, errors.Join(errs...)
}

// grant rewards one invitation in tx. It returns Rewarded, Void (refunded
// after all) or "" when another run got there first.
func grant(ctx context.Context, tx *db.Tx, id int64, now time.Time, loc *time.Location) (Status, error) {
	// The claim: of two runs, the second waits here on PostgreSQL and
	// then matches no row; on SQLite the writer runs them one by one.
	var inviter, invitee, orderID int64
	var flags string
	err := tx.QueryRow(ctx, `UPDATE referral_invitations SET status = 'rewarded', rewarded_at = $1, updated_at = $1
		WHERE id = $2 AND status = 'paid' AND review <> 'pending' AND qualifies_at <= $1 RETURNING inviter_id, invitee_id, order_id, flags`,
		now.UnixMilli(), id).Scan(&inviter, &invitee, &orderID, &flags)
	if db.IsNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	p, err := LoadProgramme(ctx, tx)
	if err != nil {
		return "", err
	}
	// A refund the hook could not see (an order changed outside the
	// order service, a sync) still undoes the invitation.
	var total, back int64
	if err := tx.QueryRow(ctx, `SELECT total, refunded_total FROM orders WHERE id = $1`, orderID).Scan(&total, &back); err != nil {
		return "", fmt.Errorf("order %d: %w", orderID, err)
	}
	if RefundVoids(p, total, back) {
		if _, err := tx.Exec(ctx, `UPDATE referral_invitations SET status = 'void', void_reason = $1, rewarded_at = NULL, voided_at = $2
			WHERE id = $3`, VoidRefunded, now.UnixMilli(), id); err != nil {
			return "", err
		}
		return Void, emit(ctx, tx, EventVoided, id)
	}
	var notes []string
	// The monthly cap is a conditional upsert of the inviter's month row:
	// two grants racing for the last place cannot both pass it.
	capped := false
	if p.MonthlyCap > 0 && (p.InviterPoints > 0 || p.InviterCouponTemplateID > 0) {
		var n int64
		err := tx.QueryRow(ctx, `INSERT INTO referral_inviter_months (inviter_id, month, rewarded) VALUES ($1, $2, 1)
			ON CONFLICT (inviter_id, month) DO UPDATE SET rewarded = referral_inviter_months.rewarded + 1
			WHERE referral_inviter_months.rewarded < $3 RETURNING rewarded`, inviter, Month(now, loc), p.MonthlyCap).Scan(&n)
		if db.IsNoRows(err) {
			capped = true
		} else if err != nil {
			return "", fmt.Errorf("monthly cap: %w", err)
		}
	}
	var r Rewards
	r.InviterCapped = capped
	if !capped {
		if r.InviterCouponID, r.InviterPoints, err = give(ctx, tx, id, "inviter", inviter, p.InviterCouponTemplateID, p.InviterPoints, now, loc, &notes); err != nil {
			return "", err
		}
	}
	if r.InviteeCouponID, r.InviteePoints, err = give(ctx, tx, id, "invitee", invitee, p.InviteeCouponTemplateID, p.InviteePoints, now, loc, &notes); err != nil {
		return "", err
	}
	if capped {
		flags = joinFlags(flags, FlagCapped)
	}
	// 邀请成功 earns the inviter growth (成长值) within its own caps, also
	// when the month's reward cap held the rewards back.
	if _, err := tier.Earn(ctx, tx, tier.Event{CustomerID: inviter, Action: tier.ActionReferral, Key: strconv.FormatInt(id, 10),
		Reason: "邀请好友成功 referral converted: invitation " + strconv.FormatInt(id, 10), At: now}); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE referral_invitations SET inviter_coupon_id = $1, inviter_points = $2, inviter_capped = $3,
		invitee_coupon_id = $4, invitee_points = $5, flags = $7,
		note = CASE WHEN $6 = '' THEN note WHEN note = '' THEN $6 ELSE note || '; ' || $6 END WHERE id = $8`,
		nullID(r.InviterCouponID), r.InviterPoints, r.InviterCapped, nullID(r.InviteeCouponID), r.InviteePoints, strings.Join(notes, "; "),
		flags, id); err != nil {
		return "", fmt.Errorf("record rewards: %w", err)
	}
	return Rewarded, emit(ctx, tx, EventRewarded, id)
}

// give writes one side's reward: the coupon (a template that no longer
// issues — paused, ended, sold out, the customer's limit — is noted and
// skipped, not retried for ever) and the points, keyed on the invitation
// so that no path writes them twice.
func give(ctx context.Context, tx *db.Tx, id int64, side string, customerID, templateID, pts int64, now time.Time, loc *time.Location,
	notes *[]string) (couponID, given int64, err error) {
	if templateID > 0 {
		c, err := coupon.Grant(ctx, tx, templateID, customerID, now)
		switch {
		case coupon.NotGiven(err):
			*notes = append(*notes, side+" coupon not given: "+err.Error())
		case err != nil:
			return 0, 0, err
		default:
			couponID = c.ID
		}
	}
	if pts > 0 {
		rules, err := points.LoadRules(ctx, tx)
		if err != nil {
			return 0, 0, err
		}
		if _, err := points.Write(ctx, tx, points.Entry{CustomerID: customerID, Kind: points.Earn, Points: pts, SourceKind: "referral",
			SourceID: id, Key: "referral:" + side + ":" + strconv.FormatInt(id, 10), Reason: "邀请有礼 invitation " + strconv.FormatInt(id, 10),
			ExpiresAt: rules.ExpiresAt(now, loc), At: now}); err != nil {
			return 0, 0, err
		}
		given = pts
	}
	return couponID, given, nil
}
