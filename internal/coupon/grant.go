package coupon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Grant gives the customer one coupon of the template in the caller's
// transaction, as a reward another part of the shop decided on (邀请有礼),
// under the template's total and per-customer limits like any other issue.
// It is recorded as pushed (the shop handed it out); the caller makes the
// grant happen once. A refusal (NotGiven) is rolled back to a savepoint, so
// the caller's transaction may go on without the coupon.
func Grant(ctx context.Context, tx *db.Tx, templateID, customerID int64, now time.Time) (Coupon, error) {
	if _, err := tx.Exec(ctx, `SAVEPOINT coupon_grant`); err != nil {
		return Coupon{}, fmt.Errorf("grant coupon: %w", err)
	}
	c, err := issueTx(ctx, tx, issue{templateID: templateID, customerID: customerID, source: SourcePush}, now)
	if err != nil && NotGiven(err) {
		// issueTx counted the coupon on the template before the
		// per-customer limit refused it.
		if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT coupon_grant`); rerr != nil {
			return Coupon{}, fmt.Errorf("grant coupon: %w", rerr)
		}
	}
	if _, rerr := tx.Exec(ctx, `RELEASE SAVEPOINT coupon_grant`); rerr != nil && err == nil {
		err = fmt.Errorf("grant coupon: %w", rerr)
	}
	if err != nil {
		return Coupon{}, err
	}
	return c, nil
}

// NotGiven reports whether err is a template refusing to issue (paused,
// ended, out of its window, sold out, or the customer's limit reached):
// nothing was written, and the caller's transaction may go on without the
// coupon.
func NotGiven(err error) bool {
	return errors.Is(err, ErrNotIssuing) || errors.Is(err, ErrSoldOut) || errors.Is(err, ErrLimitReached)
}
