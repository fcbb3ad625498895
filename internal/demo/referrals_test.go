package demo

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/referral"
)

// The demo's referral programme shows every state, a review queue, and
// rewards that agree with the points ledger and the coupons.
func TestGenerate_ReferralsInEveryState(t *testing.T) {
	d := dbtest.SQLite(t)
	opts := smallShop(t)
	opts.Days = 400
	generate(t, d, opts)
	ctx := context.Background()
	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := d.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, st := range referral.Statuses() {
		if n := count(`SELECT COUNT(*) FROM referral_invitations WHERE status = $1`, string(st)); n == 0 {
			t.Errorf("no %s invitations", st)
		}
	}
	for _, reason := range []string{referral.VoidRefunded, referral.VoidSelfReferral, referral.VoidRejected} {
		if n := count(`SELECT COUNT(*) FROM referral_invitations WHERE void_reason = $1`, reason); n == 0 {
			t.Errorf("no invitation void as %s", reason)
		}
	}
	if n := count(`SELECT COUNT(*) FROM referral_invitations WHERE review = 'pending'`); n == 0 {
		t.Error("nothing in the review queue")
	}
	if n := count(`SELECT COUNT(*) FROM referral_invitations WHERE review = 'approved' AND status = 'rewarded'`); n != 1 {
		t.Errorf("%d approved and rewarded, want 1", n)
	}
	ledger := count(`SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE source_kind = 'referral'`)
	given := count(`SELECT COALESCE(SUM(inviter_points + invitee_points), 0) FROM referral_invitations WHERE status = 'rewarded'`)
	if ledger == 0 || ledger != given {
		t.Errorf("reward points: ledger %d, invitations %d", ledger, given)
	}
	coupons := count(`SELECT COUNT(*) FROM referral_invitations WHERE inviter_coupon_id IS NOT NULL`)
	if issued := count(`SELECT COUNT(*) FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE t.name = '邀请有礼 满100减20'`); issued == 0 || issued != coupons {
		t.Errorf("reward coupons: %d issued, %d on invitations", issued, coupons)
	}
	p, err := referral.LoadProgramme(ctx, d)
	if err != nil || !p.Enabled {
		t.Fatalf("programme %+v %v", p, err)
	}
	t.Logf("invitations by status: linked %d, paid %d, rewarded %d, void %d; held %d",
		count(`SELECT COUNT(*) FROM referral_invitations WHERE status = 'linked'`), count(`SELECT COUNT(*) FROM referral_invitations WHERE status = 'paid'`),
		count(`SELECT COUNT(*) FROM referral_invitations WHERE status = 'rewarded'`), count(`SELECT COUNT(*) FROM referral_invitations WHERE status = 'void'`),
		count(`SELECT COUNT(*) FROM referral_invitations WHERE review = 'pending'`))
}
