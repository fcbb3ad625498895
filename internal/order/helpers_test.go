package order_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

// clock is a settable time shared by every service of a fixture.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t     testing.TB
	d     *db.DB
	clock *clock
	cat   *catalog.Service
	inv   *inventory.Service
	cust  *customer.Service
	svc   *order.Service
}

// 2026-06-17 23:30 UTC is 07:30 on 618 in Shanghai: paid_day must be the
// store's day, not UTC's.
var start = time.Date(2026, 6, 17, 23, 30, 0, 0, time.UTC)

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	inv := &inventory.Service{DB: d, Now: c.Now}
	return &fixture{t: t, d: d, clock: c,
		cat:  &catalog.Service{DB: d, Now: c.Now},
		inv:  inv,
		cust: &customer.Service{DB: d, Now: c.Now},
		svc:  &order.Service{DB: d, Inventory: inv, Now: c.Now},
	}
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func buyerCtx(id int64) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: id, Name: "buyer"})
}

// sku creates an on-sale product with one SKU at price and stock units.
func (f *fixture) sku(code string, listPrice, cost, stock int64) int64 {
	f.t.Helper()
	p, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: cost}}})
	if err != nil {
		f.t.Fatal(err)
	}
	id := p.SKUs[0].ID
	if stock > 0 {
		if _, err := f.inv.Adjust(opCtx(), id, stock, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			f.t.Fatal(err)
		}
	}
	return id
}

func (f *fixture) customer(name, phone string) int64 {
	f.t.Helper()
	c, err := f.cust.Create(opCtx(), customer.Profile{Name: name, Phone: phone})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

var home = order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}

func (f *fixture) checkout(customerID int64, lines ...int64) order.Order {
	f.t.Helper()
	o, err := f.try(customerID, lines...)
	if err != nil {
		f.t.Fatalf("checkout: %v", err)
	}
	return o
}

// try checks out pairs of (sku id, quantity).
func (f *fixture) try(customerID int64, lines ...int64) (order.Order, error) {
	in := order.CheckoutInput{CustomerID: customerID, ShipTo: home}
	for i := 0; i+1 < len(lines); i += 2 {
		in.Lines = append(in.Lines, priceLine(lines[i], lines[i+1]))
	}
	return f.svc.Checkout(buyerCtx(customerID), in)
}

func (f *fixture) level(sku int64) inventory.Level {
	f.t.Helper()
	l, err := f.inv.Get(context.Background(), sku)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) count(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// invariants: on hand is the sum of the ledger, reserved is what pending
// orders hold, and nothing is negative.
func (f *fixture) invariants() {
	f.t.Helper()
	ctx := context.Background()
	bad, err := inventory.CheckLedger(ctx, f.d)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(bad) > 0 {
		f.t.Errorf("on hand differs from the ledger: %+v", bad)
	}
	if n, err := customer.FirstPaidMismatches(ctx, f.d); err != nil || n != 0 {
		f.t.Errorf("%d customers' first_paid_day disagrees with their orders (%v)", n, err)
	}
	rows, err := f.d.Query(ctx, `SELECT st.sku_id, st.reserved, st.on_hand, COALESCE((SELECT SUM(l.quantity) FROM order_lines l
		JOIN orders o ON o.id = l.order_id WHERE l.sku_id = st.sku_id AND o.status = 'pending_payment'), 0) FROM stock st`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku, reserved, onHand, pending int64
		if err := rows.Scan(&sku, &reserved, &onHand, &pending); err != nil {
			f.t.Fatal(err)
		}
		if reserved != pending {
			f.t.Errorf("SKU %d: reserved %d, but pending orders hold %d", sku, reserved, pending)
		}
		if onHand < 0 || reserved > onHand {
			f.t.Errorf("SKU %d: on hand %d, reserved %d", sku, onHand, reserved)
		}
	}
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func priceLine(sku, qty int64) price.Line { return price.Line{SKUID: sku, Quantity: qty} }

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
