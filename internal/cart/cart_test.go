package cart_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
)

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func product(t *testing.T, d *db.DB, code string, listPrice int64, status string) (int64, int64) {
	t.Helper()
	p, err := (&catalog.Service{DB: d}).CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: status,
		SKUs: []catalog.SKUInput{{Code: code, ListPrice: listPrice, CostPrice: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID, p.SKUs[0].ID
}

func quantities(v cart.View) map[int64]int64 {
	out := map[int64]int64{}
	for _, it := range v.Items {
		out[it.SKUID] = it.Quantity
	}
	return out
}

func TestCart_GuestAddChangeRemoveAndMerge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 18, 2, 0, 0, 0, time.UTC)
		s := &cart.Service{DB: d, Pricer: price.ListPricer{DB: d}, Now: func() time.Time { return now }}
		_, tee := product(t, d, "TEE", 5900, catalog.StatusOnSale)
		_, cap := product(t, d, "CAP", 3000, catalog.StatusOnSale)
		offID, off := product(t, d, "OLD", 1000, catalog.StatusOnSale)

		v, err := s.Add(ctx, cart.Owner{}, tee, 2)
		if err != nil || v.Token == "" || v.Total != 11800 {
			t.Fatalf("first add: %+v %v", v, err)
		}
		guest := cart.Owner{Token: v.Token}
		if v, err = s.Add(ctx, guest, tee, 1); err != nil || v.Token != "" || quantities(v)[tee] != 3 {
			t.Fatalf("add again: %+v %v", v, err)
		}
		if _, err = s.Add(ctx, guest, tee, 997); !isField(err, "quantity") {
			t.Errorf("over 999 in all: %v", err)
		}
		if _, err = s.Add(ctx, guest, 424242, 1); !isField(err, "sku_id") {
			t.Errorf("unknown SKU: %v", err)
		}
		if v, err = s.Add(ctx, guest, off, 1); err != nil {
			t.Fatal(err)
		}
		if err := (&catalog.Service{DB: d}).SetStatus(opCtx(), offID, catalog.StatusOffShelf); err != nil {
			t.Fatal(err)
		}
		if _, err = s.Add(ctx, guest, off, 1); !errors.Is(err, price.ErrNotOnSale) {
			t.Errorf("adding an off-shelf SKU: %v", err)
		}
		if v, err = s.SetQuantity(ctx, guest, tee, 1); err != nil || quantities(v)[tee] != 1 {
			t.Fatalf("set quantity: %+v %v", v, err)
		}
		// The off-shelf line stays visible but out of the totals and checkout.
		if v.Total != 5900 || len(v.Items) != 2 || v.Items[1].Available || len(v.Notes) == 0 {
			t.Errorf("view with an off-shelf line: %+v", v)
		}
		if _, lines, _ := s.Lines(ctx, guest); len(lines) != 1 || lines[0].SKUID != tee {
			t.Errorf("checkout lines: %+v", lines)
		}
		if _, err = s.SetQuantity(ctx, guest, cap, 1); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("set quantity of a SKU not in the cart: %v", err)
		}
		if v, err = s.Remove(ctx, guest, off); err != nil || len(v.Items) != 1 {
			t.Fatalf("remove: %+v %v", v, err)
		}

		c, err := (&customer.Service{DB: d}).Create(opCtx(), customer.Profile{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		mine := cart.Owner{CustomerID: c.ID}
		if _, err = s.Add(ctx, mine, tee, 2); err != nil {
			t.Fatal(err)
		}
		if _, err = s.Add(ctx, mine, cap, 1); err != nil {
			t.Fatal(err)
		}
		v, err = s.Merge(ctx, guest.Token, c.ID)
		if got := quantities(v); err != nil || got[tee] != 3 || got[cap] != 1 || len(got) != 2 {
			t.Fatalf("merged: %v %v", got, err)
		}
		if v, _ := s.Get(ctx, guest); len(v.Items) != 0 {
			t.Errorf("the guest cart survived the merge: %+v", v)
		}
		id, _, _ := s.Lines(ctx, mine)
		if err := cart.RemoveBought(ctx, d, id, []price.Line{{SKUID: tee, Quantity: 2}, {SKUID: cap, Quantity: 1}}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Get(ctx, mine); len(v.Items) != 1 || quantities(v)[tee] != 1 {
			t.Errorf("after buying part: %+v", quantities(v))
		}
	})
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}
