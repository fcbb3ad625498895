package points_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/points"
)

// Random sequences of movements, repeated keys and expiries: after every
// step each customer's balance equals the sum of their ledger, is never
// negative, and moves exactly as a plain model says (a repeated key
// changes nothing, a debit beyond the balance is refused).
func TestLedger_Property_BalanceIsTheLedgerSum(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		var ids []int64
		for i := range 4 {
			ids = append(ids, f.customer(fmt.Sprintf("顾客%d", i)))
		}
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 42))
			model := map[int64]int64{}
			for _, id := range ids {
				model[id] = f.balance(id)
			}
			seen := map[string]bool{}
			for step := range 150 {
				c := ids[rng.IntN(len(ids))]
				key := fmt.Sprintf("s%d:k%d", seed, rng.IntN(60)) // repeats on purpose
				var e points.Entry
				switch op := rng.IntN(10); {
				case op < 4:
					e = points.Entry{Kind: points.Earn, Points: 1 + rng.Int64N(500), ExpiresAt: f.clock.Now().Add(time.Duration(1+rng.IntN(60)) * 24 * time.Hour)}
				case op < 7:
					e = points.Entry{Kind: points.Redeem, Points: -(1 + rng.Int64N(600))}
				case op < 8:
					e = points.Entry{Kind: points.Reverse, Points: -(1 + rng.Int64N(300))}
				case op < 9:
					e = points.Entry{Kind: points.Adjust, Points: rng.Int64N(400) - 200}
					if e.Points == 0 {
						e.Points = 1
					}
				default:
					f.clock.Add(time.Duration(rng.IntN(40)) * 24 * time.Hour)
					if _, err := f.points.ExpireDue(ctx, f.clock.Now()); err != nil {
						t.Fatal(err)
					}
					again, err := f.points.ExpireDue(ctx, f.clock.Now())
					if err != nil || again != 0 {
						t.Fatalf("second expiry run at once expired %d customers (%v)", again, err)
					}
					for _, id := range ids {
						b := f.balance(id)
						if b > model[id] {
							t.Fatalf("expiry raised customer %d from %d to %d", id, model[id], b)
						}
						model[id] = b
					}
					checkSums(t, d)
					continue
				}
				e.CustomerID, e.Key, e.At = c, key, f.clock.Now()
				var wrote bool
				err := d.InTx(ctx, func(tx *db.Tx) error {
					var err error
					wrote, err = points.Write(ctx, tx, e)
					return err
				})
				switch {
				case seen[key]:
					if err != nil || wrote {
						t.Fatalf("step %d: repeated key %s wrote %v (%v)", step, key, wrote, err)
					}
				case e.Points < 0 && -e.Points > model[c]:
					if !errors.Is(err, points.ErrInsufficient) || !errors.Is(err, apperr.ErrConflict) {
						t.Fatalf("step %d: debit %d of %d: %v", step, e.Points, model[c], err)
					}
				default:
					if err != nil || !wrote {
						t.Fatalf("step %d: %+v: %v", step, e, err)
					}
					seen[key] = true
					model[c] += e.Points
				}
				if got := f.balance(c); got != model[c] {
					t.Fatalf("step %d: customer %d balance %d, model %d", step, c, got, model[c])
				}
				checkSums(t, d)
			}
		}
		var expired int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM points_ledger WHERE kind = 'expire'`).Scan(&expired); err != nil || expired == 0 {
			t.Fatalf("the sequences never expired points (%d, %v): the property missed expiry", expired, err)
		}
	})
}

// Twenty redemptions of 60 points each race for one customer's 100
// points, each in its own transaction: exactly one succeeds.
func TestRedeem_RacingForTheSamePoints_OneWins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		c := f.customer("张三")
		if _, err := f.points.Adjust(opCtx(), c, points.AdjustInput{Points: 100, Reason: "开业赠送"}); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = d.InTx(ctx, func(tx *db.Tx) error {
					_, err := points.Write(ctx, tx, points.Entry{CustomerID: c, Kind: points.Redeem, Points: -60,
						Key: fmt.Sprintf("race:%d", i), At: f.clock.Now()})
					return err
				})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, points.ErrInsufficient):
				t.Fatalf("unexpected: %v", err)
			}
		}
		if won != 1 || f.balance(c) != 40 {
			t.Fatalf("%d redemptions won, balance %d", won, f.balance(c))
		}
		checkSums(t, d)
	})
}

func TestRules_Table(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	r := points.Defaults
	for _, c := range []struct {
		paid, want int64
	}{{0, 0}, {99, 0}, {100, 1}, {9999, 99}, {12900, 129}, {-5, 0}} {
		if got := r.EarnFor(c.paid); got != c.want {
			t.Errorf("EarnFor(%d) = %d, want %d", c.paid, got, c.want)
		}
	}
	// Earned on 2026-12-31 23:30 in Shanghai (15:30 UTC): the end of 2027 there.
	got := r.ExpiresAt(time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC), shanghai)
	if want := time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
	r.ExpiryMonths = 6
	if got := r.ExpiresAt(start, time.UTC); !got.Equal(start.AddDate(0, 6, 0)) {
		t.Errorf("6 months: %v", got)
	}
	if got := r.Value(250); got != 250 {
		t.Errorf("250 points at 100 per ¥1 = %d 分", got)
	}
	for _, bad := range []points.Rules{{RedeemPerYuan: 0}, {RedeemPerYuan: 100, MaxShareBP: 10001},
		{RedeemPerYuan: 100, Ladder: []points.Rung{{OrderNumber: 1, Bonus: 5}, {OrderNumber: 1, Bonus: 6}}},
		{RedeemPerYuan: 100, Ladder: []points.Rung{{OrderNumber: 0, Bonus: 5}}}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

// Oldest points are spent first: of 100 points expiring first and 50
// later, a 30-point redemption used the older ones, so 70 expire at the
// first date and 50 at the second; a second run at once expires nothing.
func TestExpireDue_OldestSpentFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		c := f.customer("张三")
		e1, e2 := start.AddDate(0, 1, 0), start.AddDate(0, 2, 0)
		for _, e := range []points.Entry{
			{Kind: points.Earn, Points: 100, Key: "a", ExpiresAt: e1},
			{Kind: points.Earn, Points: 50, Key: "b", ExpiresAt: e2},
			{Kind: points.Redeem, Points: -30, Key: "c"},
		} {
			e.CustomerID, e.At = c, start
			if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := points.Write(ctx, tx, e); return err }); err != nil {
				t.Fatal(err)
			}
		}
		for _, step := range []struct {
			at        time.Time
			customers int
			balance   int64
		}{{e1.Add(-time.Millisecond), 0, 120}, {e1, 1, 50}, {e1, 0, 50}, {e2, 1, 0}, {e2.Add(time.Hour), 0, 0}} {
			n, err := f.points.ExpireDue(ctx, step.at)
			if err != nil || n != step.customers || f.balance(c) != step.balance {
				t.Fatalf("at %v: expired %d customers (%v), balance %d; want %d, %d", step.at, n, err, f.balance(c), step.customers, step.balance)
			}
		}
		checkSums(t, d)
	})
}
