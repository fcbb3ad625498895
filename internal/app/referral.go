package app

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/referral"
)

// wireReferrals puts the referral programme (邀请有礼) on orders: the hook
// qualifies an invitation at its invitee's first payment and voids it on a
// refund in the holding period, in the orders' own transactions.
func (a *App) wireReferrals() {
	a.API.Orders.Hooks = append(a.API.Orders.Hooks, referral.Hook{})
}

// startReferralJobs rewards the invitations whose holding period has ended
// every 10 minutes, batch after batch while full batches come back (a
// backlog after downtime clears in one run). Several instances may run it
// at once: an invitation is rewarded in the transaction that moves it
// paid → rewarded, once.
func (a *App) startReferralJobs(ctx context.Context, j *Jobs) {
	svc := &referral.Service{DB: a.DB}
	j.every(ctx, 10*time.Minute, func(ctx context.Context) {
		for range 100 {
			r, err := svc.GrantDue(ctx, time.Now())
			if err != nil {
				a.Log.Warn("reward referrals", "err", err, "rewarded", r.Rewarded, "failed", r.Failed)
			} else if r.Rewarded+r.Voided > 0 {
				a.Log.Info("rewarded referrals", "rewarded", r.Rewarded, "voided", r.Voided)
			}
			// Failed ones come back first in the next batch: stop at
			// a short batch or one with failures.
			if r.Rewarded+r.Voided+r.Skipped < referral.GrantBatch || ctx.Err() != nil {
				return
			}
		}
	})
}
