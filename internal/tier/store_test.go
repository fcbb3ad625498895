package tier_test

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
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/tier"
	"github.com/storeops/storeops/internal/tier/tierpromo"
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
	t      testing.TB
	d      *db.DB
	clock  *clock
	cat    *catalog.Service
	inv    *inventory.Service
	cust   *customer.Service
	orders *order.Service
	tiers  *tier.Service
	promos *promotion.Service
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)}
	pricer := &promotion.Pricer{DB: d, Now: c.Now}
	f := &fixture{t: t, d: d, clock: c,
		cat:    &catalog.Service{DB: d, Now: c.Now},
		inv:    &inventory.Service{DB: d, Now: c.Now},
		cust:   &customer.Service{DB: d, Now: c.Now},
		promos: &promotion.Service{DB: d, Now: c.Now, Changed: pricer.Invalidate},
	}
	f.tiers = &tier.Service{DB: d, Now: c.Now, Discounts: tierpromo.PromotionDiscounts(f.promos)}
	f.orders = &order.Service{DB: d, Inventory: f.inv, Now: c.Now, Pricer: pricer, Hooks: []order.Hook{promotion.Hook{}, tier.Hook{}}}
	return f
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func (f *fixture) sku(code string, listPrice int64) int64 {
	f.t.Helper()
	p, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: listPrice / 2}}})
	if err != nil {
		f.t.Fatal(err)
	}
	id := p.SKUs[0].ID
	if _, err := f.inv.Adjust(opCtx(), id, 100000, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		f.t.Fatal(err)
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

// paid checks out qty units of sku and pays; it returns the order.
func (f *fixture) paid(customerID, sku, qty int64) order.Order {
	f.t.Helper()
	o, err := f.orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: customerID, ShipTo: home,
		Lines: []price.Line{{SKUID: sku, Quantity: qty}}})
	if err != nil {
		f.t.Fatalf("checkout: %v", err)
	}
	if _, err := f.orders.Pay(context.Background(), customerID, o.ID, order.PayInput{}); err != nil {
		f.t.Fatalf("pay: %v", err)
	}
	o, err = f.orders.Get(context.Background(), o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) membership(id int64) tier.Membership {
	f.t.Helper()
	m, err := f.tiers.Membership(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// withoutDiscount saves the default ladder with no discounts, so order
// totals are the list prices the tests reason about.
func (f *fixture) withoutDiscount() {
	f.t.Helper()
	c := tier.Default()
	for i := range c.Levels {
		c.Levels[i].DiscountBP = 0
	}
	if _, err := f.tiers.Save(opCtx(), c); err != nil {
		f.t.Fatal(err)
	}
}

func TestUpgradeOnPaymentAndBackOnRefund(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		buyer := f.customer("李四")
		sku := f.sku("A", 20000) // ¥200: 200 growth
		o1 := f.paid(buyer, sku, 2)
		if m := f.membership(buyer); m.Tier.Code != "normal" || m.Growth != 400 || m.WindowGrowth != 400 || m.NeedGrowth != 100 {
			t.Fatalf("after ¥400: %+v", m)
		}
		f.clock.Add(time.Hour)
		f.paid(buyer, sku, 2) // 800 in the window: silver at once
		m := f.membership(buyer)
		if m.Tier.Code != "silver" || m.Growth != 800 || len(m.Changes) != 1 {
			t.Fatalf("after ¥800: %+v", m)
		}
		if ch := m.Changes[0]; ch.Kind != tier.Upgrade || ch.From != "normal" || ch.To != "silver" || ch.Growth != 800 || ch.Threshold != 500 {
			t.Fatalf("change %+v", ch)
		}
		// Closing the first (unshipped) order refunds it in full and takes
		// its growth back; the tier stays until the evaluation.
		if _, err := f.orders.Cancel(opCtx(), o1.ID, "买错了"); err != nil {
			t.Fatal(err)
		}
		if m := f.membership(buyer); m.Growth != 400 || m.Tier.Code != "silver" {
			t.Fatalf("after the refund: %+v", m)
		}
		sum, err := f.tiers.Evaluate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Downgraded != 0 {
			t.Fatalf("400 keeps silver (keep threshold 300): %+v", sum)
		}
		// Thirteen months later nothing is in the window: back to normal.
		f.clock.Add(396 * 24 * time.Hour)
		if sum, err = f.tiers.Evaluate(context.Background()); err != nil || sum.Downgraded != 1 {
			t.Fatalf("evaluate a year on: %+v, %v", sum, err)
		}
		m = f.membership(buyer)
		if m.Tier.Code != "normal" || m.Growth != 400 || m.WindowGrowth != 0 || len(m.Changes) != 2 {
			t.Fatalf("a year on: %+v", m)
		}
		if ch := m.Changes[0]; ch.Kind != tier.Downgrade || ch.From != "silver" || ch.Growth != 0 || ch.Threshold != 300 || ch.WindowMonths != 12 {
			t.Fatalf("downgrade %+v", ch)
		}
	})
}

func TestGrowthIsIdempotentPerSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		buyer := f.customer("王五")
		o := f.paid(buyer, f.sku("B", 100000), 1) // 1000: silver
		ctx := context.Background()
		// The hook seen again for the same payment, the full refund twice,
		// and a case refund after the full refund change nothing more.
		err := d.InTx(ctx, func(tx *db.Tx) error {
			h := tier.Hook{}
			if err := h.Moved(ctx, tx, order.Moved{OrderID: o.ID, CustomerID: buyer, From: order.PendingPayment, To: order.Paid, At: f.clock.Now()}); err != nil {
				return err
			}
			for range 2 {
				if err := h.Moved(ctx, tx, order.Moved{OrderID: o.ID, CustomerID: buyer, From: order.Paid, To: order.Closed, At: f.clock.Now()}); err != nil {
					return err
				}
			}
			return h.CaseMoved(ctx, tx, order.CaseMoved{CaseID: 99, OrderID: o.ID, CustomerID: buyer, To: order.CaseRefunded, Amount: 50000, At: f.clock.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		m := f.membership(buyer)
		if m.Growth != 0 || m.Tier.Code != "silver" || len(m.Changes) != 1 {
			t.Fatalf("%+v", m)
		}
		var n int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM growth_movements WHERE order_id = $1`, o.ID).Scan(&n); err != nil || n != 2 {
			t.Fatalf("movements %d, %v", n, err)
		}
	})
}

func TestCaseRefundTakesBackItsShare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		buyer := f.customer("赵六")
		o := f.paid(buyer, f.sku("C", 20000), 3) // ¥600
		ctx := context.Background()
		step := func(caseID, amount int64) {
			t.Helper()
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				return tier.Hook{}.CaseMoved(ctx, tx, order.CaseMoved{CaseID: caseID, OrderID: o.ID, CustomerID: buyer, To: order.CaseRefunded, Amount: amount, At: f.clock.Now()})
			}); err != nil {
				t.Fatal(err)
			}
		}
		step(1, 20000)
		step(1, 20000) // the same case again
		if g := f.membership(buyer).Growth; g != 400 {
			t.Fatalf("after one refunded unit: %d", g)
		}
		step(2, 90000) // more than is left: capped at what the order counts for
		if g := f.membership(buyer).Growth; g != 0 {
			t.Fatalf("after refunding more than left: %d", g)
		}
	})
}

func TestConcurrentPaymentsCountEveryOrderOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		buyer := f.customer("钱七")
		sku := f.sku("D", 10000) // ¥100 each
		ctx := context.Background()
		const n = 8
		ids := make([]int64, n)
		for i := range ids {
			o, err := f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: buyer, ShipTo: home, Lines: []price.Line{{SKUID: sku, Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = o.ID
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, id := range ids {
			wg.Go(func() {
				if _, err := f.orders.Pay(ctx, buyer, id, order.PayInput{}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		m := f.membership(buyer)
		if m.Growth != 800 || m.Tier.Code != "silver" {
			t.Fatalf("%+v", m)
		}
		// 400 → 500 crosses silver once; 800 does not reach gold.
		if len(m.Changes) != 1 || m.Changes[0].To != "silver" || m.Changes[0].Threshold != 500 {
			t.Fatalf("changes %+v", m.Changes)
		}
	})
}

func TestTierDiscountPricesThroughThePromotion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.tiers.Save(opCtx(), tier.Default()); err != nil {
			t.Fatal(err)
		}
		c, err := f.tiers.Config(context.Background())
		if err != nil || c.DiscountPromotionID == 0 {
			t.Fatalf("no discount promotion: %+v %v", c, err)
		}
		p, err := f.promos.Get(context.Background(), c.DiscountPromotionID)
		if err != nil || p.Kind != promo.KindMemberDiscount || p.TierRatesBP["gold"] != 500 || p.Status != promotion.StatusActive {
			t.Fatalf("promotion %+v %v", p, err)
		}
		buyer := f.customer("孙八")
		sku := f.sku("E", 200000) // ¥2000
		first := f.paid(buyer, sku, 1)
		if first.DiscountTotal != 0 {
			t.Fatalf("a normal member has no discount, got %d off", first.DiscountTotal)
		}
		second := f.paid(buyer, sku, 1) // now gold: 5% off
		if second.DiscountTotal != 10000 {
			t.Fatalf("gold pays 95%%: %d off", second.DiscountTotal)
		}
		// Gold ships free below 满99; a normal member pays the fee.
		cheap := f.sku("F", 1000)
		if o := f.paid(buyer, cheap, 1); o.ShippingFee != 0 {
			t.Fatalf("gold pays %d shipping", o.ShippingFee)
		}
		if o := f.paid(f.customer("周九"), cheap, 1); o.ShippingFee != order.ShippingFee {
			t.Fatalf("a normal member pays %d shipping, want %d", o.ShippingFee, order.ShippingFee)
		}
		// Saving the same ladder again changes nothing; removing every
		// discount ends the promotion.
		if _, err := f.tiers.Save(opCtx(), tier.Default()); err != nil {
			t.Fatal(err)
		}
		if c2, _ := f.tiers.Config(context.Background()); c2.DiscountPromotionID != c.DiscountPromotionID {
			t.Fatalf("promotion replaced: %d then %d", c.DiscountPromotionID, c2.DiscountPromotionID)
		}
		f.withoutDiscount()
		if p, _ := f.promos.Get(context.Background(), c.DiscountPromotionID); p.Status != promotion.StatusEnded {
			t.Fatalf("promotion %s after the discounts were removed", p.Status)
		}
		// The job leaves an ended promotion ended; saving discounts again
		// makes a new one.
		if _, err := f.tiers.Save(opCtx(), tier.Default()); err != nil {
			t.Fatal(err)
		}
		c3, _ := f.tiers.Config(context.Background())
		if _, err := f.promos.End(opCtx(), c3.DiscountPromotionID); err != nil {
			t.Fatal(err)
		}
		if err := f.tiers.SyncDiscount(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c4, _ := f.tiers.Config(context.Background()); c4.DiscountPromotionID != c3.DiscountPromotionID || c3.DiscountPromotionID == c.DiscountPromotionID {
			t.Fatalf("promotions %d, %d, then %d after the job", c.DiscountPromotionID, c3.DiscountPromotionID, c4.DiscountPromotionID)
		}
	})
}

func TestBackfillPlacesHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		big, small, none := f.customer("大客户"), f.customer("小客户"), f.customer("新客")
		_ = none
		now := f.clock.Now().UnixMilli()
		insert := func(no string, cust, total, refunded int64, paidAt int64) {
			t.Helper()
			if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, channel, status, currency, items_total, total, refunded_total, paid_at, created_at, updated_at)
				VALUES ($1, $2, 'web', 'completed', 'CNY', $3, $3, $4, $5, $5, $5)`, no, cust, total, refunded, paidAt); err != nil {
				t.Fatal(err)
			}
		}
		day := int64(24 * time.Hour / time.Millisecond)
		insert("H1", big, 2_500_000, 0, now-30*day)       // 25000: platinum
		insert("H2", small, 800_000, 600_000, now-10*day) // 8000 − 6000 = 2000: gold
		insert("H3", small, 900_000, 0, now-500*day)      // outside the window
		sum, err := f.tiers.Backfill(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Upgraded != 2 {
			t.Fatalf("%+v", sum)
		}
		if _, err := f.tiers.Backfill(ctx); err != nil {
			t.Fatal(err)
		}
		if m := f.membership(big); m.Tier.Code != "platinum" || m.Growth != 25000 || len(m.Changes) != 1 {
			t.Fatalf("big: %+v", m)
		}
		if m := f.membership(small); m.Tier.Code != "gold" || m.Growth != 11000 || m.WindowGrowth != 2000 {
			t.Fatalf("small: %+v", m)
		}
		dist, err := f.tiers.Distribution(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, c := range dist {
			got[c.Level.Code] = c.Customers
		}
		if got["normal"] != 1 || got["silver"] != 0 || got["gold"] != 1 || got["platinum"] != 1 {
			t.Fatalf("distribution %v", got)
		}
	})
}
