package promo_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/promo"
)

func TestPromotionValidate_NamesTheField(t *testing.T) {
	ok := map[string]promo.Promotion{
		"tiered":  tiered(1, false, promo.Level{Threshold: 30000, Off: 5000}, promo.Level{Threshold: 50000, Off: 10000}),
		"percent": {Name: "8折", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 2000},
		"fixed":   {Name: "立减", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{1}, Amount: 500, PerUnit: true},
		"bngm":    {Name: "买2送1", Kind: promo.KindBuyNGetM, Scope: promo.ScopeOrder, BuyN: 2, GetM: 1},
		"bundle":  {Name: "套餐", Kind: promo.KindBundle, BundleSKUs: []int64{1, 2}, BundlePrice: 100},
		"member":  {Name: "会员日", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder, TierRatesBP: map[string]int64{"gold": 1000}},
		"gift":    {Name: "赠品", Kind: promo.KindGift, Scope: promo.ScopeOrder, Gift: promo.Gift{SKUID: 1, Quantity: 1}},
	}
	for name, p := range ok {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := []struct {
		field string
		edit  func(p *promo.Promotion)
		base  string
	}{
		{"name", func(p *promo.Promotion) { p.Name = "" }, "percent"},
		{"kind", func(p *promo.Promotion) { p.Kind = "half_price" }, "percent"},
		{"ends_at", func(p *promo.Promotion) { p.StartsAt, p.EndsAt = sunday, sunday }, "percent"},
		{"schedule.weekdays[0]", func(p *promo.Promotion) { p.Schedule.Weekdays = []time.Weekday{7} }, "percent"},
		{"schedule.month_days[1]", func(p *promo.Promotion) { p.Schedule.MonthDays = []int{15, 32} }, "percent"},
		{"rate_bp", func(p *promo.Promotion) { p.RateBP = 10000 }, "percent"},
		{"cap", func(p *promo.Promotion) { p.Cap = -1 }, "percent"},
		{"scope", func(p *promo.Promotion) { p.Scope = "" }, "percent"},
		{"product_ids", func(p *promo.Promotion) { p.ProductIDs = nil }, "fixed"},
		{"amount", func(p *promo.Promotion) { p.Amount = 0 }, "fixed"},
		{"per_unit", func(p *promo.Promotion) { p.Scope = promo.ScopeOrder }, "fixed"},
		{"category_ids", func(p *promo.Promotion) { p.Scope = promo.ScopeCategories }, "bngm"},
		{"get_m", func(p *promo.Promotion) { p.GetM = 0 }, "bngm"},
		{"bundle_skus[1]", func(p *promo.Promotion) { p.BundleSKUs = []int64{1, 1} }, "bundle"},
		{"bundle_price", func(p *promo.Promotion) { p.BundlePrice = 0 }, "bundle"},
		{"tier_rates_bp.gold", func(p *promo.Promotion) { p.TierRatesBP = map[string]int64{"gold": 0} }, "member"},
		{"gift.sku_id", func(p *promo.Promotion) { p.Gift.SKUID = 0 }, "gift"},
		{"levels[1].threshold", func(p *promo.Promotion) { p.Levels[1].Threshold = 30000 }, "tiered"},
		{"levels[0].off", func(p *promo.Promotion) { p.Levels[0].Off = 40000 }, "tiered"},
		{"repeat", func(p *promo.Promotion) { p.Repeat = true }, "tiered"},
		{"scope", func(p *promo.Promotion) { p.Scope = promo.ScopeProducts }, "tiered"},
	}
	for _, c := range bad {
		p := ok[c.base]
		p.Levels = append([]promo.Level(nil), p.Levels...)
		c.edit(&p)
		var fe *apperr.FieldError
		if err := p.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s with bad %s: %v", c.base, c.field, err)
		}
	}
}

func TestCouponValidate_PrefixesRuleFields(t *testing.T) {
	c := promo.Coupon{Code: "X", Rule: promo.Promotion{Name: "券", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder}}
	var fe *apperr.FieldError
	if err := c.Validate(); !errors.As(err, &fe) || fe.Field != "rule.amount" {
		t.Errorf("%v, want rule.amount", err)
	}
	c.Rule.Kind = promo.KindGift
	if err := c.Validate(); !errors.As(err, &fe) || fe.Field != "rule.kind" {
		t.Errorf("%v, want rule.kind", err)
	}
	c.Code = ""
	if err := c.Validate(); !errors.As(err, &fe) || fe.Field != "code" {
		t.Errorf("%v, want code", err)
	}
}

// Promotions are data: what the operator saves as JSON prices the same.
func TestPromotion_JSONRoundTrip(t *testing.T) {
	in := []promo.Promotion{
		{ID: 1, Name: "周三会员日", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder, Group: "member", Priority: 2,
			TierRatesBP: map[string]int64{"gold": 1000, "silver": 500}, Schedule: promo.Schedule{Weekdays: []time.Weekday{time.Wednesday}},
			StartsAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		tiered(2, true, promo.Level{Threshold: 30000, Off: 5000}),
		{ID: 3, Name: "赠品", Kind: promo.KindGift, Scope: promo.ScopeCategories, CategoryIDs: []int64{4}, Threshold: 9900,
			Gift: promo.Gift{SKUID: 9, ProductID: 90, Quantity: 1, InStock: true}, FirstOrderOnly: true, Channels: []string{"live"}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []promo.Promotion
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n%+v\n%+v", in, out)
	}
	if !strings.Contains(string(b), `"tier_rates_bp":{"gold":1000,"silver":500}`) || !strings.Contains(string(b), `"levels":[{"threshold":30000,"off":5000}]`) {
		t.Errorf("field names: %s", b)
	}
}
