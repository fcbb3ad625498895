package promo

import (
	"fmt"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

// Kind is what a promotion does.
type Kind string

// The kinds of promotion.
const (
	KindMemberDiscount Kind = "member_discount" // 会员折扣: a rate per member tier
	KindPercentOff     Kind = "percent_off"     // 折扣: 2000 bp off = 8折
	KindFixedOff       Kind = "fixed_off"       // 立减: an amount off per unit or per scope
	KindBuyNGetM       Kind = "buy_n_get_m"     // 买N送M: the cheapest units free
	KindBundle         Kind = "bundle"          // 套餐: a set of SKUs at a bundle price
	KindTieredOff      Kind = "tiered_off"      // 满减 / 每满减
	KindGift           Kind = "gift"            // 赠品 once a threshold is met
)

// Scope is which lines a promotion looks at.
type Scope string

// The scopes.
const (
	ScopeOrder      Scope = "order"
	ScopeProducts   Scope = "products"
	ScopeCategories Scope = "categories"
)

// Stage is a step of the pricing order (see the package comment).
type Stage int

// The stages, in the order they apply.
const (
	StageMember Stage = iota + 1
	StageItem
	StageTiered
	StageOrder
	StageCoupon
	StagePoints
)

func (s Stage) String() string {
	switch s {
	case StageMember:
		return "member"
	case StageItem:
		return "item"
	case StageTiered:
		return "tiered"
	case StageOrder:
		return "order"
	case StageCoupon:
		return "coupon"
	case StagePoints:
		return "points"
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// MarshalText makes a stage read as its name in JSON.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a stage's name back.
func (s *Stage) UnmarshalText(b []byte) error {
	for st := StageMember; st <= StagePoints; st++ {
		if st.String() == string(b) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("promo: %q is not a stage", b)
}

// Level is one rung of a tiered spend-off: spend Threshold, get Off off (满300减50).
type Level struct {
	Threshold int64 `json:"threshold"`
	Off       int64 `json:"off"`
}

// ThresholdYuan and OffYuan read the level the way shops write it, in
// yuan without needless decimals: 30000 → "300", 29950 → "299.50".
func (l Level) ThresholdYuan() string { return whole(l.Threshold) }

// OffYuan: see ThresholdYuan.
func (l Level) OffYuan() string { return whole(l.Off) }

// Gift is the line a gift promotion adds at price 0. InStock is decided by
// the caller (inventory); a gift out of stock is not added.
type Gift struct {
	SKUID     int64 `json:"sku_id"`
	ProductID int64 `json:"product_id"`
	Quantity  int64 `json:"quantity"`
	InStock   bool  `json:"in_stock"`
}

// Schedule limits a promotion to themed days in the store's time zone:
// weekdays (周三会员日) and days of the month (每月15日新品日). Empty lists
// mean every day; when both are set, either matches.
type Schedule struct {
	Weekdays  []time.Weekday `json:"weekdays,omitempty"`
	MonthDays []int          `json:"month_days,omitempty"`
}

// On says whether the schedule allows the day t falls on in loc.
func (s Schedule) On(t time.Time, loc *time.Location) bool {
	if len(s.Weekdays) == 0 && len(s.MonthDays) == 0 {
		return true
	}
	local := t.In(loc)
	return slices.Contains(s.Weekdays, local.Weekday()) || slices.Contains(s.MonthDays, local.Day())
}

// Promotion is one promotion as data. Which fields matter depends on Kind;
// Validate says which are missing or wrong.
type Promotion struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	Priority int    `json:"priority"`
	// Group is the stacking group: at most one promotion of a group applies.
	Group string `json:"group,omitempty"`
	// Exclusive promotions apply alone among promotions; coupons still
	// apply unless the coupon's rule is itself exclusive.
	Exclusive bool `json:"exclusive,omitempty"`

	// Conditions. Zero values mean "no limit".
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"` // exclusive
	Schedule       Schedule  `json:"schedule"`
	Channels       []string  `json:"channels,omitempty"`
	ForTiers       []string  `json:"for_tiers,omitempty"`
	Segments       []string  `json:"segments,omitempty"`
	FirstOrderOnly bool      `json:"first_order_only,omitempty"` // 首单优惠

	// Scope: which lines count.
	Scope       Scope   `json:"scope"`
	ProductIDs  []int64 `json:"product_ids,omitempty"`
	CategoryIDs []int64 `json:"category_ids,omitempty"`

	// Rules.
	Levels      []Level          `json:"levels,omitempty"`        // tiered_off
	Repeat      bool             `json:"repeat,omitempty"`        // tiered_off: 每满
	RateBP      int64            `json:"rate_bp,omitempty"`       // percent_off: basis points off
	Amount      int64            `json:"amount,omitempty"`        // fixed_off: 分 off
	PerUnit     bool             `json:"per_unit,omitempty"`      // fixed_off: Amount off every unit
	Cap         int64            `json:"cap,omitempty"`           // most 分 off in total, 0: none
	Threshold   int64            `json:"threshold,omitempty"`     // least spend in scope (percent_off, fixed_off, gift)
	BuyN        int64            `json:"buy_n,omitempty"`         // buy_n_get_m
	GetM        int64            `json:"get_m,omitempty"`         // buy_n_get_m
	BundleSKUs  []int64          `json:"bundle_skus,omitempty"`   // bundle: one unit of each
	BundlePrice int64            `json:"bundle_price,omitempty"`  // bundle: price of one set
	TierRatesBP map[string]int64 `json:"tier_rates_bp,omitempty"` // member_discount: tier → bp off
	Gift        Gift             `json:"gift"`                    // gift
}

// Coupon is a coupon the buyer presents: its code and its template's rule.
// Whether the buyer owns it and may still use it is the coupon store's
// business; the engine only prices it.
type Coupon struct {
	ID   int64     `json:"id,omitempty"` // the coupon's row in the coupon store, 0 in pure tests
	Code string    `json:"code"`
	Rule Promotion `json:"rule"`
}

// Stage is the step at which p applies.
func (p Promotion) Stage() Stage {
	switch p.Kind {
	case KindMemberDiscount:
		return StageMember
	case KindTieredOff:
		return StageTiered
	case KindGift:
		return StageOrder
	case KindPercentOff, KindFixedOff:
		if p.Scope == ScopeOrder {
			return StageOrder
		}
	}
	return StageItem
}

const maxRateBP = 10000

// Validate says which field of p is wrong, as an *apperr.FieldError.
func (p Promotion) Validate() error {
	if p.Name == "" {
		return apperr.Field("name", "give the promotion a name buyers will see, such as 满300减50")
	}
	if !p.StartsAt.IsZero() && !p.EndsAt.IsZero() && !p.EndsAt.After(p.StartsAt) {
		return apperr.Field("ends_at", "must be after starts_at")
	}
	for i, d := range p.Schedule.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return apperr.Field(fmt.Sprintf("schedule.weekdays[%d]", i), "must be 0 (Sunday) to 6 (Saturday), not %d", d)
		}
	}
	for i, d := range p.Schedule.MonthDays {
		if d < 1 || d > 31 {
			return apperr.Field(fmt.Sprintf("schedule.month_days[%d]", i), "must be a day of the month from 1 to 31, not %d", d)
		}
	}
	if p.Cap < 0 {
		return apperr.Field("cap", "must be 0 (no cap) or a positive amount in 分")
	}
	if p.Threshold < 0 {
		return apperr.Field("threshold", "must be 0 (none) or a positive amount in 分")
	}
	switch p.Kind {
	case KindMemberDiscount:
		if len(p.TierRatesBP) == 0 {
			return apperr.Field("tier_rates_bp", "give at least one tier's rate, such as {\"gold\": 500} for 5%% off")
		}
		for tier, bp := range p.TierRatesBP {
			if tier == "" {
				return apperr.Field("tier_rates_bp", "a tier name is empty")
			}
			if bp <= 0 || bp >= maxRateBP {
				return apperr.Field("tier_rates_bp."+tier, "must be from 1 to 9999 basis points off, not %d", bp)
			}
		}
		return p.validateScope(true)
	case KindPercentOff:
		if p.RateBP <= 0 || p.RateBP >= maxRateBP {
			return apperr.Field("rate_bp", "must be from 1 to 9999 basis points off (2000 = 8折), not %d", p.RateBP)
		}
		return p.validateScope(true)
	case KindFixedOff:
		if p.Amount <= 0 {
			return apperr.Field("amount", "must be a positive amount in 分")
		}
		if p.PerUnit && p.Scope == ScopeOrder {
			return apperr.Field("per_unit", "an amount per unit needs products or categories as scope")
		}
		return p.validateScope(true)
	case KindBuyNGetM:
		if p.BuyN < 1 {
			return apperr.Field("buy_n", "must be at least 1")
		}
		if p.GetM < 1 {
			return apperr.Field("get_m", "must be at least 1")
		}
		return p.validateScope(true)
	case KindBundle:
		if len(p.BundleSKUs) < 2 {
			return apperr.Field("bundle_skus", "a bundle needs at least two SKUs")
		}
		for i, id := range p.BundleSKUs {
			if id <= 0 {
				return apperr.Field(fmt.Sprintf("bundle_skus[%d]", i), "must be the id of a SKU, not %d", id)
			}
			if slices.Contains(p.BundleSKUs[:i], id) {
				return apperr.Field(fmt.Sprintf("bundle_skus[%d]", i), "SKU %d is in the bundle twice", id)
			}
		}
		if p.BundlePrice <= 0 {
			return apperr.Field("bundle_price", "must be a positive amount in 分")
		}
		return nil
	case KindTieredOff:
		if len(p.Levels) == 0 {
			return apperr.Field("levels", "give at least one level, such as 满300减50")
		}
		if p.Repeat && len(p.Levels) > 1 {
			return apperr.Field("repeat", "每满 (repeat) works with exactly one level, this has %d", len(p.Levels))
		}
		for i, l := range p.Levels {
			if l.Threshold <= 0 {
				return apperr.Field(fmt.Sprintf("levels[%d].threshold", i), "must be a positive amount in 分")
			}
			if i > 0 && l.Threshold <= p.Levels[i-1].Threshold {
				return apperr.Field(fmt.Sprintf("levels[%d].threshold", i), "must be higher than the level before")
			}
			if l.Off <= 0 || l.Off > l.Threshold {
				return apperr.Field(fmt.Sprintf("levels[%d].off", i), "must be positive and at most the threshold")
			}
			if i > 0 && l.Off <= p.Levels[i-1].Off {
				return apperr.Field(fmt.Sprintf("levels[%d].off", i), "must be more than the level before")
			}
		}
		if p.Scope != ScopeOrder && p.Scope != ScopeCategories {
			return apperr.Field("scope", "满减 is per order or per category, not %q", p.Scope)
		}
		return p.validateScope(false)
	case KindGift:
		if p.Gift.SKUID <= 0 {
			return apperr.Field("gift.sku_id", "must be the id of the gift's SKU")
		}
		if p.Gift.Quantity < 1 {
			return apperr.Field("gift.quantity", "must be at least 1")
		}
		return p.validateScope(true)
	default:
		return apperr.Field("kind", "%q is not a kind of promotion (member_discount, percent_off, fixed_off, buy_n_get_m, bundle, tiered_off, gift)", p.Kind)
	}
}

func (p Promotion) validateScope(allowProducts bool) error {
	switch p.Scope {
	case ScopeOrder:
		return nil
	case ScopeProducts:
		if !allowProducts {
			return apperr.Field("scope", "must be order or categories")
		}
		if len(p.ProductIDs) == 0 {
			return apperr.Field("product_ids", "name at least one product")
		}
		return nil
	case ScopeCategories:
		if len(p.CategoryIDs) == 0 {
			return apperr.Field("category_ids", "name at least one category")
		}
		return nil
	}
	return apperr.Field("scope", "must be order, products or categories, not %q", p.Scope)
}

// Validate says which field of the coupon is wrong; fields of the rule are
// prefixed with "rule.".
func (c Coupon) Validate() error {
	if c.Code == "" {
		return apperr.Field("code", "a coupon needs its code")
	}
	switch c.Rule.Kind {
	case KindFixedOff, KindPercentOff, KindTieredOff:
	default:
		return apperr.Field("rule.kind", "a coupon's rule is fixed_off, percent_off or tiered_off, not %q", c.Rule.Kind)
	}
	if err := c.Rule.Validate(); err != nil {
		if fe, ok := err.(*apperr.FieldError); ok {
			return apperr.Field("rule."+fe.Field, "%s", fe.Message)
		}
		return err
	}
	return nil
}
