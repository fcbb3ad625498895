package coupon_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
)

// run starts n goroutines at once and returns their errors.
func run(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			errs[i] = fn(i)
		}()
	}
	close(gate)
	wg.Wait()
	return errs
}

func TestClaim_100AtOnce_TotalAndPerCustomerLimitsHold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("限量券")
		in.TotalLimit, in.PerCustomerLimit = 50, 3
		tpl := f.template(in)
		// 20 customers claim 5 times each, all at once: they would take 60
		// at 3 each, the total stops them at 50.
		var buyers []int64
		for i := range 20 {
			buyers = append(buyers, f.customer(fmt.Sprintf("买家%d", i)))
		}
		errs := run(100, func(i int) error {
			_, err := f.coupons.Claim(context.Background(), buyers[i%20], tpl.ID)
			return err
		})
		ok, soldOut, atLimit := 0, 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, coupon.ErrSoldOut):
				soldOut++
			case errors.Is(err, coupon.ErrLimitReached):
				atLimit++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 50 || soldOut+atLimit != 50 {
			t.Fatalf("claimed %d (sold out %d, at limit %d), want exactly 50", ok, soldOut, atLimit)
		}
		var rows, issued, maxPer int64
		d.QueryRow(context.Background(), `SELECT COUNT(*) FROM coupons WHERE template_id = $1`, tpl.ID).Scan(&rows)
		d.QueryRow(context.Background(), `SELECT issued FROM coupon_templates WHERE id = $1`, tpl.ID).Scan(&issued)
		d.QueryRow(context.Background(), `SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM coupons WHERE template_id = $1 GROUP BY customer_id) x`, tpl.ID).Scan(&maxPer)
		if rows != 50 || issued != 50 || maxPer > 3 {
			t.Fatalf("coupons %d, issued counter %d, most per customer %d; want 50, 50, ≤ 3", rows, issued, maxPer)
		}
	})
}

func TestClaim_OneBuyer100Times_GetsThePerCustomerLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("每人限领2张")
		in.PerCustomerLimit = 2
		tpl := f.template(in)
		buyer := f.customer("抢券的人")
		errs := run(100, func(int) error {
			_, err := f.coupons.Claim(context.Background(), buyer, tpl.ID)
			return err
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, coupon.ErrLimitReached) {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		mine, _, err := f.coupons.List(context.Background(), coupon.Filter{CustomerID: buyer})
		if err != nil {
			t.Fatal(err)
		}
		if ok != 2 || len(mine) != 2 {
			t.Fatalf("%d claims succeeded and the buyer holds %d coupons, want 2 and 2", ok, len(mine))
		}
	})
}

func TestCheckout_100RaceForOneCoupon_OneOrderGetsIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 1000)
		tpl := f.template(tenOff("新人券"))
		buyer := f.customer("张三")
		c := f.claim(buyer, tpl.ID)
		errs := run(100, func(int) error {
			_, err := f.checkout(buyer, sku, 1, c.ID)
			return err
		})
		ok := 0
		for _, err := range errs {
			var fe *apperr.FieldError
			switch {
			case err == nil:
				ok++
			case errors.Is(err, apperr.ErrConflict), errors.As(err, &fe) && fe.Field == "coupons":
				// The loser either priced after the winner locked the
				// coupon (refused by ForPricing) or before (refused by the
				// conditional lock, rolling its checkout back).
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d checkouts used the coupon, want exactly 1", ok)
		}
		got := f.state(c.ID)
		var orders, reserved int64
		d.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&orders)
		d.QueryRow(context.Background(), `SELECT reserved FROM stock WHERE sku_id = $1`, sku).Scan(&reserved)
		if got.State != coupon.StateLocked || got.OrderID == 0 || got.Discount != 1000 || orders != 1 || reserved != 1 {
			t.Fatalf("coupon %s on order %d off %d; %d orders, %d reserved: want locked, 1000 off, one order, one unit", got.State, got.OrderID, got.Discount, orders, reserved)
		}
		o, err := f.orders.Get(context.Background(), got.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 1000 || o.Status != order.PendingPayment {
			t.Fatalf("order: discount %d, status %s", o.DiscountTotal, o.Status)
		}
	})
}

func TestRedeem_100RaceForOneCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("兑换券")
		in.Claimable = false
		in.SharedCode = "SUMMER50"
		tpl := f.template(in)
		batch, err := f.coupons.GenerateCodes(opCtx(), tpl.ID, 1, "")
		if err != nil {
			t.Fatal(err)
		}
		one := batch.Codes[0]
		var buyers []int64
		for i := range 100 {
			buyers = append(buyers, f.customer(fmt.Sprintf("买家%d", i)))
		}
		// 100 buyers race for one one-time code: one gets it.
		errs := run(100, func(i int) error {
			_, err := f.coupons.Redeem(context.Background(), buyers[i], one)
			return err
		})
		if ok := countOK(t, errs, coupon.ErrAlreadyRedeemed); ok != 1 {
			t.Fatalf("%d buyers redeemed one one-time code, want 1", ok)
		}
		// One buyer replays the shared code 100 times at once: one coupon.
		replayer := f.customer("重放者")
		errs = run(100, func(int) error {
			_, err := f.coupons.Redeem(context.Background(), replayer, "summer50")
			return err
		})
		if ok := countOK(t, errs, coupon.ErrAlreadyRedeemed); ok != 1 {
			t.Fatalf("%d redemptions of the shared code by one buyer, want 1", ok)
		}
		var n int64
		d.QueryRow(context.Background(), `SELECT COUNT(*) FROM coupons WHERE template_id = $1`, tpl.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("%d coupons, want 2 (the one-time code's and the shared code's)", n)
		}
	})
}

func countOK(t *testing.T, errs []error, allowed error) int {
	t.Helper()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, allowed) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return ok
}
