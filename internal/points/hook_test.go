package points_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/points"
)

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func kinds(t *testing.T, f *fixture, c int64) map[string]int64 {
	t.Helper()
	a, err := f.points.Account(context.Background(), c, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range a.Movements {
		out[string(m.Kind)] += m.Points
	}
	return out
}

// The whole round: redeem at checkout, give back when the unpaid order is
// cancelled, earn (and the 首购 bonus) on payment, once however often the
// payment repeats, and take back on a full refund.
func TestOrder_RedeemEarnReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("TEE", 12900, 10)
		c := f.customer("张三")
		if _, err := f.points.Adjust(opCtx(), c, points.AdjustInput{Points: 1000, Reason: "开业赠送"}); err != nil {
			t.Fatal(err)
		}
		// More than the balance is refused on "points".
		if _, err := f.checkout(c, sku, 1, 1001); fieldOf(err) != "points" {
			t.Fatalf("too many points: %v", err)
		}
		// 500 points = ¥5 off ¥129.
		o, err := f.checkout(c, sku, 1, 500)
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 500 || f.balance(c) != 500 {
			t.Fatalf("checkout with points: discount %d, balance %d", o.DiscountTotal, f.balance(c))
		}
		if _, err := f.orders.Cancel(opCtx(), o.ID, "买错了"); err != nil {
			t.Fatal(err)
		}
		if f.balance(c) != 1000 {
			t.Fatalf("cancelled: balance %d, want 1000", f.balance(c))
		}
		// 1000 points = ¥10, under the cap (half of ¥129).
		o, err = f.checkout(c, sku, 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Pay(ctx, c, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		paid, err := f.orders.Get(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		earn := (paid.Total - paid.ShippingFee) / 100
		want := earn + 200 // + 首购激励
		if got := f.balance(c); got != want {
			t.Fatalf("paid ¥%d on goods: balance %d, want %d", (paid.Total-paid.ShippingFee)/100, got, want)
		}
		// A payment's hook that runs again moves nothing.
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return points.Hook{}.Moved(ctx, tx, order.Moved{OrderID: o.ID, No: o.No, CustomerID: c, From: order.PendingPayment, To: order.Paid, At: f.clock.Now()})
		}); err != nil || f.balance(c) != want {
			t.Fatalf("paid twice: balance %d (%v)", f.balance(c), err)
		}
		// Refunded in full (closed from paid): earned and bonus back out, redeemed back in.
		if _, err := f.orders.Cancel(opCtx(), o.ID, "退款"); err != nil {
			t.Fatal(err)
		}
		if got := f.balance(c); got != 1000 {
			t.Fatalf("refunded: balance %d, want 1000", got)
		}
		k := kinds(t, f, c)
		if k["earn"] != want || k["reverse"] != 500+1000-want || k["redeem"] != -1500 {
			t.Fatalf("movements: %v", k)
		}
		checkSums(t, d)
	})
}

// A partial after-sales refund takes back earned points in proportion,
// once per case.
func TestCaseRefund_ReversesProportionally(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		c := f.customer("李四")
		sku := f.sku("DRESS", 20000, 10)
		o, err := f.checkout(c, sku, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Pay(ctx, c, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		before := f.balance(c) // 200 earned + 200 bonus
		if before != 400 {
			t.Fatalf("earned %d, want 400", before)
		}
		m := order.CaseMoved{CaseID: 7, OrderID: o.ID, OrderNo: o.No, CustomerID: c, To: order.CaseRefunded, Amount: 5000, At: f.clock.Now()}
		for range 2 {
			if err := d.InTx(ctx, func(tx *db.Tx) error { return points.Hook{}.CaseMoved(ctx, tx, m) }); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.balance(c); got != before-50 {
			t.Fatalf("¥50 of ¥200 refunded: balance %d, want %d", got, before-50)
		}
		checkSums(t, d)
	})
}

// Two checkouts race to spend the same 1000 points: one order is placed,
// the other rolls back, and the balance never goes below 0.
func TestCheckout_TwoRaceForTheSamePoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("MUG", 10000, 10)
		c := f.customer("王五")
		if _, err := f.points.Adjust(opCtx(), c, points.AdjustInput{Points: 1000, Reason: "补偿"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = f.checkout(c, sku, 1, 1000) }()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, apperr.ErrConflict) || fieldOf(err) == "points":
			default:
				t.Fatalf("unexpected: %v", err)
			}
		}
		if ok != 1 || f.balance(c) != 0 {
			t.Fatalf("%d checkouts placed, balance %d", ok, f.balance(c))
		}
		checkSums(t, d)
	})
}

// Points pay at most half of what is left to pay: asking ¥60 of points on
// ¥100 redeems ¥50 of them, and only those leave the balance.
func TestCheckout_CapTakesFewerPoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("BAG", 10000, 10)
		c := f.customer("赵六")
		if _, err := f.points.Adjust(opCtx(), c, points.AdjustInput{Points: 6000, Reason: "补偿"}); err != nil {
			t.Fatal(err)
		}
		o, err := f.checkout(c, sku, 1, 6000)
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 5000 || f.balance(c) != 1000 {
			t.Fatalf("capped: discount %d, balance %d", o.DiscountTotal, f.balance(c))
		}
	})
}
