package referral_test

import (
	"context"
	"fmt"
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
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/referral"
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
	ref     *referral.Service
	sku     int64
}

// newFixture wires referrals as internal/app does: the referral hook on
// orders, beside points and coupons.
func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	f := &fixture{t: t, d: d, clock: c,
		cat:     &catalog.Service{DB: d, Now: c.Now},
		inv:     &inventory.Service{DB: d, Now: c.Now},
		cust:    &customer.Service{DB: d, Now: c.Now},
		coupons: &coupon.Service{DB: d, Now: c.Now},
		ref:     &referral.Service{DB: d, Now: c.Now},
	}
	f.orders = &order.Service{DB: d, Inventory: f.inv, Now: c.Now, Pricer: &promotion.Pricer{DB: d, Coupons: f.coupons, Now: c.Now},
		Hooks: []order.Hook{coupon.Hook{}, points.Hook{}, promotion.Hook{}, referral.Hook{}}}
	f.sku = f.newSKU("BAG")
	return f
}

// newSKU is a ¥129 bag with plenty of stock.
func (f *fixture) newSKU(code string) int64 {
	f.t.Helper()
	p, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "帆布包 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: 12900, CostPrice: 5000}}})
	if err != nil {
		f.t.Fatal(err)
	}
	id := p.SKUs[0].ID
	if _, err := f.inv.Adjust(opCtx(), id, 10000, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func (f *fixture) customer(name, phone string) int64 {
	f.t.Helper()
	c, err := f.cust.Create(opCtx(), customer.Profile{Name: name, Phone: phone})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

// programme turns the programme on: ¥20 off for the inviter, 500 points
// each way... edit changes it first.
func (f *fixture) programme(edit func(*referral.Programme)) referral.Programme {
	f.t.Helper()
	tpl, err := f.coupons.CreateTemplate(opCtx(), coupon.Input{Name: "邀请奖励 ¥20", ValidDays: 30, PerCustomerLimit: 100,
		Rule: coupon.Rule{Kind: promo.KindFixedOff, Amount: 2000, Threshold: 9900, Scope: promo.ScopeOrder}})
	if err != nil {
		f.t.Fatal(err)
	}
	p := referral.Programme{Enabled: true, InviterCouponTemplateID: tpl.ID, InviterPoints: 500, InviteePoints: 300,
		HoldingDays: 7, NewCustomersOnly: true, ReviewThreshold: 2}
	if edit != nil {
		edit(&p)
	}
	p, err = f.ref.SaveProgramme(opCtx(), p)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) code(customerID int64, device string) string {
	f.t.Helper()
	c, err := f.ref.Code(context.Background(), customerID, device)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) link(invitee int64, code, device string) referral.Invitation {
	f.t.Helper()
	v, err := f.ref.Link(context.Background(), referral.LinkInput{CustomerID: invitee, Code: code, DeviceID: device})
	if err != nil {
		f.t.Fatalf("link: %v", err)
	}
	return v
}

// address is a distinct shipping address per n, with phone or a distinct
// phone per n.
func address(n int, phone string) order.ShipTo {
	if phone == "" {
		phone = fmt.Sprintf("135%08d", n)
	}
	return order.ShipTo{Recipient: "收件人", Phone: phone, Province: "浙江", City: "杭州", District: "西湖区",
		Detail: fmt.Sprintf("文三路 %d 号", n)}
}

// buy places and pays an order of qty bags shipped to a.
func (f *fixture) buy(customerID int64, qty int64, a order.ShipTo) order.Order {
	f.t.Helper()
	o, err := f.orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: customerID, ShipTo: a,
		Lines: []price.Line{{SKUID: f.sku, Quantity: qty}}})
	if err != nil {
		f.t.Fatalf("checkout: %v", err)
	}
	if _, err := f.orders.Pay(context.Background(), customerID, o.ID, order.PayInput{}); err != nil {
		f.t.Fatalf("pay: %v", err)
	}
	return o
}

func (f *fixture) get(id int64) referral.Invitation {
	f.t.Helper()
	v, err := f.ref.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) balance(id int64) int64 {
	f.t.Helper()
	b, err := points.Balance(context.Background(), f.d, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// referralPoints is what the ledger holds from referral rewards.
func (f *fixture) referralPoints(customerID int64) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.QueryRow(context.Background(), `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = $1 AND source_kind = 'referral'`,
		customerID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) couponsOf(customerID, templateID int64) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.QueryRow(context.Background(), `SELECT COUNT(*) FROM coupons WHERE customer_id = $1 AND template_id = $2`,
		customerID, templateID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func addressInput(a order.ShipTo) customer.AddressInput {
	return customer.AddressInput{Recipient: a.Recipient, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District, Detail: a.Detail}
}

// together runs fn(0) … fn(n-1) at once and waits for them all.
func together(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}
