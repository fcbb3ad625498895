package order_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/payment"
)

// TestNext_EveryStatusAndAction walks the whole machine: every status with
// every action, against the lifecycle written out by hand.
func TestNext_EveryStatusAndAction(t *testing.T) {
	want := map[string]order.Status{
		"pending_payment/pay":    order.Paid,
		"pending_payment/cancel": order.Cancelled,
		"pending_payment/close":  order.Closed,
		"paid/ship":              order.Shipped,
		"paid/cancel":            order.Closed, // refunded in full before shipping
		"shipped/deliver":        order.Delivered,
		"delivered/complete":     order.Completed,
	}
	for _, from := range order.Statuses() {
		for _, a := range order.Actions() {
			key := string(from) + "/" + string(a)
			got, err := order.Next(from, a)
			if to, ok := want[key]; ok {
				if err != nil || got != to {
					t.Errorf("%s: got %q, %v; want %s", key, got, err, to)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s: allowed (→ %s), want refused", key, got)
				continue
			}
			if !errors.Is(err, order.ErrIllegalTransition) || !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("%s: %v is not ErrIllegalTransition/ErrConflict", key, err)
			}
			if !strings.Contains(err.Error(), "is "+string(from)) {
				t.Errorf("%s: message %q does not name the current status", key, err)
			}
		}
	}
}

// TestCanMove_EveryPair checks every from→to pair of statuses.
func TestCanMove_EveryPair(t *testing.T) {
	allowed := map[[2]order.Status]bool{
		{order.PendingPayment, order.Paid}: true, {order.PendingPayment, order.Cancelled}: true,
		{order.PendingPayment, order.Closed}: true, {order.Paid, order.Shipped}: true, {order.Paid, order.Closed}: true,
		{order.Shipped, order.Delivered}: true, {order.Delivered, order.Completed}: true,
	}
	n := 0
	for _, from := range order.Statuses() {
		for _, to := range order.Statuses() {
			n++
			if got := order.CanMove(from, to); got != allowed[[2]order.Status{from, to}] {
				t.Errorf("%s → %s: CanMove = %v", from, to, got)
			}
		}
	}
	if n != 49 {
		t.Fatalf("walked %d pairs, want 7×7", n)
	}
}

func TestShipping_FreeFrom99(t *testing.T) {
	for _, c := range []struct{ goods, want int64 }{{0, 1000}, {9899, 1000}, {9900, 0}, {29900, 0}} {
		if got := order.Shipping(c.goods, order.FreeShippingFrom, order.ShippingFee); got != c.want {
			t.Errorf("Shipping(%d) = %d, want %d", c.goods, got, c.want)
		}
	}
}

func TestNewOrderNo_StoreDayAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		no := order.NewOrderNo(start, shanghai(t))
		if !strings.HasPrefix(no, "SO20260618") || len(no) != 20 {
			t.Fatalf("order number %q: want SO + 20260618 (the Shanghai day) + 10 digits", no)
		}
		if seen[no] {
			t.Fatalf("order number %s repeated", no)
		}
		seen[no] = true
	}
}

func TestEveryStatusAndActionIsTranslated(t *testing.T) {
	for _, lang := range i18n.Supported {
		for _, s := range order.Statuses() {
			if !i18n.Has(lang, "order.status."+string(s)) {
				t.Errorf("%s: no order.status.%s", lang, s)
			}
		}
		for _, a := range append(order.Actions(), order.ActionCreate, order.ActionRefund) {
			if !i18n.Has(lang, "order.action."+string(a)) {
				t.Errorf("%s: no order.action.%s", lang, a)
			}
		}
		for _, p := range []string{payment.StatusPending, payment.StatusSucceeded, payment.StatusFailed, payment.StatusCancelled} {
			if !i18n.Has(lang, "payment.status."+p) {
				t.Errorf("%s: no payment.status.%s", lang, p)
			}
		}
	}
}
