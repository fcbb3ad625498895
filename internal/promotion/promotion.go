// Package promotion keeps the store's promotions (促销): it stores every
// field of promo.Promotion, walks a promotion through draft → scheduled →
// paused / ended with validation that explains the operator's mistakes,
// prices carts with the promo engine behind price.Pricer, records which
// promotions took what off each order, and reads back each promotion's
// results. The pricing rules themselves live in internal/promo.
package promotion

import (
	"time"

	"github.com/storeops/storeops/internal/promo"
)

// Status is where a promotion stands. Stored are draft, scheduled, paused
// and ended; active is a scheduled promotion inside its window, and a
// scheduled or paused one whose window is over reads as ended.
type Status string

// The statuses.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusActive    Status = "active"
	StatusPaused    Status = "paused"
	StatusEnded     Status = "ended"
)

// Statuses lists every status in the order a filter shows them.
func Statuses() []Status {
	return []Status{StatusDraft, StatusScheduled, StatusActive, StatusPaused, StatusEnded}
}

// Effective is the status a promotion stored as stored, with its window
// [starts, ends) (zero: open), has at now.
func Effective(stored Status, starts, ends, now time.Time) Status {
	over := !ends.IsZero() && !now.Before(ends)
	switch stored {
	case StatusScheduled:
		switch {
		case over:
			return StatusEnded
		case !starts.IsZero() && now.Before(starts):
			return StatusScheduled
		}
		return StatusActive
	case StatusPaused:
		if over {
			return StatusEnded
		}
	}
	return stored
}

// Promotion is a stored promotion: the engine's fields, then its state.
type Promotion struct {
	promo.Promotion
	Status    Status    `json:"status"`
	Stored    Status    `json:"stored_status" doc:"what the operator set (draft, scheduled, paused, ended); status adds the window"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Input is what an operator writes: every field of promo.Promotion (the
// id is ignored) and a note for colleagues.
type Input struct {
	promo.Promotion
	Note string `json:"note"`
}

// Filter narrows a list of promotions.
type Filter struct {
	Status Status // "" all
	Kind   promo.Kind
	Limit  int   // 0: 50
	After  int64 // keyset: ids below this
}

// Results are what a promotion brought (see docs/METRICS.md, "Promotion
// results"): orders that it took money off (or added a gift to) and that
// were paid, their GMV, what it took off them, and the ROI.
type Results struct {
	PromotionID  int64   `json:"promotion_id"`
	Orders       int64   `json:"orders"`
	Customers    int64   `json:"customers"`
	GMV          int64   `json:"gmv"`            // Σ paid orders' totals, shipping included, before refunds
	DiscountCost int64   `json:"discount_cost"`  // Σ what this promotion took off those orders
	ROI          float64 `json:"roi"`            // (GMV − discount cost) ÷ discount cost; 0 when nothing was taken off
	Pending      int64   `json:"pending_orders"` // placed but not (yet) paid
}

// ROI is (gmv − cost) ÷ cost, 0 when cost is 0 (a gift-only promotion
// has no discount cost to divide by).
func ROI(gmv, cost int64) float64 {
	if cost <= 0 {
		return 0
	}
	return float64(gmv-cost) / float64(cost)
}
