package order_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
)

func TestKeys_ReplayRefuseAndRunOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k := &order.Keys{DB: d, Wait: 3 * time.Second}
		h1 := order.RequestHash("POST", "/x", []byte(`{"a":1}`))
		h2 := order.RequestHash("POST", "/x", []byte(`{"a":2}`))
		if st, err := k.Begin(ctx, "c1", "k", h1); st != nil || err != nil {
			t.Fatalf("first begin: %v %v", st, err)
		}
		if _, err := (&order.Keys{DB: d, Wait: time.Millisecond}).Begin(ctx, "c1", "k", h1); !errors.Is(err, order.ErrKeyInProgress) {
			t.Errorf("while running: %v", err)
		}
		if err := k.Finish(ctx, "c1", "k", 201, []byte("{\"id\":7}\n")); err != nil {
			t.Fatal(err)
		}
		st, err := k.Begin(ctx, "c1", "k", h1)
		if err != nil || st == nil || st.Status != 201 || string(st.Body) != "{\"id\":7}\n" {
			t.Fatalf("replay: %+v %v", st, err)
		}
		if _, err := k.Begin(ctx, "c1", "k", h2); !errors.Is(err, order.ErrKeyReused) {
			t.Errorf("other body: %v", err)
		}
		if st, err := k.Begin(ctx, "c2", "k", h2); st != nil || err != nil {
			t.Errorf("same key in another scope: %v %v", st, err)
		}
		if _, err := k.Begin(ctx, "c1", "", h1); !isField(err, "Idempotency-Key") {
			t.Errorf("empty key: %v", err)
		}
		// Of ten concurrent claims one runs; the others get its answer.
		var ran atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := k.Begin(ctx, "c3", "burst", h1)
				if err != nil {
					t.Error(err)
					return
				}
				if st == nil {
					ran.Add(1)
					time.Sleep(50 * time.Millisecond)
					k.Finish(ctx, "c3", "burst", 200, []byte("done"))
				} else if string(st.Body) != "done" {
					t.Errorf("waiter got %q", st.Body)
				}
			}()
		}
		wg.Wait()
		if ran.Load() != 1 {
			t.Errorf("%d claims ran, want 1", ran.Load())
		}
		// An abandoned key runs again.
		k.Begin(ctx, "c4", "retry", h1)
		if err := k.Abandon(ctx, "c4", "retry"); err != nil {
			t.Fatal(err)
		}
		if st, err := k.Begin(ctx, "c4", "retry", h1); st != nil || err != nil {
			t.Errorf("after abandon: %v %v", st, err)
		}
	})
}

// A key taken inside the checkout's and the payment's own transactions:
// of twenty concurrent calls with one key exactly one order and one
// payment are made, the others learn the key is taken, and until the
// response is kept a lookup names what the call made.
func TestClaim_KeyCommitsWithItsOperation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		k := &order.Keys{DB: d}
		sku := f.sku("CLAIM-1", 5000, 2000, 100)
		buyer := f.customer("李四", "13900139000")
		h := order.RequestHash("POST", "/store/checkout", []byte(`{}`))
		claim := order.Claim{Scope: "customer:1 checkout", Key: "k-1", Hash: h}
		in := order.CheckoutInput{CustomerID: buyer, ShipTo: home, Lines: []price.Line{priceLine(sku, 2)}}

		var made, taken atomic.Int64
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Checkout(order.WithClaim(buyerCtx(buyer), claim), in)
				switch {
				case err == nil:
					made.Add(1)
				case errors.Is(err, order.ErrKeyTaken):
					taken.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if made.Load() != 1 || taken.Load() != 19 {
			t.Fatalf("made %d orders, %d saw the key taken; want 1 and 19", made.Load(), taken.Load())
		}
		if n := f.count(`SELECT COUNT(*) FROM orders WHERE customer_id = $1`, buyer); n != 1 {
			t.Errorf("%d orders in the database, want 1", n)
		}
		st, err := k.Lookup(context.Background(), claim.Scope, claim.Key, h)
		if err != nil || st == nil || !st.Committed() || st.Ref == 0 {
			t.Fatalf("lookup after commit: %+v %v", st, err)
		}
		if _, err := k.Lookup(context.Background(), claim.Scope, claim.Key, "other"); !errors.Is(err, order.ErrKeyReused) {
			t.Errorf("lookup with another request: %v", err)
		}
		if err := k.Keep(context.Background(), claim.Scope, claim.Key, h, 201, []byte(`{"id":1}`)); err != nil {
			t.Fatal(err)
		}
		if st, _ := k.Lookup(context.Background(), claim.Scope, claim.Key, h); st == nil || st.Status != 201 || string(st.Body) != `{"id":1}` {
			t.Errorf("after keep: %+v", st)
		}

		// Paying under one key from twenty goroutines charges once.
		pclaim := order.Claim{Scope: "customer:1 pay", Key: "p-1", Hash: h}
		made.Store(0)
		taken.Store(0)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Pay(order.WithClaim(buyerCtx(buyer), pclaim), buyer, st.Ref, order.PayInput{})
				switch {
				case err == nil:
					made.Add(1)
				case errors.Is(err, order.ErrKeyTaken), errors.Is(err, payment.ErrLivePayment), errors.Is(err, order.ErrIllegalTransition):
					// A twin that runs after the first committed finds
					// the order paid; the API then replays the first.
					taken.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if made.Load() != 1 {
			t.Errorf("%d payments succeeded, want 1", made.Load())
		}
		if n := f.count(`SELECT COUNT(*) FROM payments WHERE order_id = $1`, st.Ref); n != 1 {
			t.Errorf("%d payment rows, want 1", n)
		}
		f.invariants()
	})
}
