package tier

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// Service keeps the ladder and the customers' tiers.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// Discounts prices the tiers' discounts (nil: the ladder's discount_bp
	// is stored but not synced to a promotion).
	Discounts DiscountSync
}

// DiscountSync keeps the member_discount promotion that prices the tiers'
// discounts in step with the ladder; it returns the promotion's id (0:
// none, no tier has a discount). replaceEnded makes a new promotion when
// the current one has ended (saving the ladder does; the job does not, so
// an operator who ended it stops the discounts until the ladder is saved).
type DiscountSync func(ctx context.Context, current int64, rates map[string]int64, replaceEnded bool) (int64, error)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Load reads the ladder; a shop that never saved one has Default.
func Load(ctx context.Context, q db.Queryer) (Config, error) {
	c := Default()
	var promo *int64
	err := q.QueryRow(ctx, `SELECT growth_per_yuan, window_months, discount_promotion_id FROM tier_settings WHERE id = 1`).
		Scan(&c.GrowthPerYuan, &c.WindowMonths, &promo)
	switch {
	case db.IsNoRows(err):
	case err != nil:
		return c, fmt.Errorf("tier settings: %w", err)
	}
	if promo != nil {
		c.DiscountPromotionID = *promo
	}
	rows, err := q.Query(ctx, `SELECT code, name_zh, name_en, threshold, keep_threshold, discount_bp, free_shipping, birthday_gift,
		priority_shipping, dedicated_service FROM tier_levels ORDER BY ordinal`)
	if err != nil {
		return c, fmt.Errorf("tier ladder: %w", err)
	}
	defer rows.Close()
	var levels []Level
	for rows.Next() {
		var l Level
		if err := rows.Scan(&l.Code, &l.NameZh, &l.NameEn, &l.Threshold, &l.KeepThreshold, &l.DiscountBP, &l.FreeShipping,
			&l.BirthdayGift, &l.PriorityShipping, &l.DedicatedService); err != nil {
			return c, err
		}
		levels = append(levels, l)
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	if len(levels) > 0 {
		c.Levels = levels
	}
	return c, nil
}

// Config reads the ladder.
func (s *Service) Config(ctx context.Context) (Config, error) { return Load(ctx, s.DB) }

// Save replaces the ladder and syncs the tiers' discounts to their
// promotion. Customers keep their tiers until a payment upgrades them or
// the scheduled evaluation applies the new thresholds (a removed tier's
// customers are placed where their growth reaches).
func (s *Service) Save(ctx context.Context, c Config) (Config, error) {
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	now := s.now().UnixMilli()
	var before Config
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if before, err = Load(ctx, tx); err != nil {
			return err
		}
		c.DiscountPromotionID = before.DiscountPromotionID
		if _, err := tx.Exec(ctx, `DELETE FROM tier_levels`); err != nil {
			return err
		}
		for i, l := range c.Levels {
			if _, err := tx.Exec(ctx, `INSERT INTO tier_levels (code, ordinal, name_zh, name_en, threshold, keep_threshold, discount_bp,
				free_shipping, birthday_gift, priority_shipping, dedicated_service) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				l.Code, i, l.NameZh, l.NameEn, l.Threshold, l.KeepThreshold, l.DiscountBP, l.FreeShipping, l.BirthdayGift,
				l.PriorityShipping, l.DedicatedService); err != nil {
				return fmt.Errorf("save tier %s: %w", l.Code, err)
			}
		}
		if err := saveSettings(ctx, tx, c, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "tier.ladder", "tier_ladder", 1, before, c)
	})
	if err != nil {
		return Config{}, err
	}
	if err := s.syncDiscount(ctx, true); err != nil {
		return Config{}, err
	}
	return s.Config(ctx)
}

func saveSettings(ctx context.Context, q db.Queryer, c Config, now int64) error {
	var promo any
	if c.DiscountPromotionID > 0 {
		promo = c.DiscountPromotionID
	}
	_, err := q.Exec(ctx, `INSERT INTO tier_settings (id, growth_per_yuan, window_months, discount_promotion_id, updated_at)
		VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET growth_per_yuan = excluded.growth_per_yuan,
		window_months = excluded.window_months, discount_promotion_id = excluded.discount_promotion_id, updated_at = excluded.updated_at`,
		c.GrowthPerYuan, c.WindowMonths, promo, now)
	if err != nil {
		return fmt.Errorf("save tier settings: %w", err)
	}
	return nil
}

// SyncDiscount makes the tier discount promotion carry the ladder's
// discount rates (creating it the first time a tier has one; an ended one
// stays ended). Safe to call at every start: it changes nothing when the
// rates already match.
func (s *Service) SyncDiscount(ctx context.Context) error { return s.syncDiscount(ctx, false) }

func (s *Service) syncDiscount(ctx context.Context, replaceEnded bool) error {
	if s.Discounts == nil {
		return nil
	}
	c, err := s.Config(ctx)
	if err != nil {
		return err
	}
	rates := map[string]int64{}
	for _, l := range c.Levels {
		if l.DiscountBP > 0 {
			rates[l.Code] = l.DiscountBP
		}
	}
	id, err := s.Discounts(ctx, c.DiscountPromotionID, rates, replaceEnded)
	if err != nil {
		return fmt.Errorf("tier discount promotion: %w", err)
	}
	if id == c.DiscountPromotionID {
		return nil
	}
	c.DiscountPromotionID = id
	return saveSettings(ctx, s.DB, c, s.now().UnixMilli())
}

// Change is one change of a customer's tier.
type Change struct {
	ID           int64     `json:"id"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Kind         string    `json:"kind"`          // upgrade or downgrade
	Growth       int64     `json:"growth"`        // the window's growth that decided it
	Threshold    int64     `json:"threshold"`     // crossed (upgrade) or missed (downgrade)
	WindowMonths int64     `json:"window_months"` // the window then
	At           time.Time `json:"at"`
	// Source is the growth movement that made an upgrade ("" for the
	// scheduled evaluation) and Cause its reason ("" for spend).
	Source string `json:"source,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// Membership is a customer's tier and growth.
type Membership struct {
	CustomerID   int64      `json:"customer_id"`
	Tier         Level      `json:"tier"`
	Since        *time.Time `json:"since"`         // nil: never moved from the lowest tier
	Growth       int64      `json:"growth"`        // lifetime, net of refunds
	WindowGrowth int64      `json:"window_growth"` // within the rolling window
	WindowMonths int        `json:"window_months"`
	// Next is the tier above (nil at the top) and NeedGrowth the window
	// growth still missing to reach it.
	Next       *Level   `json:"next"`
	NeedGrowth int64    `json:"need_growth"`
	Changes    []Change `json:"changes"`
	// Movements are the last 50 changes of growth with their reasons
	// (spend, refunds, actions, grants), newest first.
	Movements []GrowthMovement `json:"movements"`
}

// Membership reads a customer's tier, growth and last 50 changes.
func (s *Service) Membership(ctx context.Context, customerID int64) (Membership, error) {
	var exists int64
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE id = $1`, customerID).Scan(&exists); err != nil {
		return Membership{}, err
	}
	if exists == 0 {
		return Membership{}, fmt.Errorf("customer %d: %w", customerID, apperr.ErrNotFound)
	}
	c, err := s.Config(ctx)
	if err != nil {
		return Membership{}, err
	}
	m := Membership{CustomerID: customerID, WindowMonths: c.WindowMonths}
	code := c.Levels[0].Code
	var since int64
	err = s.DB.QueryRow(ctx, `SELECT tier, growth, since FROM customer_tiers WHERE customer_id = $1`, customerID).Scan(&code, &m.Growth, &since)
	switch {
	case db.IsNoRows(err):
	case err != nil:
		return m, fmt.Errorf("tier of customer %d: %w", customerID, err)
	default:
		if since > 0 {
			t := time.UnixMilli(since).UTC()
			m.Since = &t
		}
	}
	if m.WindowGrowth, err = windowGrowth(ctx, s.DB, customerID, c, s.now()); err != nil {
		return m, err
	}
	i := c.Index(code)
	m.Tier = c.Levels[i]
	if i+1 < len(c.Levels) {
		next := c.Levels[i+1]
		m.Next, m.NeedGrowth = &next, max(0, next.Threshold-m.WindowGrowth)
	}
	if m.Changes, err = changes(ctx, s.DB, customerID); err != nil {
		return m, err
	}
	m.Movements, err = Movements(ctx, s.DB, customerID)
	return m, err
}

func changes(ctx context.Context, q db.Queryer, customerID int64) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.from_tier, c.to_tier, c.kind, c.growth, c.threshold, c.window_months, c.at, c.source,
		COALESCE(g.reason, '') FROM tier_changes c LEFT JOIN growth_movements g ON g.source = c.source AND c.source <> ''
		WHERE c.customer_id = $1 ORDER BY c.at DESC, c.id DESC LIMIT 50`, customerID)
	if err != nil {
		return nil, fmt.Errorf("tier changes of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var ch Change
		var at int64
		if err := rows.Scan(&ch.ID, &ch.From, &ch.To, &ch.Kind, &ch.Growth, &ch.Threshold, &ch.WindowMonths, &at, &ch.Source, &ch.Cause); err != nil {
			return nil, err
		}
		ch.At = time.UnixMilli(at).UTC()
		out = append(out, ch)
	}
	return out, rows.Err()
}

// windowStart is where the rolling window begins.
func windowStart(c Config, now time.Time) int64 {
	return now.AddDate(0, -c.WindowMonths, 0).UnixMilli()
}

func windowGrowth(ctx context.Context, q db.Queryer, customerID int64, c Config, now time.Time) (int64, error) {
	var g int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM growth_movements WHERE customer_id = $1 AND at >= $2`,
		customerID, windowStart(c, now)).Scan(&g); err != nil {
		return 0, fmt.Errorf("window growth of customer %d: %w", customerID, err)
	}
	return g, nil
}

// Count is how many customers hold a tier.
type Count struct {
	Level     Level `json:"level"`
	Customers int64 `json:"customers"`
}

// Distribution counts the customers per tier, lowest first; customers
// without a row are at the lowest tier.
func (s *Service) Distribution(ctx context.Context) ([]Count, error) {
	c, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Count, len(c.Levels))
	for i, l := range c.Levels {
		out[i].Level = l
	}
	var total int64
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&total); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT tier, COUNT(*) FROM customer_tiers GROUP BY tier`)
	if err != nil {
		return nil, fmt.Errorf("tier distribution: %w", err)
	}
	defer rows.Close()
	var placed int64
	for rows.Next() {
		var code string
		var n int64
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[c.Index(code)].Customers += n
		placed += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out[0].Customers += total - placed
	return out, nil
}

// FreeShipping reports whether the tier of that code ships free, and its
// name for the buyer's explanation; "" (a guest) never does. The order
// service waives shipping when the pricer says so (price.Priced.FreeShipping).
func FreeShipping(ctx context.Context, q db.Queryer, code string) (bool, string, error) {
	if code == "" {
		return false, "", nil
	}
	c, err := Load(ctx, q)
	if err != nil {
		return false, "", err
	}
	l := c.Level(code)
	return l.FreeShipping, l.NameZh + " " + l.NameEn, nil
}
