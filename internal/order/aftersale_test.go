package order_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/order"
)

func TestPaidForUnits_SharesTheLineTotalByLargestRemainder(t *testing.T) {
	for _, c := range []struct {
		name                      string
		total, qty, from, n, want int64
	}{
		{"no discount, one of three", 2997, 3, 0, 1, 999},
		{"no discount, all three", 2997, 3, 0, 3, 2997},
		// 2897 = 3 × 965 + 2: the first two units carry the extra 分.
		{"discount with remainder, first unit", 2897, 3, 0, 1, 966},
		{"discount with remainder, second unit", 2897, 3, 1, 1, 966},
		{"discount with remainder, last unit", 2897, 3, 2, 1, 965},
		{"discount with remainder, last two", 2897, 3, 1, 2, 1931},
		{"discount with remainder, whole line", 2897, 3, 0, 3, 2897},
		{"line given away", 0, 2, 0, 2, 0},
		{"asking past the line stops at its total", 100, 2, 1, 5, 50},
		{"nothing asked", 100, 2, 0, 0, 0},
		{"one cent over seven units", 1, 7, 0, 1, 1},
		{"one cent over seven units, the rest", 1, 7, 1, 6, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := order.PaidForUnits(c.total, c.qty, c.from, c.n); got != c.want {
				t.Errorf("PaidForUnits(%d, %d, %d, %d) = %d, want %d", c.total, c.qty, c.from, c.n, got, c.want)
			}
		})
	}
}

// However a line is cut into refunds, the refunds add up to its total and
// no unit refunds more than a fair share plus one 分.
func TestPaidForUnits_PartialRefundsSumToTheLineTotal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		qty := 1 + r.Int64N(20)
		total := r.Int64N(100_000)
		var sum, done int64
		for done < qty {
			n := 1 + r.Int64N(qty-done)
			part := order.PaidForUnits(total, qty, done, n)
			if lo, hi := n*(total/qty), n*(total/qty)+n; part < lo || part > hi {
				t.Fatalf("total %d qty %d: units %d..%d refund %d, outside [%d, %d]", total, qty, done+1, done+n, part, lo, hi)
			}
			sum += part
			done += n
		}
		if sum != total {
			t.Fatalf("total %d over %d units: refunds add up to %d", total, qty, sum)
		}
	}
}

func TestRefundShipping_OnlyWhenNothingIsLeftAndNothingShipped(t *testing.T) {
	for _, c := range []struct {
		status order.Status
		left   int64
		want   bool
	}{
		{order.Paid, 0, true},
		{order.Paid, 1, false},
		{order.Shipped, 0, false},
		{order.Delivered, 0, false},
		{order.Completed, 0, false},
	} {
		if got := order.RefundShipping(c.status, c.left); got != c.want {
			t.Errorf("RefundShipping(%s, %d) = %v, want %v", c.status, c.left, got, c.want)
		}
	}
}

func TestCaseDue_QualityComplaintsWithin48Hours(t *testing.T) {
	opened := time.Date(2026, 6, 18, 10, 0, 0, 0, time.UTC)
	if got := order.CaseDue(order.ReasonQuality, opened, 24*time.Hour); !got.Equal(opened.Add(48 * time.Hour)) {
		t.Errorf("quality due %v, want 48 h after opening whatever the default", got)
	}
	if got := order.CaseDue(order.ReasonSize, opened, 24*time.Hour); !got.Equal(opened.Add(24 * time.Hour)) {
		t.Errorf("size due %v, want the store's default of 24 h", got)
	}
	if got := order.CaseDue(order.ReasonChangedMind, opened, 0); !got.Equal(opened.Add(72 * time.Hour)) {
		t.Errorf("changed_mind due %v, want the built-in 72 h", got)
	}
}

func TestNextCase_StateMachine(t *testing.T) {
	type step struct {
		kind   order.AfterSaleKind
		from   order.AfterSaleStatus
		action order.AfterSaleAction
		want   order.AfterSaleStatus // "": refused
	}
	ro, rr, ex := order.RefundOnly, order.ReturnRefund, order.Exchange
	for _, s := range []step{
		{ro, order.CaseRequested, order.CaseApprove, order.CaseApproved},
		{ro, order.CaseRequested, order.CaseReject, order.CaseRejected},
		{ro, order.CaseRequested, order.CaseClose, order.CaseClosed},
		{ro, order.CaseRequested, order.CaseRefund, ""},
		{ro, order.CaseApproved, order.CaseRefund, order.CaseRefunded},
		{ro, order.CaseApproved, order.CaseReceive, ""},
		{ro, order.CaseApproved, order.CaseReturnSent, ""},
		{ro, order.CaseApproved, order.CaseExchangeShip, ""},
		{ro, order.CaseRefunded, order.CaseClose, order.CaseClosed},
		{ro, order.CaseRefunded, order.CaseRefund, ""},
		{rr, order.CaseApproved, order.CaseRefund, ""},
		{rr, order.CaseApproved, order.CaseReturnSent, order.CaseAwaitingReturn},
		{rr, order.CaseApproved, order.CaseReceive, order.CaseGoodsReceived},
		{rr, order.CaseAwaitingReturn, order.CaseReceive, order.CaseGoodsReceived},
		{rr, order.CaseAwaitingReturn, order.CaseRefund, ""},
		{rr, order.CaseGoodsReceived, order.CaseRefund, order.CaseRefunded},
		{rr, order.CaseGoodsReceived, order.CaseExchangeShip, ""},
		{rr, order.CaseGoodsReceived, order.CaseClose, ""}, // goods back: pay, don't drop
		{ex, order.CaseGoodsReceived, order.CaseExchangeShip, order.CaseExchanged},
		{ex, order.CaseGoodsReceived, order.CaseRefund, ""},
		{ex, order.CaseApproved, order.CaseRefund, ""},
		{ex, order.CaseExchanged, order.CaseClose, order.CaseClosed},
		{ex, order.CaseRejected, order.CaseApprove, ""},
		{ex, order.CaseClosed, order.CaseClose, ""},
		{rr, order.CaseRejected, order.CaseClose, ""},
		{rr, order.CaseApproved, order.CaseApprove, ""},
	} {
		got, err := order.NextCase(s.kind, s.from, s.action)
		if s.want == "" {
			if !errors.Is(err, order.ErrIllegalCaseTransition) {
				t.Errorf("%s %s --%s--> %s, %v; want refused", s.kind, s.from, s.action, got, err)
			}
			continue
		}
		if err != nil || got != s.want {
			t.Errorf("%s %s --%s--> %s, %v; want %s", s.kind, s.from, s.action, got, err, s.want)
		}
	}
}
