package coupon

import (
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

// State is where a coupon stands. "Returned" is not a state of its own: a
// coupon whose unpaid order is cancelled or closed goes back to issued, or
// to expired when its window has passed meanwhile; Returned counts how often.
type State string

// The coupon states.
const (
	StateIssued  State = "issued"  // 未使用: the customer may use it within its window
	StateLocked  State = "locked"  // 已锁定: an unpaid order holds it
	StateUsed    State = "used"    // 已使用: its order was paid
	StateExpired State = "expired" // 已过期: the window passed, or its template ended
)

// States lists the coupon states.
func States() []State { return []State{StateIssued, StateLocked, StateUsed, StateExpired} }

// ValidState reports whether s names a state.
func ValidState(s string) bool {
	for _, st := range States() {
		if string(st) == s {
			return true
		}
	}
	return false
}

// Source is how a coupon was issued.
type Source string

// The ways a coupon is issued.
const (
	SourceClaim Source = "claim" // 领券: the buyer claimed it
	SourcePush  Source = "push"  // 发券: the shop pushed it to a segment
	SourceCode  Source = "code"  // 兑换码: the buyer redeemed a code
)

// Coupon is one coupon a customer owns.
type Coupon struct {
	ID           int64      `json:"id"`
	TemplateID   int64      `json:"template_id"`
	TemplateName string     `json:"name"`
	Description  string     `json:"description"`
	Rule         Rule       `json:"rule"`
	CustomerID   int64      `json:"customer_id"`
	State        State      `json:"state"`
	Source       Source     `json:"source"`
	Code         string     `json:"code" doc:"the code it was redeemed with, empty when claimed or pushed"`
	ValidFrom    time.Time  `json:"valid_from"`
	ValidTo      time.Time  `json:"valid_to" doc:"exclusive"`
	OrderID      int64      `json:"order_id,omitempty" doc:"the order holding or having used it"`
	Discount     int64      `json:"discount" doc:"分 it took off that order"`
	Returned     int64      `json:"returned" doc:"times an unpaid order gave it back"`
	IssuedAt     time.Time  `json:"issued_at"`
	LockedAt     *time.Time `json:"locked_at"`
	UsedAt       *time.Time `json:"used_at"`

	sharedCode string // set when redeemed with the template's shared code
}

// Label is how the pricing explanation names the coupon: its own code when
// it came from a one-time code, else its number; unique per coupon, since
// the engine refuses the same code twice in one cart.
func (c Coupon) Label() string {
	if c.Source == SourceCode && c.Code != "" && c.sharedCode == "" {
		return c.Code
	}
	return fmt.Sprintf("#%d", c.ID)
}

// Errors a caller acts on; each wraps the apperr sentinel the API maps.
var (
	ErrLimitReached    = fmt.Errorf("coupon limit reached: %w", apperr.ErrConflict)
	ErrSoldOut         = fmt.Errorf("no coupons left: %w", apperr.ErrConflict)
	ErrNotIssuing      = fmt.Errorf("not issuing coupons: %w", apperr.ErrConflict)
	ErrAlreadyRedeemed = fmt.Errorf("already redeemed: %w", apperr.ErrConflict)
)

// usable says why c can't be used at at, or "" when it can: the reasons
// ForPricing gives the buyer.
func usable(c Coupon, at time.Time) string {
	switch c.State {
	case StateUsed:
		return fmt.Sprintf("coupon %d was already used (order %d)", c.ID, c.OrderID)
	case StateLocked:
		return fmt.Sprintf("coupon %d is held by your unpaid order %d: pay or cancel that order first", c.ID, c.OrderID)
	case StateExpired:
		return fmt.Sprintf("coupon %d has expired", c.ID)
	}
	if !at.Before(c.ValidTo) {
		return fmt.Sprintf("coupon %d expired on %s", c.ID, c.ValidTo.UTC().Format(time.RFC3339))
	}
	if at.Before(c.ValidFrom) {
		return fmt.Sprintf("coupon %d is valid from %s", c.ID, c.ValidFrom.UTC().Format(time.RFC3339))
	}
	return ""
}
