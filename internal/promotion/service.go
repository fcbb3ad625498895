package promotion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/settings"
)

// Service keeps the promotions.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// Changed is called after every committed change, so that a pricer's
	// cache drops what it holds (nil: nobody to tell).
	Changed func()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

// ErrWrongState: the action does not fit the promotion's status.
var ErrWrongState = fmt.Errorf("promotion: %w", apperr.ErrConflict)

// Get reads one promotion.
func (s *Service) Get(ctx context.Context, id int64) (Promotion, error) {
	return get(ctx, s.DB, id, s.now())
}

// List reads promotions newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Promotion, error) {
	now := s.now().UnixMilli()
	where, args := "WHERE 1 = 1", []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	switch f.Status {
	case "":
	case StatusDraft:
		where += " AND status = 'draft'"
	case StatusScheduled:
		where += " AND status = 'scheduled' AND starts_at > " + arg(now)
	case StatusActive:
		n := arg(now)
		where += " AND status = 'scheduled' AND (starts_at IS NULL OR starts_at <= " + n + ") AND (ends_at IS NULL OR ends_at > " + n + ")"
	case StatusPaused:
		where += " AND status = 'paused' AND (ends_at IS NULL OR ends_at > " + arg(now) + ")"
	case StatusEnded:
		where += " AND (status = 'ended' OR (status IN ('scheduled', 'paused') AND ends_at <= " + arg(now) + "))"
	default:
		return nil, apperr.Field("status", "must be one of draft, scheduled, active, paused, ended, not %q", f.Status)
	}
	if f.Kind != "" {
		where += " AND kind = " + arg(string(f.Kind))
	}
	if f.After > 0 {
		where += " AND id < " + arg(f.After)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return list(ctx, s.DB, s.now(), where+fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit), args...)
}

// Calendar lists the promotions that are scheduled, paused or ended and
// whose window meets [from, to), by start: what runs when. Drafts are left
// out: they run nowhere.
func (s *Service) Calendar(ctx context.Context, from, to time.Time) ([]Promotion, error) {
	if !to.After(from) {
		return nil, apperr.Field("to", "must be after from")
	}
	if to.Sub(from) > 400*24*time.Hour {
		return nil, apperr.Field("to", "a calendar covers at most 400 days")
	}
	return list(ctx, s.DB, s.now(), `WHERE status <> 'draft' AND (starts_at IS NULL OR starts_at < $2) AND (ends_at IS NULL OR ends_at > $1)
		ORDER BY COALESCE(starts_at, 0), id`, from.UnixMilli(), to.UnixMilli())
}

// Create saves a draft.
func (s *Service) Create(ctx context.Context, in Input) (Promotion, error) {
	now := s.now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		r, err := loadRefs(ctx, tx, in.Promotion)
		if err != nil {
			return err
		}
		in = normalize(in, r)
		if err := check(in.Promotion, r); err != nil {
			return err
		}
		if id, err = insert(ctx, tx, in, now); err != nil {
			return err
		}
		in.ID = id
		return audit.Record(ctx, tx, "promotion.create", "promotion", id, nil, in)
	})
	if err != nil {
		return Promotion{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// Update changes a promotion that has not ended. A scheduled or paused one
// is checked as scheduling checks it, so an edit cannot make two exclusive
// promotions overlap.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Promotion, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := get(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if before.Status == StatusEnded {
			return fmt.Errorf("promotion #%d has ended; its figures stay as they ran. Create a new one instead: %w", id, ErrWrongState)
		}
		r, err := loadRefs(ctx, tx, in.Promotion)
		if err != nil {
			return err
		}
		in = normalize(in, r)
		in.ID = id
		if err := check(in.Promotion, r); err != nil {
			return err
		}
		if before.Stored != StatusDraft {
			if err := s.checkLive(ctx, tx, in, now); err != nil {
				return err
			}
		}
		if err := update(ctx, tx, id, in, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "promotion.update", "promotion", id, before, in)
	})
	if err != nil {
		return Promotion{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

func (s *Service) checkLive(ctx context.Context, tx *db.Tx, in Input, now time.Time) error {
	others, err := list(ctx, tx, now, `WHERE status IN ('scheduled', 'paused') AND is_exclusive AND id <> $1 AND (ends_at IS NULL OR ends_at > $2)`, in.ID, now.UnixMilli())
	if err != nil {
		return err
	}
	plain := []promo.Promotion{in.Promotion}
	for _, o := range others {
		plain = append(plain, o.Promotion)
	}
	r, err := loadRefs(ctx, tx, plain...)
	if err != nil {
		return err
	}
	st, err := settings.Load(ctx, tx)
	if err != nil {
		return err
	}
	return checkLive(in.Promotion, others, r, now, st.Location())
}

// move changes the stored status from one of from to to, after check.
func (s *Service) move(ctx context.Context, id int64, action string, to Status, from []Status, live bool) (Promotion, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		p, err := get(ctx, tx, id, now)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || p.Status == f
		}
		if !ok {
			return fmt.Errorf("promotion #%d is %s; %s works on a promotion that is %v: %w", id, p.Status, action, from, ErrWrongState)
		}
		if live {
			if err := s.checkLive(ctx, tx, Input{Promotion: p.Promotion}, now); err != nil {
				return err
			}
		}
		ends := p.EndsAt
		if to == StatusEnded && (ends.IsZero() || ends.After(now)) {
			// Ending now shortens the window, so the calendar shows when it
			// really stopped.
			ends = now
			if !p.StartsAt.IsZero() && !ends.After(p.StartsAt) {
				ends = p.StartsAt.Add(time.Millisecond)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE promotions SET status = $2, ends_at = $3, updated_at = $4 WHERE id = $1`,
			id, string(to), millis(ends), now.UnixMilli()); err != nil {
			return fmt.Errorf("%s promotion %d: %w", action, id, err)
		}
		return audit.Record(ctx, tx, "promotion."+action, "promotion", id, map[string]any{"status": p.Status}, map[string]any{"status": to})
	})
	if err != nil {
		return Promotion{}, err
	}
	s.changed()
	return s.Get(ctx, id)
}

// Schedule commits a draft to run inside its window.
func (s *Service) Schedule(ctx context.Context, id int64) (Promotion, error) {
	return s.move(ctx, id, "schedule", StatusScheduled, []Status{StatusDraft}, true)
}

// Pause stops a scheduled or running promotion until Resume.
func (s *Service) Pause(ctx context.Context, id int64) (Promotion, error) {
	return s.move(ctx, id, "pause", StatusPaused, []Status{StatusScheduled, StatusActive}, false)
}

// Resume schedules a paused promotion again.
func (s *Service) Resume(ctx context.Context, id int64) (Promotion, error) {
	return s.move(ctx, id, "resume", StatusScheduled, []Status{StatusPaused}, true)
}

// End stops a promotion for good; its window ends now.
func (s *Service) End(ctx context.Context, id int64) (Promotion, error) {
	return s.move(ctx, id, "end", StatusEnded, []Status{StatusDraft, StatusScheduled, StatusActive, StatusPaused}, false)
}

// Results reads what the promotion brought (docs/METRICS.md).
func (s *Service) Results(ctx context.Context, id int64) (Results, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Results{}, err
	}
	res := Results{PromotionID: id}
	// A presale's tail is worth its deposit too (package purchase).
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT o.customer_id), COALESCE(SUM(`+purchase.Value("o")+`), 0), COALESCE(SUM(po.off), 0)
		FROM promotion_orders po JOIN orders o ON o.id = po.order_id
		WHERE po.promotion_id = $1 AND o.paid_at IS NOT NULL`, id).Scan(&res.Orders, &res.Customers, &res.GMV, &res.DiscountCost)
	if err != nil {
		return res, fmt.Errorf("promotion %d results: %w", id, err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM promotion_orders po JOIN orders o ON o.id = po.order_id
		WHERE po.promotion_id = $1 AND o.status = 'pending_payment'`, id).Scan(&res.Pending); err != nil {
		return res, fmt.Errorf("promotion %d results: %w", id, err)
	}
	res.ROI = ROI(res.GMV, res.DiscountCost)
	return res, nil
}

// IsWrongState says whether err is a status conflict.
func IsWrongState(err error) bool { return errors.Is(err, ErrWrongState) }

// OrderPromotion is what one promotion took off one order.
type OrderPromotion struct {
	PromotionID int64  `json:"promotion_id"`
	Name        string `json:"name"`
	Off         int64  `json:"off"`
}

// OnOrder lists the promotions that priced an order, in the order they
// were written (the order of application).
func (s *Service) OnOrder(ctx context.Context, orderID int64) ([]OrderPromotion, error) {
	rows, err := s.DB.Query(ctx, `SELECT p.id, p.name, po.off FROM promotion_orders po JOIN promotions p ON p.id = po.promotion_id
		WHERE po.order_id = $1 ORDER BY po.created_at, p.priority DESC, p.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("promotions of order %d: %w", orderID, err)
	}
	defer rows.Close()
	out := []OrderPromotion{}
	for rows.Next() {
		var op OrderPromotion
		if err := rows.Scan(&op.PromotionID, &op.Name, &op.Off); err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, rows.Err()
}
