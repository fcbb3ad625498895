package referral_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/referral"
)

// Random shops of invitations — first orders paid on random days, some
// refunded in or after their holding period, look-alikes held and decided,
// the reward job run at random times, sometimes twice — always end with:
// rewards only on rewarded invitations and each exactly what the
// invitation records; no reward before the holding period ended; no
// refunded-in-holding first order rewarded; held invitations never
// rewarded.
func TestProperty_RewardsFollowTheStateMachine(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { shopOfInvitations(t, seed) })
	}
}

func shopOfInvitations(t *testing.T, seed uint64) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := rand.New(rand.NewPCG(seed, 42))
		f := newFixture(t, d)
		ctx := context.Background()
		f.programme(func(p *referral.Programme) { p.MonthlyCap = 0 })
		var codes []string
		for i := range 3 {
			codes = append(codes, f.code(f.customer(fmt.Sprintf("邀请人%d", i), fmt.Sprintf("1380000020%d", i)), ""))
		}
		type invitee struct {
			id    int64
			order order.Order
			paid  bool
		}
		var ins []*invitee
		for i := range 12 {
			c := f.customer(fmt.Sprintf("朋友%d", i), fmt.Sprintf("139000020%02d", i))
			dev := fmt.Sprintf("dev-%d", i)
			if r.IntN(2) == 0 {
				dev = "dev-shared"
			}
			f.link(c, codes[r.IntN(len(codes))], dev)
			ins = append(ins, &invitee{id: c})
		}
		for range 60 {
			switch r.IntN(5) {
			case 0, 1: // someone pays
				in := ins[r.IntN(len(ins))]
				o := f.buy(in.id, 1, address(r.IntN(12), ""))
				if !in.paid {
					in.order, in.paid = o, true
				}
			case 2: // a first order is called off (refunded in full)
				in := ins[r.IntN(len(ins))]
				if in.paid {
					if _, err := f.orders.Cancel(opCtx(), in.order.ID, "退款"); err != nil && !isConflict(err) {
						t.Fatal(err)
					}
				}
			case 3: // the reward job, once or twice at once
				n := 1 + r.IntN(2)
				together(n, func(int) {
					if _, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil {
						t.Error(err)
					}
				})
			case 4: // an operator decides a held invitation
				held, _, err := f.ref.List(ctx, referral.Filter{Review: referral.ReviewPending, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if len(held) > 0 {
					if r.IntN(2) == 0 {
						_, err = f.ref.Approve(opCtx(), held[0].ID, "")
					} else {
						_, err = f.ref.Reject(opCtx(), held[0].ID, "可疑")
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			f.clock.Add(time.Duration(r.IntN(48)) * time.Hour)
		}
		checkInvariants(t, f)
	})
}

func isConflict(err error) bool { return errors.Is(err, apperr.ErrConflict) }

func checkInvariants(t *testing.T, f *fixture) {
	t.Helper()
	vs, _, err := f.ref.List(context.Background(), referral.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	defer func() { t.Logf("invitations: %v", seen) }()
	for _, v := range vs {
		seen[string(v.Status)+"/"+v.VoidReason+"/"+string(v.Review)]++
		var ledger int64
		if err := f.d.QueryRow(context.Background(), `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE source_kind = 'referral' AND source_id = $1`,
			v.ID).Scan(&ledger); err != nil {
			t.Fatal(err)
		}
		switch v.Status {
		case referral.Rewarded:
			if ledger != v.Rewards.InviterPoints+v.Rewards.InviteePoints {
				t.Errorf("invitation %d: ledger %d, recorded %+v", v.ID, ledger, v.Rewards)
			}
			if v.PaidAt == nil || v.RewardedAt.Before(v.PaidAt.Add(7*24*time.Hour)) {
				t.Errorf("invitation %d rewarded before its holding period ended: %+v", v.ID, v)
			}
			if v.Review == referral.ReviewPending {
				t.Errorf("invitation %d rewarded while held", v.ID)
			}
		default:
			if ledger != 0 || v.Rewards.InviterCouponID != 0 || v.Rewards.InviteeCouponID != 0 {
				t.Errorf("invitation %d is %s with rewards: ledger %d, %+v", v.ID, v.Status, ledger, v.Rewards)
			}
		}
		if v.Status == referral.Void && v.VoidReason == referral.VoidRefunded && v.Refunded < v.OrderTotal {
			t.Errorf("invitation %d void as refunded with %d of %d refunded", v.ID, v.Refunded, v.OrderTotal)
		}
		if v.Status == referral.Linked && v.OrderID != 0 {
			t.Errorf("invitation %d linked with an order", v.ID)
		}
	}
}
