package presale_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/presale"
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
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t      testing.TB
	d      *db.DB
	clock  *clock
	inv    *inventory.Service
	ps     *presale.Service
	orders *order.Service
}

// The deposit window opens on 20 Oct; the tail window is 1–3 Nov.
var (
	start      = time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	depositEnd = start.Add(10 * 24 * time.Hour)
	tailStart  = depositEnd.Add(2 * 24 * time.Hour)
	tailEnd    = tailStart.Add(2 * 24 * time.Hour)
)

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func buyerCtx(id int64) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: id, Name: "buyer"})
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	inv := &inventory.Service{DB: d, Now: c.Now}
	ps := &presale.Service{DB: d, Inventory: inv, Now: c.Now}
	orders := &order.Service{DB: d, Inventory: inv, Now: c.Now,
		Pricer: presale.Pricer{Presales: ps, Next: price.ListPricer{DB: d}},
		Hooks:  []order.Hook{presale.Hook{Presales: ps}}}
	ps.Orders = orders
	return &fixture{t: t, d: d, clock: c, inv: inv, ps: ps, orders: orders}
}

func (f *fixture) sku(code string, listPrice, stock int64) int64 {
	f.t.Helper()
	cat := &catalog.Service{DB: f.d, Now: f.clock.Now}
	p, err := cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "精华 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "50ml", ListPrice: listPrice, CostPrice: listPrice / 3}}})
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

var home = order.ShipTo{Recipient: "李四", Phone: "13800138000", Province: "浙江", City: "杭州", District: "西湖区", Detail: "文三路 1 号"}

func buy(customerID, sku, qty int64) presale.DepositInput {
	return presale.DepositInput{CustomerID: customerID, ShipTo: home, Lines: []price.Line{{SKUID: sku, Quantity: qty}}}
}

// 双11 presale: list ¥1,499, presale ¥1,299; deposit ¥100 counts as ¥200;
// ¥30 off the tail, so the tail is ¥1,069 and ¥1,169 is paid in all.
func (f *fixture) presale(sku, stock int64, refundable bool) presale.Presale {
	f.t.Helper()
	p, err := f.ps.Create(opCtx(), presale.Input{Name: "双11 预售 精华", SKUID: sku, PresalePrice: 129900, Deposit: 10000,
		DepositValue: 20000, TailDiscount: 3000, DepositRefundable: refundable, PerCustomerLimit: 2, Stock: stock,
		Windows: presale.Windows{DepositStartsAt: start, DepositEndsAt: depositEnd, TailStartsAt: tailStart, TailEndsAt: tailEnd}})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) deposit(p presale.Presale, customerID, qty int64) (presale.Deposit, order.Order) {
	f.t.Helper()
	d, o, err := f.ps.Deposit(buyerCtx(customerID), p.ID, buy(customerID, p.SKUID, qty))
	if err != nil {
		f.t.Fatal(err)
	}
	return d, o
}

func (f *fixture) pay(customerID, orderID int64) payment.Payment {
	f.t.Helper()
	pm, err := f.orders.Pay(buyerCtx(customerID), customerID, orderID, order.PayInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	return pm
}

func (f *fixture) level(sku int64) inventory.Level {
	f.t.Helper()
	l, err := f.inv.Get(context.Background(), sku)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) get(id int64) presale.Presale {
	f.t.Helper()
	p, err := f.ps.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) order(id int64) order.Order {
	f.t.Helper()
	o, err := f.orders.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) sweep() presale.SweepResult {
	f.t.Helper()
	r, err := f.ps.Sweep(opCtx(), f.orders)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// checkReserved: every SKU's reserved units are its pending ordinary
// orders' lines plus the flash and presale pools' units not yet sold.
func (f *fixture) checkReserved(sku int64) {
	f.t.Helper()
	bad, err := flash.CheckReserved(context.Background(), f.d)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(bad) > 0 {
		f.t.Fatalf("SKU %d: reserved differs from what holds it: %+v", sku, bad)
	}
	if bad, err := inventory.CheckLedger(context.Background(), f.d); err != nil || len(bad) > 0 {
		f.t.Fatalf("ledger: %v %+v", err, bad)
	}
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func TestPresale_DepositThenTail_MoneyAndStock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-1", 149900, 100)
		p := f.presale(sku, 20, false)
		if l := f.level(sku); l.OnHand != 100 || l.Reserved != 20 {
			t.Fatalf("carving 20 for the presale: %+v", l)
		}
		buyer := f.customers(1)[0]
		dep, do := f.deposit(p, buyer, 2)
		// The deposit order: ¥100 × 2, no goods, no shipping fee.
		if do.Total != 20000 || do.ItemsTotal != 20000 || do.DiscountTotal != 0 || do.ShippingFee != 0 || do.CostTotal != 0 {
			t.Fatalf("deposit order: total %d items %d discount %d shipping %d cost %d", do.Total, do.ItemsTotal, do.DiscountTotal, do.ShippingFee, do.CostTotal)
		}
		if do.Lines[0].Stock != price.StockNone || do.Lines[0].UnitPrice != 10000 {
			t.Fatalf("deposit line: %+v", do.Lines[0])
		}
		if dep.Status != presale.DepositPending || dep.DepositAmount != 20000 || dep.DepositValue != 40000 || dep.TailAmount != 2*106900 {
			t.Fatalf("deposit: %+v", dep)
		}
		if dep.ForfeitRule == "" || dep.Refundable {
			t.Fatalf("the buyer is not told the forfeit rule: %+v", dep)
		}
		f.pay(buyer, do.ID)
		// Paying the deposit moves no goods: the pool still holds them.
		if l := f.level(sku); l.OnHand != 100 || l.Reserved != 20 {
			t.Fatalf("after the deposit: %+v", l)
		}
		if got := f.get(p.ID); got.Deposited != 2 || got.Left != 18 || got.Counts.Paid != 1 || got.Counts.DepositsPaid != 20000 {
			t.Fatalf("presale after the deposit: %+v", got)
		}
		// The deposit order never ships.
		if _, err := f.orders.Ship(opCtx(), do.ID, order.ShipInput{Carrier: "SF", TrackingNo: "SF1"}); !errors.Is(err, presale.ErrDepositShips) {
			t.Fatalf("shipping a deposit order: %v", err)
		}
		// No tail before its window.
		if _, _, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{}); !errors.Is(err, presale.ErrTailClosed) {
			t.Fatalf("tail before its window: %v", err)
		}
		f.clock.Set(tailStart.Add(time.Hour))
		dep, to, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		// The tail order: list ¥1,499 × 2 less (¥1,499 − ¥1,069) × 2.
		l := to.Lines[0]
		if l.ListPrice != 149900 || l.UnitPrice != 106900 || l.LineTotal != 213800 || l.Discount != 2*(149900-106900) || l.Stock != price.StockPool {
			t.Fatalf("tail line: %+v", l)
		}
		if to.Total != 213800+to.ShippingFee || to.ShipTo.Recipient != home.Recipient {
			t.Fatalf("tail order: total %d shipping %d ship to %+v", to.Total, to.ShippingFee, to.ShipTo)
		}
		if dep.TailOrderID != to.ID || dep.TailPayableNow {
			t.Fatalf("deposit after placing the tail: %+v", dep)
		}
		// A second tail order while one waits is refused.
		if _, _, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{}); !errors.Is(err, presale.ErrNoTailDue) {
			t.Fatalf("second tail: %v", err)
		}
		f.pay(buyer, to.ID)
		if l := f.level(sku); l.OnHand != 98 || l.Reserved != 18 {
			t.Fatalf("after the tail: %+v", l)
		}
		f.checkReserved(sku)
		got := f.get(p.ID)
		if got.Sold != 2 || got.Counts.Completed != 1 {
			t.Fatalf("presale after the tail: %+v", got)
		}
		// In all: ¥100 × 2 + ¥1,069 × 2 = ¥1,169 × 2 (plus shipping).
		if paid := f.order(do.ID).Total + f.order(to.ID).Total - to.ShippingFee; paid != 2*got.PaidInAll || got.PaidInAll != 116900 {
			t.Fatalf("paid in all %d, want 2 × %d", paid, got.PaidInAll)
		}
		if _, err := f.orders.Ship(opCtx(), to.ID, order.ShipInput{Carrier: "SF", TrackingNo: "SF2"}); err != nil {
			t.Fatalf("shipping the tail order: %v", err)
		}
	})
}

func TestPresale_DepositPaidTwiceNeverChargesTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-2", 149900, 10)
		p := f.presale(sku, 5, false)
		buyer := f.customers(1)[0]
		_, do := f.deposit(p, buyer, 1)
		f.pay(buyer, do.ID)
		if _, err := f.orders.Pay(buyerCtx(buyer), buyer, do.ID, order.PayInput{}); err == nil {
			t.Fatal("a paid deposit order was paid again")
		}
		if _, _, err := f.ps.Deposit(buyerCtx(buyer), p.ID, buy(buyer, sku, 1)); !errors.Is(err, presale.ErrAlreadyDeposited) {
			t.Fatalf("a second deposit: %v", err)
		}
		var n, sum int64
		if err := d.QueryRow(context.Background(), `SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM payments WHERE status = 'succeeded'`).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != 1 || sum != 10000 {
			t.Fatalf("%d payments of %d 分", n, sum)
		}
		if got := f.get(p.ID); got.Deposited != 1 {
			t.Fatalf("deposited %d", got.Deposited)
		}
	})
}

func TestPresale_RefusesBadDeposits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-3", 149900, 10)
		other := f.sku("PS-4", 9900, 10)
		p := f.presale(sku, 3, false)
		cs := f.customers(3)
		if _, _, err := f.ps.Deposit(buyerCtx(cs[0]), p.ID, buy(cs[0], sku, 3)); !isField(err, "lines[0].quantity") {
			t.Fatalf("over the limit: %v", err)
		}
		if _, _, err := f.ps.Deposit(buyerCtx(cs[0]), p.ID, buy(cs[0], other, 1)); !isField(err, "lines[0].sku_id") {
			t.Fatalf("another SKU: %v", err)
		}
		in := buy(cs[0], sku, 1)
		in.Coupons = []int64{1}
		if _, _, err := f.ps.Deposit(buyerCtx(cs[0]), p.ID, in); !isField(err, "coupons") {
			t.Fatalf("a coupon: %v", err)
		}
		f.deposit(p, cs[0], 2)
		if _, _, err := f.ps.Deposit(buyerCtx(cs[1]), p.ID, buy(cs[1], sku, 2)); !errors.Is(err, presale.ErrSoldOut) {
			t.Fatalf("more than is left: %v", err)
		}
		f.clock.Set(depositEnd)
		if _, _, err := f.ps.Deposit(buyerCtx(cs[2]), p.ID, buy(cs[2], sku, 1)); !errors.Is(err, presale.ErrNotTakingDeposits) {
			t.Fatalf("after the deposit window: %v", err)
		}
		// Ordinary orders cannot take the presale's units.
		f.clock.Set(start)
		if _, err := f.orders.Checkout(buyerCtx(cs[2]), order.CheckoutInput{CustomerID: cs[2], ShipTo: home,
			Lines: []price.Line{{SKUID: sku, Quantity: 8}}}); !errors.Is(err, inventory.ErrOutOfStock) {
			t.Fatalf("an ordinary order took presale units: %v", err)
		}
	})
}

func TestPresale_CreateRefusesWhatCannotWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-5", 149900, 10)
		ok := func() presale.Input {
			return presale.Input{Name: "预售", SKUID: sku, PresalePrice: 129900, Deposit: 10000, DepositValue: 20000, Stock: 5,
				Windows: presale.Windows{DepositStartsAt: start, DepositEndsAt: depositEnd, TailStartsAt: tailStart, TailEndsAt: tailEnd}}
		}
		cases := []struct {
			name  string
			edit  func(*presale.Input)
			field string
		}{
			{"no name", func(in *presale.Input) { in.Name = "" }, "name"},
			{"unknown SKU", func(in *presale.Input) { in.SKUID = 99999 }, "sku_id"},
			{"above list", func(in *presale.Input) { in.PresalePrice = 150000 }, "presale_price"},
			{"value below deposit", func(in *presale.Input) { in.DepositValue = 5000 }, "deposit_value"},
			{"more stock than available", func(in *presale.Input) { in.Stock = 11 }, "stock"},
			{"no stock", func(in *presale.Input) { in.Stock = 0 }, "stock"},
			{"tail before deposits close", func(in *presale.Input) { in.TailStartsAt = depositEnd.Add(-time.Hour) }, "tail_starts_at"},
			{"tail reversed", func(in *presale.Input) { in.TailEndsAt = in.TailStartsAt.Add(-time.Hour) }, "tail_ends_at"},
		}
		for _, c := range cases {
			in := ok()
			c.edit(&in)
			if _, err := f.ps.Create(opCtx(), in); !isField(err, c.field) {
				t.Errorf("%s: want a field error on %s, got %v", c.name, c.field, err)
			}
		}
		if l := f.level(sku); l.Reserved != 0 {
			t.Fatalf("a refused presale reserved %d units", l.Reserved)
		}
		f.presale(sku, 5, false)
		if _, err := f.ps.Create(opCtx(), ok()); !isField(err, "sku_id") {
			t.Fatalf("a second presale of the SKU at the same time: %v", err)
		}
	})
}

func TestPresale_UnpaidTailForfeitsTheDeposit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-6", 149900, 50)
		p := f.presale(sku, 10, false)
		cs := f.customers(3)
		depA, doA := f.deposit(p, cs[0], 1) // pays the deposit, never the tail
		f.pay(cs[0], doA.ID)
		depB, doB := f.deposit(p, cs[1], 2) // places a tail order, leaves it unpaid
		f.pay(cs[1], doB.ID)
		_, doC := f.deposit(p, cs[2], 1) // never pays the deposit
		f.orders.CloseUnpaid(opCtx(), doC.ID, "unpaid")
		if got := f.get(p.ID); got.Deposited != 3 || got.Counts.Closed != 1 {
			t.Fatalf("after C's deposit closed: %+v", got)
		}
		// Deposits close: the pool's 7 free units go back to the SKU.
		f.clock.Set(depositEnd)
		if r := f.sweep(); r.Released != 1 {
			t.Fatalf("sweep at the deposit window's end: %+v", r)
		}
		if l := f.level(sku); l.Reserved != 3 {
			t.Fatalf("reserved after release: %+v", l)
		}
		f.checkReserved(sku)
		f.clock.Set(tailStart)
		_, toB, err := f.ps.PayTail(buyerCtx(cs[1]), cs[1], depB.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Set(tailEnd)
		r := f.sweep()
		if r.TailsClosed != 1 || r.Forfeited != 2 {
			t.Fatalf("sweep at the tail window's end: %+v", r)
		}
		if o := f.order(toB.ID); o.Status != order.Closed {
			t.Fatalf("B's unpaid tail order is %s", o.Status)
		}
		for _, dp := range []presale.Deposit{depA, depB} {
			got, err := f.ps.DepositFor(context.Background(), 0, dp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != presale.DepositForfeited {
				t.Fatalf("deposit %d is %s", dp.ID, got.Status)
			}
			// The deposit is kept: its order stays paid, nothing refunded.
			if o := f.order(got.DepositOrderID); o.Status != order.Paid || o.RefundedTotal != 0 {
				t.Fatalf("forfeited deposit order %s: %s, refunded %d", o.No, o.Status, o.RefundedTotal)
			}
		}
		got := f.get(p.ID)
		if got.Counts.Forfeited != 2 || got.Counts.Forfeit != 3*10000 || got.Deposited != 0 || got.Stock != 0 {
			t.Fatalf("presale after forfeits: %+v", got)
		}
		if l := f.level(sku); l.Reserved != 0 || l.OnHand != 50 {
			t.Fatalf("stock after forfeits: %+v", l)
		}
		f.checkReserved(sku)
		if r := f.sweep(); r != (presale.SweepResult{}) {
			t.Fatalf("a second sweep did something: %+v", r)
		}
		// The shop gives A's kept deposit back after all: refunded, and no
		// units move (they went back when it was forfeited).
		if _, err := f.orders.Cancel(opCtx(), doA.ID, "goodwill"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.ps.DepositFor(context.Background(), cs[0], depA.ID); got.Status != presale.DepositRefunded {
			t.Fatalf("A's deposit after the goodwill refund: %s", got.Status)
		}
		if o := f.order(doA.ID); o.RefundedTotal != 10000 {
			t.Fatalf("refunded %d", o.RefundedTotal)
		}
		f.checkReserved(sku)
	})
}

func TestPresale_RefundableDepositIsRefundedWhenTheTailIsNotPaid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-7", 149900, 50)
		p := f.presale(sku, 10, true)
		buyer := f.customers(1)[0]
		dep, do := f.deposit(p, buyer, 2)
		if !dep.Refundable {
			t.Fatal("the buyer is not told the deposit is refundable")
		}
		f.pay(buyer, do.ID)
		f.clock.Set(tailEnd)
		r := f.sweep()
		if r.Forfeited != 0 || r.Refunded != 1 || r.Released != 1 {
			t.Fatalf("sweep: %+v", r)
		}
		o := f.order(do.ID)
		if o.Status != order.Closed || o.RefundedTotal != 20000 || o.Payments[0].Refunded != 20000 {
			t.Fatalf("refunded deposit order: %s refunded %d, payment %+v", o.Status, o.RefundedTotal, o.Payments)
		}
		if l := f.level(sku); l.Reserved != 0 || l.OnHand != 50 {
			t.Fatalf("stock: %+v", l)
		}
		f.checkReserved(sku)
	})
}

func TestPresale_RefundingThePresaleOrderReturnsDepositAndTail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-8", 149900, 50)
		p := f.presale(sku, 10, false)
		buyer := f.customers(1)[0]
		dep, do := f.deposit(p, buyer, 1)
		f.pay(buyer, do.ID)
		f.clock.Set(tailStart)
		_, to, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		f.pay(buyer, to.ID)
		// Refund before shipping: the tail order returns the balance and
		// puts the unit back on the shelf; the sweep refunds the deposit.
		if _, err := f.orders.Cancel(opCtx(), to.ID, "buyer changed their mind"); err != nil {
			t.Fatal(err)
		}
		if r := f.sweep(); r.Refunded != 1 {
			t.Fatalf("sweep: %+v", r)
		}
		ot, od := f.order(to.ID), f.order(do.ID)
		if ot.RefundedTotal != ot.Total || od.RefundedTotal != 10000 || od.Status != order.Closed {
			t.Fatalf("tail refunded %d of %d; deposit %s refunded %d", ot.RefundedTotal, ot.Total, od.Status, od.RefundedTotal)
		}
		if back := ot.RefundedTotal + od.RefundedTotal; back != ot.Total+od.Total {
			t.Fatalf("refunded %d of %d paid", back, ot.Total+od.Total)
		}
		got, _ := f.ps.DepositFor(context.Background(), buyer, dep.ID)
		if got.Status != presale.DepositRefunded {
			t.Fatalf("deposit is %s", got.Status)
		}
		// The pool's 9 free units went back when the deposit window closed.
		if l := f.level(sku); l.OnHand != 50 || l.Reserved != 0 {
			t.Fatalf("stock: %+v", l)
		}
		f.checkReserved(sku)
	})
}

func TestPresale_TailClosedUnpaidCanBePlacedAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-9", 149900, 50)
		p := f.presale(sku, 10, false)
		buyer := f.customers(1)[0]
		dep, do := f.deposit(p, buyer, 1)
		f.pay(buyer, do.ID)
		f.clock.Set(tailStart)
		_, to, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		// The deposit cannot be refunded while its tail order waits.
		if _, err := f.orders.Cancel(opCtx(), do.ID, "refund"); !errors.Is(err, presale.ErrTailPending) {
			t.Fatalf("refunding the deposit while its tail waits: %v", err)
		}
		if err := f.orders.CloseUnpaid(opCtx(), to.ID, "payment window passed"); err != nil {
			t.Fatal(err)
		}
		// The pool still holds the unit: closing the tail released nothing.
		if l := f.level(sku); l.Reserved != 10 {
			t.Fatalf("reserved after the tail closed: %+v", l)
		}
		got, _ := f.ps.DepositFor(context.Background(), buyer, dep.ID)
		if !got.TailPayableNow || got.TailOrderID != 0 {
			t.Fatalf("deposit after its tail closed: %+v", got)
		}
		_, to2, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		f.pay(buyer, to2.ID)
		f.checkReserved(sku)
		// Another buyer cannot pay this buyer's tail.
		other := f.customers(2)[1]
		if _, _, err := f.ps.PayTail(buyerCtx(other), other, dep.ID, presale.TailInput{}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("someone else's deposit: %v", err)
		}
	})
}

func TestPresale_RemindersGoOutOnceEach(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := d.Exec(context.Background(), `INSERT INTO webhook_endpoints (url, description, events, secret, active, created_at, updated_at)
			VALUES ('https://example.com/hook', '', 'presale.*', 'whsec_test', TRUE, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		sku := f.sku("PS-10", 149900, 50)
		p := f.presale(sku, 10, false)
		cs := f.customers(2)
		for _, c := range cs {
			_, do := f.deposit(p, c, 1)
			f.pay(c, do.ID)
		}
		events := func() int64 {
			var n int64
			if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM webhook_events WHERE type = 'presale.tail_due'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		f.clock.Set(tailStart)
		if r := f.sweep(); r.Reminded != 2 {
			t.Fatalf("at the tail window's opening: %+v", r)
		}
		if r := f.sweep(); r.Reminded != 0 || events() != 2 {
			t.Fatalf("reminded twice: %+v, %d events", r, events())
		}
		f.clock.Set(tailEnd.Add(-time.Hour))
		if r := f.sweep(); r.Reminded != 2 || events() != 4 {
			t.Fatalf("a day before the end: %+v, %d events", r, events())
		}
	})
}

// No oversell under concurrent deposits: 30 buyers race for 10 units.
func TestPresale_ConcurrentDepositsNeverOversell(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-11", 149900, 100)
		p := f.presale(sku, 10, false)
		cs := f.customers(30)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, soldOut := 0, 0
		var other []error
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, o, err := f.ps.Deposit(buyerCtx(c), p.ID, buy(c, sku, 1))
				if err == nil {
					_, err = f.orders.Pay(buyerCtx(c), c, o.ID, order.PayInput{})
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, presale.ErrSoldOut):
					soldOut++
				default:
					other = append(other, err)
				}
			}()
		}
		// The same buyer racing themself: one deposit at most.
		twice := f.customers(31)[30]
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := f.ps.Deposit(buyerCtx(twice), p.ID, buy(twice, sku, 1))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		got := f.get(p.ID)
		var twiceOK int
		for err := range errs {
			if err == nil {
				twiceOK++
			} else if !errors.Is(err, presale.ErrSoldOut) && !errors.Is(err, presale.ErrAlreadyDeposited) {
				t.Fatalf("the same buyer twice: %v", err)
			}
		}
		if twiceOK > 1 {
			t.Fatalf("one buyer got %d deposits", twiceOK)
		}
		if ok+twiceOK != 10 || got.Deposited != 10 || got.Stock != 10 {
			t.Fatalf("%d + %d deposits, %d sold out; presale %+v", ok, twiceOK, soldOut, got)
		}
		var rows int64
		if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM presale_deposits WHERE status IN ('pending', 'paid')`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 10 {
			t.Fatalf("%d deposits written", rows)
		}
		f.checkReserved(sku)
	})
}

// Stopping deposits while buyers race: whatever the order, the pool ends
// holding exactly the deposited units and the SKU's reservation agrees.
func TestPresale_EndWhileDepositsRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("PS-12", 149900, 100)
		p := f.presale(sku, 30, false)
		cs := f.customers(20)
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, o, err := f.ps.Deposit(buyerCtx(c), p.ID, buy(c, sku, 1))
				if err == nil && i%2 == 0 {
					_, err = f.orders.Pay(buyerCtx(c), c, o.ID, order.PayInput{})
				}
				if err != nil && !errors.Is(err, presale.ErrNotTakingDeposits) {
					t.Errorf("deposit: %v", err)
				}
			}()
			if i == 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := f.ps.End(opCtx(), p.ID); err != nil {
						t.Errorf("end: %v", err)
					}
				}()
			}
		}
		wg.Wait()
		got := f.get(p.ID)
		if got.EndedAt == nil || got.Stock != got.Deposited {
			t.Fatalf("after the race: %+v", got)
		}
		if l := f.level(sku); l.Reserved != got.Deposited {
			t.Fatalf("reserved %d, deposited %d", l.Reserved, got.Deposited)
		}
		f.checkReserved(sku)
	})
}

// The store's promotions apply to the tail as the engine allows: a 满减 on
// the tail's amount (not the list price) takes its money off the tail
// order, the line still shows the SKU's list price with the presale's part
// in its discount, and the deposit order is untouched by it.
func TestPresale_StorePromotionsApplyToTheTail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		promos := &promotion.Pricer{DB: d, Now: f.clock.Now}
		f.orders.Pricer = presale.Pricer{Presales: f.ps, Next: promos}
		f.orders.Hooks = []order.Hook{presale.Hook{Presales: f.ps}, promotion.Hook{}}
		svc := &promotion.Service{DB: d, Now: f.clock.Now, Changed: promos.Invalidate}
		// 满2000减200, from the deposit window to the tail's end. Two units'
		// list price (¥2,998) and presale price (¥2,598) both reach it; the
		// tail of two (¥2,138) does too, one unit's (¥1,069) does not.
		pr, err := svc.Create(opCtx(), promotion.Input{Promotion: promo.Promotion{Name: "满2000减200", Kind: promo.KindTieredOff,
			Scope: promo.ScopeOrder, Levels: []promo.Level{{Threshold: 200000, Off: 20000}}, StartsAt: start, EndsAt: tailEnd}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Schedule(opCtx(), pr.ID); err != nil {
			t.Fatal(err)
		}
		sku := f.sku("PS-13", 149900, 50)
		p := f.presale(sku, 10, false)
		cs := f.customers(2)
		depTwo, doTwo := f.deposit(p, cs[0], 2)
		if doTwo.Total != 20000 || doTwo.DiscountTotal != 0 {
			t.Fatalf("a deposit order took a promotion: total %d, discount %d", doTwo.Total, doTwo.DiscountTotal)
		}
		f.pay(cs[0], doTwo.ID)
		depOne, doOne := f.deposit(p, cs[1], 1)
		f.pay(cs[1], doOne.ID)
		f.clock.Set(tailStart.Add(time.Hour))
		_, two, err := f.ps.PayTail(buyerCtx(cs[0]), cs[0], depTwo.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		l := two.Lines[0]
		if two.ItemsTotal-two.DiscountTotal != 213800-20000 || l.ListPrice != 149900 || l.LineTotal != 213800-20000 ||
			l.Discount != 2*(149900-106900)+20000 || l.Stock != price.StockPool {
			t.Fatalf("tail of two: goods %d, line %+v", two.ItemsTotal-two.DiscountTotal, l)
		}
		_, one, err := f.ps.PayTail(buyerCtx(cs[1]), cs[1], depOne.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		if one.ItemsTotal-one.DiscountTotal != 106900 {
			t.Fatalf("tail of one took the 满减 on the list price: goods %d", one.ItemsTotal-one.DiscountTotal)
		}
		f.pay(cs[0], two.ID)
		f.pay(cs[1], one.ID)
		f.checkReserved(sku)
		// Refunding the discounted tail returns exactly what was paid.
		if _, err := f.orders.Cancel(opCtx(), two.ID, "refund"); err != nil {
			t.Fatal(err)
		}
		if got := f.order(two.ID); got.RefundedTotal != got.Total {
			t.Fatalf("refunded %d of %d", got.RefundedTotal, got.Total)
		}
	})
}
