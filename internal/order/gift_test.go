package order_test

import (
	"context"
	"errors"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// giftPricer prices at list and adds one unit of a gift SKU at 0, as a
// gift promotion does.
type giftPricer struct {
	d    *db.DB
	gift int64
}

func (g giftPricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	p, err := price.ListPricer{DB: g.d}.Price(ctx, r)
	if err != nil {
		return p, err
	}
	gl, err := price.List(ctx, g.d, []price.Line{{SKUID: g.gift, Quantity: 1}})
	if err != nil {
		return p, err
	}
	l := gl.Lines[0]
	l.UnitPrice, l.Discount, l.Total, l.Gift, l.Explanation = 0, l.ListPrice, 0, true, []string{"赠品"}
	p.Lines = append(p.Lines, l)
	p.ItemsTotal += l.ListPrice
	p.Discount += l.ListPrice
	p.CostTotal += l.UnitCost
	return p, nil
}

// A gift whose stock ran out since the quote is left out of the order;
// the order itself goes through. An ordinary line out of stock still
// refuses the order.
func TestCheckout_GiftOutOfStockIsLeftOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		buy := f.sku("GIFT-BUY", 30000, 9000, 5)
		gift := f.sku("GIFT-SAMPLE", 1500, 500, 1)
		f.svc.Pricer = giftPricer{d: d, gift: gift}
		c := f.customer("王五", "13700137000")
		o1 := f.checkout(c, buy, 1)
		if len(o1.Lines) != 2 {
			t.Fatalf("first order: %d lines, want the gift too", len(o1.Lines))
		}
		o2 := f.checkout(c, buy, 1)
		if len(o2.Lines) != 1 || o2.Lines[0].SKUID != buy || o2.ItemsTotal != 30000 || o2.DiscountTotal != 0 || o2.CostTotal != 9000 {
			t.Errorf("second order, the gift gone: %+v", o2.Lines)
		}
		if l := f.level(gift); l.Reserved != 1 {
			t.Errorf("gift reserved %d, want 1 (the first order's)", l.Reserved)
		}
		if _, err := f.try(c, buy, 4); !errors.Is(err, inventory.ErrOutOfStock) {
			t.Errorf("4 more of a SKU with 3 left: %v", err)
		}
		if _, err := f.svc.Pay(context.Background(), c, o2.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		f.invariants()
	})
}
