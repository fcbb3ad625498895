package coupon_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/promo"
)

func TestTemplateInput_Validate(t *testing.T) {
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 30)
	ok := func() coupon.Input {
		return coupon.Input{Name: "新人券", ValidDays: 7, Rule: coupon.Rule{Kind: promo.KindFixedOff, Amount: 1000, Threshold: 9900}}
	}
	cases := []struct {
		name  string
		edit  func(*coupon.Input)
		field string // "" valid
	}{
		{"满99减10 is fine", func(*coupon.Input) {}, ""},
		{"no threshold is fine", func(in *coupon.Input) { in.Rule.Threshold = 0 }, ""},
		{"threshold lower than the discount", func(in *coupon.Input) { in.Rule.Threshold = 500 }, "rule.threshold"},
		{"threshold equal to the discount", func(in *coupon.Input) { in.Rule.Threshold = 1000 }, "rule.threshold"},
		{"no name", func(in *coupon.Input) { in.Name = " " }, "name"},
		{"name too long", func(in *coupon.Input) { in.Name = strings.Repeat("券", 61) }, "name"},
		{"a gift is not a coupon", func(in *coupon.Input) { in.Rule.Kind = promo.KindGift }, "rule.kind"},
		{"no amount", func(in *coupon.Input) { in.Rule.Amount = 0 }, "rule.amount"},
		{"percent off needs a rate", func(in *coupon.Input) { in.Rule = coupon.Rule{Kind: promo.KindPercentOff} }, "rule.rate_bp"},
		{"9折 capped at ¥20", func(in *coupon.Input) { in.Rule = coupon.Rule{Kind: promo.KindPercentOff, RateBP: 1000, Cap: 2000} }, ""},
		{"a cap on a fixed amount", func(in *coupon.Input) { in.Rule.Cap = 100 }, "rule.cap"},
		{"满300减50 满500减100", func(in *coupon.Input) {
			in.Rule = coupon.Rule{Kind: promo.KindTieredOff, Levels: []promo.Level{{Threshold: 30000, Off: 5000}, {Threshold: 50000, Off: 10000}}}
		}, ""},
		{"tiered off more than its threshold", func(in *coupon.Input) {
			in.Rule = coupon.Rule{Kind: promo.KindTieredOff, Levels: []promo.Level{{Threshold: 3000, Off: 5000}}}
		}, "rule.levels[0].off"},
		{"products scope without products", func(in *coupon.Input) { in.Rule.Scope = promo.ScopeProducts }, "rule.product_ids"},
		{"empty channel", func(in *coupon.Input) { in.Rule.Channels = []string{" "} }, "rule.channels[0]"},
		{"fixed window", func(in *coupon.Input) { in.ValidDays, in.ValidFrom, in.ValidTo = 0, &from, &to }, ""},
		{"dates reversed", func(in *coupon.Input) { in.ValidDays, in.ValidFrom, in.ValidTo = 0, &to, &from }, "valid_to"},
		{"window and days", func(in *coupon.Input) { in.ValidFrom, in.ValidTo = &from, &to }, "valid_days"},
		{"no validity", func(in *coupon.Input) { in.ValidDays = 0 }, "valid_to"},
		{"too many days", func(in *coupon.Input) { in.ValidDays = 4000 }, "valid_days"},
		{"negative total", func(in *coupon.Input) { in.TotalLimit = -1 }, "total_limit"},
		{"per customer above total", func(in *coupon.Input) { in.TotalLimit, in.PerCustomerLimit = 2, 3 }, "per_customer_limit"},
		{"shared code", func(in *coupon.Input) { in.SharedCode = " summer50 " }, ""},
		{"shared code too short", func(in *coupon.Input) { in.SharedCode = "AB" }, "shared_code"},
		{"shared code with a space", func(in *coupon.Input) { in.SharedCode = "SUMMER 50" }, "shared_code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := ok()
			c.edit(&in)
			in.Normalize()
			err := in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("want a field error on %s, got %v", c.field, err)
			}
		})
	}
}

func TestNormalize_DefaultsAndCodeCase(t *testing.T) {
	in := coupon.Input{Name: " 直播间专属券 ", SharedCode: " live-20 ", Rule: coupon.Rule{Channels: []string{"live", " community"}}}
	in.Normalize()
	if in.Name != "直播间专属券" || in.SharedCode != "LIVE-20" || in.PerCustomerLimit != 1 || in.Rule.Scope != promo.ScopeOrder ||
		!slices.Equal(in.Rule.Channels, []string{"community", "live"}) {
		t.Fatalf("normalized: %+v", in)
	}
}

func TestNewCode_UsesTheReadableAlphabet(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := coupon.NewCode("VIP")
		if !strings.HasPrefix(c, "VIP") || len(c) != 13 {
			t.Fatalf("code %q", c)
		}
		if strings.ContainsAny(c[3:], "01IOL") {
			t.Fatalf("code %q has a character buyers misread", c)
		}
		if seen[c] {
			t.Fatalf("code %q made twice in 2000", c)
		}
		seen[c] = true
	}
}

func TestUsedRate(t *testing.T) {
	for _, c := range []struct{ used, issued, want int64 }{{0, 0, 0}, {1, 3, 3333}, {3, 3, 10000}, {0, 5, 0}} {
		if got := coupon.UsedRate(c.used, c.issued); got != c.want {
			t.Errorf("UsedRate(%d, %d) = %d, want %d", c.used, c.issued, got, c.want)
		}
	}
}
