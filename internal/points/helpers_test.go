package points_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promotion"
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

var start = time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)

type fixture struct {
	t      testing.TB
	d      *db.DB
	clock  *clock
	cat    *catalog.Service
	inv    *inventory.Service
	cust   *customer.Service
	points *points.Service
	orders *order.Service
}

// newFixture wires points as internal/app does: the promotions pricer with
// the points service as its source, and the points hook on orders.
func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	f := &fixture{t: t, d: d, clock: c,
		cat:    &catalog.Service{DB: d, Now: c.Now},
		inv:    &inventory.Service{DB: d, Now: c.Now},
		cust:   &customer.Service{DB: d, Now: c.Now},
		points: &points.Service{DB: d, Now: c.Now},
	}
	f.orders = &order.Service{DB: d, Inventory: f.inv, Now: c.Now, Pricer: &promotion.Pricer{DB: d, Points: f.points, Now: c.Now},
		Hooks: []order.Hook{points.Hook{}, promotion.Hook{}}}
	return f
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func (f *fixture) sku(code string, listPrice, stock int64) int64 {
	f.t.Helper()
	p, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: listPrice / 2}}})
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

func (f *fixture) customer(name string) int64 {
	f.t.Helper()
	c, err := f.cust.Create(opCtx(), customer.Profile{Name: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

var home = order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}

func (f *fixture) checkout(customerID, sku, qty, pts int64) (order.Order, error) {
	return f.orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: customerID, ShipTo: home,
		Lines: []price.Line{{SKUID: sku, Quantity: qty}}, Points: pts})
}

func (f *fixture) balance(id int64) int64 {
	f.t.Helper()
	b, err := points.Balance(context.Background(), f.d, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// checkSums fails unless every customer's balance equals the sum of their
// ledger and none is negative.
func checkSums(t testing.TB, d *db.DB) {
	t.Helper()
	rows, err := d.Query(context.Background(), `SELECT c.id, COALESCE(b.balance, 0), COALESCE((SELECT SUM(points) FROM points_ledger l WHERE l.customer_id = c.id), 0)
		FROM customers c LEFT JOIN points_balances b ON b.customer_id = c.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, bal, sum int64
		if err := rows.Scan(&id, &bal, &sum); err != nil {
			t.Fatal(err)
		}
		if bal != sum || bal < 0 {
			t.Fatalf("customer %d: balance %d, ledger sums to %d", id, bal, sum)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
