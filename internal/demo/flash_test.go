package demo

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order/price"
)

// The demo shop has one flash sale coming (and 双11's behind it): tomorrow 20:00–22:00 in the
// store's zone, two or three SKUs of different products with 50–200 units
// each, received for it and carved out of their stock, priced below list;
// at 20:01 the storefront sells them at the flash price.
func TestGenerate_UpcomingFlashSaleIsCarvedAndPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		opts := smallShop(t)
		generate(t, d, opts)
		end, loc := opts.End, opts.Location
		svc := &flash.Service{DB: d, Now: func() time.Time { return end }}
		sales, err := svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sales) != 2 || sales[0].Status != flash.Scheduled || sales[1].Status != flash.Ended {
			t.Fatalf("%d flash sales %+v, want the one coming tomorrow, then 双11's", len(sales), sales)
		}
		s := sales[0]
		starts := time.Date(2025, 11, 21, 20, 0, 0, 0, loc)
		if !s.StartsAt.Equal(starts) || !s.EndsAt.Equal(starts.Add(2*time.Hour)) || s.Status != flash.Scheduled ||
			s.Name != "11月21日 20点秒杀" || s.PerCustomerLimit != 1 || time.Duration(s.PaymentWindow) != flash.DefaultPaymentWindow {
			t.Fatalf("sale %+v", s)
		}
		if n := len(s.Items); n < 2 || n > 3 {
			t.Fatalf("%d items, want 2 or 3", n)
		}
		products := map[int64]bool{}
		inv := &inventory.Service{DB: d}
		for _, it := range s.Items {
			if it.Stock < 50 || it.Stock > 200 || it.Sold != 0 || it.Paid != 0 || it.FlashPrice >= it.ListPrice || it.FlashPrice <= 0 {
				t.Errorf("item %+v", it)
			}
			var product int64
			if err := d.QueryRow(ctx, `SELECT product_id FROM skus WHERE id = $1`, it.SKUID).Scan(&product); err != nil {
				t.Fatal(err)
			}
			if products[product] {
				t.Errorf("two items of product %d", product)
			}
			products[product] = true
			// The shop stocked up for the sale: the receipt brought the
			// item's units, and the sale holds them.
			var received int64
			if err := d.QueryRow(ctx, `SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE sku_id = $1 AND reason = 'receipt' AND note = '秒杀备货'`,
				it.SKUID).Scan(&received); err != nil || received != it.Stock {
				t.Errorf("%s: received %d for the sale (%v), want %d", it.Code, received, err, it.Stock)
			}
			if l, err := inv.Get(ctx, it.SKUID); err != nil || l.Reserved < it.Stock || l.OnHand < l.Reserved {
				t.Errorf("%s: %+v %v; want its %d units reserved", it.Code, l, err, it.Stock)
			}
		}
		if bad, err := flash.CheckReserved(ctx, d); err != nil || len(bad) > 0 {
			t.Errorf("reserved differs from what holds it: %+v %v", bad, err)
		}
		var audits int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'flash_sale.create' AND actor_kind = 'system'`).Scan(&audits); err != nil || audits != 1 {
			t.Errorf("%d audit entries for the sale (%v), want 1 by the system", audits, err)
		}

		at := starts.Add(time.Minute)
		live := &flash.Service{DB: d, Now: func() time.Time { return at }}
		var buyer int64
		if err := d.QueryRow(ctx, `SELECT MIN(id) FROM customers`).Scan(&buyer); err != nil {
			t.Fatal(err)
		}
		it := s.Items[0]
		q, err := flash.Pricer{Flash: live, Next: price.ListPricer{DB: d}}.Price(ctx, price.Request{CustomerID: buyer, Channel: "direct", At: at,
			Lines: []price.Line{{SKUID: it.SKUID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if l := q.Lines[0]; l.UnitPrice != it.FlashPrice || l.FlashItemID != it.ID {
			t.Errorf("at 20:01 %s is priced %+v, want %d from item %d", it.Code, l, it.FlashPrice, it.ID)
		}
	})
}

func TestFlashPrice_AboutSixTenthsEndingInNine(t *testing.T) {
	for _, c := range []struct{ list, want int64 }{
		{19900, 11900}, {5000, 3900}, {5900, 3900}, {12900, 7900}, {29900, 17900}, {1500, 900}, {1000, 900}, {100, 60},
	} {
		if got := flashPrice(c.list); got != c.want {
			t.Errorf("flashPrice(%d) = %d, want %d", c.list, got, c.want)
		}
	}
	for list := int64(2); list < 200000; list += 37 {
		if p := flashPrice(list); p <= 0 || p >= list {
			t.Fatalf("flashPrice(%d) = %d, not between 0 and the list price", list, p)
		}
	}
}

// 双11's flash sale is in the history: ended at 22:00 on 11 November, its
// items' pools hold exactly the paid units of the orders sold from them at
// the flash price (one per customer and item, all in the window, paid in
// five minutes), the favourite sold out, and the sale's figures agree with
// the orders; every other invariant is TestGenerate_KeepsTheShopsInvariants'.
func TestGenerate_PastDouble11FlashSaleMatchesItsOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		opts := smallShop(t)
		generate(t, d, opts)
		loc := opts.Location
		svc := &flash.Service{DB: d, Now: func() time.Time { return opts.End }}
		sales, err := svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var s flash.Sale
		for _, x := range sales {
			if x.Status == flash.Ended {
				s = x
			}
		}
		starts := time.Date(2025, 11, 11, 20, 0, 0, 0, loc)
		if s.ID == 0 || !s.StartsAt.Equal(starts) || !s.EndsAt.Equal(starts.Add(2*time.Hour)) || s.Name != "双11 11月11日 20点秒杀" ||
			s.EndedAt == nil || !s.EndedAt.Equal(s.EndsAt) || s.PerCustomerLimit != 1 {
			t.Fatalf("past sale %+v", s)
		}
		if n := len(s.Items); n < 2 || n > 3 {
			t.Fatalf("%d items, want 2 or 3", n)
		}
		soldOut := false
		var units int64
		for _, it := range s.Items {
			var orders, paid, inWindow, atFlash, buyers, maxPer, paidLate int64
			err := d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN o.paid_at IS NOT NULL THEN l.quantity ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN o.created_at >= $2 AND o.created_at < $3 THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN l.unit_price = $4 AND l.line_total = $4 * l.quantity AND l.discount = (l.list_price - $4) * l.quantity THEN 1 ELSE 0 END), 0),
				COUNT(DISTINCT o.customer_id),
				COALESCE(SUM(CASE WHEN o.paid_at > o.created_at + 300000 THEN 1 ELSE 0 END), 0)
				FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.flash_item_id = $1`,
				it.ID, s.StartsAt.UnixMilli(), s.EndsAt.UnixMilli(), it.FlashPrice).Scan(&orders, &paid, &inWindow, &atFlash, &buyers, &paidLate)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.QueryRow(ctx, `SELECT COALESCE(MAX(quantity), 0) FROM flash_sale_buys WHERE flash_item_id = $1`, it.ID).Scan(&maxPer); err != nil {
				t.Fatal(err)
			}
			if orders == 0 || paid != it.Paid || it.Sold != it.Paid || it.Stock != it.Sold || inWindow != orders || atFlash != orders ||
				buyers != orders || maxPer != 1 || paidLate != 0 || it.Carved < it.Sold || it.FlashPrice >= it.ListPrice {
				t.Errorf("%s: item %+v; %d orders (%d in the window, %d at the flash price, %d buyers, %d paid late), %d units paid, most per buyer %d",
					it.Code, it, orders, inWindow, atFlash, buyers, paidLate, paid, maxPer)
			}
			soldOut = soldOut || it.Sold == it.Carved
			units += it.Paid
		}
		if !soldOut {
			t.Errorf("no item sold out: %+v", s.Items)
		}
		// The 双11 receipts brought the carved units that morning.
		var received int64
		if err := d.QueryRow(ctx, `SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE note = '双11 秒杀备货'`).Scan(&received); err != nil {
			t.Fatal(err)
		}
		var carved int64
		for _, it := range s.Items {
			carved += it.Carved
		}
		if received != carved || units == 0 {
			t.Errorf("received %d for 双11, carved %d, %d units paid", received, carved, units)
		}
		if bad, err := flash.CheckReserved(ctx, d); err != nil || len(bad) > 0 {
			t.Errorf("reserved differs from what holds it: %+v %v", bad, err)
		}
	})
}
