package app_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
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
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/presale"
)

// As the app wires them, in front of group buys, flash sales and the
// promotions engine: a deposit takes no points, a tail takes them, and
// both orders pay through the ordinary path.
func TestPresales_WiredIntoCheckoutAndPayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		a.Handler()
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		a.API.Presales.Now, a.API.Orders.Now = clock, clock
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
		p, err := a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "精华", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "S-1", ListPrice: 149900, CostPrice: 40000}}})
		if err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		if _, err := a.Inventory.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		ps, err := a.API.Presales.Create(ctx, presale.Input{Name: "双11 预售", SKUID: sku, PresalePrice: 129900, Deposit: 10000,
			DepositValue: 20000, Stock: 5, Windows: presale.Windows{DepositStartsAt: now.Add(-time.Minute), DepositEndsAt: now.Add(time.Hour),
				TailStartsAt: now.Add(2 * time.Hour), TailEndsAt: now.Add(3 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := a.Customers.Create(ctx, customer.Profile{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (&points.Service{DB: d}).Adjust(ctx, c.ID, points.AdjustInput{Points: 1000, Reason: "开业赠送"}); err != nil {
			t.Fatal(err)
		}
		ship := order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}
		in := presale.DepositInput{CustomerID: c.ID, ShipTo: ship, Points: 1000}
		in.Lines = append(in.Lines, priceLine(sku, 1))
		if _, _, err := a.API.Presales.Deposit(context.Background(), ps.ID, in); err == nil {
			t.Fatal("a deposit took points")
		}
		in.Points = 0
		dep, do, err := a.API.Presales.Deposit(context.Background(), ps.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.API.Orders.Pay(context.Background(), c.ID, do.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(2*time.Hour + time.Minute)
		mu.Unlock()
		before, _ := points.Balance(ctx, d, c.ID)
		_, to, err := a.API.Presales.PayTail(context.Background(), c.ID, dep.ID, presale.TailInput{Points: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if to.ItemsTotal-to.DiscountTotal != 109900-1000 {
			t.Fatalf("tail goods %d, want ¥1,099 less ¥10 of points", to.ItemsTotal-to.DiscountTotal)
		}
		if after, _ := points.Balance(ctx, d, c.ID); after != before-1000 {
			t.Fatalf("points %d → %d", before, after)
		}
		if _, err := a.API.Orders.Pay(context.Background(), c.ID, to.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := a.API.Presales.DepositFor(ctx, c.ID, dep.ID); got.Status != presale.DepositCompleted {
			t.Fatalf("deposit %s", got.Status)
		}
	})
}

func priceLine(sku, qty int64) price.Line { return price.Line{SKUID: sku, Quantity: qty} }
