package orderevents_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/webhook"
	"github.com/storeops/storeops/internal/webhook/orderevents"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

type event struct {
	Type string            `json:"type"`
	Data orderevents.Order `json:"data"`
}

// An order paid, then another paid and cancelled, then one left unpaid and
// cancelled: the receiver gets exactly the events of those changes, and a
// change that failed (shipping an unpaid order) sends nothing.
func TestHook_OrderChangesBecomeSignedEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		var got []event
		var secret string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), b, time.Now(), time.Hour); err != nil {
				t.Errorf("signature: %v", err)
			}
			var e event
			json.Unmarshal(b, &e)
			got = append(got, e)
		}))
		defer srv.Close()
		hooks := &webhook.Service{DB: d, AllowPrivate: true, Now: func() time.Time { return time.Now().Add(time.Hour) }}
		ep, err := hooks.CreateEndpoint(ctx, webhook.EndpointInput{URL: srv.URL, Events: []string{"order.*"}})
		if err != nil {
			t.Fatal(err)
		}
		secret = ep.Secret

		cat := &catalog.Service{DB: d}
		inv := &inventory.Service{DB: d}
		p, err := cat.CreateProduct(ctx, catalog.ProductInput{Title: "T恤", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "TEE", Spec: "M", ListPrice: 12900, CostPrice: 3000}}})
		if err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		if _, err := inv.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		buyer, err := (&customer.Service{DB: d}).Create(ctx, customer.Profile{Name: "张三", Phone: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		svc := &order.Service{DB: d, Inventory: inv, Hooks: []order.Hook{orderevents.Hook{}}}
		ship := order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}
		place := func() order.Order {
			o, err := svc.Checkout(ctx, order.CheckoutInput{CustomerID: buyer.ID, ShipTo: ship, Lines: []price.Line{{SKUID: sku, Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		a, b, c := place(), place(), place()
		if _, err := svc.Ship(ctx, c.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1"}); err == nil {
			t.Fatal("shipped an unpaid order")
		}
		for _, o := range []order.Order{a, b} {
			if _, err := svc.Pay(ctx, 0, o.ID, order.PayInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Ship(ctx, a.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Cancel(ctx, b.ID, "买家不要了"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Cancel(ctx, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := hooks.DeliverDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		// Deliveries run in parallel: compare as a set, per order.
		want := map[string]string{
			"order.paid/" + a.No: "paid", "order.shipped/" + a.No: "shipped",
			"order.paid/" + b.No: "paid", "order.closed/" + b.No: "closed", "order.refunded/" + b.No: "closed",
			"order.cancelled/" + c.No: "cancelled",
		}
		if len(got) != len(want) {
			t.Fatalf("got %d events %+v, want %d", len(got), got, len(want))
		}
		for _, e := range got {
			k := e.Type + "/" + e.Data.OrderNo
			if st, ok := want[k]; !ok || e.Data.Status != st || e.Data.Total != 12900 || e.Data.Currency == "" {
				t.Errorf("unexpected event %s: %+v", k, e.Data)
			}
			if e.Type == "order.shipped" && (e.Data.Carrier != "顺丰速运" || e.Data.TrackingNo != "SF1") {
				t.Errorf("shipped without its parcel: %+v", e.Data)
			}
			if e.Type == "order.refunded" && e.Data.Refunded != 12900 {
				t.Errorf("refunded %d, want 12900", e.Data.Refunded)
			}
			delete(want, k)
		}
	})
}

// An after-sales refund on a shipped order: the case's steps become
// aftersale.* events and its money an order.refunded, in the transactions
// that made them.
func TestHook_AfterSaleStepsBecomeEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		hooks := &webhook.Service{DB: d, AllowPrivate: true}
		if _, err := hooks.CreateEndpoint(ctx, webhook.EndpointInput{URL: "http://127.0.0.1:9/hook", Events: []string{"aftersale.*", "order.refunded"}}); err != nil {
			t.Fatal(err)
		}
		cat := &catalog.Service{DB: d}
		inv := &inventory.Service{DB: d}
		p, err := cat.CreateProduct(ctx, catalog.ProductInput{Title: "T恤", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "TEE", Spec: "M", ListPrice: 12900, CostPrice: 3000}}})
		if err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		if _, err := inv.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		buyer, err := (&customer.Service{DB: d}).Create(ctx, customer.Profile{Name: "张三", Phone: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		svc := &order.Service{DB: d, Inventory: inv, Hooks: []order.Hook{orderevents.Hook{}}}
		ship := order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}
		o, err := svc.Checkout(ctx, order.CheckoutInput{CustomerID: buyer.ID, ShipTo: ship, Lines: []price.Line{{SKUID: sku, Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Pay(ctx, 0, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Ship(ctx, o.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1"}); err != nil {
			t.Fatal(err)
		}
		c, err := svc.OpenAfterSale(ctx, buyer.ID, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonNotAsDescribed,
			Lines: []order.AfterSaleLineInput{{OrderLineID: o.Lines[0].ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveAfterSale(ctx, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RefundAfterSale(ctx, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Query(ctx, `SELECT type, payload FROM webhook_events ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var types []string
		for rows.Next() {
			var typ, payload string
			if err := rows.Scan(&typ, &payload); err != nil {
				t.Fatal(err)
			}
			types = append(types, typ)
			if typ == webhook.OrderRefunded {
				var r orderevents.Order
				json.Unmarshal([]byte(payload), &r)
				if r.Refunded != c.Amount || r.RefundedTotal != c.Amount || r.OrderNo != o.No {
					t.Errorf("order.refunded: %+v, want %d refunded", r, c.Amount)
				}
			}
		}
		want := []string{"aftersale.requested", "aftersale.approved", "aftersale.refunded", "order.refunded"}
		if strings.Join(types, ",") != strings.Join(want, ",") {
			t.Errorf("events %v, want %v", types, want)
		}
	})
}
