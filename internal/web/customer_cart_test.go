package web

import (
	"context"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/promotion"
)

// The customer page shows the customer's cart as the storefront prices it
// and how many of their points it would take (customer service answers
// "how many points can I use?"); a customer with an empty cart has no card.
func TestCustomerPage_CartWithPointsOffer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("kefu", auth.RoleOperator)
		f.seedOrders()
		s := f.login("kefu")
		ctx := context.Background()
		pts := &points.Service{DB: d}
		f.console.Carts = &cart.Service{DB: d, Pricer: &promotion.Pricer{DB: d, Points: pts}}
		if w := f.get("/customers/1", s); w.Code != 200 || strings.Contains(w.Body.String(), `id="customer-cart"`) {
			t.Fatalf("empty cart: %d", w.Code)
		}
		p, err := f.console.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "帆布包", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "BAG-1", ListPrice: 10000}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.console.Carts.Add(ctx, cart.Owner{CustomerID: 1}, p.SKUs[0].ID, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := pts.Adjust(audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: 1, Name: "kefu"}), 1, points.AdjustInput{Points: 6000, Reason: "补偿"}); err != nil {
			t.Fatal(err)
		}
		w := f.get("/customers/1", s)
		mustContain(t, w.Body.String(), `id="customer-cart"`, "BAG-1", `data-usable="5000"`, "可用 5,000 积分（共 6,000）抵扣 ¥50.00", "100 积分 = ¥1")
	})
}
