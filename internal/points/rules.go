package points

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// Rules are the store's points rules (points_settings, points_ladder).
type Rules struct {
	// EarnPerYuan is the points a paid order earns per ¥1 (100 分) paid on
	// goods (its total less shipping). 0 turns earning off.
	EarnPerYuan int64 `json:"earn_points_per_yuan"`
	// RedeemPerYuan is how many points pay ¥1 at checkout.
	RedeemPerYuan int64 `json:"redeem_points_per_yuan"`
	// MaxShareBP is the most points may pay of what is left to pay, in
	// basis points (5000: half).
	MaxShareBP int64 `json:"max_share_bp"`
	// ExpiryMonths: earned points expire this many months after they were
	// earned; 0 means at the end of the year after the one they were
	// earned in (points of 2026 expire when 2027 ends).
	ExpiryMonths int64 `json:"expiry_months"`
	// Ladder is the incentive ladder: bonus points for the customer's Nth
	// paid order (首购激励 for the 1st, 复购奖励 for later ones).
	Ladder []Rung `json:"ladder"`
}

// Rung is one step of the ladder.
type Rung struct {
	OrderNumber int64  `json:"order_number"`
	Bonus       int64  `json:"bonus"`
	Label       string `json:"label"`
}

// Defaults are the rules before the shop changes them: 1 point per ¥1,
// 100 points = ¥1, at most half of what is left to pay, expiring at the end
// of the following year.
var Defaults = Rules{EarnPerYuan: 1, RedeemPerYuan: 100, MaxShareBP: 5000}

// Validate names the first field to fix.
func (r Rules) Validate() error {
	switch {
	case r.EarnPerYuan < 0 || r.EarnPerYuan > 1000:
		return apperr.Field("earn_points_per_yuan", "give 0 to 1000 points per ¥1")
	case r.RedeemPerYuan < 1 || r.RedeemPerYuan > 100000:
		return apperr.Field("redeem_points_per_yuan", "give 1 to 100000 points per ¥1")
	case r.MaxShareBP < 0 || r.MaxShareBP > 10000:
		return apperr.Field("max_share_bp", "give a share between 0 and 10000 basis points")
	case r.ExpiryMonths < 0 || r.ExpiryMonths > 120:
		return apperr.Field("expiry_months", "give 0 (end of the following year) to 120 months")
	}
	seen := map[int64]bool{}
	for _, g := range r.Ladder {
		if g.OrderNumber < 1 || g.OrderNumber > 1000 {
			return apperr.Field("ladder", "order numbers run from 1 (the first paid order) to 1000")
		}
		if g.Bonus < 1 || g.Bonus > 1_000_000 {
			return apperr.Field("ladder", "the bonus for order %d must be 1 to 1000000 points", g.OrderNumber)
		}
		if seen[g.OrderNumber] {
			return apperr.Field("ladder", "order %d has two rungs; keep one", g.OrderNumber)
		}
		seen[g.OrderNumber] = true
	}
	return nil
}

// LoadRules reads the store's rules (Defaults when never saved).
func LoadRules(ctx context.Context, q db.Queryer) (Rules, error) {
	r := Defaults
	err := q.QueryRow(ctx, `SELECT earn_points_per_yuan, redeem_points_per_yuan, max_share_bp, expiry_months FROM points_settings WHERE id = 1`).
		Scan(&r.EarnPerYuan, &r.RedeemPerYuan, &r.MaxShareBP, &r.ExpiryMonths)
	if err != nil && !db.IsNoRows(err) {
		return r, fmt.Errorf("points rules: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT order_number, bonus, label FROM points_ladder ORDER BY order_number`)
	if err != nil {
		return r, fmt.Errorf("points ladder: %w", err)
	}
	defer rows.Close()
	r.Ladder = []Rung{}
	for rows.Next() {
		var g Rung
		if err := rows.Scan(&g.OrderNumber, &g.Bonus, &g.Label); err != nil {
			return r, err
		}
		r.Ladder = append(r.Ladder, g)
	}
	return r, rows.Err()
}

// SaveRules replaces the store's rules in tx.
func SaveRules(ctx context.Context, tx *db.Tx, r Rules, now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO points_settings (id, earn_points_per_yuan, redeem_points_per_yuan, max_share_bp, expiry_months, updated_at)
		VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET earn_points_per_yuan = excluded.earn_points_per_yuan,
		redeem_points_per_yuan = excluded.redeem_points_per_yuan, max_share_bp = excluded.max_share_bp,
		expiry_months = excluded.expiry_months, updated_at = excluded.updated_at`,
		r.EarnPerYuan, r.RedeemPerYuan, r.MaxShareBP, r.ExpiryMonths, now.UnixMilli()); err != nil {
		return fmt.Errorf("save points rules: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM points_ladder`); err != nil {
		return fmt.Errorf("save points ladder: %w", err)
	}
	for _, g := range r.Ladder {
		if _, err := tx.Exec(ctx, `INSERT INTO points_ladder (order_number, bonus, label) VALUES ($1, $2, $3)`,
			g.OrderNumber, g.Bonus, strings.TrimSpace(g.Label)); err != nil {
			return fmt.Errorf("save points ladder: %w", err)
		}
	}
	return nil
}

// EarnFor is the points an order earns for paid 分 on goods: whole yuan
// only (¥99.99 earns 99 at 1 point per ¥1).
func (r Rules) EarnFor(paidOnGoods int64) int64 {
	if paidOnGoods <= 0 {
		return 0
	}
	return paidOnGoods / 100 * r.EarnPerYuan
}

// BonusFor is the ladder's bonus for the customer's nth paid order.
func (r Rules) BonusFor(n int64) (Rung, bool) {
	for _, g := range r.Ladder {
		if g.OrderNumber == n {
			return g, true
		}
	}
	return Rung{}, false
}

// ExpiresAt is when points earned at t expire, in the store's zone loc:
// ExpiryMonths after t, or (0) the first instant of the second year after
// t's (earned in 2026 → expire at 2028-01-01 00:00, i.e. end of 2027).
func (r Rules) ExpiresAt(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if r.ExpiryMonths > 0 {
		return t.AddDate(0, int(r.ExpiryMonths), 0)
	}
	return time.Date(t.Year()+2, 1, 1, 0, 0, 0, 0, loc)
}

// Value is what points pay at checkout in 分 (floor).
func (r Rules) Value(points int64) int64 {
	if points <= 0 || r.RedeemPerYuan <= 0 {
		return 0
	}
	return points * 100 / r.RedeemPerYuan
}
