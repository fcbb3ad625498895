package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	engine "github.com/storeops/storeops/internal/promo"
)

const dayMS = int64(24 * time.Hour / time.Millisecond)

// writeCoupons gives the demo shop three coupon templates and the coupons
// customers hold: a newcomer coupon (新人券 满99减10) claimable and pushed to
// the newest customers, a live-room-only coupon (直播间专属券) its
// live-stream customers redeemed with the shared code LIVE20 over the last
// two weeks (valid 7 days, so the older half has expired), and a summer
// code SUMMER50 nobody has used yet. The demo's orders were priced by its
// own promotions, so no coupon is marked used on them.
func writeCoupons(ctx context.Context, d *db.DB, end time.Time) error {
	now := end.UnixMilli()
	summerFrom := end.AddDate(0, 0, -7)
	summerTo := end.AddDate(0, 0, 30)
	templates := []struct {
		in     coupon.Input
		source coupon.Source
		code   string
	}{
		{in: coupon.Input{Name: "新人券 满99减10", Description: "新用户首单可用", Claimable: true, ValidDays: 30, PerCustomerLimit: 1,
			Rule: coupon.Rule{Kind: engine.KindFixedOff, Amount: 1000, Threshold: 9900, Scope: engine.ScopeOrder, FirstOrderOnly: true}}},
		{in: coupon.Input{Name: "直播间专属券 9折", Description: "仅限直播间下单，最多减20元", SharedCode: "LIVE20", ValidDays: 7, TotalLimit: 5000, PerCustomerLimit: 1,
			Rule: coupon.Rule{Kind: engine.KindPercentOff, RateBP: 1000, Cap: 2000, Scope: engine.ScopeOrder, Channels: []string{"live"}}}},
		{in: coupon.Input{Name: "夏日满300减50", SharedCode: "SUMMER50", ValidFrom: &summerFrom, ValidTo: &summerTo, TotalLimit: 10000, PerCustomerLimit: 1,
			Rule: coupon.Rule{Kind: engine.KindTieredOff, Levels: []engine.Level{{Threshold: 30000, Off: 5000}}, Scope: engine.ScopeOrder}}},
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		ids := make([]int64, len(templates))
		for i, t := range templates {
			in := t.in
			in.Normalize()
			if err := in.Validate(); err != nil {
				return fmt.Errorf("demo coupon %q: %w", in.Name, err)
			}
			rule, _ := json.Marshal(in.Rule)
			var from, to any
			if in.ValidFrom != nil {
				from, to = in.ValidFrom.UnixMilli(), in.ValidTo.UnixMilli()
			}
			if err := tx.QueryRow(ctx, `INSERT INTO coupon_templates (name, description, kind, rule, status, claimable, valid_from, valid_to,
					valid_days, total_limit, per_customer_limit, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
				in.Name, in.Description, string(in.Rule.Kind), string(rule), in.Claimable, from, to, in.ValidDays, in.TotalLimit,
				in.PerCustomerLimit, now-30*dayMS).Scan(&ids[i]); err != nil {
				return fmt.Errorf("demo coupons: %w", err)
			}
			if in.SharedCode != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO coupon_codes (code, template_id, kind, created_at) VALUES ($1, $2, 'shared', $3)`,
					in.SharedCode, ids[i], now-30*dayMS); err != nil {
					return fmt.Errorf("demo coupons: %w", err)
				}
			}
		}
		// The 200 newest customers got the newcomer coupon pushed, over
		// the last ten days.
		if _, err := tx.Exec(ctx, `INSERT INTO coupons (template_id, customer_id, status, source, valid_from, valid_to, issued_at, updated_at)
			SELECT CAST($1 AS BIGINT), id, 'issued', 'push', CAST($2 AS BIGINT) - (id % 10) * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - (id % 10) * CAST($3 AS BIGINT) + 30 * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - (id % 10) * CAST($3 AS BIGINT), CAST($2 AS BIGINT)
			FROM customers ORDER BY id DESC LIMIT 200`, ids[0], now, dayMS); err != nil {
			return fmt.Errorf("demo coupons: %w", err)
		}
		// Live-stream customers redeemed LIVE20 over the last 14 days.
		if _, err := tx.Exec(ctx, `INSERT INTO coupons (template_id, customer_id, status, source, code, shared_code, valid_from, valid_to, issued_at, updated_at)
			SELECT CAST($1 AS BIGINT), id, CASE WHEN CAST($2 AS BIGINT) - (id % 14) * CAST($3 AS BIGINT) + 7 * CAST($3 AS BIGINT) <= CAST($2 AS BIGINT) THEN 'expired' ELSE 'issued' END, 'code', 'LIVE20', 'LIVE20',
				CAST($2 AS BIGINT) - (id % 14) * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - (id % 14) * CAST($3 AS BIGINT) + 7 * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - (id % 14) * CAST($3 AS BIGINT), CAST($2 AS BIGINT)
			FROM customers WHERE source_channel = 'live' ORDER BY id DESC LIMIT 300`, ids[1], now, dayMS); err != nil {
			return fmt.Errorf("demo coupons: %w", err)
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO coupon_claims (template_id, customer_id, claimed)
				SELECT template_id, customer_id, COUNT(*) FROM coupons WHERE template_id = $1 GROUP BY template_id, customer_id`, id); err != nil {
				return fmt.Errorf("demo coupons: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE coupon_templates SET issued = (SELECT COUNT(*) FROM coupons WHERE template_id = $1) WHERE id = $1`, id); err != nil {
				return fmt.Errorf("demo coupons: %w", err)
			}
		}
		return nil
	})
}
