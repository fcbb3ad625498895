package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/presale"
	"github.com/storeops/storeops/internal/settings"
)

// writePresales gives the demo shop two presales (预售) of two of its dearer
// best sellers not in the flash sale, each stocked up for by a receipt that
// arrives now and carved out of it, as an operator's would be (through the
// inventory and presale services, audited by the system actor):
//
//   - "双12 预售": deposits open since two days ago for twelve more days
//     (¥X counts as ¥2X), the tail two days after they close; twelve of the
//     best customers have put down a deposit since, ten of them paid, two
//     placed in the last minutes and waiting for payment;
//   - "年货节 预售": deposits from in three weeks, a refundable deposit.
//
// The deposits are real orders through the order service and the
// presale's pricer and hook, with the clock set to when each happened; a
// deposit moves no goods, so the stock ledger is untouched. The order
// numbers the service draws at random are rewritten as SO + day + 9xxxxx
// (the history's sequences stay far below), so the demo stays the same for
// the same seed. No tail is paid yet: tails would sell units, and their
// movements would have to be woven into the history's ledger.
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
	at := now
	clock := func() time.Time { return at }
	inv := &inventory.Service{DB: d, Now: clock}
	ps := &presale.Service{DB: d, Inventory: inv, Now: clock}
	orders := &order.Service{DB: d, Inventory: inv, Now: clock,
		Pricer: presale.Pricer{Presales: ps, Next: price.ListPricer{DB: d}}, Hooks: []order.Hook{presale.Hook{Presales: ps}}}
	ps.Orders = orders
	var created []presale.Presale
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
		unit := p.list * 9 / 10 / 1000 * 1000 // about 9折, in whole ¥10
		deposit := max(unit/10/1000*1000, 1000)
		// Created the evening before its deposits open (carving writes no
		// ledger movement, so the receipt above may come now).
		if at = x.depFrom.Add(-4 * time.Hour); at.After(now) {
			at = now
		}
		made, err := ps.Create(ctx, presale.Input{Name: x.name, SKUID: p.sku, PresalePrice: unit, Deposit: deposit, DepositValue: 2 * deposit,
			TailDiscount: 1000 * int64(i), DepositRefundable: x.refundable, PerCustomerLimit: 2, Stock: x.stock,
			Windows: presale.Windows{DepositStartsAt: x.depFrom, DepositEndsAt: x.depTo, TailStartsAt: x.tailFrom, TailEndsAt: x.tailTo}})
		at = now
		if err != nil {
			return fmt.Errorf("demo presale: %w", err)
		}
		created = append(created, made)
	}
	return writeDeposits(ctx, d, created[0], orders, ps, func(t time.Time) { at = t }, end, loc)
}

// writeDeposits puts down the 双12 presale's deposits: twelve buyers who
// signed up before it opened, one every few hours since, the last two
// placed minutes before the end and not paid yet.
func writeDeposits(ctx context.Context, d *db.DB, p presale.Presale, orders *order.Service, ps *presale.Service,
	setClock func(time.Time), end time.Time, loc *time.Location) error {
	const n = 12
	from := p.DepositStartsAt
	last := end.Add(-30 * time.Minute)
	if !last.After(from) {
		return nil
	}
	buyers, err := presaleBuyers(ctx, d, from, n)
	if err != nil || len(buyers) < n {
		return err
	}
	step := last.Sub(from) / n
	var placed []int64
	for i, b := range buyers {
		when := from.Add(time.Duration(i)*step + time.Duration(7+i*3)*time.Minute)
		pay := i < n-2
		if !pay {
			when = end.Add(-time.Duration(25-i) * time.Minute) // placed just now
		}
		setClock(when)
		qty := int64(1 + i%4/3) // every fourth buyer takes two
		_, o, err := ps.Deposit(ctx, p.ID, presale.DepositInput{CustomerID: b.id, ShipTo: b.shipTo, Channel: b.channel,
			Lines: []price.Line{{SKUID: p.SKUID, Quantity: qty}}})
		if err != nil {
			return fmt.Errorf("demo presale deposit: %w", err)
		}
		placed = append(placed, o.ID)
		if pay {
			setClock(when.Add(2 * time.Minute))
			if _, err := orders.Pay(ctx, b.id, o.ID, order.PayInput{}); err != nil {
				return fmt.Errorf("demo presale deposit: %w", err)
			}
		}
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		for i, id := range placed {
			var created int64
			if err := tx.QueryRow(ctx, `SELECT created_at FROM orders WHERE id = $1`, id).Scan(&created); err != nil {
				return fmt.Errorf("demo presale deposit: %w", err)
			}
			no := fmt.Sprintf("SO%d%06d", settings.Day(time.UnixMilli(created), loc), 900001+i)
			if _, err := tx.Exec(ctx, `UPDATE orders SET order_no = $1 WHERE id = $2`, no, id); err != nil {
				return fmt.Errorf("demo presale deposit: %w", err)
			}
		}
		return nil
	})
}

// presaleBuyer is a customer with a default address.
type presaleBuyer struct {
	id      int64
	channel string
	shipTo  order.ShipTo
}

// presaleBuyers are the n customers with a default address, signed up
// before the presale opened, who spent the most.
func presaleBuyers(ctx context.Context, d *db.DB, before time.Time, n int) ([]presaleBuyer, error) {
	rows, err := d.Query(ctx, `SELECT c.id, a.recipient, a.phone, a.province, a.city, a.district, a.detail, a.postcode
		FROM customers c JOIN customer_addresses a ON a.customer_id = c.id AND a.is_default = TRUE
		WHERE c.created_at < $1
		ORDER BY COALESCE((SELECT SUM(o.total) FROM orders o WHERE o.customer_id = c.id AND o.paid_at IS NOT NULL), 0) DESC, c.id LIMIT $2`,
		before.UnixMilli(), n)
	if err != nil {
		return nil, fmt.Errorf("demo presale buyers: %w", err)
	}
	defer rows.Close()
	channels := []string{customer.ChannelLive, customer.ChannelSearch, customer.ChannelCommunity, customer.ChannelDirect}
	var out []presaleBuyer
	for rows.Next() {
		var b presaleBuyer
		a := &b.shipTo
		if err := rows.Scan(&b.id, &a.Recipient, &a.Phone, &a.Province, &a.City, &a.District, &a.Detail, &a.Postcode); err != nil {
			return nil, fmt.Errorf("demo presale buyers: %w", err)
		}
		b.channel = channels[len(out)%len(channels)]
		out = append(out, b)
	}
	return out, rows.Err()
}
