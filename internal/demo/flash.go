package demo

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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
// The history's own flash sale, on 双11, is pastFlash below.
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

// pastFlash is the history's 双11 flash sale (秒杀): 20:00 to 22:00 on the
// last 11 November of the history, the three SKUs (of different products,
// ¥50 or more) that sell best that day, about 6折, one of each per
// customer. The shop receives each item's units that morning (双11 秒杀备货)
// and carves them out; at 20:00 customers who bought before rush in
// (about a fifth of the day's usual orders, at most 600), most in the
// first minutes, each for one item they have not bought
// yet, so the favourite sells out and the others sell through partly. Their
// orders are history orders like any other — paid within the five-minute
// window, shipped, sometimes refunded — whose one line is at the flash
// price; after the history, the sale and its items are written as the
// flash-sale service leaves an ended sale: each pool holds what its orders
// took (sold = paid), carved what it was given.
type pastFlash struct {
	day        int
	start, end int64 // unix ms
	r          *rand.Rand
	items      []pastFlashItem
	lines      [][]int64          // per item: the order lines sold from it
	buys       map[[2]int64]int64 // (item, customer) → units
}

type pastFlashItem struct {
	sku          *sku
	price        int64 // flash price
	weight       float64
	carved, paid int64
	taken        int64 // units in orders, paid or not
}

// Shares of the rush each item draws, the favourite first.
var pastFlashShares = []float64{0.5, 0.3, 0.2}

// Units carved per unit of the rush expected for each item.
var pastFlashStocking = []float64{0.8, 1.2, 1.5}

// planPastFlash finds the last 11 November whose evening the history
// covers and the items of its sale; nil when there is none.
func planPastFlash(tl *timeline, cat *catalog, r *rand.Rand) *pastFlash {
	day := -1
	for i := tl.days - 1; i >= 0; i-- {
		if dt := tl.dates[i]; dt.m == time.November && dt.d == 11 && tl.localClock(i, 23, 0) < tl.cutoff {
			day = i
			break
		}
	}
	if day < 0 {
		return nil
	}
	const minPrice = 5000 // as the upcoming sale: a flash price off less than ¥50 is no draw
	type cand struct {
		s *sku
		w float64
	}
	var cands []cand
	for _, s := range cat.skus {
		if s.sellable(day) && s.price >= minPrice && s.product.status != "draft" {
			cands = append(cands, cand{s, s.base * seasonDemand(s.season, tl.dates[day], tl.info[day])})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.w, a.w) })
	f := &pastFlash{day: day, start: tl.localClock(day, 20, 0), end: tl.localClock(day, 22, 0), r: r, buys: map[[2]int64]int64{}}
	seen := map[*product]bool{}
	for _, c := range cands {
		if seen[c.s.product] || len(f.items) == len(pastFlashShares) {
			continue
		}
		seen[c.s.product] = true
		f.items = append(f.items, pastFlashItem{sku: c.s, price: flashPrice(c.s.price), weight: pastFlashShares[len(f.items)]})
	}
	if len(f.items) == 0 {
		return nil
	}
	f.lines = make([][]int64, len(f.items))
	return f
}

// rush runs at the start of the sale's day: it sizes the pools, has the
// units received that morning, and books the rush buyers' tries.
func (f *pastFlash) rush(h *history) {
	// The shop's customers who have bought before hear of it (the
	// sale's page, the WeCom group, an SMS).
	var alive []*buyer
	for _, b := range h.buyers {
		if b.paid > 0 {
			alive = append(alive, b)
		}
	}
	// The rush is about a fifth of the day's usual orders (双11's demand
	// over the days so far), never more than half the buyers.
	perDay := float64(h.sum.Orders) / float64(max(f.day, 1))
	n := min(int(perDay*h.tl.demand[f.day]/5), len(alive)/2, 600)
	if n < 6 {
		f.items = nil // too few customers for a sale worth recording
		return
	}
	f.r.Shuffle(len(alive), func(i, j int) { alive[i], alive[j] = alive[j], alive[i] })
	for j := range f.items {
		it := &f.items[j]
		// The favourite's pool is short of the rush for it and sells out;
		// the others are stocked with room to spare.
		it.carved = max(2, int64(float64(n)*it.weight*pastFlashStocking[j]))
		at := h.tl.localClock(f.day, 10, 0) + int64(j)*minute
		h.led.schedule(move{at: at, sku: int32(it.sku.index), delta: it.carved, reason: reasonReceipt, note: "双11 秒杀备货"})
	}
	for _, b := range alive[:n] {
		at := f.start + int64(f.r.ExpFloat64()*float64(4*minute))
		h.push(min(at, f.end-minute), b, evFlash)
	}
}

// buy is one rush buyer's try: the item they came for (drawn by the
// items' shares), or when its pool is empty, for some, another item with
// units left; nothing otherwise (sold out). One of each item per customer.
func (f *pastFlash) buy(h *history, b *buyer, at int64, i int) {
	open := func(j int) bool {
		it := f.items[j]
		return it.taken < it.carved && f.buys[[2]int64{int64(j), b.id}] == 0
	}
	x := f.r.Float64()
	want := len(f.items) - 1
	for j, it := range f.items {
		if x -= it.weight; x < 0 {
			want = j
			break
		}
	}
	if !open(want) {
		want = -1
		if f.r.Float64() < 0.4 {
			for j := range f.items {
				if open(j) {
					want = j
					break
				}
			}
		}
	}
	if want < 0 {
		return
	}
	it := &f.items[want]
	h.preset = []orderLine{{sku: it.sku, qty: 1, gross: it.sku.price, discount: it.sku.price - it.price, flashItem: want + 1}}
	// The order draws from the sale's stream: the rest of the history is
	// the one it would be without the sale.
	hr := h.r
	h.r = f.r
	h.order(b, at, i, true)
	h.r, h.preset = hr, nil
}

// sold records a line of an order sold from item j.
func (f *pastFlash) sold(j int, lineID, customerID, qty int64, paid bool) {
	it := &f.items[j]
	it.taken += qty
	if paid {
		it.paid += qty
	}
	f.buys[[2]int64{int64(j), customerID}] += qty
	f.lines[j] = append(f.lines[j], lineID)
}

// writePastFlash writes the ended sale, its items and buyers, and marks its
// order lines as the flash items', as the flash-sale service and the
// checkout would have left them.
func writePastFlash(ctx context.Context, d *db.DB, f *pastFlash, loc *time.Location) error {
	if f == nil || len(f.items) == 0 {
		return nil
	}
	starts := time.UnixMilli(f.start).In(loc)
	return d.InTx(ctx, func(tx *db.Tx) error {
		var sale int64
		// Made three days before, ended at its end by the scheduler.
		err := tx.QueryRow(ctx, `INSERT INTO flash_sales (name, starts_at, ends_at, per_customer_limit, payment_window_ms, ended_at, created_at, updated_at)
			VALUES ($1, $2, $3, 1, $4, $3, $5, $3) RETURNING id`,
			fmt.Sprintf("双11 %d月%d日 20点秒杀", starts.Month(), starts.Day()), f.start, f.end, flash.DefaultPaymentWindow.Milliseconds(),
			f.start-3*24*time.Hour.Milliseconds()).Scan(&sale)
		if err != nil {
			return fmt.Errorf("demo past flash sale: %w", err)
		}
		for j, it := range f.items {
			var item int64
			// After the end a pool holds what its orders took; every
			// one was paid in its window.
			if err := tx.QueryRow(ctx, `INSERT INTO flash_sale_items (flash_sale_id, sku_id, flash_price, stock, sold, paid, carved)
				VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id`, sale, it.sku.id, it.price, it.taken, it.paid, it.carved).Scan(&item); err != nil {
				return fmt.Errorf("demo past flash sale: %w", err)
			}
			var buyers []int64
			for k := range f.buys {
				if k[0] == int64(j) {
					buyers = append(buyers, k[1])
				}
			}
			slices.Sort(buyers)
			for _, c := range buyers {
				if _, err := tx.Exec(ctx, `INSERT INTO flash_sale_buys (flash_item_id, customer_id, quantity) VALUES ($1, $2, $3)`,
					item, c, f.buys[[2]int64{int64(j), c}]); err != nil {
					return fmt.Errorf("demo past flash sale: %w", err)
				}
			}
			for ids := f.lines[j]; len(ids) > 0; {
				n := min(len(ids), 200)
				args := []any{item}
				ph := make([]string, n)
				for k, id := range ids[:n] {
					args = append(args, id)
					ph[k] = "$" + strconv.Itoa(k+2)
				}
				if _, err := tx.Exec(ctx, `UPDATE order_lines SET flash_item_id = $1 WHERE id IN (`+strings.Join(ph, ",")+`)`, args...); err != nil {
					return fmt.Errorf("demo past flash sale: %w", err)
				}
				ids = ids[n:]
			}
		}
		return nil
	})
}
