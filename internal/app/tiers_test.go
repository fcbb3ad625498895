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
)

// As the app wires them: a payment earns growth and upgrades at once, and
// the default ladder's discount (made by the job's sync) and free shipping
// price the next order.
func TestTiers_WiredIntoPaymentAndPricing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		a.Handler()
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
		if err := a.API.Tiers.SyncDiscount(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "大衣", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "C-1", ListPrice: 200000, CostPrice: 80000}, {Code: "C-2", ListPrice: 1000, CostPrice: 500}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.SKUs {
			if _, err := a.Inventory.Adjust(ctx, s.ID, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
				t.Fatal(err)
			}
		}
		c, err := a.Customers.Create(ctx, customer.Profile{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		buy := func(sku int64) order.Order {
			t.Helper()
			o, err := a.API.Orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: c.ID,
				ShipTo: order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"},
				Lines:  []price.Line{{SKUID: sku, Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.API.Orders.Pay(context.Background(), c.ID, o.ID, order.PayInput{}); err != nil {
				t.Fatal(err)
			}
			return o
		}
		if o := buy(p.SKUs[0].ID); o.DiscountTotal != 0 {
			t.Fatalf("a normal member got %d off", o.DiscountTotal)
		}
		m, err := a.API.Tiers.Membership(ctx, c.ID)
		if err != nil || m.Tier.Code != "gold" || m.Growth != 2000 || len(m.Changes) != 1 {
			t.Fatalf("after ¥2000: %+v %v", m, err)
		}
		if o := buy(p.SKUs[1].ID); o.DiscountTotal != 50 || o.ShippingFee != 0 {
			t.Fatalf("gold: %d off (want 5%% of ¥10), shipping %d", o.DiscountTotal, o.ShippingFee)
		}
	})
}
