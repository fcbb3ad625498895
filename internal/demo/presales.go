package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/presale"
)

// writePresales gives the demo shop two presales (预售) of two of its dearer
// best sellers not in the flash sale, each stocked up for by a receipt that
// arrives now and carved out of it, as an operator's would be (through the
// inventory and presale services, audited by the system actor):
//
//   - "双12 预售": deposits open since two days ago for twelve more days
//     (¥X counts as ¥2X), the tail two days after they close;
//   - "年货节 预售": deposits from in three weeks, a refundable deposit.
//
// Like the flash sale, the history has no deposits: a deposit and its tail
// are orders of their own (a deposit line moves no goods, a tail line takes
// its units from the pool) that would have to be woven into the history's
// orders, stock ledger and payments rather than written beside them.
func writePresales(ctx context.Context, d *db.DB, end time.Time, loc *time.Location) error {
	var last int64
	if err := d.QueryRow(ctx, `SELECT COALESCE(MAX(at), 0) FROM stock_movements`).Scan(&last); err != nil {
		return fmt.Errorf("demo presale: %w", err)
	}
	now := end
	if t := time.UnixMilli(last); t.After(now) {
		now = t
	}
	type pick struct{ sku, product, list int64 }
	rows, err := d.Query(ctx, `SELECT k.id, k.product_id, k.list_price FROM skus k JOIN products p ON p.id = k.product_id
		LEFT JOIN (SELECT l.sku_id, SUM(l.quantity) AS n FROM order_lines l GROUP BY l.sku_id) s ON s.sku_id = k.id
		WHERE p.status = 'on_sale' AND k.list_price >= 20000
		AND k.product_id NOT IN (SELECT k2.product_id FROM flash_sale_items i JOIN skus k2 ON k2.id = i.sku_id)
		ORDER BY COALESCE(s.n, 0) DESC, k.id LIMIT 20`)
	if err != nil {
		return fmt.Errorf("demo presale: %w", err)
	}
	var picks []pick
	for rows.Next() {
		var p pick
		if err := rows.Scan(&p.sku, &p.product, &p.list); err != nil {
			rows.Close()
			return fmt.Errorf("demo presale: %w", err)
		}
		if len(picks) == 0 || picks[0].product != p.product {
			picks = append(picks, p) // two different things
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("demo presale: %w", err)
	}
	if len(picks) < 2 {
		return nil // no SKU on sale at ¥200 or more
	}
	clock := func() time.Time { return now }
	inv := &inventory.Service{DB: d, Now: clock}
	ps := &presale.Service{DB: d, Inventory: inv, Now: clock}
	t := now.In(loc)
	midnight := func(days int) time.Time { return time.Date(t.Year(), t.Month(), t.Day()+days, 0, 0, 0, 0, loc) }
	for i, x := range []struct {
		name                             string
		stock                            int64
		depFrom, depTo, tailFrom, tailTo time.Time
		refundable                       bool
	}{
		{"双12 预售 定金膨胀", 80, midnight(-2), midnight(12), midnight(14), midnight(16), false},
		{"年货节 预售", 50, midnight(21), midnight(35), midnight(37), midnight(40), true},
	} {
		p := picks[i]
		ref := fmt.Sprintf("PO%s-PS%d", now.In(loc).Format("20060102"), i+1)
		if _, err := inv.Adjust(ctx, p.sku, x.stock, inventory.ReasonReceipt, ref, "预售备货"); err != nil {
			return fmt.Errorf("demo presale: %w", err)
		}
		price := p.list * 9 / 10 / 1000 * 1000 // about 9折, in whole ¥10
		deposit := max(price/10/1000*1000, 1000)
		_, err := ps.Create(ctx, presale.Input{Name: x.name, SKUID: p.sku, PresalePrice: price, Deposit: deposit, DepositValue: 2 * deposit,
			TailDiscount: 1000 * int64(i), DepositRefundable: x.refundable, PerCustomerLimit: 2, Stock: x.stock,
			Windows: presale.Windows{DepositStartsAt: x.depFrom, DepositEndsAt: x.depTo, TailStartsAt: x.tailFrom, TailEndsAt: x.tailTo}})
		if err != nil {
			return fmt.Errorf("demo presale: %w", err)
		}
	}
	return nil
}
