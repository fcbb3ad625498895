package web

import (
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/order"
)

// depositNote is how the console states a presale deposit order (定金单)
// whose deposit is paid: not plain "paid" (it never ships; the shop waits
// for the tail), but "定金已付 · 尾款截至 …", the tail paid, or the
// deposit kept. "" for any other order, which shows its status.
func depositNote(v *viewer, o order.Order) string {
	d := o.Deposit
	if o.PresaleRole != order.PresaleDeposit || d == nil || o.Status != order.Paid {
		return ""
	}
	switch d.Status {
	case "paid":
		return tr(v, "presale.order.tail_due", i18n.FormatDateTime(v.Lang, d.TailEndsAt, v.Store.Location()))
	case "completed":
		return tr(v, "presale.order.tail_paid")
	case "forfeited":
		return tr(v, "presale.order.forfeited")
	}
	return ""
}

// shipsNothing: a deposit order's goods ship with its tail order, so the
// console offers it no shipping, delivery or completion.
func shipsNothing(o order.Order, actions map[string]bool) {
	if o.PresaleRole != order.PresaleDeposit {
		return
	}
	for _, a := range []order.Action{order.ActionShip, order.ActionDeliver, order.ActionComplete} {
		delete(actions, string(a))
	}
}
