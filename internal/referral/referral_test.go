package referral_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/referral"
)

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

const day = 24 * time.Hour

// The whole path: a stable code, a link, the first paid order held for the
// holding period, then both sides rewarded once.
func TestInvitation_RewardedAfterHoldingPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		p := f.programme(nil)
		alice := f.customer("王丽", "13800000001")
		bob := f.customer("李明", "13900000002")
		code := f.code(alice, "")
		if again := f.code(alice, "dev-alice"); again != code || len(code) != referral.CodeLen {
			t.Fatalf("code %q then %q: want one stable %d-letter code", code, again, referral.CodeLen)
		}
		v := f.link(bob, " "+code[:4]+code[4:]+" ", "dev-bob")
		if v.Status != referral.Linked || v.InviterID != alice || v.InviteeID != bob {
			t.Fatalf("linked: %+v", v)
		}
		if again := f.link(bob, code, "dev-bob"); again.ID != v.ID {
			t.Fatalf("linking twice made invitation %d, then %d", v.ID, again.ID)
		}
		o := f.buy(bob, 1, address(1, "13900000002"))
		v = f.get(v.ID)
		if v.Status != referral.Paid || v.OrderID != o.ID || v.QualifiesAt == nil || !v.QualifiesAt.Equal(f.clock.Now().Add(7*day)) {
			t.Fatalf("after the first payment: %+v", v)
		}
		// A second order does not move it.
		f.buy(bob, 1, address(1, "13900000002"))
		if got := f.get(v.ID); got.OrderID != o.ID {
			t.Fatalf("second order took over the invitation: %+v", got)
		}
		f.clock.Add(7*day - time.Minute)
		if r, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil || r.Rewarded != 0 {
			t.Fatalf("inside the holding period: %+v %v", r, err)
		}
		f.clock.Add(time.Minute)
		r, err := f.ref.GrantDue(ctx, f.clock.Now())
		if err != nil || r.Rewarded != 1 {
			t.Fatalf("holding period over: %+v %v", r, err)
		}
		v = f.get(v.ID)
		if v.Status != referral.Rewarded || v.Rewards.InviterPoints != 500 || v.Rewards.InviteePoints != 300 || v.Rewards.InviterCouponID == 0 {
			t.Fatalf("rewarded: %+v", v)
		}
		if f.referralPoints(alice) != 500 || f.referralPoints(bob) != 300 || f.couponsOf(alice, p.InviterCouponTemplateID) != 1 {
			t.Fatalf("alice %d points %d coupons, bob %d points", f.referralPoints(alice), f.couponsOf(alice, p.InviterCouponTemplateID), f.referralPoints(bob))
		}
		// The converted referral earns alice growth (成长值), once.
		growth := func() int64 {
			var g int64
			if err := d.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM growth_movements WHERE customer_id = $1 AND action = 'referral_converted'`,
				alice).Scan(&g); err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := growth(); g != 100 {
			t.Fatalf("alice's referral growth %d, want 100", g)
		}
		// Running again gives nothing more.
		if r, err := f.ref.GrantDue(ctx, f.clock.Now().Add(day)); err != nil || r.Rewarded != 0 {
			t.Fatalf("second run: %+v %v", r, err)
		}
		if f.referralPoints(alice) != 500 || f.couponsOf(alice, p.InviterCouponTemplateID) != 1 || growth() != 100 {
			t.Fatal("a second run rewarded again")
		}
		// A refund after the reward changes nothing.
		if _, err := f.orders.Cancel(opCtx(), o.ID, "late refund"); err != nil {
			t.Fatal(err)
		}
		if got := f.get(v.ID); got.Status != referral.Rewarded {
			t.Fatalf("refund after the holding period: %s", got.Status)
		}
		m, err := f.ref.Mine(ctx, alice, "")
		if err != nil || m.Code != code || len(m.Invitations) != 1 || m.Invitations[0].Friend != "李*" || m.Invitations[0].Points != 500 {
			t.Fatalf("alice's page: %+v %v", m, err)
		}
		if m, err := f.ref.Mine(ctx, bob, ""); err != nil || m.InvitedBy == nil || m.InvitedBy.Friend != "王*" || m.InvitedBy.Points != 300 {
			t.Fatalf("bob's page: %+v %v", m, err)
		}
	})
}

// A first order refunded in full inside the holding period voids the
// invitation; nobody is rewarded.
func TestInvitation_RefundedInHoldingPeriodIsVoid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.programme(nil)
		alice, bob := f.customer("王丽", "13800000001"), f.customer("李明", "13900000002")
		v := f.link(bob, f.code(alice, ""), "")
		o := f.buy(bob, 1, address(1, ""))
		f.clock.Add(3 * day)
		if _, err := f.orders.Cancel(opCtx(), o.ID, "不想要了"); err != nil {
			t.Fatal(err)
		}
		v = f.get(v.ID)
		if v.Status != referral.Void || v.VoidReason != referral.VoidRefunded {
			t.Fatalf("refunded: %+v", v)
		}
		f.clock.Add(30 * day)
		if r, err := f.ref.GrantDue(context.Background(), f.clock.Now()); err != nil || r.Rewarded != 0 {
			t.Fatalf("grant after void: %+v %v", r, err)
		}
		if f.referralPoints(alice)+f.referralPoints(bob) != 0 {
			t.Fatal("a voided invitation was rewarded")
		}
		// The second order does not revive it.
		f.buy(bob, 1, address(1, ""))
		if got := f.get(v.ID); got.Status != referral.Void {
			t.Fatalf("second order after void: %s", got.Status)
		}
	})
}

// A partial after-sales refund that leaves the order above the minimum
// keeps the invitation; one that takes it below voids it.
func TestInvitation_PartialRefundBelowMinimumVoids(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.programme(func(p *referral.Programme) { p.MinOrderAmount = 20000 })
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		// Two bags, ¥258: one refunded leaves ¥129, under ¥200.
		bob := f.customer("李明", "13900000002")
		v := f.link(bob, code, "")
		o := f.buy(bob, 2, address(1, ""))
		if got := f.get(v.ID); got.Status != referral.Paid {
			t.Fatalf("¥258 first order: %+v", got)
		}
		if err := refundOne(f, bob, o); err != nil {
			t.Fatal(err)
		}
		if got := f.get(v.ID); got.Status != referral.Void || got.VoidReason != referral.VoidRefunded {
			t.Fatalf("refunded below the minimum: %+v", got)
		}
		// A first order under the minimum never qualifies.
		carol := f.customer("赵敏", "13700000003")
		w := f.link(carol, code, "")
		f.buy(carol, 1, address(2, ""))
		if got := f.get(w.ID); got.Status != referral.Void || got.VoidReason != referral.VoidBelowMinimum {
			t.Fatalf("¥129 first order: %+v", got)
		}
	})
}

// refundOne asks for and refunds one unit of the order's first line.
func refundOne(f *fixture, customerID int64, o order.Order) error {
	ctx := context.Background()
	full, err := f.orders.Get(ctx, o.ID)
	if err != nil {
		return err
	}
	c, err := f.orders.OpenAfterSale(ctx, customerID, order.AfterSaleInput{OrderID: o.ID, Kind: order.RefundOnly, Reason: "other",
		Lines: []order.AfterSaleLineInput{{OrderLineID: full.Lines[0].ID, Quantity: 1}}})
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if _, err := f.orders.ApproveAfterSale(opCtx(), c.ID, ""); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	if _, err := f.orders.RefundAfterSale(opCtx(), c.ID, ""); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	return nil
}

func TestLink_Refusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		bob := f.customer("李明", "13900000002")
		link := func(who int64, code string) error {
			_, err := f.ref.Link(ctx, referral.LinkInput{CustomerID: who, Code: code})
			return err
		}
		if err := link(bob, code); fieldOf(err) != "invite_code" {
			t.Fatalf("programme off: %v", err)
		}
		f.programme(nil)
		for name, c := range map[string]struct {
			who  int64
			code string
		}{
			"empty":   {bob, "  "},
			"unknown": {bob, "ZZZZZZZZ"},
			"own":     {alice, code},
		} {
			if err := link(c.who, c.code); fieldOf(err) != "invite_code" {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Another account with the inviter's phone.
		twin := f.customer("王丽小号", "13800000001")
		if err := link(twin, code); fieldOf(err) != "invite_code" {
			t.Errorf("same phone: %v", err)
		}
		// A customer who has ordered before, while the programme wants new ones.
		old := f.customer("老顾客", "13600000004")
		f.buy(old, 1, address(4, ""))
		if err := link(old, code); fieldOf(err) != "invite_code" {
			t.Errorf("not new: %v", err)
		}
		// One inviter per invitee.
		carol := f.customer("赵敏", "13700000003")
		f.link(bob, code, "")
		if err := link(bob, f.code(carol, "")); fieldOf(err) != "invite_code" {
			t.Errorf("second inviter: %v", err)
		}
		var n int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM referral_invitations`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("invitations written: %d %v", n, err)
		}
	})
}

// The invitee ships the first order to the inviter's own address, or
// buys on the device the inviter asked for their code from: the invitee is
// the inviter, and the invitation is void.
func TestSelfReferral_InvitersAddressOrDeviceVoids(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.programme(nil)
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "dev-alice")
		if _, err := f.cust.AddAddress(opCtx(), alice, addressInput(address(7, "13800000001"))); err != nil {
			t.Fatal(err)
		}
		bob := f.customer("李明", "13900000002")
		v := f.link(bob, code, "")
		f.buy(bob, 1, address(7, "13900000002"))
		if got := f.get(v.ID); got.Status != referral.Void || got.VoidReason != referral.VoidSelfReferral || !has(got.Flags, referral.FlagInviterAddr) {
			t.Fatalf("inviter's address: %+v", got)
		}
		carol := f.customer("赵敏", "13700000003")
		w := f.link(carol, code, "dev-alice")
		if !has(w.Flags, referral.FlagInviterDevice) {
			t.Fatalf("inviter's device not flagged at link: %+v", w)
		}
		f.buy(carol, 1, address(8, ""))
		if got := f.get(w.ID); got.Status != referral.Void || got.VoidReason != referral.VoidSelfReferral {
			t.Fatalf("inviter's device: %+v", got)
		}
	})
}

func has(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Invitees of one inviter on one device: the second is flagged, the third
// (two look-alikes) held; held ones wait for an operator, who approves one
// (rewarded once its period is over) and rejects another (void).
func TestLookalikeInvitees_HeldForReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		var ids []int64
		for i := range 4 {
			c := f.customer(fmt.Sprintf("小号%d", i), fmt.Sprintf("1390000001%d", i))
			v := f.link(c, code, "dev-farm")
			f.buy(c, 1, address(10+i, ""))
			ids = append(ids, v.ID)
		}
		first, second, third, fourth := f.get(ids[0]), f.get(ids[1]), f.get(ids[2]), f.get(ids[3])
		if first.Review != referral.ReviewNone || len(first.Flags) != 0 {
			t.Fatalf("first: %+v", first)
		}
		if second.Review != referral.ReviewNone || !has(second.Flags, referral.FlagSharedDevice) {
			t.Fatalf("second: %+v", second)
		}
		if third.Review != referral.ReviewPending || fourth.Review != referral.ReviewPending || third.Status != referral.Paid {
			t.Fatalf("third %+v fourth %+v", third, fourth)
		}
		queue, _, err := f.ref.List(ctx, referral.Filter{Review: referral.ReviewPending})
		if err != nil || len(queue) != 2 {
			t.Fatalf("review queue: %d %v", len(queue), err)
		}
		if _, err := f.ref.Reject(opCtx(), fourth.ID, ""); fieldOf(err) != "note" {
			t.Fatalf("reject without a reason: %v", err)
		}
		if _, err := f.ref.Approve(opCtx(), third.ID, "同住室友，已电话核实"); err != nil {
			t.Fatal(err)
		}
		if v, err := f.ref.Reject(opCtx(), fourth.ID, "同一设备批量注册"); err != nil || v.Status != referral.Void || v.VoidReason != referral.VoidRejected {
			t.Fatalf("reject: %+v %v", v, err)
		}
		if _, err := f.ref.Approve(opCtx(), fourth.ID, ""); !errors.Is(err, referral.ErrNotPending) {
			t.Fatalf("approve after reject: %v", err)
		}
		f.clock.Add(8 * day)
		r, err := f.ref.GrantDue(ctx, f.clock.Now())
		if err != nil || r.Rewarded != 3 {
			t.Fatalf("grant: %+v %v", r, err)
		}
		if got := f.get(third.ID); got.Status != referral.Rewarded || got.Note != "同住室友，已电话核实" || f.get(fourth.ID).Status != referral.Void {
			t.Fatalf("approved one not rewarded (or lost its note: %q), or rejected one revived", got.Note)
		}
		if f.referralPoints(alice) != 3*500 {
			t.Fatalf("alice has %d referral points, want 1500", f.referralPoints(alice))
		}
	})
}

// The monthly cap: past it the inviter gets nothing more that month, the
// invitee still gets theirs; next month counts afresh.
func TestMonthlyCap_InviterCappedInviteeStillRewarded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(func(p *referral.Programme) { p.MonthlyCap = 2; p.ReviewThreshold = 100; p.InviterCouponTemplateID = 0 })
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		var ids []int64
		for i := range 3 {
			c := f.customer(fmt.Sprintf("朋友%d", i), fmt.Sprintf("1390000002%d", i))
			ids = append(ids, f.link(c, code, "").ID)
			f.buy(c, 1, address(20+i, ""))
		}
		f.clock.Add(8 * day)
		if r, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil || r.Rewarded != 3 {
			t.Fatalf("grant: %+v %v", r, err)
		}
		if f.referralPoints(alice) != 1000 {
			t.Fatalf("alice: %d points, want 2×500", f.referralPoints(alice))
		}
		last := f.get(ids[2])
		if !last.Rewards.InviterCapped || last.Rewards.InviteePoints != 300 || !has(last.Flags, referral.FlagCapped) {
			t.Fatalf("third: %+v", last)
		}
		// July: a new month.
		c := f.customer("七月朋友", "13900000030")
		f.link(c, code, "")
		f.buy(c, 1, address(30, ""))
		f.clock.Add(31 * day)
		if _, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if f.referralPoints(alice) != 1500 {
			t.Fatalf("alice after July: %d", f.referralPoints(alice))
		}
	})
}

// Many reward jobs at once — two instances, or a slow run overlapping the
// next — reward every invitation exactly once: the points ledger, the
// coupons and the invitations agree, and the monthly cap holds.
func TestGrantDue_ConcurrentRunsRewardExactlyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		p := f.programme(func(p *referral.Programme) {
			p.InviteeCouponTemplateID = p.InviterCouponTemplateID
			p.ReviewThreshold = 100
			p.MonthlyCap = 15
		})
		inviters := []int64{f.customer("王丽", "13800000001"), f.customer("周杰", "13800000002")}
		const each = 12
		var invitees []int64
		for i, inv := range inviters {
			code := f.code(inv, "")
			for j := range each {
				c := f.customer(fmt.Sprintf("朋友%d-%d", i, j), fmt.Sprintf("139%04d%04d", i, j))
				f.link(c, code, "")
				f.buy(c, 1, address(i*each+j, ""))
				invitees = append(invitees, c)
			}
		}
		f.clock.Add(8 * day)
		now := f.clock.Now()
		results := make([]referral.GrantResult, 8)
		errs := make([]error, 8)
		together(8, func(i int) { results[i], errs[i] = f.ref.GrantDue(ctx, now) })
		rewarded := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			rewarded += results[i].Rewarded
		}
		if rewarded != len(invitees) {
			t.Fatalf("runs rewarded %d invitations in all, want %d (%+v)", rewarded, len(invitees), results)
		}
		for _, c := range invitees {
			if got := f.referralPoints(c); got != 300 {
				t.Fatalf("invitee %d has %d referral points, want 300", c, got)
			}
			if got := f.couponsOf(c, p.InviteeCouponTemplateID); got != 1 {
				t.Fatalf("invitee %d has %d reward coupons, want 1", c, got)
			}
		}
		for _, inv := range inviters {
			// 12 invitations each, capped at 15 a month: all 12.
			if got := f.referralPoints(inv); got != each*500 {
				t.Fatalf("inviter %d has %d points, want %d", inv, got, each*500)
			}
			if got := f.couponsOf(inv, p.InviterCouponTemplateID); got != each {
				t.Fatalf("inviter %d has %d coupons, want %d", inv, got, each)
			}
		}
		var status int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM referral_invitations WHERE status = 'rewarded'`).Scan(&status); err != nil || status != int64(len(invitees)) {
			t.Fatalf("rewarded invitations %d %v", status, err)
		}
	})
}

// The cap under a race: one inviter, more due invitations than the cap,
// many runs at once: the inviter is rewarded exactly cap times.
func TestGrantDue_ConcurrentRunsHoldTheMonthlyCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(func(p *referral.Programme) { p.ReviewThreshold = 100; p.MonthlyCap = 3; p.InviterCouponTemplateID = 0 })
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		for j := range 10 {
			c := f.customer(fmt.Sprintf("朋友%d", j), fmt.Sprintf("1390000%04d", j))
			f.link(c, code, "")
			f.buy(c, 1, address(j, ""))
		}
		f.clock.Add(8 * day)
		together(6, func(int) {
			if _, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil {
				t.Error(err)
			}
		})
		if got := f.referralPoints(alice); got != 3*500 {
			t.Fatalf("alice has %d points, want the cap's 3×500", got)
		}
	})
}

// The hook runs again (db.InTxRerun, a payment notified twice): nothing
// moves twice.
func TestHook_RerunChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		alice, bob := f.customer("王丽", "13800000001"), f.customer("李明", "13900000002")
		v := f.link(bob, f.code(alice, ""), "")
		o := f.buy(bob, 1, address(1, ""))
		before := f.get(v.ID)
		m := order.Moved{OrderID: o.ID, No: o.No, CustomerID: bob, From: order.PendingPayment, To: order.Paid, At: f.clock.Now().Add(time.Hour)}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return referral.Hook{}.Moved(ctx, tx, m) }); err != nil {
			t.Fatal(err)
		}
		after := f.get(v.ID)
		if !after.PaidAt.Equal(*before.PaidAt) || !after.QualifiesAt.Equal(*before.QualifiesAt) || after.Status != before.Status {
			t.Fatalf("rerun moved it: %+v → %+v", before, after)
		}
	})
}

// Results count what happened in a period.
func TestResults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		bob, carol, dan := f.customer("李明", "13900000002"), f.customer("赵敏", "13700000003"), f.customer("孙强", "13600000004")
		f.link(bob, code, "")
		f.link(carol, code, "")
		f.link(dan, code, "")
		ob := f.buy(bob, 1, address(1, ""))
		f.buy(bob, 2, address(1, ""))
		oc := f.buy(carol, 1, address(2, ""))
		if _, err := f.orders.Cancel(opCtx(), oc.ID, "退"); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(8 * day)
		if _, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r, err := f.ref.Results(ctx, start.Add(-day), f.clock.Now().Add(day))
		if err != nil {
			t.Fatal(err)
		}
		want := referral.Results{Invitations: 3, FirstOrders: 2, InviteeOrders: 2, InviteeGMV: ob.Total * 3, Rewarded: 1,
			PointsGiven: 800, CouponsGiven: 1, PointsValue: 800}
		if r.Invitations != want.Invitations || r.FirstOrders != want.FirstOrders || r.InviteeOrders != want.InviteeOrders ||
			r.InviteeGMV != want.InviteeGMV || r.Rewarded != want.Rewarded || r.PointsGiven != want.PointsGiven ||
			r.CouponsGiven != want.CouponsGiven || r.PointsValue != want.PointsValue || r.RewardCost != 800 {
			t.Fatalf("results %+v, want %+v", r, want)
		}
		if r.ByStatus[referral.Rewarded] != 1 || r.ByStatus[referral.Void] != 1 || r.ByStatus[referral.Linked] != 1 {
			t.Fatalf("by status %v", r.ByStatus)
		}
		if _, err := f.ref.Results(ctx, start, start); fieldOf(err) != "to" {
			t.Fatalf("empty period: %v", err)
		}
	})
}

// Look-alike invitees of one inviter paying at the same moment still count
// each other: their first payments take turns on the inviter's code row,
// so with a threshold of 2 exactly the third and later are held, whatever
// order the payments commit in. (They share the shipping address, which
// shows only at payment, and buy different SKUs, so nothing else makes the
// payments wait for each other.)
func TestLookalikes_ConcurrentFirstPaymentsCountEachOther(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		code := f.code(f.customer("王丽", "13800000001"), "")
		const n = 6
		var orders []order.Order
		var buyers []int64
		for i := range n {
			c := f.customer(fmt.Sprintf("小号%d", i), fmt.Sprintf("1390000003%d", i))
			f.link(c, code, fmt.Sprintf("dev-%d", i))
			o, err := f.orders.Checkout(ctx, order.CheckoutInput{CustomerID: c, ShipTo: address(40, fmt.Sprintf("1350000004%d", i)),
				Lines: []price.Line{{SKUID: f.newSKU(fmt.Sprintf("BAG-%d", i)), Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			orders, buyers = append(orders, o), append(buyers, c)
		}
		together(n, func(i int) {
			if _, err := f.orders.Pay(ctx, buyers[i], orders[i].ID, order.PayInput{}); err != nil {
				t.Error(err)
			}
		})
		var held, flagged int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE review = 'pending'), COUNT(*) FILTER (WHERE flags LIKE '%shared_address%')
			FROM referral_invitations`).Scan(&held, &flagged); err != nil {
			t.Fatal(err)
		}
		if held != n-2 || flagged != n-1 {
			t.Fatalf("%d held and %d flagged of %d look-alikes, want %d and %d", held, flagged, n, n-2, n-1)
		}
	})
}

// One buyer using two friends' codes at once is linked to one of them;
// the other is told they were invited already.
func TestLink_RacingCodesMakeOneInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		var codes []string
		for i := range 8 {
			codes = append(codes, f.code(f.customer(fmt.Sprintf("朋友%d", i), fmt.Sprintf("1380000010%d", i)), ""))
		}
		bob := f.customer("李明", "13900000002")
		errs := make([]error, len(codes))
		together(len(codes), func(i int) { _, errs[i] = f.ref.Link(ctx, referral.LinkInput{CustomerID: bob, Code: codes[i]}) })
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case fieldOf(err) != "invite_code":
				t.Fatalf("a racing link failed otherwise: %v", err)
			}
		}
		var n int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM referral_invitations WHERE invitee_id = $1`, bob).Scan(&n); err != nil || n != 1 || ok != 1 {
			t.Fatalf("%d invitations, %d links accepted", n, ok)
		}
	})
}

// One buyer's storefront sending the same code twice at once (a double
// tap) gets the same invitation both times.
func TestLink_SameCodeTwiceAtOnceIsOneInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(nil)
		code := f.code(f.customer("王丽", "13800000001"), "")
		bob := f.customer("李明", "13900000002")
		ids := make([]int64, 6)
		together(len(ids), func(i int) {
			v, err := f.ref.Link(ctx, referral.LinkInput{CustomerID: bob, Code: code})
			if err != nil {
				t.Error(err)
			}
			ids[i] = v.ID
		})
		for _, id := range ids {
			if id != ids[0] || id == 0 {
				t.Fatalf("invitations %v", ids)
			}
		}
	})
}

// A reward coupon the template will not give (here: the inviter's
// per-customer limit) does not block the reward: the points are given,
// the invitation says why there is no coupon, and the refused issue
// leaves the template's count as it was.
func TestGrant_CouponRefusedIsNotedPointsStillGiven(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tpl, err := f.coupons.CreateTemplate(opCtx(), coupon.Input{Name: "邀请奖励 限领一张", ValidDays: 30, PerCustomerLimit: 1,
			Rule: coupon.Rule{Kind: promo.KindFixedOff, Amount: 2000, Threshold: 9900, Scope: promo.ScopeOrder}})
		if err != nil {
			t.Fatal(err)
		}
		f.programme(func(p *referral.Programme) { p.ReviewThreshold = 100; p.InviterCouponTemplateID = tpl.ID })
		alice := f.customer("王丽", "13800000001")
		code := f.code(alice, "")
		var ids []int64
		for i := range 2 {
			c := f.customer(fmt.Sprintf("朋友%d", i), fmt.Sprintf("1390000005%d", i))
			ids = append(ids, f.link(c, code, "").ID)
			f.buy(c, 1, address(50+i, ""))
		}
		f.clock.Add(8 * day)
		if r, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil || r.Rewarded != 2 {
			t.Fatalf("grant: %+v %v", r, err)
		}
		first, second := f.get(ids[0]), f.get(ids[1])
		if first.Rewards.InviterCouponID == 0 || second.Rewards.InviterCouponID != 0 || second.Rewards.InviterPoints != 500 || second.Note == "" {
			t.Fatalf("first %+v\nsecond %+v", first.Rewards, second)
		}
		got, err := f.coupons.GetTemplate(ctx, tpl.ID)
		if err != nil || got.Issued != 1 || f.couponsOf(alice, tpl.ID) != 1 {
			t.Fatalf("template issued %d, alice holds %d (%v)", got.Issued, f.couponsOf(alice, tpl.ID), err)
		}
	})
}
