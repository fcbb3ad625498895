package promotion

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/promo"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func TestEffective(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		stored       Status
		starts, ends time.Time
		want         Status
	}{
		{StatusDraft, t0, t0.Add(day), StatusDraft},
		{StatusScheduled, t0.Add(day), time.Time{}, StatusScheduled},
		{StatusScheduled, t0.Add(-day), t0.Add(day), StatusActive},
		{StatusScheduled, time.Time{}, time.Time{}, StatusActive},
		{StatusScheduled, t0, t0.Add(day), StatusActive}, // starts_at is inclusive
		{StatusScheduled, t0.Add(-day), t0, StatusEnded}, // ends_at is exclusive
		{StatusPaused, t0.Add(-day), t0.Add(day), StatusPaused},
		{StatusPaused, t0.Add(-2 * day), t0.Add(-day), StatusEnded},
		{StatusEnded, t0.Add(-day), t0.Add(day), StatusEnded},
	}
	for _, c := range cases {
		if got := Effective(c.stored, c.starts, c.ends, t0); got != c.want {
			t.Errorf("%s %v–%v: %s, want %s", c.stored, c.starts, c.ends, got, c.want)
		}
	}
}

func TestROI(t *testing.T) {
	if got := ROI(100000, 10000); got != 9 {
		t.Errorf("ROI = %v, want 9", got)
	}
	if got := ROI(5000, 0); got != 0 {
		t.Errorf("ROI without cost = %v, want 0", got)
	}
}

// fixtureRefs: products 1 (¥99, category 11) and 2 (¥10, category 12);
// category 12 is below 10, 11 is at the top; SKUs 100 (product 1, ¥99)
// and 200 (product 2, ¥10).
func fixtureRefs() refs {
	return refs{
		products:   map[int64]string{1: "连衣裙", 2: "小样"},
		productCat: map[int64]int64{1: 11, 2: 12},
		minPrice:   map[int64]int64{1: 9900, 2: 1000},
		categories: map[int64]int64{10: 0, 11: 0, 12: 10},
		skus:       map[int64]skuRef{100: {productID: 1, listPrice: 9900, code: "A"}, 200: {productID: 2, listPrice: 1000, code: "B"}},
	}
}

func TestCheck_ExplainsMistakes(t *testing.T) {
	ok := promo.Promotion{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Levels: []promo.Level{{Threshold: 30000, Off: 5000}}}
	cases := []struct {
		name   string
		edit   func(p *promo.Promotion)
		field  string
		phrase string
	}{
		{"fine", func(p *promo.Promotion) {}, "", ""},
		{"dates reversed", func(p *promo.Promotion) { p.StartsAt, p.EndsAt = t0.Add(time.Hour), t0 }, "ends_at", "after starts_at"},
		{"no name", func(p *promo.Promotion) { p.Name = "" }, "name", "name"},
		{"满减 off equals threshold", func(p *promo.Promotion) { p.Levels = []promo.Level{{Threshold: 5000, Off: 5000}} }, "levels[0].off", "below the threshold"},
		{"fixed off above its threshold", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "满30减50", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 5000, Threshold: 3000}
		}, "amount", "not below the threshold ¥30"},
		{"per unit off above the price", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "立减", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{2}, Amount: 1000, PerUnit: true}
		}, "amount", "小样"},
		{"unknown product", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "8折", Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{1, 3}, RateBP: 2000}
		}, "product_ids[1]", "no product 3"},
		{"unknown category", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "8折", Kind: promo.KindPercentOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{99}, RateBP: 2000}
		}, "category_ids[0]", "no category 99"},
		{"unknown bundle SKU", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "套餐", Kind: promo.KindBundle, BundleSKUs: []int64{100, 300}, BundlePrice: 5000}
		}, "bundle_skus[1]", "no SKU 300"},
		{"bundle saves nothing", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "套餐", Kind: promo.KindBundle, BundleSKUs: []int64{100, 200}, BundlePrice: 10900}
		}, "bundle_price", "¥109 together"},
		{"unknown gift SKU", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "赠品", Kind: promo.KindGift, Scope: promo.ScopeOrder, Gift: promo.Gift{SKUID: 999, Quantity: 1}}
		}, "gift.sku_id", "no SKU 999"},
		{"rate out of range", func(p *promo.Promotion) {
			*p = promo.Promotion{Name: "折扣", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 10000}
		}, "rate_bp", "9999"},
	}
	for _, c := range cases {
		p := ok
		c.edit(&p)
		err := check(p, fixtureRefs())
		var fe *apperr.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Message, c.phrase)):
			t.Errorf("%s: %v, want a field error on %s saying %q", c.name, err, c.field, c.phrase)
		}
	}
}

func TestOverlaps(t *testing.T) {
	r := fixtureRefs()
	day := 24 * time.Hour
	order := promo.Promotion{Scope: promo.ScopeOrder}
	dress := promo.Promotion{Scope: promo.ScopeProducts, ProductIDs: []int64{1}}
	sample := promo.Promotion{Scope: promo.ScopeProducts, ProductIDs: []int64{2}}
	topCat := promo.Promotion{Scope: promo.ScopeCategories, CategoryIDs: []int64{10}}
	cat11 := promo.Promotion{Scope: promo.ScopeCategories, CategoryIDs: []int64{11}}
	subCat := promo.Promotion{Scope: promo.ScopeCategories, CategoryIDs: []int64{12}}
	bundle := promo.Promotion{Kind: promo.KindBundle, BundleSKUs: []int64{200, 100}}
	scope := []struct {
		name string
		a, b promo.Promotion
		want bool
	}{
		{"order meets everything", order, sample, true},
		{"different products", dress, sample, false},
		{"a product in the category", dress, cat11, true},
		{"a product below the category", sample, topCat, true},
		{"a product in another category", dress, topCat, false},
		{"a category below the other", subCat, topCat, true},
		{"sibling categories", cat11, topCat, false},
		{"a bundle holding the product", bundle, dress, true},
	}
	for _, c := range scope {
		if got := overlapsInScope(c.a, c.b, r); got != c.want {
			t.Errorf("scope %s: %v", c.name, got)
		}
		if got := overlapsInScope(c.b, c.a, r); got != c.want {
			t.Errorf("scope %s (swapped): %v", c.name, got)
		}
	}
	win := func(from, to time.Duration, days ...time.Weekday) promo.Promotion {
		p := promo.Promotion{Schedule: promo.Schedule{Weekdays: days}}
		if from >= 0 {
			p.StartsAt = t0.Add(from)
		}
		if to >= 0 {
			p.EndsAt = t0.Add(to)
		}
		return p
	}
	times := []struct {
		name string
		a, b promo.Promotion
		want bool
	}{
		{"overlapping windows", win(0, 10*day), win(5*day, 20*day), true},
		{"one ends as the other starts", win(0, 10*day), win(10*day, 20*day), false},
		{"open-ended meets a later one", win(0, -1), win(100*day, 101*day), true},
		{"Wednesdays and Fridays never meet", win(0, 30*day, time.Wednesday), win(0, 30*day, time.Friday), false},
		{"Wednesdays and every day", win(0, 30*day, time.Wednesday), win(0, 30*day), true},
	}
	for _, c := range times {
		if got := overlapsInTime(c.a, c.b); got != c.want {
			t.Errorf("time %s: %v", c.name, got)
		}
		if got := overlapsInTime(c.b, c.a); got != c.want {
			t.Errorf("time %s (swapped): %v", c.name, got)
		}
	}
}
