package event_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/event/eventtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// shop is an order service with the purchase recorder hooked in, and one
// SKU in stock.
type shop struct {
	orders *order.Service
	sku    int64
	buyer  int64
}

func newShop(t *testing.T, d *db.DB, stock int64) shop {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "test"})
	clock := func() time.Time { return now }
	cat := &catalog.Service{DB: d, Now: clock}
	p, err := cat.CreateProduct(ctx, catalog.ProductInput{Title: "围巾", Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: "SCARF", Spec: "默认", ListPrice: 12900, CostPrice: 4000}}})
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{DB: d, Now: clock}
	if _, err := inv.Adjust(ctx, p.SKUs[0].ID, stock, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		t.Fatal(err)
	}
	c, err := (&customer.Service{DB: d, Now: clock}).Create(ctx, customer.Profile{Name: "李四", Phone: "13900139000"})
	if err != nil {
		t.Fatal(err)
	}
	return shop{orders: &order.Service{DB: d, Inventory: inv, Now: clock, Hooks: []order.Hook{event.PurchaseRecorder{}}},
		sku: p.SKUs[0].ID, buyer: c.ID}
}

func (s shop) buy(t *testing.T, channel string, pay bool) order.Order {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: s.buyer, Name: "李四"})
	o, err := s.orders.Checkout(ctx, order.CheckoutInput{CustomerID: s.buyer, Channel: channel,
		Lines:  []price.Line{{SKUID: s.sku, Quantity: 1}},
		ShipTo: order.ShipTo{Recipient: "李四", Phone: "13900139000", Province: "浙江", City: "杭州", District: "西湖区", Detail: "文三路 1 号"}})
	if err != nil {
		t.Fatal(err)
	}
	if pay {
		if _, err := s.orders.Pay(ctx, s.buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func TestPurchaseRecorder_PaidOrderIsOnePurchaseEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, 10)
		paid := s.buy(t, "live", true)
		unpaid := s.buy(t, "search", false)

		var day, customerID int64
		var channel, anon, orderNo string
		eventtest.Copy(t, d)
		err := d.QueryRow(context.Background(), `SELECT day, customer_id, channel, anonymous_id, order_no FROM stored_events
			WHERE event_id = $1 AND type = 'purchase'`, event.PurchaseEventID(paid.No)).Scan(&day, &customerID, &channel, &anon, &orderNo)
		if err != nil {
			t.Fatalf("purchase event of %s: %v", paid.No, err)
		}
		if day != today || customerID != s.buyer || channel != "live" || orderNo != paid.No || anon != event.ServerAnonymousPrefix+paid.No {
			t.Errorf("event: day %d customer %d channel %q anon %q order %q", day, customerID, channel, anon, orderNo)
		}
		if n := countEvents(t, d, "order_no = $1", unpaid.No); n != 0 {
			t.Errorf("an unpaid order has %d purchase events", n)
		}
		// The page reports the same purchase afterwards: still one event,
		// and the order counts once in the day's figures.
		c := newCollector(d)
		body := fmt.Sprintf(`{"type":"purchase","anonymous_id":"anon-9","customer_id":%d,"order_no":%q}`, s.buyer, paid.No)
		if w := post(t, c, "application/json", browserUA, body); w.Code != http.StatusNoContent {
			t.Fatalf("collect: %d %s", w.Code, w.Body)
		}
		flush(t, c)
		if n := countEvents(t, d, "type = 'purchase'"); n != 1 {
			t.Errorf("%d purchase events after the page reported it too, want 1", n)
		}
	})
}

// The page's purchase event arrives before the payment is confirmed (the
// thank-you page loads first): the server's insert is skipped and the
// payment still goes through.
func TestPurchaseRecorder_PageFirstThenPaymentKeepsOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, 10)
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: s.buyer, Name: "李四"})
		o := s.buy(t, "ads", false)
		c := newCollector(d)
		body := fmt.Sprintf(`{"type":"purchase","anonymous_id":"anon-7","order_no":%q,"utm_medium":"cpc"}`, o.No)
		post(t, c, "text/plain", browserUA, body)
		flush(t, c)
		if _, err := s.orders.Pay(ctx, s.buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatalf("pay after the page's purchase event: %v", err)
		}
		if n := countEvents(t, d, "type = 'purchase'"); n != 1 {
			t.Fatalf("%d purchase events, want 1", n)
		}
		if n := countEvents(t, d, "anonymous_id = 'anon-7' AND channel = 'ads'"); n != 1 {
			t.Errorf("the page's event (with the visitor and channel) should stand")
		}
	})
}

// Buyers paying at the same time each get their purchase event; the hook
// adds no conflict between them.
func TestPurchaseRecorder_ConcurrentPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, 50)
		var orders []order.Order
		for range 12 {
			orders = append(orders, s.buy(t, "community", false))
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: s.buyer, Name: "李四"})
		var wg sync.WaitGroup
		errs := make(chan error, len(orders))
		for _, o := range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.orders.Pay(ctx, s.buyer, o.ID, order.PayInput{}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := countEvents(t, d, "type = 'purchase' AND channel = 'community'"); n != int64(len(orders)) {
			t.Errorf("%d purchase events for %d paid orders", n, len(orders))
		}
	})
}
