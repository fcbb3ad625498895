package order_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/settings"
)

// lineDiscount takes off each line of SKU sku a fixed amount, so that
// line totals do not split evenly over their units.
type lineDiscount struct {
	base     price.Pricer
	sku, off int64
}

func (p lineDiscount) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	out, err := p.base.Price(ctx, r)
	if err != nil {
		return out, err
	}
	out.Discount, out.Total = 0, 0
	for i, l := range out.Lines {
		if l.SKUID == p.sku {
			l.Discount = p.off
			l.Total = l.ListPrice*l.Quantity - p.off
			out.Lines[i] = l
		}
		out.Discount += out.Lines[i].Discount
	}
	out.Total = out.ItemsTotal - out.Discount
	return out, nil
}

// paidOrder checks out and pays an order of (sku, quantity) pairs.
func (f *fixture) paidOrder(buyer int64, lines ...int64) order.Order {
	f.t.Helper()
	o := f.checkout(buyer, lines...)
	if _, err := f.svc.Pay(buyerCtx(buyer), buyer, o.ID, order.PayInput{}); err != nil {
		f.t.Fatalf("pay: %v", err)
	}
	o, err := f.svc.Get(context.Background(), o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) shippedOrder(buyer int64, lines ...int64) order.Order {
	f.t.Helper()
	o := f.paidOrder(buyer, lines...)
	o, err := f.svc.Ship(opCtx(), o.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF100"})
	if err != nil {
		f.t.Fatalf("ship: %v", err)
	}
	return o
}

func (f *fixture) open(buyer int64, in order.AfterSaleInput) order.AfterSale {
	f.t.Helper()
	c, err := f.svc.OpenAfterSale(buyerCtx(buyer), buyer, in)
	if err != nil {
		f.t.Fatalf("open after-sales: %v", err)
	}
	return c
}

func (f *fixture) step(what string, c order.AfterSale, err error, want order.AfterSaleStatus) order.AfterSale {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
	if c.Status != want {
		f.t.Fatalf("%s: case is %s, want %s", what, c.Status, want)
	}
	return c
}

func ask(lineID, qty int64) []order.AfterSaleLineInput {
	return []order.AfterSaleLineInput{{OrderLineID: lineID, Quantity: qty}}
}

// moneyAgrees checks, for every order, that refunded_total is the sum of
// its refunds, the sandbox payment gave back as much, no line refunds more
// than it sold, and no line holds more than is left; plus the stock ledger.
func (f *fixture) moneyAgrees() {
	f.t.Helper()
	f.invariants()
	if n := f.count(`SELECT COUNT(*) FROM orders o WHERE o.refunded_total <> COALESCE((SELECT SUM(amount) FROM refunds r WHERE r.order_id = o.id), 0)`); n != 0 {
		f.t.Errorf("%d orders' refunded_total differs from their refunds", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM orders o JOIN payments p ON p.order_id = o.id AND p.status = 'succeeded' WHERE p.refunded <> o.refunded_total`); n != 0 {
		f.t.Errorf("%d payments gave back a different amount than their order's refunds", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM order_lines WHERE refunded_quantity + aftersale_quantity > quantity`); n != 0 {
		f.t.Errorf("%d lines refund or hold more units than they sold", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM order_lines l WHERE l.aftersale_quantity <> COALESCE((SELECT SUM(a.quantity) FROM aftersale_lines a
		JOIN aftersale_cases c ON c.id = a.case_id WHERE a.order_line_id = l.id AND c.status IN ('requested', 'approved', 'awaiting_return', 'goods_received')), 0)`); n != 0 {
		f.t.Errorf("%d lines hold other units than their open cases", n)
	}
}

// A refund only on a paid, unshipped order: the units go back on the shelf
// (the sale took them off at payment), the line's discount is shared by
// largest remainder, and refunding the rest returns exactly the order's
// total, shipping included, and closes the order.
func TestAfterSale_RefundOnlyBeforeShippingRestocksAndClosesTheOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		a := f.sku("A", 999, 400, 10)
		b := f.sku("B", 500, 200, 10)
		f.svc.Pricer = lineDiscount{base: price.ListPricer{DB: d}, sku: a, off: 100}
		buyer := f.customer("张三", "13800138000")
		o := f.paidOrder(buyer, a, 3, b, 1)
		// 3 × 999 − 100 + 500 = 3397 goods, under 99 元: 10 元 shipping.
		if o.Total != 4397 || o.ShippingFee != 1000 {
			t.Fatalf("order total %d shipping %d, want 4397 and 1000", o.Total, o.ShippingFee)
		}
		lineA, lineB := o.Lines[0], o.Lines[1]
		if f.level(a).OnHand != 7 {
			t.Fatalf("A on hand %d after paying 3, want 7", f.level(a).OnHand)
		}

		c := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonChangedMind, Lines: ask(lineA.ID, 1)})
		if c.Amount != 966 || c.Status != order.CaseRequested {
			t.Fatalf("quote %d (%s), want 966 requested: 2897 over 3 units, the first carries a remainder 分", c.Amount, c.Status)
		}
		_, err := f.svc.RefundAfterSale(ctx, c.ID, "")
		if !errors.Is(err, order.ErrIllegalCaseTransition) || !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("refund before approval: %v, want an illegal transition (409)", err)
		}
		c, err = f.svc.ApproveAfterSale(ctx, c.ID, "同意退款")
		c = f.step("approve", c, err, order.CaseApproved)
		c, err = f.svc.RefundAfterSale(ctx, c.ID, "")
		c = f.step("refund", c, err, order.CaseRefunded)
		if c.Amount != 966 || c.RefundID == 0 {
			t.Fatalf("refunded %d (refund %d), want 966 with a refunds row", c.Amount, c.RefundID)
		}
		if f.level(a).OnHand != 8 {
			t.Errorf("A on hand %d, want 8: the unshipped unit is back", f.level(a).OnHand)
		}
		o, _ = f.svc.Get(ctx, o.ID)
		if o.RefundedTotal != 966 || o.Status != order.Paid || o.Lines[0].RefundedQuantity != 1 {
			t.Fatalf("order refunded %d, %s, line refunded %d; want 966, paid, 1", o.RefundedTotal, o.Status, o.Lines[0].RefundedQuantity)
		}
		f.moneyAgrees()

		// Units already refunded cannot be asked for again.
		_, err = f.svc.OpenAfterSale(buyerCtx(buyer), buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonOther, Lines: ask(lineA.ID, 3)})
		if !errors.Is(err, order.ErrUnitsClaimed) {
			t.Fatalf("asking 3 of A with 1 refunded: %v, want ErrUnitsClaimed", err)
		}

		rest := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonOther,
			Lines: []order.AfterSaleLineInput{{OrderLineID: lineB.ID, Quantity: 1}, {OrderLineID: lineA.ID, Quantity: 2}}})
		if want := int64(966 + 965 + 500 + 1000); rest.Amount != want {
			t.Fatalf("quote for the rest %d, want %d (units 2–3 of A, B, shipping)", rest.Amount, want)
		}
		rest, err = f.svc.ApproveAfterSale(ctx, rest.ID, "")
		f.step("approve", rest, err, order.CaseApproved)
		rest, err = f.svc.RefundAfterSale(ctx, rest.ID, "")
		f.step("refund", rest, err, order.CaseRefunded)
		o, _ = f.svc.Get(ctx, o.ID)
		if o.RefundedTotal != o.Total || o.Status != order.Closed || o.CancelledAt == nil {
			t.Fatalf("order refunded %d of %d, %s; want all of it and closed", o.RefundedTotal, o.Total, o.Status)
		}
		if got := o.Events[len(o.Events)-1]; got.Action != order.ActionRefund || got.From != string(order.Paid) || got.To != order.Closed {
			t.Errorf("last order event %+v, want refund paid → closed", got)
		}
		if f.level(a).OnHand != 10 || f.level(b).OnHand != 10 {
			t.Errorf("on hand A %d B %d, want 10 and 10", f.level(a).OnHand, f.level(b).OnHand)
		}
		p, _, _ := payment.Live(context.Background(), d, o.ID)
		if p.Refunded != o.Total {
			t.Errorf("payment refunded %d, want %d", p.Refunded, o.Total)
		}
		rest, err = f.svc.CloseAfterSale(ctx, rest.ID, "完成")
		f.step("close", rest, err, order.CaseClosed)
		if len(rest.Events) != 4 || rest.Events[1].ActorName != "小王" || rest.Events[0].ActorKind != "customer" {
			t.Errorf("events %+v, want open (customer), approve, refund, close (小王)", rest.Events)
		}
		f.moneyAgrees()
	})
}

// Return and refund after shipping: stock comes back when the warehouse
// receives the goods, not before; the money after that; the shipping fee
// stays with the shop and the order keeps its status.
func TestAfterSale_ReturnRefundRestocksOnlyWhenGoodsAreReceived(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		a := f.sku("A", 3000, 1000, 5)
		buyer := f.customer("张三", "13800138000")
		o := f.shippedOrder(buyer, a, 2) // 60 元 < 99: shipping 10 元
		c := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.ReturnRefund, Reason: order.ReasonSize, Lines: ask(o.Lines[0].ID, 2)})
		if c.Amount != 6000 {
			t.Fatalf("quote %d, want 6000 (no shipping after shipping)", c.Amount)
		}
		c, err := f.svc.ApproveAfterSale(ctx, c.ID, "")
		c = f.step("approve", c, err, order.CaseApproved)
		if _, err := f.svc.RefundAfterSale(ctx, c.ID, ""); !errors.Is(err, order.ErrIllegalCaseTransition) {
			t.Fatalf("refund before the goods are back: %v, want refused", err)
		}
		c, err = f.svc.ReturnSent(buyerCtx(buyer), buyer, c.ID, order.ShipInput{Carrier: "中通快递", TrackingNo: "ZT1"})
		c = f.step("return sent", c, err, order.CaseAwaitingReturn)
		if f.level(a).OnHand != 3 {
			t.Fatalf("on hand %d while the parcel travels back, want 3", f.level(a).OnHand)
		}
		c, err = f.svc.ReceiveReturn(ctx, c.ID, "完好")
		c = f.step("receive", c, err, order.CaseGoodsReceived)
		if f.level(a).OnHand != 5 {
			t.Fatalf("on hand %d after receiving 2, want 5", f.level(a).OnHand)
		}
		c, err = f.svc.RefundAfterSale(ctx, c.ID, "")
		f.step("refund", c, err, order.CaseRefunded)
		if f.level(a).OnHand != 5 {
			t.Errorf("on hand %d, want 5: a return restocks once", f.level(a).OnHand)
		}
		o, _ = f.svc.Get(ctx, o.ID)
		if o.RefundedTotal != 6000 || o.Status != order.Shipped {
			t.Errorf("order refunded %d, %s; want 6000, still shipped", o.RefundedTotal, o.Status)
		}
		f.moneyAgrees()
	})
}

// Exchange: returned units come back, replacement units leave as a sale;
// an empty shelf refuses the replacement and changes nothing.
func TestAfterSale_ExchangeShipsTheReplacement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		p, err := f.cat.CreateProduct(ctx, catalog.ProductInput{Title: "T恤", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "TM", Spec: "M", ListPrice: 9900, CostPrice: 3000}, {Code: "TL", Spec: "L", ListPrice: 9900, CostPrice: 3000}}})
		if err != nil {
			t.Fatal(err)
		}
		m, l := p.SKUs[0].ID, p.SKUs[1].ID
		if _, err := f.inv.Adjust(ctx, m, 1, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		other := f.sku("X", 100, 10, 1)
		buyer := f.customer("张三", "13800138000")
		o := f.shippedOrder(buyer, m, 1)
		if _, err := f.svc.OpenAfterSale(buyerCtx(buyer), buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.Exchange, Reason: order.ReasonSize,
			Lines: []order.AfterSaleLineInput{{OrderLineID: o.Lines[0].ID, Quantity: 1, ReplacementSKUID: other}}}); !isField(err, "lines[0].replacement_sku_id") {
			t.Fatalf("replacement from another product: %v, want a field error", err)
		}
		c := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.Exchange, Reason: order.ReasonSize,
			Lines: []order.AfterSaleLineInput{{OrderLineID: o.Lines[0].ID, Quantity: 1, ReplacementSKUID: l}}})
		if c.Amount != 0 || c.Lines[0].ReplacementSKUID != l {
			t.Fatalf("exchange %+v, want no money and L as replacement", c)
		}
		c, err = f.svc.ApproveAfterSale(ctx, c.ID, "")
		f.step("approve", c, err, order.CaseApproved)
		c, err = f.svc.ReceiveReturn(ctx, c.ID, "")
		f.step("receive", c, err, order.CaseGoodsReceived)
		if f.level(m).OnHand != 1 {
			t.Fatalf("M on hand %d after the return, want 1", f.level(m).OnHand)
		}
		ship := order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF200"}
		if _, err := f.svc.ShipExchange(ctx, c.ID, ship); !errors.Is(err, inventory.ErrOutOfStock) {
			t.Fatalf("replacement L with none in stock: %v, want ErrOutOfStock", err)
		}
		if c, _ = f.svc.GetAfterSale(ctx, c.ID); c.Status != order.CaseGoodsReceived {
			t.Fatalf("case %s after a refused shipment, want goods_received", c.Status)
		}
		if _, err := f.inv.Adjust(ctx, l, 1, inventory.ReasonReceipt, "PO-2", ""); err != nil {
			t.Fatal(err)
		}
		c, err = f.svc.ShipExchange(ctx, c.ID, ship)
		c = f.step("ship exchange", c, err, order.CaseExchanged)
		if c.TrackingNo != "SF200" || f.level(l).OnHand != 0 {
			t.Errorf("tracking %q, L on hand %d; want SF200 and 0", c.TrackingNo, f.level(l).OnHand)
		}
		o, _ = f.svc.Get(ctx, o.ID)
		if o.RefundedTotal != 0 || o.Lines[0].RefundedQuantity != 0 {
			t.Errorf("an exchange refunded %d / %d units", o.RefundedTotal, o.Lines[0].RefundedQuantity)
		}
		f.moneyAgrees()
	})
}

// Two buyers' sessions (or two tabs) asking for the last unit at once: one
// case opens, the other is refused, and a refund never exceeds the line.
func TestAfterSale_ConcurrentRequestsForTheLastUnit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.sku("A", 1000, 100, 5)
		buyer := f.customer("张三", "13800138000")
		o := f.shippedOrder(buyer, a, 2)
		first := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonQuality, Lines: ask(o.Lines[0].ID, 1)})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.svc.OpenAfterSale(buyerCtx(buyer), buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly,
					Reason: order.ReasonQuality, Lines: ask(o.Lines[0].ID, 1)})
			}()
		}
		wg.Wait()
		won, lost := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, order.ErrUnitsClaimed):
				lost++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("%d won, %d refused; want exactly one of each", won, lost)
		}
		if _, err := f.svc.OpenAfterSale(buyerCtx(buyer), buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly,
			Reason: order.ReasonQuality, Lines: ask(o.Lines[0].ID, 3)}); !isField(err, "lines[0].quantity") {
			t.Fatalf("asking 3 of a line of 2: %v, want a field error on lines[0].quantity", err)
		}
		// Rejecting frees the unit for a new request.
		if _, err := f.svc.RejectAfterSale(opCtx(), first.ID, "已影响二次销售"); err != nil {
			t.Fatal(err)
		}
		f.moneyAgrees()
		last := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonOther, Lines: ask(o.Lines[0].ID, 1)})
		f.moneyAgrees()

		// Two operators refunding the same case at once pay it once.
		for _, id := range []int64{last.ID, openQualityCase(t, f, o.ID)} {
			if _, err := f.svc.ApproveAfterSale(opCtx(), id, ""); err != nil {
				t.Fatal(err)
			}
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.svc.RefundAfterSale(opCtx(), id, "")
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), apperr.ErrConflict) {
				t.Fatalf("two refunds of case %d: %v; want one paid and one 409", id, errs)
			}
		}
		got, _ := f.svc.Get(context.Background(), o.ID)
		if got.RefundedTotal != 2000 || got.Lines[0].RefundedQuantity != 2 || f.count(`SELECT COUNT(*) FROM refunds`) != 2 {
			t.Errorf("refunded %d for %d units in %d refunds; want 2000 for 2 in 2", got.RefundedTotal, got.Lines[0].RefundedQuantity, f.count(`SELECT COUNT(*) FROM refunds`))
		}
		f.moneyAgrees()
	})
}

// openQualityCase is the case the winner of the concurrent requests opened:
// the quality complaint still requested.
func openQualityCase(t *testing.T, f *fixture, orderID int64) int64 {
	t.Helper()
	cs, _, err := f.svc.ListAfterSales(context.Background(), order.AfterSaleFilter{OrderID: orderID, Status: string(order.CaseRequested)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Reason == order.ReasonQuality {
			return c.ID
		}
	}
	t.Fatalf("no open quality case on order %d", orderID)
	return 0
}

// A quality complaint is due 48 h after it was opened, others after the
// store's default; OverdueAfterSales and the case's overdue flag show the
// late ones until they are handled.
func TestAfterSale_QualityComplaintIsOverdueAfter48Hours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		a := f.sku("A", 1000, 100, 5)
		buyer := f.customer("张三", "13800138000")
		o := f.shippedOrder(buyer, a, 3)
		opened := f.clock.Now()
		q := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.ReturnRefund, Reason: order.ReasonQuality, Lines: ask(o.Lines[0].ID, 1)})
		other := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.ReturnRefund, Reason: order.ReasonSize, Lines: ask(o.Lines[0].ID, 1)})
		if !q.DueAt.Equal(opened.Add(48*time.Hour)) || !other.DueAt.Equal(opened.Add(72*time.Hour)) {
			t.Fatalf("due %v and %v, want 48 h and 72 h after %v", q.DueAt, other.DueAt, opened)
		}
		if _, err := d.Exec(context.Background(), `INSERT INTO store_settings (key, value, updated_at) VALUES ('aftersale.due_hours', '24', 0)`); err != nil {
			t.Fatal(err)
		}
		short := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonNotAsDescribed, Lines: ask(o.Lines[0].ID, 1)})
		if !short.DueAt.Equal(opened.Add(24 * time.Hour)) {
			t.Fatalf("due %v with aftersale.due_hours = 24, want %v", short.DueAt, opened.Add(24*time.Hour))
		}
		ids := func(cs []order.AfterSale) []int64 {
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		late, err := f.svc.OverdueAfterSales(context.Background(), opened.Add(47*time.Hour))
		if err != nil || len(late) != 1 || late[0].ID != short.ID {
			t.Fatalf("overdue at 47 h: %v, %v; want only the 24 h case", ids(late), err)
		}
		f.clock.Add(49 * time.Hour)
		late, _ = f.svc.OverdueAfterSales(context.Background(), f.clock.Now())
		if len(late) != 2 || late[0].ID != short.ID || late[1].ID != q.ID || !late[1].Overdue {
			t.Fatalf("overdue at 49 h: %v, want the 24 h case then the quality complaint", ids(late))
		}
		if got, _ := f.svc.GetAfterSale(ctx, q.ID); !got.Overdue {
			t.Error("the quality complaint at 49 h does not say overdue")
		}
		list, _, err := f.svc.ListAfterSales(ctx, order.AfterSaleFilter{Overdue: true, Kind: string(order.ReturnRefund)})
		if err != nil || len(list) != 1 || list[0].ID != q.ID {
			t.Fatalf("list overdue return_refund: %v, %v; want the quality complaint", ids(list), err)
		}
		if _, err := f.svc.ApproveAfterSale(ctx, q.ID, ""); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.GetAfterSale(ctx, q.ID)
		if got.Overdue || got.HandledAt == nil || !got.HandledAt.Equal(f.clock.Now()) {
			t.Errorf("approved complaint: overdue %v, handled %v; want handled now and not overdue", got.Overdue, got.HandledAt)
		}
		if _, _, err := f.svc.ListAfterSales(ctx, order.AfterSaleFilter{Status: "lost"}); !isField(err, "status") {
			t.Errorf("status filter lost: %v, want a field error", err)
		}
	})
}

// A buyer sees and acts on their own cases only: another's order or case
// is not found, exactly like a missing one.
func TestAfterSale_AnotherBuyersCaseIsNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.sku("A", 1000, 100, 5)
		owner := f.customer("张三", "13800138000")
		stranger := f.customer("李四", "13900139000")
		o := f.shippedOrder(owner, a, 1)
		in := order.AfterSaleInput{OrderID: o.ID, Kind: order.ReturnRefund, Reason: order.ReasonQuality, Lines: ask(o.Lines[0].ID, 1)}
		if _, err := f.svc.OpenAfterSale(buyerCtx(stranger), stranger, in); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("stranger opens a case on another's order: %v, want not found", err)
		}
		c := f.open(owner, in)
		if _, err := f.svc.GetAfterSaleForCustomer(context.Background(), stranger, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("stranger reads the case: %v, want not found", err)
		}
		if _, err := f.svc.WithdrawAfterSale(buyerCtx(stranger), stranger, c.ID, ""); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("stranger withdraws the case: %v, want not found", err)
		}
		if _, err := f.svc.ApproveAfterSale(opCtx(), c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ReturnSent(buyerCtx(stranger), stranger, c.ID, order.ShipInput{Carrier: "中通", TrackingNo: "Z1"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("stranger posts the return: %v, want not found", err)
		}
		if _, err := f.svc.WithdrawAfterSale(buyerCtx(owner), owner, c.ID, ""); !errors.Is(err, order.ErrIllegalCaseTransition) {
			t.Errorf("owner withdraws an approved case: %v, want refused", err)
		}
		mine, err := f.svc.GetAfterSaleForCustomer(context.Background(), owner, c.ID)
		if err != nil || mine.Status != order.CaseApproved {
			t.Errorf("owner reads the case: %s, %v", mine.Status, err)
		}
		f.moneyAgrees()
	})
}

// The sales rollup sees an after-sales refund on the day it was paid back.
func TestAfterSale_RollupCountsTheRefund(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		a := f.sku("A", 5000, 2000, 5)
		buyer := f.customer("张三", "13800138000")
		o := f.shippedOrder(buyer, a, 2)
		r := &metric.Rollup{DB: d, Now: f.clock.Now}
		if _, err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(3 * 24 * time.Hour)
		c := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonNotReceived, Lines: ask(o.Lines[0].ID, 1)})
		c, _ = f.svc.ApproveAfterSale(ctx, c.ID, "")
		c, err := f.svc.RefundAfterSale(ctx, c.ID, "")
		f.step("refund", c, err, order.CaseRefunded)
		if _, err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		day := settings.Day(f.clock.Now(), shanghai(t))
		for _, rg := range [][2]int64{{day, day}, {o.PaidDay, o.PaidDay}, {o.PaidDay, day}} {
			raw, err := metric.SummarizeRaw(context.Background(), d, rg[0], rg[1])
			if err != nil {
				t.Fatal(err)
			}
			got, err := metric.Summarize(context.Background(), d, rg[0], rg[1])
			if err != nil {
				t.Fatal(err)
			}
			if got != raw {
				t.Errorf("%v: rollup %+v\nraw %+v", rg, got, raw)
			}
		}
		raw, _ := metric.SummarizeRaw(context.Background(), d, day, day)
		if raw.Refunds != 5000 {
			t.Errorf("refunds on %d: %d, want 5000", day, raw.Refunds)
		}
		f.moneyAgrees()
	})
}

func TestAfterSale_CancelWaitsForTheOpenCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		a := f.sku("A", 999, 400, 10)
		buyer := f.customer("张三", "13800138000")
		o := f.paidOrder(buyer, a, 2)
		c := f.open(buyer, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: order.ReasonChangedMind, Lines: ask(o.Lines[0].ID, 1)})
		if _, err := f.svc.Cancel(ctx, o.ID, "顾客不要了"); !errors.Is(err, order.ErrOpenAfterSale) {
			t.Fatalf("Cancel with an open case = %v, want ErrOpenAfterSale", err)
		}
		got, _ := f.svc.Get(ctx, o.ID)
		if got.Status != order.Paid || got.RefundedTotal != 0 {
			t.Fatalf("refused cancel changed the order: %s, refunded %d", got.Status, got.RefundedTotal)
		}
		if _, err := f.svc.CloseAfterSale(ctx, c.ID, "顾客改为取消订单"); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Cancel(ctx, o.ID, "顾客不要了")
		if err != nil || got.RefundedTotal != got.Total {
			t.Fatalf("Cancel after closing the case = %+v, %v; want a full refund", got.Status, err)
		}
		f.moneyAgrees()
	})
}
