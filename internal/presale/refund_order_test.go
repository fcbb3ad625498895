package presale_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/presale"
)

// refundRecorder is a payment gateway that charges at once and records
// every refund it is asked for.
type refundRecorder struct {
	mu      sync.Mutex
	refunds []string
}

func (p *refundRecorder) Name() string { return "recorder" }

func (p *refundRecorder) Charge(_ context.Context, c payment.Charge) (payment.Result, error) {
	return payment.Result{Status: payment.StatusSucceeded, Ref: "R-" + c.OrderNo}, nil
}

func (p *refundRecorder) Refund(_ context.Context, ref string, _ int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refunds = append(p.refunds, ref)
	return nil
}

func (p *refundRecorder) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refunds...)
}

// Cancelling a paid deposit while its tail order waits is refused before
// the gateway is asked for the money back: the buyer keeps the deposit
// paid, the gateway refunds nothing. Once the tail is called off, the same
// cancel refunds the deposit once. Shipping a deposit order is refused
// before anything is written too.
func TestPresale_DepositRefundWhileTailWaitsIsRefusedBeforeTheGateway(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		gw := &refundRecorder{}
		f.orders.Provider = gw
		sku := f.sku("PS-R", 149900, 50)
		p := f.presale(sku, 10, true)
		buyer := f.customers(1)[0]
		dep, do := f.deposit(p, buyer, 1)
		f.pay(buyer, do.ID)
		if _, err := f.orders.Ship(opCtx(), do.ID, order.ShipInput{Carrier: "SF", TrackingNo: "SF9"}); !errors.Is(err, presale.ErrDepositShips) {
			t.Fatalf("shipping a deposit: %v", err)
		}
		f.clock.Set(tailStart)
		_, to, err := f.ps.PayTail(buyerCtx(buyer), buyer, dep.ID, presale.TailInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Cancel(opCtx(), do.ID, "buyer wants the deposit back"); !errors.Is(err, presale.ErrTailPending) {
			t.Fatalf("cancelling the deposit while its tail waits: %v", err)
		}
		if got := gw.asked(); len(got) != 0 {
			t.Fatalf("the gateway was asked to refund %v for a refused cancel", got)
		}
		if o := f.order(do.ID); o.Status != order.Paid || o.RefundedTotal != 0 || o.Deposit == nil || !o.Deposit.TailDue() ||
			o.Deposit.TailOrderID != to.ID || !o.Deposit.TailEndsAt.Equal(p.TailEndsAt) || o.PresaleRole != order.PresaleDeposit {
			t.Fatalf("deposit order after the refused cancel: %s refunded %d, %+v", o.Status, o.RefundedTotal, o.Deposit)
		}
		if _, err := f.orders.Cancel(opCtx(), to.ID, "changed my mind"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Cancel(opCtx(), do.ID, "buyer wants the deposit back"); err != nil {
			t.Fatal(err)
		}
		if got := gw.asked(); len(got) != 1 || got[0] != "R-"+do.No {
			t.Fatalf("refunds asked: %v, want the deposit's once", got)
		}
		o := f.order(do.ID)
		if o.Status != order.Closed || o.RefundedTotal != o.Total || o.Deposit == nil || o.Deposit.Status != "refunded" {
			t.Fatalf("deposit order after the cancel: %s refunded %d of %d, %+v", o.Status, o.RefundedTotal, o.Total, o.Deposit)
		}
		f.checkReserved(sku)
	})
}
