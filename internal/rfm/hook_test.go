package rfm

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// storedAggregates reads rfm_customers and rfm_gaps as the hook left them.
func storedAggregates(t *testing.T, d *db.DB) ([]Customer, []lifecycle.Gap) {
	t.Helper()
	ctx := context.Background()
	rows, err := d.Query(ctx, `SELECT customer_id, first_paid_at, last_paid_at, frequency, monetary FROM rfm_customers ORDER BY customer_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cs []Customer
	for rows.Next() {
		var c Customer
		if err := rows.Scan(&c.ID, &c.FirstPaidAt, &c.LastPaidAt, &c.Frequency, &c.Monetary); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	gaps, err := storedGaps(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	return cs, gaps
}

// TestHook_AggregatesEqualACountFromTheOrders pays, cancels, closes and
// refunds orders through the order service with the hook, and compares
// the aggregates it kept with a count from scratch.
func TestHook_AggregatesEqualACountFromTheOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
		clock := &testClock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}
		inv := &inventory.Service{DB: d, Now: clock.Now}
		p, err := (&catalog.Service{DB: d, Now: clock.Now}).CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "D-1", Spec: "M", ListPrice: 19900, CostPrice: 9000}}})
		if err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		if _, err := inv.Adjust(ctx, sku, 1000, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		orders := &order.Service{DB: d, Inventory: inv, Now: clock.Now, Hooks: []order.Hook{Hook{}}}
		custs := &customer.Service{DB: d, Now: clock.Now}
		var buyers []int64
		for _, name := range []string{"张三", "李四", "王五", "赵六"} {
			c, err := custs.Create(ctx, customer.Profile{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			buyers = append(buyers, c.ID)
		}
		ship := order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}
		buy := func(buyer, qty int64, pay bool) order.Order {
			t.Helper()
			o, err := orders.Checkout(ctx, order.CheckoutInput{CustomerID: buyer, ShipTo: ship, Lines: []price.Line{{SKUID: sku, Quantity: qty}}})
			if err != nil {
				t.Fatal(err)
			}
			if pay {
				if _, err := orders.Pay(ctx, buyer, o.ID, order.PayInput{}); err != nil {
					t.Fatal(err)
				}
				if o, err = orders.Get(ctx, o.ID); err != nil {
					t.Fatal(err)
				}
			}
			return o
		}
		// The first buyer pays on days 0, 0 (one purchase day), 3 and 10;
		// the second pays once and the order is closed (refunded in
		// full); the third cancels an unpaid order, gets one unit of two
		// refunded after sales and buys again; the fourth pays on days 3
		// and 10.
		buy(buyers[0], 1, true)
		buy(buyers[0], 2, true)
		closed := buy(buyers[1], 1, true)
		unpaid := buy(buyers[2], 1, false)
		clock.Add(3 * 24 * time.Hour)
		buy(buyers[0], 1, true)
		buy(buyers[3], 1, true)
		if _, err := orders.Cancel(ctx, unpaid.ID, "买错了"); err != nil {
			t.Fatal(err)
		}
		if _, err := orders.Cancel(ctx, closed.ID, "不要了"); err != nil {
			t.Fatal(err)
		}
		returned := buy(buyers[2], 2, true)
		c, err := orders.OpenAfterSale(ctx, buyers[2], order.AfterSaleInput{OrderID: returned.ID, Kind: order.RefundOnly, Reason: order.ReasonNotAsDescribed,
			Lines: []order.AfterSaleLineInput{{OrderLineID: returned.Lines[0].ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orders.ApproveAfterSale(ctx, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := orders.RefundAfterSale(ctx, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		clock.Add(7 * 24 * time.Hour)
		buy(buyers[0], 1, true)
		buy(buyers[3], 1, true)
		buy(buyers[2], 1, true)

		got, gotGaps := storedAggregates(t, d)
		want, wantGaps, err := Aggregate(ctx, d, 0, clock.Now().Add(time.Hour).UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].RecencyDays = 0
		}
		slices.SortFunc(wantGaps, func(a, b lifecycle.Gap) int { return int(a.Days - b.Days) })
		if !slices.Equal(got, want) {
			t.Errorf("aggregates kept by the hook:\n%+v\ncounted from the orders:\n%+v", got, want)
		}
		if !slices.Equal(gotGaps, wantGaps) {
			t.Errorf("gaps kept by the hook %v, counted from the orders %v", gotGaps, wantGaps)
		}
		if len(want) != 4 || want[1].Monetary != 0 || want[2].Monetary != 2*19900 {
			t.Errorf("the scenario did not happen as planned: %+v", want)
		}
		current, err := aggregatesCurrent(ctx, d)
		if err != nil || !current {
			t.Errorf("after orders moved only through the service the aggregates are current=%v (%v), want true", current, err)
		}

		// An order written around the service (stamped with the time of
		// the write, as imports and order sync do) makes them stale, and
		// the next computation rebuilds them.
		clock.Add(time.Minute)
		if _, err := d.Exec(ctx, `UPDATE orders SET refunded_total = total, updated_at = $2 WHERE id = $1`, returned.ID, clock.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		if current, err := aggregatesCurrent(ctx, d); err != nil || current {
			t.Fatalf("after a write around the hook: current=%v (%v), want false", current, err)
		}
		s := &Service{DB: d}
		res, err := s.Compute(ctx, clock.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.Customers[2].Monetary != 19900 {
			t.Errorf("after the rebuild customer 3 spent %d, want 19900", res.Customers[2].Monetary)
		}
		if current, err := aggregatesCurrent(ctx, d); err != nil || !current {
			t.Errorf("after the rebuild: current=%v (%v), want true", current, err)
		}
	})
}
