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

// The demo shop has one flash sale coming: tomorrow 20:00–22:00 in the
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
		if len(sales) != 1 {
			t.Fatalf("%d flash sales, want the one coming tomorrow", len(sales))
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
