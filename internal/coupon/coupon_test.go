package coupon_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/rfm"
)

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func TestCreateTemplate_StoreChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("商品券")
		in.Rule.Scope, in.Rule.ProductIDs = promo.ScopeProducts, []int64{9999}
		if _, err := f.coupons.CreateTemplate(opCtx(), in); fieldOf(err) != "rule.product_ids[0]" {
			t.Fatalf("unknown product: %v", err)
		}
		in = tenOff("类目券")
		in.Rule.Scope, in.Rule.CategoryIDs = promo.ScopeCategories, []int64{4242}
		if _, err := f.coupons.CreateTemplate(opCtx(), in); fieldOf(err) != "rule.category_ids[0]" {
			t.Fatalf("unknown category: %v", err)
		}
		cat, err := f.cat.CreateCategory(opCtx(), catalog.NewCategory{Name: "女装"})
		if err != nil {
			t.Fatal(err)
		}
		in.Rule.CategoryIDs = []int64{cat.ID}
		f.template(in)

		a := tenOff("夏日券")
		a.SharedCode = "SUMMER50"
		first := f.template(a)
		b := tenOff("另一张")
		b.SharedCode = "summer50"
		if _, err := f.coupons.CreateTemplate(opCtx(), b); fieldOf(err) != "shared_code" || !strings.Contains(err.Error(), "SUMMER50") {
			t.Fatalf("a code another template has: %v", err)
		}
		// A generated one-time code is in the same code space.
		batch, err := f.coupons.GenerateCodes(opCtx(), first.ID, 1, "")
		if err != nil {
			t.Fatal(err)
		}
		b.SharedCode = batch.Codes[0]
		if _, err := f.coupons.CreateTemplate(opCtx(), b); fieldOf(err) != "shared_code" {
			t.Fatalf("a one-time code as shared code: %v", err)
		}
	})
}

func TestUpdateTemplate_TermsFixedOnceIssued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("新人券")
		tpl := f.template(in)
		in.Rule.Amount = 2000
		in.Rule.Threshold = 19900
		if _, err := f.coupons.UpdateTemplate(opCtx(), tpl.ID, in); err != nil {
			t.Fatalf("change before any issue: %v", err)
		}
		buyer := f.customer("张三")
		f.claim(buyer, tpl.ID)
		f.claim(f.customer("李四"), tpl.ID)
		changed := in
		changed.Rule.Amount = 5000
		if _, err := f.coupons.UpdateTemplate(opCtx(), tpl.ID, changed); fieldOf(err) != "rule" {
			t.Fatalf("rule change after issue: %v", err)
		}
		// From no limit to a limit under what was issued.
		lower := in
		lower.TotalLimit = 1
		if _, err := f.coupons.UpdateTemplate(opCtx(), tpl.ID, lower); fieldOf(err) != "total_limit" {
			t.Fatalf("total below issued: %v", err)
		}
		more := in
		more.TotalLimit, more.Name = 100, "新人专享券"
		got, err := f.coupons.UpdateTemplate(opCtx(), tpl.ID, more)
		if err != nil || got.TotalLimit != 100 || got.Name != "新人专享券" || got.Issued != 2 {
			t.Fatalf("raise the limit: %+v %v", got, err)
		}
	})
}

func TestCoupon_LockedByCheckout_UsedWhenPaid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		tpl := f.template(tenOff("新人券 满99减10"))
		buyer := f.customer("张三")
		c := f.claim(buyer, tpl.ID)
		if c.State != coupon.StateIssued || !c.ValidTo.Equal(start.Add(30*24*time.Hour)) {
			t.Fatalf("claimed: %+v", c)
		}
		o, err := f.checkout(buyer, sku, 1, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 1000 || o.ItemsTotal != 12900 {
			t.Fatalf("order priced %d − %d", o.ItemsTotal, o.DiscountTotal)
		}
		if got := f.state(c.ID); got.State != coupon.StateLocked || got.OrderID != o.ID {
			t.Fatalf("after checkout: %s on %d", got.State, got.OrderID)
		}
		// A second order can't take the coupon its unpaid order holds.
		_, err = f.checkout(buyer, sku, 1, c.ID)
		if fieldOf(err) != "coupons" || !strings.Contains(err.Error(), "unpaid order") {
			t.Fatalf("second checkout: %v", err)
		}
		if _, err := f.orders.Pay(context.Background(), buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		got := f.state(c.ID)
		if got.State != coupon.StateUsed || got.UsedAt == nil || got.Discount != 1000 {
			t.Fatalf("after payment: %+v", got)
		}
		if _, err := f.checkout(buyer, sku, 1, c.ID); fieldOf(err) != "coupons" || !strings.Contains(err.Error(), "already used") {
			t.Fatalf("reuse: %v", err)
		}
		st, err := f.coupons.Stats(context.Background(), tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := coupon.Stats{TemplateID: tpl.ID, Issued: 1, Used: 1, UsedRateBP: 10000, Discount: 1000, GMV: o.Total, Orders: 1}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
	})
}

func TestCoupon_ReturnedWhenTheUnpaidOrderIsCalledOff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		from := start.Add(-time.Hour)
		to := start.Add(10 * time.Minute)
		in := tenOff("限时券")
		in.ValidDays, in.ValidFrom, in.ValidTo, in.PerCustomerLimit = 0, &from, &to, 2
		tpl := f.template(in)
		buyer := f.customer("张三")
		a, b := f.claim(buyer, tpl.ID), f.claim(buyer, tpl.ID)

		// Cancelled while the coupon is valid: back to issued.
		o, err := f.checkout(buyer, sku, 1, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.CancelForCustomer(context.Background(), buyer, o.ID, "买错了"); err != nil {
			t.Fatal(err)
		}
		if got := f.state(a.ID); got.State != coupon.StateIssued || got.OrderID != 0 || got.Returned != 1 {
			t.Fatalf("after cancel: %+v", got)
		}
		// Closed unpaid after the window ended: expired, not issued.
		o, err = f.checkout(buyer, sku, 1, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		if n, err := f.orders.CloseExpired(context.Background(), f.clock.Now()); err != nil || n != 1 {
			t.Fatalf("close: %d %v", n, err)
		}
		if got := f.state(b.ID); got.State != coupon.StateExpired {
			t.Fatalf("after close past the window: %s", got.State)
		}
		// The job expires the issued one past its window.
		if n, err := f.coupons.ExpireDue(context.Background(), f.clock.Now()); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		if got := f.state(a.ID); got.State != coupon.StateExpired {
			t.Fatalf("after the job: %s", got.State)
		}
		// Past the window the template issues nothing.
		if _, err := f.coupons.Claim(context.Background(), f.customer("李四"), tpl.ID); !errors.Is(err, coupon.ErrNotIssuing) {
			t.Fatalf("claim past the window: %v", err)
		}
	})
}

// A paid order cancelled before shipping is refunded in full: its coupon
// comes back as if the order had never been paid, and the template's
// figures no longer count it used.
func TestCoupon_ReturnedWhenThePaidOrderIsCancelledBeforeShipping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		tpl := f.template(tenOff("满99减10"))
		buyer := f.customer("张三")
		c := f.claim(buyer, tpl.ID)
		o, err := f.checkout(buyer, sku, 1, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Pay(context.Background(), buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if got := f.state(c.ID); got.State != coupon.StateUsed {
			t.Fatalf("after payment: %s", got.State)
		}
		if _, err := f.orders.Cancel(context.Background(), o.ID, "缺货，全额退款"); err != nil {
			t.Fatal(err)
		}
		got := f.state(c.ID)
		if got.State != coupon.StateIssued || got.OrderID != 0 || got.UsedAt != nil || got.Discount != 0 || got.Returned != 1 {
			t.Fatalf("after the paid order was cancelled: %+v", got)
		}
		st, err := f.coupons.Stats(context.Background(), tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Used != 0 || st.Orders != 0 {
			t.Fatalf("stats still count it: %+v", st)
		}
		// And it buys again.
		o2, err := f.checkout(buyer, sku, 1, c.ID)
		if err != nil || o2.DiscountTotal != 1000 {
			t.Fatalf("reuse after return: %v (discount %d)", err, o2.DiscountTotal)
		}
	})
}

func TestHookPlaced_CouponTakenMeanwhile_RollsTheCheckoutBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		tpl := f.template(tenOff("新人券"))
		buyer := f.customer("张三")
		c := f.claim(buyer, tpl.ID)
		// The price was computed while the coupon was free; another order
		// locks it before this checkout's transaction does.
		first, err := f.checkout(buyer, sku, 1, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		late := order.Placed{ID: first.ID, CustomerID: buyer, At: f.clock.Now(),
			Priced: price.Priced{Applied: []price.Applied{{Kind: "coupon", CouponID: c.ID, Off: 1000}}}}
		err = d.InTx(context.Background(), func(tx *db.Tx) error { return coupon.Hook{}.Placed(context.Background(), tx, late) })
		if !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "just used by another order") {
			t.Fatalf("late lock: %v", err)
		}
		// Someone else's coupon id in Applied locks nothing either.
		other := f.claim(f.customer("李四"), tpl.ID)
		late.Priced.Applied[0].CouponID = other.ID
		err = d.InTx(context.Background(), func(tx *db.Tx) error { return coupon.Hook{}.Placed(context.Background(), tx, late) })
		if !errors.Is(err, apperr.ErrConflict) || f.state(other.ID).State != coupon.StateIssued {
			t.Fatalf("another's coupon: %v", err)
		}
	})
}

func TestForPricing_RefusesWhatTheBuyerCantUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tpl := f.template(tenOff("新人券"))
		buyer, other := f.customer("张三"), f.customer("李四")
		mine := f.claim(buyer, tpl.ID)
		theirs := f.claim(other, tpl.ID)
		ctx := context.Background()
		got, err := f.coupons.ForPricing(ctx, buyer, []int64{mine.ID}, f.clock.Now())
		if err != nil || len(got) != 1 || got[0].ID != mine.ID || got[0].Rule.Amount != 1000 || got[0].Rule.Name != "新人券" {
			t.Fatalf("own coupon: %+v %v", got, err)
		}
		if err := got[0].Validate(); err != nil {
			t.Fatalf("engine coupon invalid: %v", err)
		}
		_, errTheirs := f.coupons.ForPricing(ctx, buyer, []int64{theirs.ID}, f.clock.Now())
		_, errNone := f.coupons.ForPricing(ctx, buyer, []int64{999999}, f.clock.Now())
		if fieldOf(errTheirs) != "coupons" || strings.ReplaceAll(errTheirs.Error(), itoa(theirs.ID), "N") != strings.ReplaceAll(errNone.Error(), "999999", "N") {
			t.Fatalf("another's coupon must read like a missing one: %v / %v", errTheirs, errNone)
		}
		if _, err := f.coupons.ForPricing(ctx, buyer, []int64{mine.ID, mine.ID}, f.clock.Now()); fieldOf(err) != "coupons" {
			t.Fatalf("twice: %v", err)
		}
		if _, err := f.coupons.ForPricing(ctx, 0, []int64{mine.ID}, f.clock.Now()); fieldOf(err) != "coupons" {
			t.Fatalf("guest: %v", err)
		}
		if _, err := f.coupons.ForPricing(ctx, buyer, []int64{mine.ID}, f.clock.Now().Add(31*24*time.Hour)); fieldOf(err) != "coupons" || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("past the window: %v", err)
		}
		if got, err := f.coupons.ForPricing(ctx, buyer, nil, f.clock.Now()); err != nil || len(got) != 0 {
			t.Fatalf("no coupons: %v %v", got, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRedeem_ClearErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("兑换券")
		in.Claimable, in.SharedCode, in.TotalLimit = false, "SUMMER50", 3
		tpl := f.template(in)
		ctx := context.Background()
		a, b := f.customer("张三"), f.customer("李四")
		if _, err := f.coupons.Redeem(ctx, a, "NOPE-1234"); fieldOf(err) != "code" || !strings.Contains(err.Error(), "not a coupon code of this store") {
			t.Fatalf("unknown code: %v", err)
		}
		c, err := f.coupons.Redeem(ctx, a, " summer50 ")
		if err != nil || c.Source != coupon.SourceCode || c.Code != "SUMMER50" || c.Label() != "#"+itoa(c.ID) {
			t.Fatalf("redeem: %+v %v", c, err)
		}
		if _, err := f.coupons.Redeem(ctx, a, "SUMMER50"); !errors.Is(err, coupon.ErrAlreadyRedeemed) {
			t.Fatalf("replay: %v", err)
		}
		batch, err := f.coupons.GenerateCodes(opCtx(), tpl.ID, 2, "vip")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.coupons.GenerateCodes(opCtx(), tpl.ID, 1, ""); fieldOf(err) != "count" {
			t.Fatalf("codes beyond the total limit: %v", err)
		}
		got, err := f.coupons.Redeem(ctx, b, strings.ToLower(batch.Codes[0]))
		if err != nil || got.Label() != batch.Codes[0] {
			t.Fatalf("one-time code: %+v %v", got, err)
		}
		if _, err := f.coupons.Redeem(ctx, a, batch.Codes[0]); !errors.Is(err, coupon.ErrAlreadyRedeemed) || strings.Contains(err.Error(), "you already") {
			t.Fatalf("someone else's used code: %v", err)
		}
		if _, err := f.coupons.Redeem(ctx, b, batch.Codes[0]); !errors.Is(err, coupon.ErrAlreadyRedeemed) || !strings.Contains(err.Error(), "you already") {
			t.Fatalf("own replay: %v", err)
		}
		// Claiming a template handed out by code only is a 404.
		if _, err := f.coupons.Claim(ctx, a, tpl.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("claim a code-only template: %v", err)
		}
		codes, err := f.coupons.Codes(ctx, tpl.ID, batch.Batch)
		if err != nil || len(codes) != 2 {
			t.Fatalf("codes: %v %v", codes, err)
		}
		redeemed := 0
		for _, k := range codes {
			if !strings.HasPrefix(k.Code, "VIP") {
				t.Fatalf("code %q lacks its prefix", k.Code)
			}
			if k.RedeemedAt != nil {
				redeemed++
				if k.CustomerID != b || k.CouponID != got.ID {
					t.Fatalf("redeemed code: %+v", k)
				}
			}
		}
		if redeemed != 1 {
			t.Fatalf("%d redeemed codes, want 1", redeemed)
		}
		// A paused template redeems nothing; the code stays unredeemed.
		if _, err := f.coupons.Pause(opCtx(), tpl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.coupons.Redeem(ctx, a, batch.Codes[1]); !errors.Is(err, coupon.ErrNotIssuing) {
			t.Fatalf("paused: %v", err)
		}
		codes, _ = f.coupons.Codes(ctx, tpl.ID, 0)
		for _, k := range codes {
			if k.Code == batch.Codes[1] && k.RedeemedAt != nil {
				t.Fatal("a refused redemption used up the code")
			}
		}
	})
}

func TestEnd_ExpiresUnusedCoupons_KeepsLockedOnes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		in := tenOff("泄露的券")
		in.PerCustomerLimit = 2
		tpl := f.template(in)
		buyer := f.customer("张三")
		a, b := f.claim(buyer, tpl.ID), f.claim(buyer, tpl.ID)
		o, err := f.checkout(buyer, sku, 1, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.coupons.End(opCtx(), tpl.ID); err != nil {
			t.Fatal(err)
		}
		if f.state(a.ID).State != coupon.StateLocked || f.state(b.ID).State != coupon.StateExpired {
			t.Fatalf("after end: %s %s", f.state(a.ID).State, f.state(b.ID).State)
		}
		if _, err := f.coupons.Resume(opCtx(), tpl.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("resume an ended template: %v", err)
		}
		// Its order cancelled, the coupon of an ended template expires.
		if _, err := f.orders.Cancel(opCtx(), o.ID, "缺货"); err != nil {
			t.Fatal(err)
		}
		if f.state(a.ID).State != coupon.StateExpired {
			t.Fatalf("returned coupon of an ended template: %s", f.state(a.ID).State)
		}
	})
}

func TestPush_ToATag_WithinLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("沉睡唤醒券")
		in.Claimable, in.TotalLimit = false, 3
		tpl := f.template(in)
		var vip []int64
		for _, n := range []string{"甲", "乙", "丙", "丁"} {
			id := f.customer(n)
			vip = append(vip, id)
			if _, err := d.Exec(context.Background(), `INSERT INTO customer_tags (customer_id, tag, created_at) VALUES ($1, 'vip', 0)`, id); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: "customers", CustomerIDs: []int64{vip[0], 424242}}); err != nil ||
			res != (coupon.PushResult{Targeted: 2, Issued: 1, Missing: 1}) {
			t.Fatalf("push to listed customers, one unknown: %+v %v", res, err)
		}
		res, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: "tag", Name: "vip"})
		if err != nil {
			t.Fatal(err)
		}
		// 甲 already has one (limit 1 each); 乙 and 丙 take the last two.
		if res != (coupon.PushResult{Targeted: 4, Issued: 2, AtLimit: 1, SoldOut: true}) {
			t.Fatalf("push: %+v", res)
		}
		if _, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: "segment", Name: "nobody"}); fieldOf(err) != "name" {
			t.Fatalf("unknown segment: %v", err)
		}
		if _, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: "segment", Name: "champions"}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("segment before any RFM run: %v", err)
		}
	})
}

func TestListClaimable_HidesTheSharedCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := tenOff("领券中心")
		in.SharedCode = "HIDDEN1"
		tpl := f.template(in)
		hidden := tenOff("仅推送")
		hidden.Claimable = false
		f.template(hidden)
		buyer := f.customer("张三")
		f.claim(buyer, tpl.ID)
		got, err := f.coupons.ListClaimable(context.Background(), buyer)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimable: %+v %v", got, err)
		}
		if got[0].SharedCode != "" || got[0].Claimed != 1 || got[0].CanClaim {
			t.Fatalf("claimable: %+v", got[0])
		}
	})
}

func TestRules_LiveRoomOnlyAndFirstOrderOnly_ThroughThePricer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("TEE", 12900, 10)
		live := tenOff("直播间专属券")
		live.Rule.Channels = []string{"live"}
		liveTpl := f.template(live)
		newcomer := tenOff("新人券")
		newcomer.Rule.FirstOrderOnly = true
		newTpl := f.template(newcomer)
		buyer := f.customer("张三")
		lc, nc := f.claim(buyer, liveTpl.ID), f.claim(buyer, newTpl.ID)
		ctx := context.Background()

		// Off the live room the coupon does not apply and stays free.
		o, err := f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: buyer, Channel: "direct", ShipTo: home,
			Lines: []price.Line{{SKUID: sku, Quantity: 1}}, Coupons: []int64{lc.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 0 || f.state(lc.ID).State != coupon.StateIssued {
			t.Fatalf("live coupon off the live room: discount %d, %s", o.DiscountTotal, f.state(lc.ID).State)
		}
		if _, err := f.orders.Pay(ctx, buyer, o.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		o, err = f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: buyer, Channel: "live", ShipTo: home,
			Lines: []price.Line{{SKUID: sku, Quantity: 1}}, Coupons: []int64{lc.ID, nc.ID}})
		if err != nil {
			t.Fatal(err)
		}
		// In the live room it does; the newcomer coupon no longer does,
		// the buyer having paid an order.
		if o.DiscountTotal != 1000 || f.state(lc.ID).State != coupon.StateLocked || f.state(nc.ID).State != coupon.StateIssued {
			t.Fatalf("second order: discount %d, live %s, newcomer %s", o.DiscountTotal, f.state(lc.ID).State, f.state(nc.ID).State)
		}
	})
}

func TestPush_ToEveryGroupOfTheLatestRFMRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		// 30 buyers: buyer i paid 1 + i%4 orders, the last one i days ago.
		for i := 1; i <= 30; i++ {
			id := f.customer(fmt.Sprintf("买家%d", i))
			for k := 0; k <= i%4; k++ {
				at := start.AddDate(0, 0, -i-30*k)
				if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, 'paid', $3, $3, $4, $4, $5, $4)`, fmt.Sprintf("SO-%d-%d", i, k), id, 5000+int64(i)*300, at.UnixMilli(),
					int64(at.Year()*10000+int(at.Month())*100+at.Day())); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := (&rfm.Service{DB: d}).Run(opCtx(), rfm.Options{AsOf: start}); err != nil {
			t.Fatal(err)
		}
		sum, err := (&rfm.Service{DB: d}).Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		in := tenOff("分层券")
		in.Claimable = false
		tpl := f.template(in)
		groups := map[string][]rfm.Count{"segment": sum.Segments, "tier": sum.Tiers, "quadrant": sum.Quadrants, "stage": sum.Stages}
		var issued int64
		for kind, counts := range groups {
			var total int64
			for _, c := range counts {
				res, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: kind, Name: c.Name})
				if err != nil {
					t.Fatalf("push %s %s: %v", kind, c.Name, err)
				}
				// Every group's size is what the RFM run counted; the
				// first kind pushed gives everyone their one coupon.
				if res.Targeted != c.Customers || res.Issued+res.AtLimit != c.Customers {
					t.Errorf("%s %s: %+v, the run counts %d", kind, c.Name, res, c.Customers)
				}
				total += res.Targeted
				issued += res.Issued
			}
			if total != 30 {
				t.Errorf("the %ss cover %d customers, want 30", kind, total)
			}
		}
		if issued != 30 {
			t.Fatalf("%d coupons issued over four pushes of everyone, want 30 (limit 1 each)", issued)
		}
	})
}
