package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/referral"
)

// As the app wires them: an invitee's first payment qualifies the
// invitation through the orders' hooks, and the reward job gives the
// rewards once the holding period is over.
func TestReferrals_WiredIntoPaymentAndTheRewardJob(t *testing.T) {
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
		alice, err := a.Customers.Create(ctx, customer.Profile{Name: "王丽", Phone: "13800000001"})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := a.Customers.Create(ctx, customer.Profile{Name: "李明", Phone: "13900000002"})
		if err != nil {
			t.Fatal(err)
		}
		ref := &referral.Service{DB: d}
		if _, err := ref.SaveProgramme(ctx, referral.Programme{Enabled: true, InviterPoints: 500, HoldingDays: 7, ReviewThreshold: 2}); err != nil {
			t.Fatal(err)
		}
		code, err := ref.Code(ctx, alice.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		v, err := ref.Link(ctx, referral.LinkInput{CustomerID: bob.ID, Code: code})
		if err != nil {
			t.Fatal(err)
		}
		o, err := a.API.Orders.Checkout(context.Background(), order.CheckoutInput{CustomerID: bob.ID,
			ShipTo: order.ShipTo{Recipient: "李明", Phone: "13900000002", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"},
			Lines:  []price.Line{{SKUID: p.SKUs[0].ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.API.Orders.Pay(context.Background(), bob.ID, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if v, _ = ref.Get(ctx, v.ID); v.Status != referral.Paid || v.OrderID != o.ID {
			t.Fatalf("after payment: %+v", v)
		}
		if r, err := ref.GrantDue(ctx, time.Now().Add(8*24*time.Hour)); err != nil || r.Rewarded != 1 {
			t.Fatalf("reward job: %+v %v", r, err)
		}
		if v, _ = ref.Get(ctx, v.ID); v.Status != referral.Rewarded || v.Rewards.InviterPoints != 500 {
			t.Fatalf("after the holding period: %+v", v)
		}
	})
}
