package coupon_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
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
	t       testing.TB
	d       *db.DB
	clock   *clock
	cat     *catalog.Service
	inv     *inventory.Service
	cust    *customer.Service
	coupons *coupon.Service
	orders  *order.Service
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	f := &fixture{t: t, d: d, clock: c,
		cat:     &catalog.Service{DB: d, Now: c.Now},
		inv:     &inventory.Service{DB: d, Now: c.Now},
		cust:    &customer.Service{DB: d, Now: c.Now},
		coupons: &coupon.Service{DB: d, Now: c.Now},
	}
	// The promotions engine's own Pricer, with this service as its coupon
	// source, as internal/app wires them.
	f.orders = &order.Service{DB: d, Inventory: f.inv, Now: c.Now, Pricer: &promotion.Pricer{DB: d, Coupons: f.coupons, Now: c.Now},
		Hooks: []order.Hook{coupon.Hook{}, promotion.Hook{}}}
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

func (f *fixture) template(in coupon.Input) coupon.Template {
	f.t.Helper()
	t, err := f.coupons.CreateTemplate(opCtx(), in)
	if err != nil {
		f.t.Fatalf("create template: %v", err)
	}
	return t
}

// tenOff is 满99减10, valid for 30 days from claim.
func tenOff(name string) coupon.Input {
	return coupon.Input{Name: name, Claimable: true, ValidDays: 30,
		Rule: coupon.Rule{Kind: promo.KindFixedOff, Amount: 1000, Threshold: 9900, Scope: promo.ScopeOrder}}
}

func (f *fixture) claim(customerID, templateID int64) coupon.Coupon {
	f.t.Helper()
	c, err := f.coupons.Claim(context.Background(), customerID, templateID)
	if err != nil {
		f.t.Fatalf("claim: %v", err)
	}
	return c
}

var home = order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}

func (f *fixture) checkout(customerID, sku, qty int64, coupons ...int64) (order.Order, error) {
	return f.orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: customerID, ShipTo: home,
		Lines: []price.Line{{SKUID: sku, Quantity: qty}}, Coupons: coupons})
}

func (f *fixture) state(id int64) coupon.Coupon {
	f.t.Helper()
	c, err := f.coupons.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}
