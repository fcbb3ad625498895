package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	engine "github.com/storeops/storeops/internal/promo"
)

// demoPromotion is one stored promotion of the demo shop, and which of
// the history's orders it priced.
type demoPromotion struct {
	p        engine.Promotion
	status   string
	note     string
	orders   string // SQL condition on orders o (with $2, $3 the window) for promotion_orders; "" none
	windowed bool   // orders is checked day by day over the themed days
}

// writePromotions stores the promotions the demo's orders were priced with,
// so that each one's results (orders, GMV, discount cost, ROI) read from
// the same orders: the calendar's 满减 of every big promotion in the history
// (双11, 618, 双12, 520, 女王节, 年货节) and 周三会员日 95折, ended or still
// running; the next ones of the coming months, scheduled; and what a shop
// runs today beside them: 满300减50 store-wide, a category at 8折, a bundle
// (套餐) and a gift with purchase (满199赠小样), active from now.
func writePromotions(ctx context.Context, d *db.DB, end time.Time, days int, loc *time.Location) error {
	first := dateOf(end.In(loc)).addDays(-days + 1)
	last := dateOf(end.In(loc))
	var ps []demoPromotion
	tiered := func(pr *promo, from, to date) {
		p := engine.Promotion{Name: pr.name + " " + tieredName(pr), Kind: engine.KindTieredOff, Scope: engine.ScopeOrder, Group: "满减", Priority: 1,
			Levels: []engine.Level{{Threshold: pr.threshold, Off: pr.off}}, Repeat: pr.repeat,
			StartsAt: from.start(loc), EndsAt: to.addDays(1).start(loc)}
		status := "ended"
		if p.EndsAt.After(end) {
			status = "scheduled"
		}
		ps = append(ps, demoPromotion{p: p, status: status, orders: "o.discount_total > 0"})
	}
	for y := first.y; y <= last.y+1; y++ {
		sf := springFestivalOf(y)
		windows := []struct {
			pr       *promo
			from, to date
		}{
			{promoNianhuo, sf.addDays(-25), sf.addDays(-10)},
			{promo38, date{y, 3, 6}, date{y, 3, 8}},
			{promo520, date{y, 5, 19}, date{y, 5, 20}},
			{promo618, date{y, 6, 1}, date{y, 6, 18}},
			{promo1111, date{y, 11, 1}, date{y, 11, 11}},
			{promo1212, date{y, 12, 10}, date{y, 12, 12}},
		}
		for _, w := range windows {
			// The history's, and those of the next seven months.
			if w.to.sub(first) < 0 || w.from.sub(last) > 210 {
				continue
			}
			tiered(w.pr, w.from, w.to)
		}
	}
	// 周三会员日 has run every Wednesday of the history: the orders it priced
	// are the Wednesday ones with exactly 5% off.
	ps = append(ps, demoPromotion{p: engine.Promotion{Name: "周三会员日 95折", Kind: engine.KindPercentOff, Scope: engine.ScopeOrder, RateBP: 500,
		Schedule: engine.Schedule{Weekdays: []time.Weekday{time.Wednesday}}, StartsAt: first.start(loc)},
		status: "scheduled", orders: "o.discount_total > 0 AND o.discount_total = o.items_total * 5 / 100", windowed: true})

	var catName string
	var cat int64
	if err := d.QueryRow(ctx, `SELECT c.id, c.name FROM categories c WHERE c.parent_id IS NOT NULL
		AND EXISTS (SELECT 1 FROM products p WHERE p.category_id = c.id AND p.status = 'on_sale') ORDER BY c.id LIMIT 1`).Scan(&cat, &catName); err == nil {
		ps = append(ps, demoPromotion{p: engine.Promotion{Name: catName + " 8折", Kind: engine.KindPercentOff, Scope: engine.ScopeCategories,
			CategoryIDs: []int64{cat}, RateBP: 2000, Cap: 10000, StartsAt: end.Add(-time.Hour), EndsAt: last.addDays(15).start(loc)},
			status: "scheduled", note: "类目清仓，单笔最多减100元"})
	} else if !db.IsNoRows(err) {
		return fmt.Errorf("demo promotions: %w", err)
	}
	ps = append(ps, demoPromotion{p: engine.Promotion{Name: "满300减50", Kind: engine.KindTieredOff, Scope: engine.ScopeOrder, Group: "满减",
		Levels: []engine.Level{{Threshold: 30000, Off: 5000}}, StartsAt: end.Add(-time.Hour)}, status: "scheduled", note: "全店常驻满减"})

	// A bundle of the two best-priced SKUs of one product line at 85%, and
	// the cheapest SKU in stock as the gift.
	var a, b, pa, pb int64
	if err := d.QueryRow(ctx, `SELECT k1.id, k1.list_price, k2.id, k2.list_price FROM skus k1 JOIN products p1 ON p1.id = k1.product_id
		JOIN skus k2 ON k2.product_id <> k1.product_id JOIN products p2 ON p2.id = k2.product_id
		WHERE p1.status = 'on_sale' AND p2.status = 'on_sale' AND p1.category_id = p2.category_id AND k1.list_price > 0 AND k2.list_price > 0
		ORDER BY k1.id, k2.id LIMIT 1`).Scan(&a, &pa, &b, &pb); err == nil {
		ps = append(ps, demoPromotion{p: engine.Promotion{Name: "搭配套餐 85折", Kind: engine.KindBundle, Scope: engine.ScopeOrder,
			BundleSKUs: []int64{a, b}, BundlePrice: (pa + pb) * 85 / 100, StartsAt: end.Add(-time.Hour), EndsAt: last.addDays(31).start(loc)},
			status: "scheduled"})
	} else if !db.IsNoRows(err) {
		return fmt.Errorf("demo promotions: %w", err)
	}
	var gift, giftProduct int64
	if err := d.QueryRow(ctx, `SELECT k.id, k.product_id FROM skus k JOIN products p ON p.id = k.product_id JOIN stock s ON s.sku_id = k.id
		WHERE p.status = 'on_sale' AND s.on_hand - s.reserved >= 20 ORDER BY k.list_price, k.id LIMIT 1`).Scan(&gift, &giftProduct); err == nil {
		ps = append(ps, demoPromotion{p: engine.Promotion{Name: "满199赠小样", Kind: engine.KindGift, Scope: engine.ScopeOrder, Threshold: 19900,
			Gift: engine.Gift{SKUID: gift, ProductID: giftProduct, Quantity: 1}, StartsAt: end.Add(-time.Hour), EndsAt: last.addDays(31).start(loc)},
			status: "scheduled", note: "赠品送完即止"})
	} else if !db.IsNoRows(err) {
		return fmt.Errorf("demo promotions: %w", err)
	}

	return d.InTx(ctx, func(tx *db.Tx) error {
		for _, dp := range ps {
			if err := dp.p.Validate(); err != nil {
				return fmt.Errorf("demo promotion %q: %w", dp.p.Name, err)
			}
			id, err := insertDemoPromotion(ctx, tx, dp, end)
			if err != nil {
				return err
			}
			if dp.orders == "" {
				continue
			}
			insert := `INSERT INTO promotion_orders (promotion_id, order_id, off, created_at)
				SELECT $1, o.id, o.discount_total, o.created_at FROM orders o WHERE o.created_at >= $2 AND o.created_at < $3 AND ` + dp.orders
			if !dp.windowed {
				to := dp.p.EndsAt
				if to.After(end) {
					to = end
				}
				if _, err := tx.Exec(ctx, insert, id, dp.p.StartsAt.UnixMilli(), to.UnixMilli()); err != nil {
					return fmt.Errorf("demo promotion orders: %w", err)
				}
				continue
			}
			for day := first; day.sub(last) <= 0; day = day.addDays(1) {
				if !dp.p.Schedule.On(day.start(loc).Add(12*time.Hour), loc) {
					continue
				}
				if _, err := tx.Exec(ctx, insert, id, day.start(loc).UnixMilli(), day.addDays(1).start(loc).UnixMilli()); err != nil {
					return fmt.Errorf("demo promotion orders: %w", err)
				}
			}
		}
		return nil
	})
}

func tieredName(p *promo) string {
	if p.repeat {
		return fmt.Sprintf("每满%d减%d", p.threshold/100, p.off/100)
	}
	return fmt.Sprintf("满%d减%d", p.threshold/100, p.off/100)
}

func insertDemoPromotion(ctx context.Context, tx *db.Tx, dp demoPromotion, end time.Time) (int64, error) {
	p := dp.p
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	ids := func(s []int64) []int64 {
		if s == nil {
			return []int64{}
		}
		return s
	}
	ms := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixMilli()
	}
	levels := p.Levels
	if levels == nil {
		levels = []engine.Level{}
	}
	created := end.Add(-30 * 24 * time.Hour)
	if !p.StartsAt.IsZero() && p.StartsAt.Before(end) {
		created = p.StartsAt.Add(-14 * 24 * time.Hour)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO promotions (name, kind, status, priority, stack_group, is_exclusive, starts_at, ends_at, schedule, scope,
			product_ids, category_ids, levels, repeat_each, rate_bp, amount, cap, threshold, bundle_skus, bundle_price, gift, note, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) RETURNING id`,
		p.Name, string(p.Kind), dp.status, int64(p.Priority), p.Group, p.Exclusive, ms(p.StartsAt), ms(p.EndsAt), js(p.Schedule), string(p.Scope),
		js(ids(p.ProductIDs)), js(ids(p.CategoryIDs)), js(levels), p.Repeat, p.RateBP, p.Amount, p.Cap, p.Threshold, js(ids(p.BundleSKUs)),
		p.BundlePrice, js(p.Gift), dp.note, created.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("demo promotion %q: %w", p.Name, err)
	}
	return id, nil
}
