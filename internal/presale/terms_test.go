package presale

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

func TestTerms_DepositInflation(t *testing.T) {
	// 双11: ¥1,299 presale price, ¥100 deposit counts as ¥200, ¥30 off the tail.
	tm := Terms{PresalePrice: 129900, Deposit: 10000, DepositValue: 20000, TailDiscount: 3000}
	if got := tm.TailUnit(); got != 129900-20000-3000 {
		t.Fatalf("tail %d", got)
	}
	if got := tm.PaidUnit(); got != 10000+106900 {
		t.Fatalf("paid in all %d", got)
	}
	if got := tm.Inflation(); got != 10000 {
		t.Fatalf("inflation %d", got)
	}
	// What the buyer pays in all is the presale price less the inflation
	// and the tail discount.
	if tm.PaidUnit() != tm.PresalePrice-tm.Inflation()-tm.TailDiscount {
		t.Fatal("paid in all is not P − (Y − X) − d")
	}
}

func TestTerms_CheckNamesTheField(t *testing.T) {
	ok := Terms{PresalePrice: 10000, Deposit: 1000, DepositValue: 2000}
	cases := []struct {
		name  string
		edit  func(*Terms)
		list  int64
		field string
	}{
		{"ok", func(*Terms) {}, 12000, ""},
		{"price above list", func(t *Terms) { t.PresalePrice = 13000 }, 12000, "presale_price"},
		{"no price", func(t *Terms) { t.PresalePrice = 0 }, 0, "presale_price"},
		{"no deposit", func(t *Terms) { t.Deposit = 0 }, 0, "deposit"},
		{"value below deposit", func(t *Terms) { t.DepositValue = 999 }, 0, "deposit_value"},
		{"value pays everything", func(t *Terms) { t.DepositValue = 10000 }, 0, "deposit_value"},
		{"negative tail discount", func(t *Terms) { t.TailDiscount = -1 }, 0, "tail_discount"},
		{"tail discount eats the tail", func(t *Terms) { t.TailDiscount = 8000 }, 0, "tail_discount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := ok
			c.edit(&tm)
			err := tm.Check(c.list)
			var fe *apperr.FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("want a field error on %s, got %v", c.field, err)
			}
		})
	}
}

func TestWindows_CheckAndPhase(t *testing.T) {
	now := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	w := Windows{DepositStartsAt: now, DepositEndsAt: now.Add(10 * 24 * time.Hour),
		TailStartsAt: now.Add(11 * 24 * time.Hour), TailEndsAt: now.Add(12 * 24 * time.Hour)}
	if err := w.Check(now); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*Windows){
		"deposit_ends_at": func(w *Windows) { w.DepositEndsAt = w.DepositStartsAt },
		"tail_starts_at":  func(w *Windows) { w.TailStartsAt = w.DepositEndsAt.Add(-time.Second) },
		"tail_ends_at":    func(w *Windows) { w.TailEndsAt = w.TailStartsAt },
	}
	for field, edit := range bad {
		x := w
		edit(&x)
		var fe *apperr.FieldError
		if err := x.Check(now); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	past := w
	past.DepositStartsAt, past.DepositEndsAt = now.Add(-2*time.Hour), now.Add(-time.Hour)
	if err := past.Check(now); err == nil {
		t.Error("a deposit window in the past was accepted")
	}
	phases := []struct {
		at    time.Time
		ended bool
		want  Phase
	}{
		{now.Add(-time.Second), false, Scheduled},
		{now, false, DepositOpen},
		{now.Add(time.Hour), true, AwaitTail},
		{w.DepositEndsAt, false, AwaitTail},
		{w.TailStartsAt, false, TailOpen},
		{w.TailStartsAt, true, TailOpen},
		{w.TailEndsAt, false, Finished},
	}
	for _, p := range phases {
		if got := w.PhaseAt(p.at, p.ended); got != p.want {
			t.Errorf("at %s ended=%v: %s, want %s", p.at, p.ended, got, p.want)
		}
	}
}

func TestForfeitRule_SaysWhatHappensInTheStoreZone(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	end := time.Date(2026, 11, 11, 15, 59, 0, 0, time.UTC)
	zh, en := ForfeitRule(false, end, sh)
	if !strings.Contains(zh, "2026-11-11 23:59") || !strings.Contains(zh, "定金不退") || !strings.Contains(en, "forfeited") {
		t.Fatalf("forfeit: %q / %q", zh, en)
	}
	zh, en = ForfeitRule(true, end, sh)
	if !strings.Contains(zh, "退还") || !strings.Contains(en, "refunded") {
		t.Fatalf("refundable: %q / %q", zh, en)
	}
}
