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

// freePricer waives shipping, as a member tier does.
type freePricer struct{ d *db.DB }

func (f freePricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	p, err := price.ListPricer{DB: f.d}.Price(ctx, r)
	p.FreeShipping = true
	return p, err
}

// A pricer can waive shipping (a tier's benefit): the order charges none
// even under the free-shipping threshold.
func TestCheckout_PricerWaivesShipping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cheap := f.sku("CHEAP", 990, 300, 5)
		c := f.customer("赵六", "13600136000")
		if o := f.checkout(c, cheap, 1); o.ShippingFee == 0 {
			t.Fatalf("a ¥9.90 order ships free without a waiver: %+v", o)
		}
		f.svc.Pricer = freePricer{d: d}
		if o := f.checkout(c, cheap, 1); o.ShippingFee != 0 || o.Total != 990 {
			t.Errorf("waived: fee %d, total %d", o.ShippingFee, o.Total)
		}
	})
}
