package tier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/tier"
)

func (f *fixture) earn(e tier.Event) tier.Earned {
	f.t.Helper()
	var out tier.Earned
	err := f.d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		out, err = tier.Earn(context.Background(), tx, e)
		return err
	})
	if err != nil {
		f.t.Fatalf("earn %+v: %v", e, err)
	}
	return out
}

func (f *fixture) checkIn(id int64) tier.Earned {
	f.t.Helper()
	e, err := f.tiers.CheckIn(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// A check-in earns 5 once per store day: again the same day earns nothing
// and says repeat; the next day (Shanghai midnight, 16:00 UTC) earns again.
func TestCheckIn_OncePerStoreDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		id := f.customer("签到")
		if e := f.checkIn(id); e.Growth != 5 || e.Repeat {
			t.Fatalf("first check-in: %+v", e)
		}
		f.clock.Add(13 * time.Hour) // 23:00 in Shanghai, the same day
		if e := f.checkIn(id); e.Growth != 0 || !e.Repeat {
			t.Errorf("second check-in the same day: %+v", e)
		}
		f.clock.Add(2 * time.Hour) // 01:00 the next day
		if e := f.checkIn(id); e.Growth != 5 {
			t.Errorf("next day: %+v", e)
		}
		m := f.membership(id)
		if m.Growth != 10 || m.WindowGrowth != 10 || len(m.Movements) != 2 || m.Movements[0].Action != tier.ActionCheckIn ||
			m.Movements[0].Reason != "每日签到 Daily check-in" {
			t.Errorf("membership: growth %d window %d movements %+v", m.Growth, m.WindowGrowth, m.Movements)
		}
	})
}

// Caps count grants of one action: two a day at most, three ever; a
// repeated event earns once and does not use up the cap.
func TestActionCaps_DailyAndLifetime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.tiers.SaveActions(opCtx(), []tier.ActionRule{{Code: tier.ActionReferral, Growth: 100, DailyCap: 2, LifetimeCap: 3}}); err != nil {
			t.Fatal(err)
		}
		id := f.customer("邀请人")
		ev := func(key string) tier.Event {
			return tier.Event{CustomerID: id, Action: tier.ActionReferral, Key: key, At: f.clock.Now()}
		}
		for i, want := range []tier.Earned{
			{Action: tier.ActionReferral, Growth: 100},
			{Action: tier.ActionReferral, Repeat: true},
			{Action: tier.ActionReferral, Growth: 100},
		} {
			key := []string{"1", "1", "2"}[i]
			if got := f.earn(ev(key)); got != want {
				t.Errorf("event %d (%s): %+v, want %+v", i, key, got, want)
			}
		}
		if got := f.earn(ev("3")); got.Capped != "daily" || got.Growth != 0 {
			t.Errorf("third the same day: %+v", got)
		}
		f.clock.Add(24 * time.Hour)
		if got := f.earn(ev("3")); got.Growth != 100 {
			t.Errorf("the next day: %+v", got)
		}
		if got := f.earn(ev("4")); got.Capped != "lifetime" {
			t.Errorf("fourth ever: %+v", got)
		}
		if g := f.membership(id).Growth; g != 300 {
			t.Errorf("growth %d, want 300", g)
		}
		if _, err := f.tiers.SaveActions(opCtx(), []tier.ActionRule{{Code: tier.ActionReferral, Growth: 0}}); err != nil {
			t.Fatal(err)
		}
		if got := f.earn(ev("5")); !got.Off {
			t.Errorf("an action turned off: %+v", got)
		}
	})
}

func TestSaveActions_RefusesNamingTheField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, c := range []struct {
			rules []tier.ActionRule
			field string
		}{
			{[]tier.ActionRule{{Code: "review", Growth: 10}}, "actions[0].code"},
			{[]tier.ActionRule{{Code: tier.ActionCheckIn, Growth: -1}}, "actions[0].growth"},
			{[]tier.ActionRule{{Code: tier.ActionCheckIn, Growth: 5}, {Code: tier.ActionCheckIn, Growth: 6}}, "actions[1].code"},
			{[]tier.ActionRule{{Code: tier.ActionProfile, Growth: 5, DailyCap: -1}}, "actions[0].daily_cap"},
			{[]tier.ActionRule{{Code: tier.ActionProfile, Growth: 5, DailyCap: 3, LifetimeCap: 2}}, "actions[0].daily_cap"},
			{[]tier.ActionRule{{Code: tier.ActionProfile, Growth: 5, LifetimeCap: 5000}}, "actions[0].lifetime_cap"},
		} {
			_, err := f.tiers.SaveActions(opCtx(), c.rules)
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Errorf("%+v: %v, want a field error on %s", c.rules, err, c.field)
			}
		}
		as, err := f.tiers.Actions(context.Background())
		if err != nil || len(as) != 3 || as[0].Growth != 5 || as[1].Growth != 50 || as[2].LifetimeCap != 20 {
			t.Errorf("refused saves changed the defaults: %+v %v", as, err)
		}
	})
}

// An action's growth over a threshold upgrades at once, and the tier
// change names the action that made it.
func TestActionGrowth_UpgradesAtOnceWithItsReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		if _, err := f.tiers.SaveActions(opCtx(), []tier.ActionRule{{Code: tier.ActionCheckIn, Growth: 500, DailyCap: 1}}); err != nil {
			t.Fatal(err)
		}
		id := f.customer("签到达人")
		f.checkIn(id)
		m := f.membership(id)
		if m.Tier.Code != "silver" || len(m.Changes) != 1 || m.Changes[0].Cause != "每日签到 Daily check-in" ||
			m.Changes[0].Source == "" || m.Changes[0].Threshold != 500 {
			t.Fatalf("after the check-in: tier %s changes %+v", m.Tier.Code, m.Changes)
		}
	})
}

// A profile saved complete earns 完善资料 once, whether it is completed at
// creation or by a later update.
func TestProfileCompleted_EarnsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.cust.Saved = tier.ProfileSaved
		c, err := f.cust.Create(opCtx(), customer.Profile{Name: "王小美", Phone: "13800138111"})
		if err != nil {
			t.Fatal(err)
		}
		if g := f.membership(c.ID).Growth; g != 0 {
			t.Fatalf("an incomplete profile earned %d", g)
		}
		full := customer.Profile{Name: "王小美", Phone: "13800138111", Email: "xm@example.com", Gender: "female", Birthday: "1995-03-08"}
		for range 2 {
			if _, err := f.cust.Update(opCtx(), c.ID, full); err != nil {
				t.Fatal(err)
			}
		}
		m := f.membership(c.ID)
		if m.Growth != 50 || len(m.Movements) != 1 || m.Movements[0].Action != tier.ActionProfile {
			t.Errorf("completed twice: growth %d movements %+v", m.Growth, m.Movements)
		}
	})
}

// An operator grants growth with a reason (a key makes the retry count
// once, another grant under the key is refused), and reverses it once; the
// growth of spend is not reversed by hand.
func TestGrantAndReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.withoutDiscount()
		id := f.customer("客诉")
		g := tier.Grant{Growth: 600, Reason: "客诉补偿", Key: "ticket-42"}
		mv, err := f.tiers.GrantGrowth(opCtx(), id, g)
		if err != nil || mv.Amount != 600 || mv.Action != tier.ActionManual || mv.Reason != "客诉补偿" {
			t.Fatalf("grant: %+v %v", mv, err)
		}
		f.clock.Add(time.Minute)
		if again, err := f.tiers.GrantGrowth(opCtx(), id, g); err != nil || again.ID != mv.ID {
			t.Errorf("retry: %+v %v", again, err)
		}
		if _, err := f.tiers.GrantGrowth(opCtx(), id, tier.Grant{Growth: 700, Reason: "客诉补偿", Key: "ticket-42"}); !errors.Is(err, tier.ErrGrantKeyUsed) {
			t.Errorf("another grant under the key: %v", err)
		}
		for _, bad := range []tier.Grant{{Growth: 0, Reason: "x"}, {Growth: 5}, {Growth: tier.MaxGrant + 1, Reason: "x"}} {
			if _, err := f.tiers.GrantGrowth(opCtx(), id, bad); err == nil {
				t.Errorf("grant %+v accepted", bad)
			}
		}
		if _, err := f.tiers.GrantGrowth(opCtx(), 999999, tier.Grant{Growth: 5, Reason: "x"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown customer: %v", err)
		}
		m := f.membership(id)
		if m.Tier.Code != "silver" || m.Growth != 600 {
			t.Fatalf("after the grant: %s %d", m.Tier.Code, m.Growth)
		}
		if _, err := f.tiers.Reverse(opCtx(), id, mv.ID, ""); err == nil {
			t.Error("a reversal without a reason")
		}
		rev, err := f.tiers.Reverse(opCtx(), id, mv.ID, "误操作")
		if err != nil || rev.Amount != -600 || rev.Reason != "误操作" {
			t.Fatalf("reverse: %+v %v", rev, err)
		}
		if _, err := f.tiers.Reverse(opCtx(), id, mv.ID, "again"); !errors.Is(err, tier.ErrNotReversible) {
			t.Errorf("reversed twice: %v", err)
		}
		if _, err := f.tiers.Reverse(opCtx(), id, rev.ID, "undo the undo"); !errors.Is(err, tier.ErrNotReversible) {
			t.Errorf("a reversal reversed: %v", err)
		}
		m = f.membership(id)
		if m.Growth != 0 || m.Tier.Code != "silver" || !m.Movements[1].Reversed {
			t.Errorf("after the reversal (tier waits for the evaluation): growth %d tier %s %+v", m.Growth, m.Tier.Code, m.Movements)
		}
		if _, err := f.tiers.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if m = f.membership(id); m.Tier.Code != "normal" {
			t.Errorf("after the evaluation: %s", m.Tier.Code)
		}
		o := f.paid(id, f.sku("TEE", 5900), 1)
		var spend int64
		if err := d.QueryRow(context.Background(), `SELECT id FROM growth_movements WHERE order_id = $1`, o.ID).Scan(&spend); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tiers.Reverse(opCtx(), id, spend, "no"); !errors.Is(err, tier.ErrNotReversible) {
			t.Errorf("spend reversed by hand: %v", err)
		}
	})
}
