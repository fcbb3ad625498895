package points

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/settings"
)

// Service is the shop's points over a database.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: the wall clock
}

var _ promotion.PointsSource = (*Service)(nil)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Account is a customer's balance and a page of their movements.
type Account struct {
	CustomerID int64      `json:"customer_id"`
	Balance    int64      `json:"balance"`
	Movements  []Movement `json:"movements"`
	// Next is the id to pass as before for the next page (0: no more).
	Next int64 `json:"next,omitempty"`
}

// Account reads a customer's balance and movements (newest first, before
// the movement id before; 0: from the newest).
func (s *Service) Account(ctx context.Context, customerID, before int64, limit int) (Account, error) {
	var exists bool
	if err := s.DB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)`, customerID).Scan(&exists); err != nil {
		return Account{}, fmt.Errorf("points: customer %d: %w", customerID, err)
	}
	if !exists {
		return Account{}, fmt.Errorf("there is no customer %d: %w", customerID, apperr.ErrNotFound)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	b, err := Balance(ctx, s.DB, customerID)
	if err != nil {
		return Account{}, err
	}
	ms, err := Ledger(ctx, s.DB, customerID, before, limit)
	if err != nil {
		return Account{}, err
	}
	a := Account{CustomerID: customerID, Balance: b, Movements: ms}
	if len(ms) == limit {
		a.Next = ms[len(ms)-1].ID
	}
	return a, nil
}

// AdjustInput is an operator's manual change.
type AdjustInput struct {
	Points int64  `json:"points"` // signed: + gives, − takes
	Reason string `json:"reason"`
	// Key makes a retried request change the balance once (optional; a
	// fresh key per adjustment when empty).
	Key string `json:"key,omitempty"`
}

// Adjust changes a customer's points by hand, with a reason, audited.
// Given points expire like earned ones.
func (s *Service) Adjust(ctx context.Context, customerID int64, in AdjustInput) (Movement, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Points == 0:
		return Movement{}, apperr.Field("points", "give the points to add (positive) or take (negative)")
	case in.Points > 10_000_000 || in.Points < -10_000_000:
		return Movement{}, apperr.Field("points", "adjust at most 10000000 points at once")
	case in.Reason == "":
		return Movement{}, apperr.Field("reason", "say why the points change (the customer sees it)")
	case len([]rune(in.Reason)) > 200:
		return Movement{}, apperr.Field("reason", "keep the reason under 200 characters")
	}
	now := s.now()
	var out Movement
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		e := Entry{CustomerID: customerID, Kind: Adjust, Points: in.Points, SourceKind: "operator", SourceID: audit.ActorFrom(ctx).ID,
			Reason: in.Reason, At: now}
		if in.Key != "" {
			e.Key = "adjust:" + strconv.FormatInt(customerID, 10) + ":" + in.Key
		} else {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM points_ledger`).Scan(&n); err != nil {
				return err
			}
			e.Key = fmt.Sprintf("adjust:%d:%d:%d", customerID, now.UnixNano(), n)
		}
		if in.Points > 0 {
			rules, err := LoadRules(ctx, tx)
			if err != nil {
				return err
			}
			st, err := settings.Load(ctx, tx)
			if err != nil {
				return err
			}
			e.ExpiresAt = rules.ExpiresAt(now, st.Location())
		}
		before, err := Balance(ctx, tx, customerID)
		if err != nil {
			return err
		}
		wrote, err := Write(ctx, tx, e)
		if isInsufficient(err) {
			return apperr.Field("points", "the customer has %d points; take at most that many", before)
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM points_ledger WHERE event_key = $1`, e.Key).Scan(&out.ID); err != nil {
			return err
		}
		if !wrote {
			return nil
		}
		return audit.Record(ctx, tx, "points.adjust", "customer", customerID, map[string]any{"balance": before},
			map[string]any{"balance": before + in.Points, "points": in.Points, "reason": in.Reason})
	})
	if err != nil {
		return Movement{}, err
	}
	ms, err := Ledger(ctx, s.DB, customerID, out.ID+1, 1)
	if err != nil || len(ms) == 0 {
		return Movement{}, fmt.Errorf("points: read adjustment back: %v", err)
	}
	return ms[0], nil
}

// Rules reads the store's points rules.
func (s *Service) Rules(ctx context.Context) (Rules, error) { return LoadRules(ctx, s.DB) }

// SaveRules replaces the store's points rules, audited.
func (s *Service) SaveRules(ctx context.Context, r Rules) (Rules, error) {
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := LoadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := SaveRules(ctx, tx, r, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "points.rules", "points_settings", 1, before, r)
	})
	if err != nil {
		return Rules{}, err
	}
	return s.Rules(ctx)
}

// Balance implements promotion.PointsSource.
func (s *Service) Balance(ctx context.Context, customerID int64) (int64, error) {
	return Balance(ctx, s.DB, customerID)
}

// Redemption implements promotion.PointsSource.
func (s *Service) Redemption(ctx context.Context) (promotion.PointsRate, error) {
	r, err := LoadRules(ctx, s.DB)
	if err != nil {
		return promotion.PointsRate{}, err
	}
	return promotion.PointsRate{PerYuan: r.RedeemPerYuan, MaxShareBP: r.MaxShareBP}, nil
}
