package coupon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// issue is one coupon to hand out.
type issue struct {
	templateID int64
	customerID int64
	source     Source
	code       string // the code redeemed, "" when claimed or pushed
	shared     bool   // code is the template's shared code
}

// issueTx makes one coupon in tx. The total limit is a conditional UPDATE
// of the template row and the per-customer limit a conditional upsert of
// the customer's claim row, in that order in every transaction (no
// deadlock between two claims), so the limits hold however many claims run
// at once; nothing is read first and written after.
func issueTx(ctx context.Context, tx *db.Tx, is issue, now time.Time) (Coupon, error) {
	ms := now.UnixMilli()
	var name string
	var from, to sql.NullInt64
	var days, perCustomer int64
	err := tx.QueryRow(ctx, `UPDATE coupon_templates SET issued = issued + 1, updated_at = $2
		WHERE id = $1 AND status = 'active' AND (total_limit = 0 OR issued < total_limit) AND (valid_to IS NULL OR valid_to > $2)
		RETURNING name, valid_from, valid_to, valid_days, per_customer_limit`, is.templateID, ms).
		Scan(&name, &from, &to, &days, &perCustomer)
	if db.IsNoRows(err) {
		return Coupon{}, whyNotIssuing(ctx, tx, is.templateID, now)
	}
	if err != nil {
		return Coupon{}, fmt.Errorf("issue coupon: %w", err)
	}
	var claimed int64
	err = tx.QueryRow(ctx, `INSERT INTO coupon_claims (template_id, customer_id, claimed) VALUES ($1, $2, 1)
		ON CONFLICT (template_id, customer_id) DO UPDATE SET claimed = coupon_claims.claimed + 1
		WHERE coupon_claims.claimed < $3 RETURNING claimed`, is.templateID, is.customerID, perCustomer).Scan(&claimed)
	if db.IsNoRows(err) && is.shared {
		// A replay racing the first redemption waited for it here, and
		// now sees its coupon.
		var prior int64
		if tx.QueryRow(ctx, `SELECT id FROM coupons WHERE customer_id = $1 AND shared_code = $2`, is.customerID, is.code).Scan(&prior) == nil {
			return Coupon{}, fmt.Errorf("you already redeemed %s (coupon %d): %w", is.code, prior, ErrAlreadyRedeemed)
		}
	}
	if db.IsNoRows(err) {
		return Coupon{}, fmt.Errorf("you already have %d of %q, the most one customer may get: %w", perCustomer, name, ErrLimitReached)
	}
	if err != nil {
		if db.IsForeignKeyViolation(err) {
			return Coupon{}, apperr.Field("customer_id", "there is no customer %d", is.customerID)
		}
		return Coupon{}, fmt.Errorf("issue coupon: %w", err)
	}
	validFrom, validTo := from.Int64, to.Int64
	if days > 0 {
		validFrom, validTo = ms, now.Add(time.Duration(days)*24*time.Hour).UnixMilli()
	}
	var shared any
	if is.shared {
		shared = is.code
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO coupons (template_id, customer_id, status, source, code, shared_code, valid_from, valid_to, issued_at, updated_at)
		VALUES ($1, $2, 'issued', $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		is.templateID, is.customerID, string(is.source), is.code, shared, validFrom, validTo, ms).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return Coupon{}, fmt.Errorf("you already redeemed %s: %w", is.code, ErrAlreadyRedeemed)
		}
		return Coupon{}, fmt.Errorf("issue coupon: %w", err)
	}
	return getCoupon(ctx, tx, id)
}

// whyNotIssuing explains a refused issue: paused, ended, out of its window
// or out of coupons.
func whyNotIssuing(ctx context.Context, q db.Queryer, templateID int64, now time.Time) error {
	t, err := getTemplate(ctx, q, templateID)
	if err != nil {
		return err
	}
	switch {
	case t.Status == StatusPaused:
		return fmt.Errorf("%q is paused: %w", t.Name, ErrNotIssuing)
	case t.Status == StatusEnded:
		return fmt.Errorf("%q has ended: %w", t.Name, ErrNotIssuing)
	case t.ValidTo != nil && !now.Before(*t.ValidTo):
		return fmt.Errorf("%q expired on %s: %w", t.Name, t.ValidTo.Format(time.DateOnly), ErrNotIssuing)
	}
	return fmt.Errorf("all %d coupons of %q have been given out: %w", t.TotalLimit, t.Name, ErrSoldOut)
}

// Claim gives the customer a coupon of a claimable template (领券).
func (s *Service) Claim(ctx context.Context, customerID, templateID int64) (Coupon, error) {
	if customerID <= 0 {
		return Coupon{}, fmt.Errorf("sign in to claim coupons: %w", apperr.ErrForbidden)
	}
	var c Coupon
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var claimable bool
		err := tx.QueryRow(ctx, `SELECT claimable FROM coupon_templates WHERE id = $1`, templateID).Scan(&claimable)
		if db.IsNoRows(err) || (err == nil && !claimable) {
			// A template the shop hands out only by push or code is as
			// invisible to a buyer as a missing one.
			return fmt.Errorf("coupon template %d: %w", templateID, apperr.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("claim coupon: %w", err)
		}
		c, err = issueTx(ctx, tx, issue{templateID: templateID, customerID: customerID, source: SourceClaim}, s.now())
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "coupon.claim", "coupon", c.ID, nil, map[string]any{"template_id": templateID, "customer_id": customerID})
	})
	return c, err
}

// Redeem gives the customer the coupon a code stands for: a template's
// shared code once per customer, a one-time code once ever. A code this
// store never handed out, a one-time code already redeemed and a replay
// are each told apart, and none makes a second coupon.
func (s *Service) Redeem(ctx context.Context, customerID int64, code string) (Coupon, error) {
	if customerID <= 0 {
		return Coupon{}, fmt.Errorf("sign in to redeem a code: %w", apperr.ErrForbidden)
	}
	code = NormalizeCode(code)
	if code == "" {
		return Coupon{}, apperr.Field("code", "enter the coupon code")
	}
	var c Coupon
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		var templateID int64
		var kind string
		err := tx.QueryRow(ctx, `SELECT template_id, kind FROM coupon_codes WHERE code = $1`, code).Scan(&templateID, &kind)
		if db.IsNoRows(err) {
			return apperr.Field("code", "%s is not a coupon code of this store; check it letter by letter", code)
		}
		if err != nil {
			return fmt.Errorf("redeem %s: %w", code, err)
		}
		is := issue{templateID: templateID, customerID: customerID, source: SourceCode, code: code, shared: kind == "shared"}
		if is.shared {
			var prior int64
			err := tx.QueryRow(ctx, `SELECT id FROM coupons WHERE customer_id = $1 AND shared_code = $2`, customerID, code).Scan(&prior)
			if err == nil {
				return fmt.Errorf("you already redeemed %s (coupon %d): %w", code, prior, ErrAlreadyRedeemed)
			}
			if !db.IsNoRows(err) {
				return fmt.Errorf("redeem %s: %w", code, err)
			}
		} else {
			// Taking the code first: of two buyers racing for it, the
			// second waits here and then finds it taken.
			res, err := tx.Exec(ctx, `UPDATE coupon_codes SET redeemed_at = $1 WHERE code = $2 AND redeemed_at IS NULL`, now.UnixMilli(), code)
			if err != nil {
				return fmt.Errorf("redeem %s: %w", code, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return codeTaken(ctx, tx, code, customerID)
			}
		}
		c, err = issueTx(ctx, tx, is, now)
		if err != nil {
			return err
		}
		if !is.shared {
			if _, err := tx.Exec(ctx, `UPDATE coupon_codes SET coupon_id = $1 WHERE code = $2`, c.ID, code); err != nil {
				return fmt.Errorf("redeem %s: %w", code, err)
			}
		}
		return audit.Record(ctx, tx, "coupon.redeem", "coupon", c.ID, nil, map[string]any{"template_id": templateID, "customer_id": customerID, "code": code})
	})
	return c, err
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func codeTaken(ctx context.Context, q db.Queryer, code string, customerID int64) error {
	var owner, id int64
	err := q.QueryRow(ctx, `SELECT c.customer_id, c.id FROM coupon_codes k JOIN coupons c ON c.id = k.coupon_id WHERE k.code = $1`, code).Scan(&owner, &id)
	if err == nil && owner == customerID {
		return fmt.Errorf("you already redeemed %s (coupon %d): %w", code, id, ErrAlreadyRedeemed)
	}
	if err != nil && !db.IsNoRows(err) {
		return fmt.Errorf("redeem %s: %w", code, err)
	}
	return fmt.Errorf("the code %s has already been redeemed: %w", code, ErrAlreadyRedeemed)
}

// PushResult is what a push to a segment did.
type PushResult struct {
	Targeted int64 `json:"targeted" doc:"customers in the audience"`
	Issued   int64 `json:"issued"`
	AtLimit  int64 `json:"at_limit" doc:"customers who already had as many as the per-customer limit allows"`
	Missing  int64 `json:"missing" doc:"listed customer ids the shop has no customer for"`
	// SoldOut is set when the total limit ran out before the audience did.
	SoldOut bool `json:"sold_out"`
}

// Push gives every customer of the audience one coupon of the template
// (发券), each in its own transaction under the same limits as a claim:
// a customer at the per-customer limit is skipped, and the push stops when
// the total limit runs out. Pushing the same audience twice gives a second
// coupon only where the per-customer limit allows it.
func (s *Service) Push(ctx context.Context, templateID int64, a Audience) (PushResult, error) {
	var out PushResult
	t, err := s.GetTemplate(ctx, templateID)
	if err != nil {
		return out, err
	}
	ids, err := a.customers(ctx, s.DB)
	if err != nil {
		return out, err
	}
	out.Targeted = int64(len(ids))
	for _, id := range ids {
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			_, err := issueTx(ctx, tx, issue{templateID: templateID, customerID: id, source: SourcePush}, s.now())
			return err
		})
		switch {
		case err == nil:
			out.Issued++
		case errors.Is(err, ErrLimitReached):
			out.AtLimit++
		case errors.Is(err, ErrSoldOut):
			out.SoldOut = true
		case isField(err, "customer_id"):
			out.Missing++
		default:
			return out, err
		}
		if out.SoldOut {
			break
		}
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		// The audience by its group, not its possibly long list of ids.
		return audit.Record(ctx, tx, "coupon_template.push", "coupon_template", t.ID, nil,
			map[string]any{"kind": a.Kind, "name": a.Name, "listed": len(a.CustomerIDs), "result": out})
	})
	return out, err
}
