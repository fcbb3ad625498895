package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/inventory"
)

// writeFlashSales gives the demo shop an upcoming flash sale (秒杀): tomorrow
// 20:00 to 22:00 in the store's zone, its three best sellers of the last 30
// days (one SKU per product) that cost at least ¥50, at about 6折, one per
// customer. The shop stocks up for it the way a shop does: a receipt of
// the units each item gets (about two weeks of its recent sales, 50 to 200)
// arrives now, and the sale carves them out, so what ordinary orders can buy
// is unchanged. Both go through the inventory and flash-sale services, as
// an operator's would — the carving is the same code's — and leave their
// audit entries by the system actor.
//
// The history has no flash sale: its orders were priced by the calendar's
// 满减, and a past 秒杀 would need its own orders at the flash price (lines
// taken from a pool, buyers' limits) woven into the history rather than
// figures written beside it.
func writeFlashSales(ctx context.Context, d *db.DB, end time.Time, loc *time.Location) error {
	const (
		items    = 3
		minPrice = 5000 // 分: a flash price off less than ¥50 is no draw
		minUnits = 50
		maxUnits = 200
	)
	// Now is the end of the history: its last movement when End is a bare
	// date (the history then runs to midnight), so the ledger's time runs
	// forward.
	var last int64
	if err := d.QueryRow(ctx, `SELECT COALESCE(MAX(at), 0) FROM stock_movements`).Scan(&last); err != nil {
		return fmt.Errorf("demo flash sale: %w", err)
	}
	now := end
	if t := time.UnixMilli(last); t.After(now) {
		now = t
	}
	rows, err := d.Query(ctx, `SELECT k.id, k.product_id, k.list_price, COALESCE(s.n, 0)
		FROM skus k JOIN products p ON p.id = k.product_id
		LEFT JOIN (SELECT l.sku_id, SUM(l.quantity) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE o.paid_at >= $1 GROUP BY l.sku_id) s ON s.sku_id = k.id
		WHERE p.status = 'on_sale' AND k.list_price >= $2
		ORDER BY COALESCE(s.n, 0) DESC, k.id LIMIT 100`, now.Add(-30*24*time.Hour).UnixMilli(), minPrice)
	if err != nil {
		return fmt.Errorf("demo flash sale: %w", err)
	}
	var in []flash.ItemInput
	products := map[int64]bool{}
	for rows.Next() {
		var sku, product, list, sold int64
		if err := rows.Scan(&sku, &product, &list, &sold); err != nil {
			rows.Close()
			return fmt.Errorf("demo flash sale: %w", err)
		}
		if products[product] || len(in) == items {
			continue // three different things to race for
		}
		products[product] = true
		units := min(maxUnits, max(minUnits, (sold/2+9)/10*10))
		in = append(in, flash.ItemInput{SKUID: sku, FlashPrice: flashPrice(list), Stock: units})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("demo flash sale: %w", err)
	}
	if len(in) == 0 {
		return nil // no SKU on sale at ¥50 or more
	}
	clock := func() time.Time { return now }
	inv := &inventory.Service{DB: d, Now: clock}
	t := end.In(loc)
	starts := time.Date(t.Year(), t.Month(), t.Day()+1, 20, 0, 0, 0, loc)
	for i, it := range in {
		ref := fmt.Sprintf("PO%s-FS%d", now.In(loc).Format("20060102"), i+1)
		if _, err := inv.Adjust(ctx, it.SKUID, it.Stock, inventory.ReasonReceipt, ref, "秒杀备货"); err != nil {
			return fmt.Errorf("demo flash sale: %w", err)
		}
	}
	s := &flash.Service{DB: d, Inventory: inv, Now: clock}
	_, err = s.Create(ctx, flash.SaleInput{
		Name:     fmt.Sprintf("%d月%d日 20点秒杀", starts.Month(), starts.Day()),
		StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), PerCustomerLimit: 1, Items: in,
	})
	if err != nil {
		return fmt.Errorf("demo flash sale: %w", err)
	}
	return nil
}

// flashPrice is about 6折 of list, in whole yuan ending in 9 (¥199 → ¥119),
// always below the list price.
func flashPrice(list int64) int64 {
	yuan := list * 6 / 10 / 100
	yuan = yuan - yuan%10 + 9
	for yuan > 0 && yuan*100 >= list {
		yuan -= 10
	}
	if yuan <= 0 {
		return list * 6 / 10
	}
	return yuan * 100
}
