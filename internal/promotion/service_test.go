package promotion_test

import (
	"context"
	"errors"
	"os"
	"strings"
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

// A Sunday morning in Shanghai (2026-11-22 10:00 +08:00).
var start = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

type fixture struct {
	t      testing.TB
	d      *db.DB
	clock  *clock
	cat    *catalog.Service
	inv    *inventory.Service
	svc    *promotion.Service
	pricer *promotion.Pricer
	orders *order.Service
	women  int64 // category 女装, with 连衣裙 below it
	dress  int64 // category 连衣裙
	beauty int64 // category 美妆
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	inv := &inventory.Service{DB: d, Now: c.Now}
	pricer := &promotion.Pricer{DB: d, Now: c.Now}
	f := &fixture{t: t, d: d, clock: c, cat: &catalog.Service{DB: d, Now: c.Now}, inv: inv, pricer: pricer,
		svc:    &promotion.Service{DB: d, Now: c.Now, Changed: pricer.Invalidate},
		orders: &order.Service{DB: d, Inventory: inv, Now: c.Now, Pricer: pricer, Hooks: []order.Hook{promotion.Hook{}}}}
	f.women = f.category("女装", nil)
	f.dress = f.category("连衣裙", &f.women)
	f.beauty = f.category("美妆", nil)
	return f
}

func (f *fixture) category(name string, parent *int64) int64 {
	f.t.Helper()
	c, err := f.cat.CreateCategory(opCtx(), catalog.NewCategory{Name: name, ParentID: parent})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

// sku creates an on-sale product in category with one SKU; it returns
// the product and SKU ids.
func (f *fixture) sku(code string, category int64, listPrice, stock int64) (int64, int64) {
	f.t.Helper()
	p, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale, CategoryID: &category,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: listPrice / 2}}})
	if err != nil {
		f.t.Fatal(err)
	}
	if stock > 0 {
		if _, err := f.inv.Adjust(opCtx(), p.SKUs[0].ID, stock, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			f.t.Fatal(err)
		}
	}
	return p.ID, p.SKUs[0].ID
}

func (f *fixture) create(p promo.Promotion) promotion.Promotion {
	f.t.Helper()
	out, err := f.svc.Create(opCtx(), promotion.Input{Promotion: p})
	if err != nil {
		f.t.Fatalf("create %s: %v", p.Name, err)
	}
	return out
}

func (f *fixture) schedule(p promo.Promotion) promotion.Promotion {
	f.t.Helper()
	out, err := f.svc.Schedule(opCtx(), f.create(p).ID)
	if err != nil {
		f.t.Fatalf("schedule %s: %v", p.Name, err)
	}
	return out
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func fullCut(threshold, off int64) promo.Promotion {
	return promo.Promotion{Name: "满减", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Levels: []promo.Level{{Threshold: threshold, Off: off}}}
}

func TestLifecycle_DraftScheduleActivePauseResumeEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		p := fullCut(30000, 5000)
		p.StartsAt, p.EndsAt = start.Add(time.Hour), start.Add(48*time.Hour)
		created := f.create(p)
		if created.Status != promotion.StatusDraft || created.Levels[0].Off != 5000 || !created.StartsAt.Equal(p.StartsAt) {
			t.Fatalf("created %+v", created)
		}
		if _, err := f.svc.Pause(ctx, created.ID); !promotion.IsWrongState(err) {
			t.Fatalf("pause a draft: %v", err)
		}
		s, err := f.svc.Schedule(ctx, created.ID)
		if err != nil || s.Status != promotion.StatusScheduled {
			t.Fatalf("schedule: %+v %v", s, err)
		}
		f.clock.Add(2 * time.Hour)
		if got, _ := f.svc.Get(ctx, s.ID); got.Status != promotion.StatusActive {
			t.Fatalf("in its window: %s", got.Status)
		}
		if active, _ := f.svc.List(ctx, promotion.Filter{Status: promotion.StatusActive}); len(active) != 1 {
			t.Fatalf("active list: %+v", active)
		}
		if got, err := f.svc.Pause(ctx, s.ID); err != nil || got.Status != promotion.StatusPaused {
			t.Fatalf("pause: %+v %v", got, err)
		}
		if got, err := f.svc.Resume(ctx, s.ID); err != nil || got.Status != promotion.StatusActive {
			t.Fatalf("resume: %+v %v", got, err)
		}
		ended, err := f.svc.End(ctx, s.ID)
		if err != nil || ended.Status != promotion.StatusEnded || !ended.EndsAt.Equal(f.clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("end: %+v %v", ended, err)
		}
		if _, err := f.svc.Update(ctx, s.ID, promotion.Input{Promotion: p}); !promotion.IsWrongState(err) {
			t.Fatalf("update an ended promotion: %v", err)
		}
		if n, _ := f.svc.List(ctx, promotion.Filter{Status: promotion.StatusEnded}); len(n) != 1 {
			t.Fatalf("ended list: %+v", n)
		}
		var audits int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'promotion'`).Scan(&audits); err != nil || audits != 5 {
			t.Fatalf("audit entries %d (%v), want 5", audits, err)
		}
	})
}

func TestSchedule_RefusesOverlappingExclusiveAndPastWindows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		dressProduct, _ := f.sku("D1", f.dress, 19900, 10)
		_, _ = f.sku("B1", f.beauty, 9900, 10)
		women := promo.Promotion{Name: "女装8折", Kind: promo.KindPercentOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{f.women},
			RateBP: 2000, Exclusive: true, StartsAt: start, EndsAt: start.Add(7 * 24 * time.Hour)}
		first := f.schedule(women)

		// 连衣裙 lies under 女装, and the weeks overlap.
		dress := promo.Promotion{Name: "连衣裙立减", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{dressProduct},
			Amount: 2000, Exclusive: true, StartsAt: start.Add(24 * time.Hour), EndsAt: start.Add(10 * 24 * time.Hour)}
		d2 := f.create(dress)
		_, err := f.svc.Schedule(ctx, d2.ID)
		if !isField(err, "exclusive") || !strings.Contains(err.Error(), first.Name) {
			t.Fatalf("overlapping exclusive: %v", err)
		}
		// Not exclusive, it may run beside: the engine picks the better.
		dress.Exclusive = false
		if _, err := f.svc.Update(ctx, d2.ID, promotion.Input{Promotion: dress}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Schedule(ctx, d2.ID); err != nil {
			t.Fatalf("not exclusive: %v", err)
		}
		// Exclusive on 美妆 in the same week: other items, fine.
		beauty := women
		beauty.Name, beauty.CategoryIDs = "美妆8折", []int64{f.beauty}
		f.schedule(beauty)
		// Exclusive on 女装 the week after: fine.
		later := women
		later.StartsAt, later.EndsAt = women.EndsAt, women.EndsAt.Add(24*time.Hour)
		f.schedule(later)

		past := fullCut(30000, 5000)
		past.StartsAt, past.EndsAt = start.Add(-48*time.Hour), start.Add(-24*time.Hour)
		if _, err := f.svc.Schedule(ctx, f.create(past).ID); !isField(err, "ends_at") {
			t.Fatalf("past window: %v", err)
		}
		// Unknown ids and a threshold below the discount are refused at once.
		if _, err := f.svc.Create(ctx, promotion.Input{Promotion: promo.Promotion{Name: "x", Kind: promo.KindPercentOff, Scope: promo.ScopeProducts,
			ProductIDs: []int64{dressProduct + 1000}, RateBP: 1000}}); !isField(err, "product_ids[0]") {
			t.Fatalf("unknown product: %v", err)
		}
		if _, err := f.svc.Create(ctx, promotion.Input{Promotion: fullCut(3000, 3000)}); !isField(err, "levels[0].off") {
			t.Fatalf("off = threshold: %v", err)
		}
	})
}

func TestPricer_CheckoutRecordsWhatEachPromotionTookAndResultsCountPaidOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		_, dress := f.sku("D1", f.dress, 20000, 50)
		_, lipstick := f.sku("L1", f.beauty, 15000, 50)
		_, sample := f.sku("S1", f.beauty, 1500, 1)
		women := f.schedule(promo.Promotion{Name: "女装9折", Kind: promo.KindPercentOff, Scope: promo.ScopeCategories,
			CategoryIDs: []int64{f.women}, RateBP: 1000})
		cut := f.schedule(fullCut(30000, 5000))
		gift := f.schedule(promo.Promotion{Name: "满199赠小样", Kind: promo.KindGift, Scope: promo.ScopeOrder, Threshold: 19900,
			Gift: promo.Gift{SKUID: sample, Quantity: 1}})
		f.create(promo.Promotion{Name: "草稿不参与", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 5000})

		req := price.Request{Lines: []price.Line{{SKUID: dress, Quantity: 1}, {SKUID: lipstick, Quantity: 1}}, Channel: "direct", At: f.clock.Now()}
		q, err := f.pricer.Price(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		// 200 − 10% (women) = 180; 180 + 150 = 330 ≥ 300: −50; gift added.
		if q.ItemsTotal != 35000 || q.Discount != 2000+5000 || q.Total != 28000 {
			t.Fatalf("quote: items %d discount %d total %d\n%v", q.ItemsTotal, q.Discount, q.Total, q.Explanation)
		}
		if len(q.Lines) != 3 || q.Lines[2].SKUID != sample || q.Lines[2].Title == "" || q.Lines[2].Total != 0 {
			t.Fatalf("gift line: %+v", q.Lines)
		}
		if len(q.Applied) != 3 || q.Applied[0].PromotionID != women.ID || q.Applied[0].Off != 2000 || q.Applied[1].PromotionID != cut.ID ||
			q.Applied[2].PromotionID != gift.ID {
			t.Fatalf("applied: %+v", q.Applied)
		}
		if !strings.Contains(strings.Join(q.Explanation, "\n"), "满300减50") || strings.Contains(strings.Join(q.Explanation, "\n"), "草稿") {
			t.Fatalf("explanation: %v", q.Explanation)
		}

		buyer, err := (&customer.Service{DB: d}).Create(ctx, customer.Profile{Name: "李四", Phone: "13900139000"})
		if err != nil {
			t.Fatal(err)
		}
		ship := order.ShipTo{Recipient: "李四", Phone: "13900139000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 1 号"}
		o, err := f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: buyer.ID, Lines: req.Lines, ShipTo: ship})
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 7000 {
			t.Fatalf("order discount %d", o.DiscountTotal)
		}
		res, err := f.svc.Results(ctx, cut.ID)
		if err != nil || res.Orders != 0 || res.Pending != 1 {
			t.Fatalf("before payment: %+v %v", res, err)
		}
		if _, err := f.orders.Pay(ctx, buyer.ID, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Results(ctx, cut.ID)
		if err != nil || res.Orders != 1 || res.DiscountCost != 5000 || res.GMV != o.Total || res.Customers != 1 {
			t.Fatalf("results: %+v %v (order total %d)", res, err, o.Total)
		}
		if want := float64(o.Total-5000) / 5000; res.ROI != want {
			t.Fatalf("ROI %v, want %v", res.ROI, want)
		}

		// The only sample went with that order: the next buyer is told.
		q, err = f.pricer.Price(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Lines) != 2 || !strings.Contains(strings.Join(q.Explanation, "\n"), "out of stock") {
			t.Fatalf("gift out of stock: %+v %v", q.Lines, q.Explanation)
		}

		// Paused: the cached promotions are dropped, the next quote is without it.
		if _, err := f.svc.Pause(ctx, cut.ID); err != nil {
			t.Fatal(err)
		}
		if q, err = f.pricer.Price(ctx, req); err != nil || q.Discount != 2000 {
			t.Fatalf("paused 满减: discount %d %v", q.Discount, err)
		}

		// Coupons need a coupon source, points a points source.
		req.Coupons = []int64{1}
		if _, err := f.pricer.Price(ctx, req); !isField(err, "coupons") {
			t.Fatalf("coupons without a source: %v", err)
		}
		req.Coupons, req.Points = nil, 100
		if _, err := f.pricer.Price(ctx, req); !isField(err, "points") {
			t.Fatalf("points: %v", err)
		}
		// The list pricer's refusals hold.
		if _, err := f.pricer.Price(ctx, price.Request{Lines: []price.Line{{SKUID: 99999, Quantity: 1}}, At: f.clock.Now()}); !isField(err, "lines[0].sku_id") {
			t.Fatalf("unknown SKU: %v", err)
		}
	})
}

type fakeCoupons struct{ got []int64 }

func (c *fakeCoupons) ForPricing(_ context.Context, customerID int64, ids []int64, _ time.Time) ([]promo.Coupon, error) {
	c.got = ids
	return []promo.Coupon{{ID: ids[0], Code: "SAVE10", Rule: promo.Promotion{Name: "10元券", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000}}}, nil
}

func TestPricer_CouponsComeFromTheSourceAndAreListedAsApplied(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		_, dress := f.sku("D1", f.dress, 20000, 5)
		src := &fakeCoupons{}
		f.pricer.Coupons = src
		q, err := f.pricer.Price(opCtx(), price.Request{CustomerID: 7, Lines: []price.Line{{SKUID: dress, Quantity: 1}}, Coupons: []int64{42}, At: start})
		if err != nil {
			t.Fatal(err)
		}
		if q.Total != 19000 || len(q.Applied) != 1 || q.Applied[0].Kind != "coupon" || q.Applied[0].CouponID != 42 || q.Applied[0].Off != 1000 {
			t.Fatalf("priced %+v", q)
		}
		if _, err := f.pricer.Price(opCtx(), price.Request{Lines: []price.Line{{SKUID: dress, Quantity: 1}}, Coupons: []int64{42}, At: start}); !isField(err, "coupons") {
			t.Fatalf("a guest with coupons: %v", err)
		}
	})
}

func TestCalendar_ListsWhatRunsInTheRange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		day := 24 * time.Hour
		in := func(name string, from, to time.Duration) promo.Promotion {
			p := fullCut(30000, 5000)
			p.Name, p.StartsAt, p.EndsAt = name, start.Add(from), start.Add(to)
			return p
		}
		f.schedule(in("this week", 0, 7*day))
		f.schedule(in("next month", 30*day, 33*day))
		f.create(in("draft", 0, 7*day))
		got, err := f.svc.Calendar(opCtx(), start, start.Add(14*day))
		if err != nil || len(got) != 1 || got[0].Name != "this week" {
			t.Fatalf("calendar: %+v %v", got, err)
		}
		if _, err := f.svc.Calendar(opCtx(), start, start); !isField(err, "to") {
			t.Fatalf("empty range: %v", err)
		}
	})
}

func TestPricer_SegmentsAndFirstOrderComeFromTheBuyer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		_, dress := f.sku("D1", f.dress, 20000, 5)
		f.schedule(promo.Promotion{Name: "老客回归", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 3000, Segments: []string{"at_risk"}})
		f.schedule(promo.Promotion{Name: "新人首单", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000, FirstOrderOnly: true})
		cs := &customer.Service{DB: d}
		old, err := cs.Create(ctx, customer.Profile{Name: "老王", Phone: "13700137000"})
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := cs.Create(ctx, customer.Profile{Name: "小李", Phone: "13600136000"})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`INSERT INTO rfm_runs (id, as_of, method, customers, new_days, dormant_after_days, churned_after_days, thresholds_derived, took_ms, created_at)
				VALUES (1, 1, 'quintiles', 1, 30, 90, 180, TRUE, 1, 1)`, nil},
			{`INSERT INTO rfm_current (customer_id, run_id, last_paid_at, frequency, monetary, r, f, m, segment, stage)
				VALUES ($1, 1, 0, 3, 50000, 1, 3, 3, 'at_risk', 'dormant')`, []any{old.ID}},
			{`UPDATE customers SET first_paid_day = 20260101 WHERE id = $1`, []any{old.ID}},
		} {
			if _, err := d.Exec(ctx, st.q, st.args...); err != nil {
				t.Fatal(err)
			}
		}
		price := func(customerID int64) int64 {
			q, err := f.pricer.Price(ctx, price.Request{CustomerID: customerID, Lines: []price.Line{{SKUID: dress, Quantity: 1}}, At: start})
			if err != nil {
				t.Fatal(err)
			}
			return q.Discount
		}
		if got := price(old.ID); got != 3000 {
			t.Errorf("at-risk returning customer: discount %d, want 3000", got)
		}
		if got := price(fresh.ID); got != 1000 {
			t.Errorf("new customer: discount %d, want 1000 (first order)", got)
		}
		if got := price(0); got != 1000 {
			t.Errorf("guest: discount %d, want 1000 (a guest has no paid order)", got)
		}
	})
}
