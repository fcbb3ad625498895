package flash_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t      *testing.T
	d      *db.DB
	clock  *clock
	inv    *inventory.Service
	flash  *flash.Service
	orders *order.Service
}

var start = time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC) // 双11 00:00 in Shanghai

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	c := &clock{t: start}
	inv := &inventory.Service{DB: d, Now: c.Now}
	fl := &flash.Service{DB: d, Inventory: inv, Now: c.Now}
	orders := &order.Service{DB: d, Inventory: inv, Now: c.Now,
		Pricer: flash.Pricer{Flash: fl, Next: price.ListPricer{DB: d}},
		Hooks:  []order.Hook{flash.Hook{Flash: fl}}}
	return &fixture{t: t, d: d, clock: c, inv: inv, flash: fl, orders: orders}
}

func (f *fixture) sku(code string, listPrice, stock int64) int64 {
	f.t.Helper()
	cat := &catalog.Service{DB: f.d, Now: f.clock.Now}
	p, err := cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: listPrice / 3}}})
	if err != nil {
		f.t.Fatal(err)
	}
	id := p.SKUs[0].ID
	if _, err := f.inv.Adjust(opCtx(), id, stock, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) customers(n int) []int64 {
	f.t.Helper()
	cs := &customer.Service{DB: f.d, Now: f.clock.Now}
	out := make([]int64, n)
	for i := range n {
		c, err := cs.Create(opCtx(), customer.Profile{Name: fmt.Sprintf("买家%d", i), Phone: fmt.Sprintf("139%08d", i)})
		if err != nil {
			f.t.Fatal(err)
		}
		out[i] = c.ID
	}
	return out
}

var home = order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}

func (f *fixture) buy(customerID, sku, qty int64) (order.Order, error) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: customerID, Name: "buyer"})
	return f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: customerID, ShipTo: home, Lines: []price.Line{{SKUID: sku, Quantity: qty}}})
}

func (f *fixture) level(sku int64) inventory.Level {
	f.t.Helper()
	l, err := f.inv.Get(context.Background(), sku)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) invariants() {
	f.t.Helper()
	bad, err := flash.CheckReserved(context.Background(), f.d)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(bad) > 0 {
		f.t.Errorf("reserved differs from what holds it: %+v", bad)
	}
	ledger, err := inventory.CheckLedger(context.Background(), f.d)
	if err != nil || len(ledger) > 0 {
		f.t.Errorf("on hand differs from the ledger: %+v %v", ledger, err)
	}
}

func (f *fixture) sale(sku, flashPrice, units, limit int64) flash.Sale {
	f.t.Helper()
	s, err := f.flash.Create(opCtx(), flash.SaleInput{Name: "双11 零点秒杀", StartsAt: start, EndsAt: start.Add(time.Hour),
		PerCustomerLimit: limit, Items: []flash.ItemInput{{SKUID: sku, FlashPrice: flashPrice, Stock: units}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func TestCreate_RefusesWhatCannotWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("FS-1", 19900, 50)
		ok := func() flash.SaleInput {
			return flash.SaleInput{Name: "秒杀", StartsAt: start, EndsAt: start.Add(time.Hour),
				Items: []flash.ItemInput{{SKUID: sku, FlashPrice: 9900, Stock: 10}}}
		}
		cases := []struct {
			name  string
			edit  func(*flash.SaleInput)
			field string
		}{
			{"no name", func(in *flash.SaleInput) { in.Name = " " }, "name"},
			{"dates reversed", func(in *flash.SaleInput) { in.EndsAt = start.Add(-time.Hour) }, "ends_at"},
			{"ended already", func(in *flash.SaleInput) { in.StartsAt, in.EndsAt = start.Add(-2*time.Hour), start.Add(-time.Hour) }, "ends_at"},
			{"window too short", func(in *flash.SaleInput) { in.PaymentWindow = flash.Duration(10 * time.Second) }, "payment_window"},
			{"no items", func(in *flash.SaleInput) { in.Items = nil }, "items"},
			{"unknown SKU", func(in *flash.SaleInput) { in.Items[0].SKUID = 999999 }, "items[0].sku_id"},
			{"price not below list", func(in *flash.SaleInput) { in.Items[0].FlashPrice = 19900 }, "items[0].flash_price"},
			{"more units than available", func(in *flash.SaleInput) { in.Items[0].Stock = 51 }, "items[0].stock"},
			{"negative limit", func(in *flash.SaleInput) { in.PerCustomerLimit = -1 }, "per_customer_limit"},
			{"SKU twice", func(in *flash.SaleInput) { in.Items = append(in.Items, in.Items[0]) }, "items[1].sku_id"},
		}
		for _, c := range cases {
			in := ok()
			c.edit(&in)
			if _, err := f.flash.Create(opCtx(), in); !isField(err, c.field) {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
		}
		if l := f.level(sku); l.Reserved != 0 {
			t.Errorf("refused sales reserved %d units", l.Reserved)
		}
		f.sale(sku, 9900, 10, 1)
		if _, err := f.flash.Create(opCtx(), ok()); !isField(err, "items[0].sku_id") {
			t.Errorf("a second sale of the SKU at the same time: %v", err)
		}
		if l := f.level(sku); l.Reserved != 10 || l.Available != 40 {
			t.Errorf("after carving 10 of 50: %+v", l)
		}
		f.invariants()
	})
}

// 40 buyers × 3 attempts race for a pool of 25 with a limit of 2 each:
// exactly 25 sell, nobody holds more than 2, the carved units are not
// sold to ordinary orders, and the rest of the SKU still sells normally.
func TestFlash_RaceSellsExactlyThePool(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("FS-HOT", 29900, 40)
		sale := f.sale(sku, 9900, 25, 2)
		buyers := f.customers(40)
		var sold, soldOut, limited atomic.Int64
		var wg sync.WaitGroup
		for _, c := range buyers {
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := f.buy(c, sku, 1)
					switch {
					case err == nil:
						sold.Add(1)
						if o.Total != 9900+o.ShippingFee || o.Lines[0].FlashItemID != sale.Items[0].ID {
							t.Errorf("order %s: total %d, line %+v", o.No, o.Total, o.Lines[0])
						}
					case errors.Is(err, flash.ErrSoldOut):
						soldOut.Add(1)
					case errors.Is(err, flash.ErrLimit):
						limited.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		if sold.Load() != 25 {
			t.Fatalf("sold %d, want exactly the pool of 25 (sold out %d, over the limit %d)", sold.Load(), soldOut.Load(), limited.Load())
		}
		var over int64
		d.QueryRow(context.Background(), `SELECT COUNT(*) FROM (SELECT o.customer_id FROM orders o JOIN order_lines l ON l.order_id = o.id
			WHERE l.flash_item_id IS NOT NULL GROUP BY o.customer_id HAVING SUM(l.quantity) > 2) x`).Scan(&over)
		if over != 0 {
			t.Errorf("%d customers hold more than the limit", over)
		}
		f.invariants()
		// After the sale the 15 units outside the pool sell at list price,
		// and no more: the pool's 25 are held by its orders.
		f.clock.Add(2 * time.Hour)
		if _, err := f.flash.EndDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		other := f.customers(1)[0]
		if _, err := f.buy(other, sku, 16); !errors.Is(err, inventory.ErrOutOfStock) {
			t.Errorf("16 units at list price: %v, want out of stock", err)
		}
		o, err := f.buy(other, sku, 15)
		if err != nil || o.ItemsTotal != 15*29900 || o.DiscountTotal != 0 {
			t.Errorf("15 units at list price: %+v %v", o, err)
		}
		f.invariants()
	})
}

// An unpaid flash order closes after the sale's short window and its unit
// goes back to the pool for the next buyer; ending the sale gives the
// unsold units back to the SKU.
func TestFlash_CloseReturnsToPoolAndEndReturnsToSKU(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("FS-2", 9900, 10)
		sale := f.sale(sku, 1990, 2, 1)
		b := f.customers(4)
		o1, err := f.buy(b[0], sku, 1)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := f.buy(b[1], sku, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.buy(b[2], sku, 1); !errors.Is(err, flash.ErrSoldOut) {
			t.Fatalf("third buyer of a pool of 2: %v", err)
		}
		if _, err := f.buy(b[0], sku, 1); !errors.Is(err, flash.ErrSoldOut) && !errors.Is(err, flash.ErrLimit) {
			t.Errorf("first buyer again: %v", err)
		}
		if _, err := f.orders.Pay(ctx, b[1], o2.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(6 * time.Minute) // past the 5-minute window, inside the 30-minute one
		n, err := f.flash.CloseUnpaid(ctx, f.orders)
		if err != nil || n != 1 {
			t.Fatalf("closed %d flash orders (%v), want 1", n, err)
		}
		if o, _ := f.orders.Get(ctx, o1.ID); o.Status != order.Closed {
			t.Errorf("unpaid flash order is %s", o.Status)
		}
		f.invariants()
		time.Sleep(350 * time.Millisecond) // let the sold-out memory go stale
		if _, err := f.buy(b[2], sku, 1); err != nil {
			t.Fatalf("the returned unit did not sell again: %v", err)
		}
		// b[0]'s limit was freed with the closed order.
		l := f.level(sku)
		if l.OnHand != 9 || l.Reserved != 1 {
			t.Errorf("before the end: %+v; want 9 on hand (one paid), 1 reserved (one pending)", l)
		}
		f.clock.Add(time.Hour)
		if n, err := f.flash.EndDue(ctx); err != nil || n != 1 {
			t.Fatalf("ended %d sales (%v)", n, err)
		}
		f.invariants()
		if l := f.level(sku); l.Available != 8 || l.Reserved != 1 {
			t.Errorf("after the end: %+v; want 8 available, 1 held by the pending order", l)
		}
		if got, err := f.flash.Get(ctx, sale.ID); err != nil || got.Items[0].Carved != 2 {
			t.Errorf("ended sale's item: %+v %v; want carved 2", got.Items, err)
		}
		if n, err := f.flash.CloseUnpaid(ctx, f.orders); err != nil || n != 1 {
			t.Fatalf("closing the last pending flash order: %d %v", n, err)
		}
		if l := f.level(sku); l.Available != 9 || l.Reserved != 0 {
			t.Errorf("after the last close: %+v", l)
		}
		f.invariants()
	})
}

// An ended sale keeps what it carved, so its sell-through can be told
// after its unsold units went back to the SKU.
func TestFlash_EndedSaleKeepsWhatItCarved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("FS-3", 9900, 10)
		sale := f.sale(sku, 1990, 5, 1)
		if _, err := f.buy(f.customers(1)[0], sku, 1); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(2 * time.Hour)
		if n, err := f.flash.EndDue(ctx); err != nil || n != 1 {
			t.Fatalf("ended %d sales (%v)", n, err)
		}
		got, err := f.flash.Get(ctx, sale.ID)
		if err != nil {
			t.Fatal(err)
		}
		if it := got.Items[0]; it.Stock != 1 || it.Carved != 5 || it.Sold != 1 || it.Left != 0 {
			t.Fatalf("ended sale's item: %+v; want pool 1 (taken), carved 5, sold 1, left 0", it)
		}
		f.invariants()
	})
}
