package order

import (
	"fmt"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
)

// Status is where an order stands.
type Status string

// The order's statuses. Closed (交易关闭) is an order that ended without
// a sale: unpaid past the payment window, or paid and refunded in full
// before shipping. Cancelled is an unpaid order the buyer or the shop
// called off.
const (
	PendingPayment Status = "pending_payment" // 待支付: stock reserved, waiting for the money
	Paid           Status = "paid"            // 已支付: sold, waiting to ship
	Shipped        Status = "shipped"         // 已发货
	Delivered      Status = "delivered"       // 已签收
	Completed      Status = "completed"       // 已完成: the buyer confirmed, or the confirmation window passed
	Cancelled      Status = "cancelled"       // 已取消
	Closed         Status = "closed"          // 已关闭
)

// Statuses lists every status in the order an order goes through them.
func Statuses() []Status {
	return []Status{PendingPayment, Paid, Shipped, Delivered, Completed, Cancelled, Closed}
}

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool {
	for _, st := range Statuses() {
		if string(st) == s {
			return true
		}
	}
	return false
}

// Action is what moves an order from one status to another.
type Action string

const (
	ActionCreate   Action = "create"
	ActionPay      Action = "pay"
	ActionShip     Action = "ship"
	ActionDeliver  Action = "deliver"
	ActionComplete Action = "complete"
	ActionCancel   Action = "cancel" // by the buyer or the shop, before shipping
	ActionClose    Action = "close"  // the payment window passed
	ActionRefund   Action = "refund" // money returned without a change of status
)

// Actions lists the actions that change an order's status.
func Actions() []Action {
	return []Action{ActionPay, ActionShip, ActionDeliver, ActionComplete, ActionCancel, ActionClose}
}

// transitions is the whole state machine: from a status, an action leads to
// a status. Anything not here is refused.
var transitions = map[Status]map[Action]Status{
	PendingPayment: {ActionPay: Paid, ActionCancel: Cancelled, ActionClose: Closed},
	// A paid order cancelled before shipping is refunded in full and its
	// stock comes back: 交易关闭.
	Paid:      {ActionShip: Shipped, ActionCancel: Closed},
	Shipped:   {ActionDeliver: Delivered},
	Delivered: {ActionComplete: Completed},
}

// ErrIllegalTransition: the order's status does not allow the action.
var ErrIllegalTransition = fmt.Errorf("not allowed in the order's current status: %w", apperr.ErrConflict)

// Next is the status action leads to from status from, or
// ErrIllegalTransition with a message naming the current status and what
// it allows.
func Next(from Status, a Action) (Status, error) {
	if to, ok := transitions[from][a]; ok {
		return to, nil
	}
	allowed := []string{}
	for _, act := range Actions() {
		if _, ok := transitions[from][act]; ok {
			allowed = append(allowed, string(act))
		}
	}
	hint := "nothing more can happen to it"
	if len(allowed) > 0 {
		hint = "it can only " + strings.Join(allowed, ", ")
	}
	return "", fmt.Errorf("cannot %s an order that is %s (%s): %w", a, from, hint, ErrIllegalTransition)
}

// CanMove reports whether some action leads from one status to another.
func CanMove(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}
