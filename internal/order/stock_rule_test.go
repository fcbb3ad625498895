package order_test

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// stockRulePricer prices at list and marks every line with one stock rule,
// as a presale's pricer marks its deposit (none) and tail (pool) lines.
type stockRulePricer struct {
	d    *db.DB
	rule string
}

func (p stockRulePricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	out, err := price.List(ctx, p.d, r.Lines)
	for i := range out.Lines {
		out.Lines[i].Stock = p.rule
	}
	return out, err
}

// A line that moves no goods (a deposit) reserves nothing, sells nothing
// when paid and puts nothing back when refunded.
func TestStockRule_NoneMovesNoGoods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.svc.Pricer = stockRulePricer{d: d, rule: price.StockNone}
		sku := f.sku("DEP-1", 10000, 3000, 5)
		buyer := f.customer("定金买家", "13900000001")
		o := f.checkout(buyer, sku, 2)
		if o.Lines[0].Stock != price.StockNone {
			t.Fatalf("the line's rule was not kept: %+v", o.Lines[0])
		}
		if l := f.level(sku); l.Reserved != 0 || l.OnHand != 5 {
			t.Fatalf("after checkout: %+v", l)
		}
		if _, err := f.svc.Pay(buyerCtx(buyer), buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if l := f.level(sku); l.Reserved != 0 || l.OnHand != 5 {
			t.Fatalf("after payment: %+v", l)
		}
		if _, err := f.svc.Cancel(opCtx(), o.ID, "refund the deposit"); err != nil {
			t.Fatal(err)
		}
		if l := f.level(sku); l.Reserved != 0 || l.OnHand != 5 {
			t.Fatalf("after the refund: %+v", l)
		}
		if got, _ := f.svc.Get(context.Background(), o.ID); got.RefundedTotal != got.Total {
			t.Fatalf("refunded %d of %d", got.RefundedTotal, got.Total)
		}
	})
}

// A line whose units a pool holds reserved already is not reserved again
// at checkout nor released when it closes unpaid; paying it sells them.
func TestStockRule_PoolHoldsTheUnits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.svc.Pricer = stockRulePricer{d: d, rule: price.StockPool}
		sku := f.sku("POOL-1", 10000, 3000, 5)
		// The pool: 3 units reserved for it.
		if err := d.InTx(context.Background(), func(tx *db.Tx) error {
			return f.inv.Reserve(context.Background(), tx, sku, 3)
		}); err != nil {
			t.Fatal(err)
		}
		buyer := f.customer("尾款买家", "13900000002")
		o := f.checkout(buyer, sku, 2)
		if l := f.level(sku); l.Reserved != 3 {
			t.Fatalf("after checkout: %+v", l)
		}
		if err := f.svc.CloseUnpaid(opCtx(), o.ID, "unpaid"); err != nil {
			t.Fatal(err)
		}
		if l := f.level(sku); l.Reserved != 3 {
			t.Fatalf("closing released the pool's units: %+v", l)
		}
		o = f.checkout(buyer, sku, 2)
		if _, err := f.svc.Pay(buyerCtx(buyer), buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if l := f.level(sku); l.Reserved != 1 || l.OnHand != 3 {
			t.Fatalf("after payment: %+v", l)
		}
		if bad, err := inventory.CheckLedger(context.Background(), d); err != nil || len(bad) > 0 {
			t.Fatalf("ledger: %v %+v", err, bad)
		}
	})
}

// A base price in the context starts that SKU's line from it instead of
// its list price, for every pricer that lays its discounts over List;
// other SKUs keep their list price.
func TestList_BasePrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.sku("BASE-A", 10000, 3000, 5)
		b := f.sku("BASE-B", 5000, 2000, 5)
		ctx := price.WithBasePrices(context.Background(), map[int64]price.BasePrice{a: {Unit: 6900, Why: "尾款"}})
		p, err := price.List(ctx, d, []price.Line{{SKUID: a, Quantity: 2}, {SKUID: b, Quantity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if l := p.Lines[0]; l.ListPrice != 6900 || l.UnitPrice != 6900 || l.Total != 13800 || l.Explanation[0] != "尾款" {
			t.Fatalf("based line %+v", l)
		}
		if l := p.Lines[1]; l.ListPrice != 5000 || l.Total != 5000 {
			t.Fatalf("other line %+v", l)
		}
		if p.ItemsTotal != 18800 || p.Total != 18800 {
			t.Fatalf("totals %d %d", p.ItemsTotal, p.Total)
		}
		if p, _ := price.List(context.Background(), d, []price.Line{{SKUID: a, Quantity: 1}}); p.Lines[0].ListPrice != 10000 {
			t.Fatal("the base price leaked out of its context")
		}
	})
}
