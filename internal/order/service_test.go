package order_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
)

func TestCheckout_RefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ok := f.sku("TEE-M", 5900, 2000, 10)
		draft, err := f.cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "草稿", SKUs: []catalog.SKUInput{{Code: "DRAFT-1", ListPrice: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		many := make([]int64, 0, 202)
		for i := range 101 {
			many = append(many, int64(1000+i), 1)
		}
		cases := []struct {
			name  string
			lines []int64
			field string
			is    error
		}{
			{"no lines", nil, "lines", nil},
			{"zero quantity", []int64{ok, 0}, "lines[0].quantity", nil},
			{"negative quantity", []int64{ok, -2}, "lines[0].quantity", nil},
			{"over 999", []int64{ok, 1000}, "lines[0].quantity", nil},
			{"101 lines", many, "lines", nil},
			{"same SKU twice", []int64{ok, 1, ok, 2}, "lines[1].sku_id", nil},
			{"unknown SKU", []int64{ok, 1, 987654, 1}, "lines[1].sku_id", nil},
			{"not on sale", []int64{draft.SKUs[0].ID, 1}, "", price.ErrNotOnSale},
			{"more than in stock", []int64{ok, 11}, "", inventory.ErrOutOfStock},
		}
		for _, c := range cases {
			_, err := f.try(0, c.lines...)
			switch {
			case err == nil:
				t.Errorf("%s: accepted", c.name)
			case c.field != "" && !isField(err, c.field):
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			case c.is != nil && !errors.Is(err, c.is):
				t.Errorf("%s: %v, want %v", c.name, err, c.is)
			}
		}
		bad := home
		bad.Phone = "123"
		if _, err := f.svc.Checkout(context.Background(), order.CheckoutInput{Lines: []price.Line{{SKUID: ok, Quantity: 1}}, ShipTo: bad}); !isField(err, "ship_to.phone") {
			t.Errorf("bad phone: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM orders`); n != 0 {
			t.Errorf("refused checkouts left %d orders", n)
		}
		if l := f.level(ok); l.Reserved != 0 {
			t.Errorf("refused checkouts reserved %d", l.Reserved)
		}
	})
}

func TestOrderLifecycle_CheckoutPayShipDeliverComplete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		tee := f.sku("TEE-M", 5900, 2000, 10)
		cap := f.sku("CAP-1", 3000, 800, 5)
		buyer := f.customer("张三", "13800138000")

		o := f.checkout(buyer, tee, 2, cap, 1)
		// 2×59 + 30 = 148.00 ≥ 99: free shipping.
		if o.Status != order.PendingPayment || o.ItemsTotal != 14800 || o.ShippingFee != 0 || o.Total != 14800 || o.CostTotal != 4800 {
			t.Fatalf("order: %+v", o)
		}
		if len(o.Lines) != 2 || o.Lines[0].ListPrice != 5900 || o.Lines[0].UnitPrice != 5900 || o.Lines[0].UnitCost != 2000 || o.Lines[0].LineTotal != 11800 {
			t.Fatalf("lines: %+v", o.Lines)
		}
		if o.PayBy == nil || !o.PayBy.Equal(start.Add(30*time.Minute)) || o.ShipTo.Detail != home.Detail {
			t.Errorf("pay by %v, ship to %+v", o.PayBy, o.ShipTo)
		}
		if l := f.level(tee); l.OnHand != 10 || l.Reserved != 2 {
			t.Errorf("after checkout: %+v", l)
		}
		f.invariants()

		small := f.checkout(buyer, cap, 1)
		if small.ShippingFee != 1000 || small.Total != 4000 {
			t.Errorf("30.00 of goods: shipping %d, total %d; want 10.00 and 40.00", small.ShippingFee, small.Total)
		}

		p, err := f.svc.Pay(buyerCtx(buyer), buyer, o.ID, order.PayInput{})
		if err != nil || p.Status != payment.StatusSucceeded || p.Amount != 14800 {
			t.Fatalf("pay: %+v %v", p, err)
		}
		o, _ = f.svc.Get(ctx, o.ID)
		if o.Status != order.Paid || o.PaidDay != 20260618 || o.PaidAt == nil || o.PayBy != nil {
			t.Fatalf("paid order: status %s paid_day %d", o.Status, o.PaidDay)
		}
		if l := f.level(tee); l.OnHand != 8 || l.Reserved != 0 {
			t.Errorf("after pay: %+v", l)
		}
		if n := f.count(`SELECT COUNT(*) FROM stock_movements WHERE reason = 'sale' AND ref = $1`, o.No); n != 2 {
			t.Errorf("%d sale movements under %s, want 2", n, o.No)
		}
		f.invariants()

		if _, err := f.svc.Deliver(ctx, o.ID, ""); !errors.Is(err, order.ErrIllegalTransition) || !strings.Contains(err.Error(), "is paid") {
			t.Errorf("deliver before shipping: %v", err)
		}
		if _, err := f.svc.Ship(ctx, o.ID, order.ShipInput{Carrier: "", TrackingNo: "SF1"}); !isField(err, "carrier") {
			t.Errorf("ship without carrier: %v", err)
		}
		f.clock.Add(time.Hour)
		o, err = f.svc.Ship(ctx, o.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1234567890"})
		if err != nil || o.Status != order.Shipped || o.Carrier != "顺丰速运" || o.TrackingNo != "SF1234567890" || o.ShippedAt == nil {
			t.Fatalf("ship: %+v %v", o, err)
		}
		if _, err := f.svc.Cancel(ctx, o.ID, "不要了"); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "is shipped") {
			t.Errorf("cancel after shipping: %v", err)
		}
		if o, err = f.svc.Deliver(ctx, o.ID, ""); err != nil || o.Status != order.Delivered {
			t.Fatalf("deliver: %v", err)
		}
		if o, err = f.svc.Complete(ctx, o.ID, "确认收货"); err != nil || o.Status != order.Completed || o.CompletedAt == nil {
			t.Fatalf("complete: %v", err)
		}
		var trail []string
		for _, e := range o.Events {
			trail = append(trail, fmt.Sprintf("%s:%s→%s", e.Action, e.From, e.To))
		}
		want := "create:→pending_payment pay:pending_payment→paid ship:paid→shipped deliver:shipped→delivered complete:delivered→completed"
		if strings.Join(trail, " ") != want {
			t.Errorf("events %v\nwant %s", trail, want)
		}
		if o.Events[2].ActorName != "小王" || o.Events[1].ActorKind != "customer" {
			t.Errorf("event actors: %+v", o.Events)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'order' AND entity_id = $1`, fmt.Sprint(o.ID)); n != 5 {
			t.Errorf("%d audit entries for the order, want 5 (create and four moves)", n)
		}
		f.invariants()
	})
}

func TestCancel_UnpaidReleasesPaidRefundsAndRestocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		tee := f.sku("TEE-M", 5900, 2000, 10)
		buyer := f.customer("张三", "13800138000")

		unpaid := f.checkout(buyer, tee, 3)
		o, err := f.svc.Cancel(ctx, unpaid.ID, "拍错了")
		if err != nil || o.Status != order.Cancelled || o.CancelledAt == nil {
			t.Fatalf("cancel unpaid: %v", err)
		}
		if l := f.level(tee); l.OnHand != 10 || l.Reserved != 0 {
			t.Errorf("after cancelling unpaid: %+v", l)
		}

		paid := f.checkout(buyer, tee, 2)
		if _, err := f.svc.Pay(buyerCtx(buyer), buyer, paid.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(2 * time.Hour)
		o, err = f.svc.CancelForCustomer(buyerCtx(buyer), buyer, paid.ID, "不想要了")
		if err != nil || o.Status != order.Closed || o.RefundedTotal != o.Total || o.Lines[0].RefundedQuantity != 2 {
			t.Fatalf("cancel paid: %+v %v", o, err)
		}
		if l := f.level(tee); l.OnHand != 10 || l.Reserved != 0 {
			t.Errorf("after cancelling paid: %+v (the goods should be back)", l)
		}
		if n := f.count(`SELECT COUNT(*) FROM refunds WHERE order_id = $1 AND amount = $2 AND refunded_day = 20260618`, paid.ID, o.Total); n != 1 {
			t.Errorf("%d refunds of the full total on 20260618", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM stock_movements WHERE reason = 'return' AND ref = $1 AND delta = 2`, paid.No); n != 1 {
			t.Errorf("%d return movements", n)
		}
		if o.Payments[0].Refunded != o.Total {
			t.Errorf("payment refunded %d of %d", o.Payments[0].Refunded, o.Total)
		}
		if _, err := f.svc.Cancel(ctx, paid.ID, ""); !errors.Is(err, order.ErrIllegalTransition) || !strings.Contains(err.Error(), "is closed") {
			t.Errorf("cancel twice: %v", err)
		}
		f.invariants()
	})
}

func TestCloseExpired_ReleasesStockOfUnpaidOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tee := f.sku("TEE-M", 5900, 2000, 10)
		old := f.checkout(0, tee, 2)
		oldPaid := f.checkout(0, tee, 1)
		if _, err := f.svc.Pay(context.Background(), 0, oldPaid.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(20 * time.Minute)
		fresh := f.checkout(0, tee, 3)
		f.clock.Add(11 * time.Minute) // old: 31 min, fresh: 11 min

		n, err := f.svc.CloseExpired(context.Background(), f.clock.Now())
		if err != nil || n != 1 {
			t.Fatalf("CloseExpired: %d, %v; want 1", n, err)
		}
		if o, _ := f.svc.Get(context.Background(), old.ID); o.Status != order.Closed || o.Events[len(o.Events)-1].ActorKind != "system" {
			t.Errorf("old order %s, events %+v", o.Status, o.Events)
		}
		for _, id := range []int64{oldPaid.ID, fresh.ID} {
			if o, _ := f.svc.Get(context.Background(), id); o.Status == order.Closed {
				t.Errorf("order %d closed", id)
			}
		}
		if l := f.level(tee); l.OnHand != 9 || l.Reserved != 3 {
			t.Errorf("stock %+v, want 9 on hand, 3 reserved by the fresh order", l)
		}
		if _, err := f.svc.Pay(context.Background(), 0, old.ID, order.PayInput{}); !errors.Is(err, order.ErrIllegalTransition) {
			t.Errorf("paying a closed order: %v", err)
		}
		if n, _ := f.svc.CloseExpired(context.Background(), f.clock.Now()); n != 0 {
			t.Errorf("second run closed %d", n)
		}
		f.invariants()
	})
}

// TestCheckout_NeverOversells: 8 buyers × 25 attempts at one unit each of a
// SKU with 50 in stock sell exactly 50.
func TestCheckout_NeverOversells(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tee := f.sku("HOT-1", 990, 300, 50)
		var sold, refused atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					_, err := f.svc.Checkout(context.Background(), order.CheckoutInput{Lines: []price.Line{{SKUID: tee, Quantity: 1}}, ShipTo: home})
					switch {
					case err == nil:
						sold.Add(1)
					case errors.Is(err, inventory.ErrOutOfStock):
						refused.Add(1)
					default:
						errs <- err
					}
					if l, err := f.inv.Get(context.Background(), tee); err == nil && l.Available < 0 {
						errs <- fmt.Errorf("available %d", l.Available)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if sold.Load() != 50 || refused.Load() != 150 {
			t.Fatalf("sold %d, refused %d; want 50 and 150", sold.Load(), refused.Load())
		}
		if l := f.level(tee); l.Reserved != 50 || l.Available != 0 {
			t.Errorf("stock %+v", l)
		}
		if n := f.count(`SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE sku_id = $1`, tee); n != 50 {
			t.Errorf("%d units ordered", n)
		}
		f.invariants()
	})
}

func TestPay_TwiceChargesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tee := f.sku("TEE-M", 5900, 2000, 10)
		o := f.checkout(0, tee, 1)
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Pay(context.Background(), 0, o.ID, order.PayInput{})
				if err == nil {
					ok.Add(1)
				} else if !errors.Is(err, apperr.ErrConflict) {
					t.Errorf("pay: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Errorf("%d payments succeeded, want 1", ok.Load())
		}
		if n := f.count(`SELECT COUNT(*) FROM payments WHERE order_id = $1`, o.ID); n != 1 {
			t.Errorf("%d payment rows, want 1", n)
		}
		if l := f.level(tee); l.OnHand != 9 || l.Reserved != 0 {
			t.Errorf("stock %+v", l)
		}
		f.invariants()
	})
}

func TestPay_FailedThenRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tee := f.sku("TEE-M", 5900, 2000, 10)
		o := f.checkout(0, tee, 1)
		p, err := f.svc.Pay(context.Background(), 0, o.ID, order.PayInput{Outcome: payment.OutcomeFail})
		if err != nil || p.Status != payment.StatusFailed || p.Failure == "" {
			t.Fatalf("failed payment: %+v %v", p, err)
		}
		if _, err := f.svc.Pay(context.Background(), 0, o.ID, order.PayInput{Outcome: "maybe"}); !isField(err, "outcome") {
			t.Errorf("bad outcome: %v", err)
		}
		if p, err = f.svc.Pay(context.Background(), 0, o.ID, order.PayInput{}); err != nil || p.Status != payment.StatusSucceeded {
			t.Fatalf("retry: %+v %v", p, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, o.ID); n != 1 {
			t.Errorf("%d succeeded payments", n)
		}
		f.invariants()
	})
}

func TestSandboxCallback_SignedOnceFresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tee := f.sku("TEE-M", 5900, 2000, 10)
		o := f.checkout(0, tee, 1)
		p, err := f.svc.Pay(ctx, 0, o.ID, order.PayInput{Outcome: payment.OutcomePending})
		if err != nil || p.Status != payment.StatusPending || p.ProviderRef == "" {
			t.Fatalf("pending payment: %+v %v", p, err)
		}
		if _, err := f.svc.Pay(ctx, 0, o.ID, order.PayInput{}); !errors.Is(err, payment.ErrLivePayment) {
			t.Errorf("second pay while pending: %v", err)
		}
		secret, err := (&payment.Sandbox{DB: d}).Secret(ctx)
		if err != nil || len(secret) != 64 {
			t.Fatalf("secret %q %v", secret, err)
		}
		now := f.clock.Now().Unix()
		body := []byte(`{"ref":"` + p.ProviderRef + `","status":"succeeded","nonce":"n-1"}`)
		call := func(ts int64, sig string, b []byte) error {
			_, err := f.svc.SandboxCallback(ctx, fmt.Sprint(ts), sig, b)
			return err
		}
		if err := call(now, payment.Sign("wrong secret", now, body), body); !errors.Is(err, payment.ErrBadCallback) {
			t.Errorf("bad signature: %v", err)
		}
		tampered := []byte(strings.Replace(string(body), "n-1", "n-2", 1))
		if err := call(now, payment.Sign(secret, now, body), tampered); !errors.Is(err, payment.ErrBadCallback) {
			t.Errorf("tampered body: %v", err)
		}
		stale := now - 6*60
		if err := call(stale, payment.Sign(secret, stale, body), body); !errors.Is(err, payment.ErrBadCallback) || !strings.Contains(err.Error(), "older") {
			t.Errorf("stale callback: %v", err)
		}
		if o, _ := f.svc.Get(ctx, o.ID); o.Status != order.PendingPayment {
			t.Fatalf("refused callbacks changed the order to %s", o.Status)
		}
		if err := call(now, payment.Sign(secret, now, body), body); err != nil {
			t.Fatalf("good callback: %v", err)
		}
		if o, _ := f.svc.Get(ctx, o.ID); o.Status != order.Paid {
			t.Fatalf("after callback: %s", o.Status)
		}
		if err := call(now, payment.Sign(secret, now, body), body); !errors.Is(err, payment.ErrBadCallback) || !strings.Contains(err.Error(), "replayed") {
			t.Errorf("replayed nonce: %v", err)
		}
		if l := f.level(tee); l.OnHand != 9 || l.Reserved != 0 {
			t.Errorf("stock %+v", l)
		}
		f.invariants()
	})
}

// A payment confirmed after its order closed is refunded, not kept.
func TestSandboxCallback_AfterCloseRefunds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tee := f.sku("TEE-M", 5900, 2000, 10)
		o := f.checkout(0, tee, 1)
		p, err := f.svc.Pay(ctx, 0, o.ID, order.PayInput{Outcome: payment.OutcomePending})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(31 * time.Minute)
		if n, err := f.svc.CloseExpired(ctx, f.clock.Now()); n != 1 || err != nil {
			t.Fatalf("close: %d %v", n, err)
		}
		secret, _ := (&payment.Sandbox{DB: d}).Secret(ctx)
		body := []byte(`{"ref":"` + p.ProviderRef + `","status":"succeeded","nonce":"late"}`)
		ts := f.clock.Now().Unix()
		got, err := f.svc.SandboxCallback(ctx, fmt.Sprint(ts), payment.Sign(secret, ts, body), body)
		if err != nil || got.Refunded != got.Amount || got.Status != payment.StatusCancelled {
			t.Fatalf("late success: %+v %v", got, err)
		}
		if o, _ := f.svc.Get(ctx, o.ID); o.Status != order.Closed || o.PaidDay != 0 {
			t.Errorf("order %s paid_day %d", o.Status, o.PaidDay)
		}
		f.invariants()
	})
}

func TestCustomerCannotTouchAnotherCustomersOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tee := f.sku("TEE-M", 5900, 2000, 10)
		alice, bob := f.customer("Alice", "13800138001"), f.customer("Bob", "13800138002")
		o := f.checkout(alice, tee, 1)
		if _, err := f.svc.GetForCustomer(context.Background(), bob, o.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("bob reads alice's order: %v", err)
		}
		if _, err := f.svc.Pay(buyerCtx(bob), bob, o.ID, order.PayInput{}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("bob pays alice's order: %v", err)
		}
		if _, err := f.svc.CancelForCustomer(buyerCtx(bob), bob, o.ID, ""); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("bob cancels alice's order: %v", err)
		}
		if got, err := f.svc.GetForCustomer(context.Background(), alice, o.ID); err != nil || got.ID != o.ID {
			t.Errorf("alice reads her order: %v", err)
		}
		if o, _ := f.svc.Get(context.Background(), o.ID); o.Status != order.PendingPayment || len(o.Payments) != 0 {
			t.Errorf("bob's attempts changed the order: %s, %d payments", o.Status, len(o.Payments))
		}
	})
}

func TestList_Filters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tee := f.sku("TEE-M", 5900, 2000, 50)
		alice := f.customer("Alice", "13800138001")
		a := f.checkout(alice, tee, 1) // 69.00 with shipping
		f.clock.Add(48 * time.Hour)
		b := f.checkout(0, tee, 3) // 177.00
		if _, err := f.svc.Pay(ctx, 0, b.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		ids := func(fl order.Filter) []int64 {
			t.Helper()
			os, _, err := f.svc.List(ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, o := range os {
				out = append(out, o.ID)
			}
			return out
		}
		check := func(name string, got []int64, want ...int64) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("all, newest first", ids(order.Filter{}), b.ID, a.ID)
		check("status", ids(order.Filter{Status: "paid"}), b.ID)
		check("customer", ids(order.Filter{CustomerID: alice}), a.ID)
		check("min total", ids(order.Filter{MinTotal: 10000}), b.ID)
		check("max total", ids(order.Filter{MaxTotal: 10000}), a.ID)
		check("date range", ids(order.Filter{From: start.Add(-time.Hour), To: start.Add(time.Hour)}), a.ID)
		check("channel", ids(order.Filter{Channel: "live"}))
		check("number", ids(order.Filter{No: b.No[10:]}), b.ID)
		if c, err := f.svc.CountByStatus(ctx); err != nil || c[order.Paid] != 1 || c[order.PendingPayment] != 1 || c[order.Shipped] != 0 || len(c) != 8 {
			t.Errorf("counts by status: %v %v", c, err)
		}
		if _, _, err := f.svc.List(ctx, order.Filter{Status: "lost"}); !isField(err, "status") {
			t.Errorf("bad status: %v", err)
		}
	})
}

// TestMixedTraffic_KeepsTheLedger runs checkouts, payments, cancellations
// and closes at once over three SKUs, then checks every invariant: on hand
// is the ledger's sum, reserved is what pending orders hold, nothing is
// negative, and units sold plus units held never exceed what was received.
func TestMixedTraffic_KeepsTheLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		skus := []int64{f.sku("A", 1000, 300, 12), f.sku("B", 2000, 600, 8), f.sku("C", 500, 100, 20)}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 12 {
					a, b := skus[(g+i)%3], skus[(g+i+1)%3]
					o, err := f.svc.Checkout(ctx, order.CheckoutInput{Lines: []price.Line{{SKUID: a, Quantity: int64(1 + i%3)}, {SKUID: b, Quantity: 1}}, ShipTo: home})
					if errors.Is(err, inventory.ErrOutOfStock) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					switch i % 4 {
					case 0:
						_, err = f.svc.Pay(ctx, 0, o.ID, order.PayInput{})
					case 1:
						if _, err = f.svc.Pay(ctx, 0, o.ID, order.PayInput{}); err == nil {
							_, err = f.svc.Cancel(ctx, o.ID, "")
						}
					case 2:
						_, err = f.svc.Cancel(ctx, o.ID, "")
					}
					// The closer may have closed the order first: refused,
					// and nothing else.
					if err != nil && !errors.Is(err, order.ErrIllegalTransition) {
						t.Error(err)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := f.svc.CloseExpired(ctx, f.clock.Now().Add(time.Hour)); err != nil {
					t.Error(err)
				}
			}
		}()
		wg.Wait()
		f.invariants()
		for _, sku := range skus {
			sold := f.count(`SELECT COALESCE(-SUM(delta), 0) FROM stock_movements WHERE sku_id = $1 AND reason IN ('sale', 'return')`, sku)
			received := f.count(`SELECT SUM(delta) FROM stock_movements WHERE sku_id = $1 AND reason = 'receipt'`, sku)
			if l := f.level(sku); sold+l.Reserved > received || l.OnHand != received-sold {
				t.Errorf("SKU %d: received %d, sold %d, %+v", sku, received, sold, l)
			}
		}
	})
}
