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
