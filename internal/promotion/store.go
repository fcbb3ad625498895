package promotion

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/promo"
)

const columns = `id, name, kind, status, priority, stack_group, is_exclusive, starts_at, ends_at, schedule, channels, for_tiers,
	segments, first_order_only, scope, product_ids, category_ids, levels, repeat_each, rate_bp, amount, per_unit, cap, threshold,
	buy_n, get_m, bundle_skus, bundle_price, tier_rates_bp, gift, note, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scan(s scanner, now time.Time) (Promotion, error) {
	var p Promotion
	var kind, status, scope string
	var priority int64
	var starts, ends sql.NullInt64
	var schedule, channels, tiers, segments, products, categories, levels, bundle, rates, gift string
	var created, updated int64
	err := s.Scan(&p.ID, &p.Name, &kind, &status, &priority, &p.Group, &p.Exclusive, &starts, &ends, &schedule, &channels, &tiers,
		&segments, &p.FirstOrderOnly, &scope, &products, &categories, &levels, &p.Repeat, &p.RateBP, &p.Amount, &p.PerUnit, &p.Cap, &p.Threshold,
		&p.BuyN, &p.GetM, &bundle, &p.BundlePrice, &rates, &gift, &p.Note, &created, &updated)
	if err != nil {
		return p, err
	}
	p.Kind, p.Stored, p.Scope, p.Priority = promo.Kind(kind), Status(status), promo.Scope(scope), int(priority)
	if starts.Valid {
		p.StartsAt = time.UnixMilli(starts.Int64).UTC()
	}
	if ends.Valid {
		p.EndsAt = time.UnixMilli(ends.Int64).UTC()
	}
	for _, f := range []struct {
		src string
		dst any
	}{{schedule, &p.Schedule}, {channels, &p.Channels}, {tiers, &p.ForTiers}, {segments, &p.Segments}, {products, &p.ProductIDs},
		{categories, &p.CategoryIDs}, {levels, &p.Levels}, {bundle, &p.BundleSKUs}, {rates, &p.TierRatesBP}, {gift, &p.Gift}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return p, fmt.Errorf("promotion %d: %w", p.ID, err)
		}
	}
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	p.Status = Effective(p.Stored, p.StartsAt, p.EndsAt, now)
	return p, nil
}

func get(ctx context.Context, q db.Queryer, id int64, now time.Time) (Promotion, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM promotions WHERE id = $1`, id), now)
	if db.IsNoRows(err) {
		return p, fmt.Errorf("promotion %d: %w", id, db.ErrNotFound)
	}
	return p, err
}

func list(ctx context.Context, q db.Queryer, now time.Time, where string, args ...any) ([]Promotion, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM promotions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list promotions: %w", err)
	}
	defer rows.Close()
	out := []Promotion{}
	for rows.Next() {
		p, err := scan(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// values are the columns after id and status, in the order of columns.
func values(in Input) []any {
	p := in.Promotion
	orEmpty := func(s []int64) []int64 {
		if s == nil {
			return []int64{}
		}
		return s
	}
	strs := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	levels := p.Levels
	if levels == nil {
		levels = []promo.Level{}
	}
	rates := p.TierRatesBP
	if rates == nil {
		rates = map[string]int64{}
	}
	return []any{p.Name, string(p.Kind), int64(p.Priority), p.Group, p.Exclusive, millis(p.StartsAt), millis(p.EndsAt), js(p.Schedule),
		js(strs(p.Channels)), js(strs(p.ForTiers)), js(strs(p.Segments)), p.FirstOrderOnly, string(p.Scope), js(orEmpty(p.ProductIDs)),
		js(orEmpty(p.CategoryIDs)), js(levels), p.Repeat, p.RateBP, p.Amount, p.PerUnit, p.Cap, p.Threshold, p.BuyN, p.GetM,
		js(orEmpty(p.BundleSKUs)), p.BundlePrice, js(rates), js(p.Gift), in.Note}
}

func insert(ctx context.Context, tx *db.Tx, in Input, now time.Time) (int64, error) {
	args := append(values(in), now.UnixMilli())
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO promotions (name, kind, priority, stack_group, is_exclusive, starts_at, ends_at, schedule, channels,
			for_tiers, segments, first_order_only, scope, product_ids, category_ids, levels, repeat_each, rate_bp, amount, per_unit, cap,
			threshold, buy_n, get_m, bundle_skus, bundle_price, tier_rates_bp, gift, note, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,
			$27, $28, $29, 'draft', $30, $30) RETURNING id`, args...).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create promotion: %w", err)
	}
	return id, nil
}

func update(ctx context.Context, tx *db.Tx, id int64, in Input, now time.Time) error {
	args := append(values(in), now.UnixMilli(), id)
	_, err := tx.Exec(ctx, `UPDATE promotions SET name = $1, kind = $2, priority = $3, stack_group = $4, is_exclusive = $5, starts_at = $6,
			ends_at = $7, schedule = $8, channels = $9, for_tiers = $10, segments = $11, first_order_only = $12, scope = $13,
			product_ids = $14, category_ids = $15, levels = $16, repeat_each = $17, rate_bp = $18, amount = $19, per_unit = $20, cap = $21,
			threshold = $22, buy_n = $23, get_m = $24, bundle_skus = $25, bundle_price = $26, tier_rates_bp = $27, gift = $28, note = $29,
			updated_at = $30
		WHERE id = $31`, args...)
	if err != nil {
		return fmt.Errorf("update promotion %d: %w", id, err)
	}
	return nil
}
