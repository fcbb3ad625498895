package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/tier"
)

// writeTiers places the demo's customers on the default member ladder from
// their history, as if tiers had been kept all along: each paid order's
// growth at its payment, its refunds taken back, the growth of the daily
// check-ins of the last two weeks (writeCheckIns), and every customer whose
// growth over the last 12 months (to end) reaches a tier upgraded to it,
// the change recorded at end. The tier discount promotion is left to the
// program's first start (internal/app), which makes it for any shop. Some
// profit items get gold and platinum member prices (会员价).
func writeTiers(ctx context.Context, d *db.DB, end time.Time, loc *time.Location) error {
	if err := writeCheckIns(ctx, d, end, loc); err != nil {
		return err
	}
	if err := writeMemberPrices(ctx, d, end); err != nil {
		return err
	}
	svc := &tier.Service{DB: d, Now: func() time.Time { return end }}
	if _, err := svc.Backfill(ctx); err != nil {
		return fmt.Errorf("demo tiers: %w", err)
	}
	return nil
}

// checkInDays is how far back the demo's check-ins (签到) go.
const checkInDays = 14

// writeCheckIns: the customers who paid in the last 30 days check in on
// about one day in three of the last two weeks, at 08:00 to 22:00 store
// time, each for the check-in's default growth under the source the
// storefront's check-in uses (action:check_in:<customer>:<date>).
func writeCheckIns(ctx context.Context, d *db.DB, end time.Time, loc *time.Location) error {
	rule := tier.DefaultActions()[0]
	rows, err := d.Query(ctx, `SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL AND paid_at >= $1 AND paid_at < $2 ORDER BY customer_id`,
		end.AddDate(0, 0, -30).UnixMilli(), end.UnixMilli())
	if err != nil {
		return fmt.Errorf("demo check-ins: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	reason := rule.NameZh + " " + rule.NameEn
	var vals []any
	for _, id := range ids {
		for day := 1; day <= checkInDays; day++ {
			if (id*7+int64(day))%3 != 0 {
				continue
			}
			l := end.In(loc).AddDate(0, 0, -day)
			at := time.Date(l.Year(), l.Month(), l.Day(), 8+int((id+int64(day))%14), int(id%60), 0, 0, loc)
			vals = append(vals, id, "action:check_in:"+strconv.FormatInt(id, 10)+":"+tier.DayKey(at, loc), rule.Growth, at.UnixMilli(),
				tier.ActionCheckIn, reason)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		return tx.InsertNewRows(ctx, "growth_movements", "source", []string{"customer_id", "source", "amount", "at", "action", "reason"}, vals)
	})
}

// writeMemberPrices gives every fourth profit item (利润款) a gold price of
// 88% and a platinum price of 85% of each SKU's list price: 金卡价 and
// 铂金卡价, which those tiers pay instead of their 5% and 10% off.
func writeMemberPrices(ctx context.Context, d *db.DB, end time.Time) error {
	_, err := d.Exec(ctx, `INSERT INTO sku_member_prices (sku_id, tier, price, updated_at)
		SELECT k.id, t.tier, k.list_price * t.pct / 100, $1 FROM skus k JOIN products p ON p.id = k.product_id
		CROSS JOIN (SELECT 'gold' AS tier, 88 AS pct UNION ALL SELECT 'platinum', 85) t
		WHERE p.role = 'profit' AND p.id % 4 = 0 AND k.list_price * t.pct / 100 > 0
		ON CONFLICT (sku_id, tier) DO NOTHING`, end.UnixMilli())
	if err != nil {
		return fmt.Errorf("demo member prices: %w", err)
	}
	return nil
}
