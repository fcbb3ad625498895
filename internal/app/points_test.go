package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/points"
)

// As the app wires them, behind the flash-sale pricer: a checkout redeems
// points and payment earns them with the 首购 bonus.
func TestPoints_WiredIntoCheckoutAndPayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		a.Handler()
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
		p, err := a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "D-1", ListPrice: 20000, CostPrice: 10000}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Inventory.Adjust(ctx, p.SKUs[0].ID, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		c, err := a.Customers.Create(ctx, customer.Profile{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		svc := &points.Service{DB: d}
		if _, err := svc.Adjust(ctx, c.ID, points.AdjustInput{Points: 1000, Reason: "开业赠送"}); err != nil {
			t.Fatal(err)
		}
		o, err := a.API.Orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: c.ID, Points: 1000,
			ShipTo: order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"},
			Lines:  []price.Line{{SKUID: p.SKUs[0].ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := points.Balance(ctx, d, c.ID); o.DiscountTotal != 1000 || b != 0 {
			t.Fatalf("checkout: discount %d, balance %d", o.DiscountTotal, b)
		}
		if _, err := a.API.Orders.Pay(context.Background(), c.ID, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		o, _ = a.API.Orders.Get(ctx, o.ID)
		if b, _ := points.Balance(ctx, d, c.ID); b != (o.Total-o.ShippingFee)/100+200 {
			t.Fatalf("paid %d: balance %d", o.Total, b)
		}
	})
}
