// Package tier keeps the member tiers (会员等级): a configurable ladder on
// growth value (成长值) earned from paid, non-refunded spend. A payment
// that takes a customer's growth within the rolling window over a tier's
// threshold upgrades them in the payment's own transaction; a scheduled
// evaluation keeps (保级) or downgrades those whose growth within the
// window fell below their tier's keep threshold. Every change is a row in
// tier_changes with the figures that decided it.
//
// The rules are the plain functions in this file; the database side is
// store.go, the order hook hook.go.
package tier

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Level is one rung of the ladder with its benefits. Growth figures are
// growth points (by default 1 per ¥1 paid).
type Level struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	// Threshold is the growth within the window that reaches the tier at
	// once; KeepThreshold the growth within the window that keeps it.
	Threshold     int64 `json:"threshold"`
	KeepThreshold int64 `json:"keep_threshold"`
	// Benefits. DiscountBP is off the goods (500 = 5% off, 95折), priced by
	// the tier discount promotion.
	DiscountBP       int64 `json:"discount_bp"`
	FreeShipping     bool  `json:"free_shipping"`
	BirthdayGift     bool  `json:"birthday_gift"`
	PriorityShipping bool  `json:"priority_shipping"`
	DedicatedService bool  `json:"dedicated_service"`
}

// Config is the ladder, lowest tier first, and how growth is earned.
type Config struct {
	GrowthPerYuan int64   `json:"growth_per_yuan"`
	WindowMonths  int     `json:"window_months"`
	Levels        []Level `json:"levels"`
	// DiscountPromotionID is the member_discount promotion that prices the
	// tiers' discounts (0: none yet). Read only.
	DiscountPromotionID int64 `json:"discount_promotion_id"`
}

// Default is the ladder a shop starts with: 普通 / 银卡 / 金卡 / 铂金卡,
// 1 growth per ¥1, a 12-month window. The thresholds (¥500, ¥1,500, ¥3,000
// a year) put about a fifth of the buying customers of a typical apparel
// shop above 普通 (the demo shop: silver from its 77th percentile of yearly
// spend, gold from the 96th, platinum from the 99th). Keep thresholds sit
// below the upgrade thresholds so a customer near a boundary does not flap.
func Default() Config {
	return Config{GrowthPerYuan: 1, WindowMonths: 12, Levels: []Level{
		{Code: "normal", NameZh: "普通会员", NameEn: "Member"},
		{Code: "silver", NameZh: "银卡会员", NameEn: "Silver", Threshold: 500, KeepThreshold: 300, DiscountBP: 200, BirthdayGift: true},
		{Code: "gold", NameZh: "金卡会员", NameEn: "Gold", Threshold: 1500, KeepThreshold: 900, DiscountBP: 500,
			FreeShipping: true, BirthdayGift: true, PriorityShipping: true},
		{Code: "platinum", NameZh: "铂金卡会员", NameEn: "Platinum", Threshold: 3000, KeepThreshold: 2000, DiscountBP: 1000,
			FreeShipping: true, BirthdayGift: true, PriorityShipping: true, DedicatedService: true},
	}}
}

const (
	maxLevels = 10
	maxName   = 20
)

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)

// Validate says which field is wrong, as an *apperr.FieldError.
func (c Config) Validate() error {
	if c.GrowthPerYuan < 1 || c.GrowthPerYuan > 100 {
		return apperr.Field("growth_per_yuan", "must be from 1 to 100 growth per ¥1, not %d", c.GrowthPerYuan)
	}
	if c.WindowMonths < 1 || c.WindowMonths > 60 {
		return apperr.Field("window_months", "must be from 1 to 60 months, not %d", c.WindowMonths)
	}
	if len(c.Levels) < 2 || len(c.Levels) > maxLevels {
		return apperr.Field("levels", "give from 2 to %d tiers, lowest first", maxLevels)
	}
	seen := map[string]bool{}
	for i, l := range c.Levels {
		f := func(name string) string { return fmt.Sprintf("levels[%d].%s", i, name) }
		if !codeRE.MatchString(l.Code) {
			return apperr.Field(f("code"), "must be 1 to 20 lower-case letters, digits or _, starting with a letter, such as gold")
		}
		if seen[l.Code] {
			return apperr.Field(f("code"), "%q is used by another tier", l.Code)
		}
		seen[l.Code] = true
		for name, v := range map[string]string{"name_zh": l.NameZh, "name_en": l.NameEn} {
			if n := utf8.RuneCountInString(v); n == 0 || n > maxName {
				return apperr.Field(f(name), "give a name of 1 to %d characters", maxName)
			}
		}
		if l.DiscountBP < 0 || l.DiscountBP >= 10000 {
			return apperr.Field(f("discount_bp"), "must be from 0 to 9999 basis points off (500 = 95折), not %d", l.DiscountBP)
		}
		if l.KeepThreshold < 0 || l.KeepThreshold > l.Threshold {
			return apperr.Field(f("keep_threshold"), "must be from 0 to the tier's threshold %d", l.Threshold)
		}
		if i == 0 {
			if l.Threshold != 0 {
				return apperr.Field(f("threshold"), "the lowest tier is where every customer starts: its threshold must be 0")
			}
			continue
		}
		prev := c.Levels[i-1]
		if l.Threshold <= prev.Threshold {
			return apperr.Field(f("threshold"), "must be above the tier below (%d)", prev.Threshold)
		}
		if l.KeepThreshold < prev.KeepThreshold {
			return apperr.Field(f("keep_threshold"), "must not be below the tier below's keep threshold (%d)", prev.KeepThreshold)
		}
	}
	return nil
}

// Growth is the growth an amount in 分 earns (rounded down: ¥99.99 earns 99
// at 1 per ¥1).
func (c Config) Growth(fen int64) int64 {
	if fen <= 0 {
		return 0
	}
	return fen * c.GrowthPerYuan / 100
}

// Index is the position of a tier code on the ladder; an unknown code (a
// tier the operator removed) counts as the lowest.
func (c Config) Index(code string) int {
	for i, l := range c.Levels {
		if l.Code == code {
			return i
		}
	}
	return 0
}

// Level is the tier of that code (the lowest for an unknown one).
func (c Config) Level(code string) Level { return c.Levels[c.Index(code)] }

// Reached is the highest tier whose threshold growth reaches.
func (c Config) Reached(growth int64) int {
	at := 0
	for i, l := range c.Levels {
		if growth >= l.Threshold {
			at = i
		}
	}
	return at
}

// Kinds of Decision.
const (
	Upgrade   = "upgrade"
	Downgrade = "downgrade"
	Keep      = "keep"
)

// Decision is what an evaluation concludes for one customer: Kind, the tier
// they end at, and the threshold that decided it (crossed for an upgrade,
// missed for a downgrade, met for a keep).
type Decision struct {
	Kind      string
	To        string
	Threshold int64
}

// OnPayment decides right after growth rose: upgrade when the window's
// growth reaches a higher tier's threshold, otherwise keep. Payments never
// downgrade.
func (c Config) OnPayment(current string, windowGrowth int64) Decision {
	cur, r := c.Index(current), c.Reached(windowGrowth)
	if r > cur {
		return Decision{Kind: Upgrade, To: c.Levels[r].Code, Threshold: c.Levels[r].Threshold}
	}
	return Decision{Kind: Keep, To: c.Levels[cur].Code, Threshold: c.Levels[cur].KeepThreshold}
}

// Evaluate is the scheduled decision: an upgrade a payment did not make
// (the ladder changed), a keep when the window's growth meets the tier's
// keep threshold, otherwise a downgrade to the highest tier below whose
// keep threshold it meets (the lowest tier's is 0 in practice).
func (c Config) Evaluate(current string, windowGrowth int64) Decision {
	if d := c.OnPayment(current, windowGrowth); d.Kind == Upgrade {
		return d
	}
	cur := c.Index(current)
	if c.Levels[cur].Code != current {
		// A removed tier: place the customer where their growth reaches.
		r := c.Reached(windowGrowth)
		return Decision{Kind: Downgrade, To: c.Levels[r].Code, Threshold: c.Levels[r].Threshold}
	}
	keep := c.Levels[cur].KeepThreshold
	// The lowest tier is kept whatever the growth: a refund inside the
	// window of an order paid before it makes the window's growth negative.
	if cur == 0 || windowGrowth >= keep {
		return Decision{Kind: Keep, To: current, Threshold: keep}
	}
	to := 0
	for i := cur - 1; i > 0; i-- {
		if windowGrowth >= c.Levels[i].KeepThreshold {
			to = i
			break
		}
	}
	return Decision{Kind: Downgrade, To: c.Levels[to].Code, Threshold: keep}
}
