// Package coupon is the shop's coupons (优惠券): templates that say what a
// coupon gives and how it is handed out (claimed by the buyer, pushed to a
// segment, redeemed with a code), the coupons customers own, and their
// states issued → locked (by an unpaid order) → used, back to issued (or
// expired) when that order is called off, and expired.
//
// Every limit is enforced by a conditional write, never by reading and then
// writing: the total limit by `issued < total_limit` on the template row,
// the per-customer limit by `claimed < per_customer_limit` on the customer's
// claim row, a unique code by `redeemed_at IS NULL`, and a coupon is locked
// by `status = 'issued'`, so 100 concurrent claims or checkouts cannot get
// more than the limits allow. The engine that prices a coupon is
// internal/promo; this package owns who may use which coupon when.
package coupon

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/promo"
)

// Status is whether a template still hands out coupons.
type Status string

// The statuses of a template. A paused template issues nothing until it is
// resumed; its coupons keep working. Ending a template is final: it issues
// nothing and its coupons not yet used expire (the way to withdraw a coupon
// that leaked); coupons locked by an unpaid order stay with that order.
const (
	StatusActive Status = "active"
	StatusPaused Status = "paused"
	StatusEnded  Status = "ended"
)

// Statuses lists the template statuses.
func Statuses() []Status { return []Status{StatusActive, StatusPaused, StatusEnded} }

// Rule is what a coupon takes off: the fields of a promo.Promotion that
// apply to a coupon. 直播间专属券 is Channels ["live"]; 新人券 is
// FirstOrderOnly.
type Rule struct {
	Kind           promo.Kind    `json:"kind" doc:"fixed_off, percent_off or tiered_off"`
	Amount         int64         `json:"amount,omitempty" doc:"fixed_off: 分 off"`
	RateBP         int64         `json:"rate_bp,omitempty" doc:"percent_off: basis points off (1000 = 9折)"`
	Cap            int64         `json:"cap,omitempty" doc:"percent_off: most 分 off, 0: no cap"`
	Threshold      int64         `json:"threshold,omitempty" doc:"least spend in scope, 分 (满99减10: 9900)"`
	Levels         []promo.Level `json:"levels,omitempty" doc:"tiered_off: spend threshold → off"`
	Repeat         bool          `json:"repeat,omitempty" doc:"tiered_off: 每满 (for every threshold)"`
	Scope          promo.Scope   `json:"scope" doc:"order, products or categories"`
	ProductIDs     []int64       `json:"product_ids,omitempty"`
	CategoryIDs    []int64       `json:"category_ids,omitempty"`
	Channels       []string      `json:"channels,omitempty" doc:"only on these channels (live: 直播间专属券)"`
	FirstOrderOnly bool          `json:"first_order_only,omitempty" doc:"新人券: only on the buyer's first order"`
	Exclusive      bool          `json:"exclusive,omitempty" doc:"不与其他优惠同享: applies alone"`
	Group          string        `json:"group,omitempty" doc:"stacking group: at most one coupon or promotion of a group applies"`
	Priority       int           `json:"priority,omitempty"`
}

// Promotion is the rule as the pricing engine takes it, named name.
func (r Rule) Promotion(id int64, name string) promo.Promotion {
	return promo.Promotion{ID: id, Name: name, Kind: r.Kind, Priority: r.Priority, Group: r.Group, Exclusive: r.Exclusive,
		Channels: r.Channels, FirstOrderOnly: r.FirstOrderOnly, Scope: r.Scope, ProductIDs: r.ProductIDs, CategoryIDs: r.CategoryIDs,
		Levels: r.Levels, Repeat: r.Repeat, RateBP: r.RateBP, Amount: r.Amount, Cap: r.Cap, Threshold: r.Threshold}
}

// Template is a kind of coupon and how it is handed out.
type Template struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      Status `json:"status"`
	Rule        Rule   `json:"rule"`
	// Claimable templates are listed to buyers, who claim them (领券).
	Claimable bool `json:"claimable"`
	// SharedCode is one code anyone may redeem once (SUMMER50); "" none.
	SharedCode string     `json:"shared_code"`
	ValidFrom  *time.Time `json:"valid_from" doc:"fixed window start; null with valid_days"`
	ValidTo    *time.Time `json:"valid_to" doc:"fixed window end (exclusive); null with valid_days"`
	ValidDays  int64      `json:"valid_days" doc:"days a coupon is valid from the moment it is issued; 0 with a fixed window"`
	// TotalLimit is how many coupons may be issued in all, 0: no limit.
	TotalLimit       int64     `json:"total_limit"`
	PerCustomerLimit int64     `json:"per_customer_limit"`
	Issued           int64     `json:"issued"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Left is how many coupons may still be issued, -1 for no limit.
func (t Template) Left() int64 {
	if t.TotalLimit == 0 {
		return -1
	}
	return t.TotalLimit - t.Issued
}

// LastValid is the last instant of a fixed window (valid_to is exclusive),
// so that a window ending at midnight reads as ending the day before.
func (t Template) LastValid() *time.Time {
	if t.ValidTo == nil {
		return nil
	}
	last := t.ValidTo.Add(-time.Millisecond)
	return &last
}

// Input creates or changes a template.
type Input struct {
	Name             string     `json:"name"`
	Description      string     `json:"description"`
	Rule             Rule       `json:"rule"`
	Claimable        bool       `json:"claimable" doc:"list it to buyers to claim"`
	SharedCode       string     `json:"shared_code" doc:"a code anyone may redeem once, such as SUMMER50; empty: none"`
	ValidFrom        *time.Time `json:"valid_from"`
	ValidTo          *time.Time `json:"valid_to"`
	ValidDays        int64      `json:"valid_days"`
	TotalLimit       int64      `json:"total_limit" doc:"coupons that may be issued in all, 0: no limit"`
	PerCustomerLimit int64      `json:"per_customer_limit" doc:"coupons one customer may get, default 1"`
}

// Limits on a template's fields.
const (
	MaxNameLen   = 60
	MaxValidDays = 3650
)

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{3,31}$`)

// NormalizeCode is a code as the store keeps it: trimmed, upper case, so
// that summer50 and SUMMER50 are the same code.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Normalize trims the input and fills defaults.
func (in *Input) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.SharedCode = NormalizeCode(in.SharedCode)
	in.Rule.Group = strings.TrimSpace(in.Rule.Group)
	if in.Rule.Scope == "" {
		in.Rule.Scope = promo.ScopeOrder
	}
	if in.PerCustomerLimit == 0 {
		in.PerCustomerLimit = 1
	}
	for i, c := range in.Rule.Channels {
		in.Rule.Channels[i] = strings.TrimSpace(c)
	}
	// In a set's order, so that the same rule sent again (a form lists
	// channels in its own order) compares equal to the stored one.
	slices.Sort(in.Rule.Channels)
	slices.Sort(in.Rule.ProductIDs)
	slices.Sort(in.Rule.CategoryIDs)
}

// Validate says which field of a normalized input is wrong, as an
// *apperr.FieldError; what needs the database (products and categories
// exist, the code is free) is the service's check.
func (in Input) Validate() error {
	if in.Name == "" {
		return apperr.Field("name", "give the coupon a name buyers will see, such as 新人券 满99减10")
	}
	if n := utf8.RuneCountInString(in.Name); n > MaxNameLen {
		return apperr.Field("name", "at most %d characters, not %d", MaxNameLen, n)
	}
	c := promo.Coupon{Code: "CHECK", Rule: in.Rule.Promotion(0, in.Name)}
	if err := c.Validate(); err != nil {
		return err
	}
	r := in.Rule
	if r.Kind == promo.KindFixedOff && r.Threshold > 0 && r.Amount >= r.Threshold {
		return apperr.Field("rule.threshold", "the threshold (%s) must be above the amount off (%s), as in 满99减10; or 0 for no threshold", yuan(r.Threshold), yuan(r.Amount))
	}
	if r.Kind == promo.KindFixedOff && r.Cap > 0 {
		return apperr.Field("rule.cap", "a cap only applies to percent_off; leave it at 0")
	}
	for i, ch := range r.Channels {
		if ch == "" {
			return apperr.Field(fmt.Sprintf("rule.channels[%d]", i), "a channel is empty; use live, search, short_video, community, ads or direct")
		}
	}
	switch {
	case in.ValidDays < 0 || in.ValidDays > MaxValidDays:
		return apperr.Field("valid_days", "must be from 1 to %d days, not %d", MaxValidDays, in.ValidDays)
	case in.ValidDays > 0 && (in.ValidFrom != nil || in.ValidTo != nil):
		return apperr.Field("valid_days", "give either a fixed window (valid_from and valid_to) or days from claim, not both")
	case in.ValidDays == 0 && (in.ValidFrom == nil || in.ValidTo == nil):
		return apperr.Field("valid_to", "give a fixed window (valid_from and valid_to) or valid_days, the days a coupon is valid from its claim")
	case in.ValidDays == 0 && !in.ValidTo.After(*in.ValidFrom):
		return apperr.Field("valid_to", "must be after valid_from (the dates are reversed)")
	}
	if in.TotalLimit < 0 {
		return apperr.Field("total_limit", "must be 0 (no limit) or a positive number of coupons")
	}
	if in.PerCustomerLimit < 1 {
		return apperr.Field("per_customer_limit", "must be at least 1")
	}
	if in.TotalLimit > 0 && in.PerCustomerLimit > in.TotalLimit {
		return apperr.Field("per_customer_limit", "can't be more than the total limit (%d)", in.TotalLimit)
	}
	if in.SharedCode != "" && !codePattern.MatchString(in.SharedCode) {
		return apperr.Field("shared_code", "4 to 32 letters, digits, - or _, starting with a letter or digit, such as SUMMER50")
	}
	return nil
}

func yuan(fen int64) string {
	if fen%100 == 0 {
		return fmt.Sprintf("¥%d", fen/100)
	}
	return fmt.Sprintf("¥%d.%02d", fen/100, fen%100)
}
