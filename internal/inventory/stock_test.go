package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/page"
)

var clock = time.Date(2026, 12, 12, 4, 0, 0, 0, time.UTC)

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 5, Name: "仓管老张"})
}

func newService(d *db.DB) *inventory.Service {
	return &inventory.Service{DB: d, Now: func() time.Time { return clock }}
}

// newSKUs creates a product with n SKUs (codes SKU-1…) and returns their ids.
func newSKUs(t *testing.T, d *db.DB, title, titleEn string, n int) []int64 {
	t.Helper()
	in := catalog.ProductInput{Title: title, TitleEn: titleEn}
	for i := range n {
		in.SKUs = append(in.SKUs, catalog.SKUInput{Code: fmt.Sprintf("%s-%d", titleEn, i+1), ListPrice: 9900, Currency: "CNY"})
	}
	p, err := (&catalog.Service{DB: d}).CreateProduct(opCtx(), in)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, k := range p.SKUs {
		ids = append(ids, k.ID)
	}
	return ids
}

func mustLevel(t *testing.T, s *inventory.Service, sku, onHand, reserved int64) {
	t.Helper()
	l, err := s.Get(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	if want := (inventory.Level{SKUID: sku, OnHand: onHand, Reserved: reserved, Available: onHand - reserved}); l != want {
		t.Fatalf("level %+v, want %+v", l, want)
	}
}

func reserve(s *inventory.Service, d *db.DB, sku, n int64) error {
	return d.InTx(context.Background(), func(tx *db.Tx) error { return s.Reserve(context.Background(), tx, sku, n) })
}

func mustLedgerBalanced(t *testing.T, d *db.DB) {
	t.Helper()
	ms, err := inventory.CheckLedger(context.Background(), d)
	if err != nil || len(ms) != 0 {
		t.Fatalf("ledger mismatches %+v, %v", ms, err)
	}
}

func TestAdjust_RefusesGoingBelowReserved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		sku := newSKUs(t, d, "连衣裙", "DRESS", 1)[0]
		l, err := s.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "PO-7", "到货")
		if err != nil || l.OnHand != 10 || l.Available != 10 {
			t.Fatalf("receipt: %+v, %v", l, err)
		}
		if err := reserve(s, d, sku, 6); err != nil {
			t.Fatal(err)
		}
		_, err = s.Adjust(ctx, sku, -5, inventory.ReasonDamage, "", "压坏")
		if !errors.Is(err, inventory.ErrBelowReserved) || !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("damage below reserved: %v", err)
		}
		if _, err := s.Adjust(ctx, sku, -11, inventory.ReasonAdjustment, "", ""); !errors.Is(err, inventory.ErrBelowReserved) {
			t.Fatalf("adjust below zero: %v", err)
		}
		mustLevel(t, s, sku, 10, 6)
		l, err = s.Adjust(ctx, sku, -4, inventory.ReasonDamage, "", "压坏")
		if err != nil || l != (inventory.Level{SKUID: sku, OnHand: 6, Reserved: 6, Available: 0}) {
			t.Fatalf("damage down to reserved: %+v, %v", l, err)
		}
		if _, err := s.Adjust(ctx, 999999, 1, inventory.ReasonReceipt, "", ""); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("unknown SKU: %v", err)
		}
		if _, err := s.Adjust(ctx, sku, 5, inventory.ReasonDamage, "", ""); fieldOf(err) != "delta" {
			t.Fatalf("positive damage: %v", err)
		}

		ms, next, err := s.Movements(ctx, sku, page.Request{})
		if err != nil || next != "" || len(ms) != 2 {
			t.Fatalf("movements %+v %q %v", ms, next, err)
		}
		if m := ms[0]; m.Delta != -4 || m.Reason != "damage" || m.OnHandAfter != 6 || m.Note != "压坏" || m.Actor != "仓管老张" || !m.At.Equal(clock) {
			t.Fatalf("newest movement %+v", m)
		}
		if m := ms[1]; m.Delta != 10 || m.Reason != "receipt" || m.Ref != "PO-7" || m.OnHandAfter != 10 {
			t.Fatalf("first movement %+v", m)
		}
		es, _ := audit.List(ctx, d, audit.Filter{Entity: "sku"})
		if len(es) != 2 || es[0].Action != "stock.damage" || string(es[0].Before) != fmt.Sprintf(`{"sku_id":%d,"on_hand":10,"reserved":6,"available":4}`, sku) {
			t.Fatalf("audit %+v", es)
		}
		mustLedgerBalanced(t, d)
	})
}

func TestSetCount_WritesTheDifference(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		sku := newSKUs(t, d, "T恤", "TEE", 1)[0]
		if _, err := s.Adjust(ctx, sku, 10, inventory.ReasonReceipt, "", ""); err != nil {
			t.Fatal(err)
		}
		l, err := s.SetCount(ctx, sku, 7, "月末盘点")
		if err != nil || l.OnHand != 7 {
			t.Fatalf("count 7: %+v, %v", l, err)
		}
		if _, err := s.SetCount(ctx, sku, 7, "复盘"); err != nil {
			t.Fatal(err)
		}
		ms, _, _ := s.Movements(ctx, sku, page.Request{})
		if len(ms) != 3 || ms[1].Delta != -3 || ms[1].Reason != "count" || ms[1].OnHandAfter != 7 || ms[0].Delta != 0 {
			t.Fatalf("movements %+v", ms)
		}
		if err := reserve(s, d, sku, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCount(ctx, sku, 4, ""); !errors.Is(err, inventory.ErrBelowReserved) {
			t.Fatalf("count below reserved: %v", err)
		}
		if _, err := s.SetCount(ctx, sku, -1, ""); fieldOf(err) != "counted" {
			t.Fatalf("negative count: %v", err)
		}
		l, err = s.SetCount(ctx, sku, 12, "找到一箱")
		if err != nil || l != (inventory.Level{SKUID: sku, OnHand: 12, Reserved: 5, Available: 7}) {
			t.Fatalf("count 12: %+v, %v", l, err)
		}
		if n := len(mustAudit(t, d, "stock.count")); n != 3 {
			t.Fatalf("%d count audits, want 3", n)
		}
		mustLedgerBalanced(t, d)
	})
}

func mustAudit(t *testing.T, d *db.DB, action string) []audit.Entry {
	t.Helper()
	es, err := audit.List(context.Background(), d, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestOrderPrimitives(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		sku := newSKUs(t, d, "帆布包", "BAG", 1)[0]
		if _, err := s.Adjust(ctx, sku, 5, inventory.ReasonReceipt, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := reserve(s, d, sku, 6); !errors.Is(err, inventory.ErrOutOfStock) || !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("reserve 6 of 5: %v", err)
		}
		if err := reserve(s, d, sku, 0); fieldOf(err) != "quantity" {
			t.Fatalf("reserve 0: %v", err)
		}
		if err := reserve(s, d, 999999, 1); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("reserve unknown SKU: %v", err)
		}
		if err := reserve(s, d, sku, 4); err != nil {
			t.Fatal(err)
		}
		mustLevel(t, s, sku, 5, 4)
		in := func(fn func(tx *db.Tx) error) error { return d.InTx(ctx, fn) }
		if err := in(func(tx *db.Tx) error { return s.Release(ctx, tx, sku, 5) }); !errors.Is(err, inventory.ErrNotReserved) {
			t.Fatalf("release 5 of 4 reserved: %v", err)
		}
		if err := in(func(tx *db.Tx) error { return s.Release(ctx, tx, sku, 1) }); err != nil {
			t.Fatal(err)
		}
		mustLevel(t, s, sku, 5, 3)
		if err := in(func(tx *db.Tx) error { return s.CommitSale(ctx, tx, sku, 4, "SO-1") }); !errors.Is(err, inventory.ErrNotReserved) {
			t.Fatalf("sell 4 of 3 reserved: %v", err)
		}
		if err := in(func(tx *db.Tx) error { return s.CommitSale(ctx, tx, sku, 3, "SO-1") }); err != nil {
			t.Fatal(err)
		}
		mustLevel(t, s, sku, 2, 0)
		if err := in(func(tx *db.Tx) error { return s.Restock(ctx, tx, sku, 1, "RMA-1") }); err != nil {
			t.Fatal(err)
		}
		mustLevel(t, s, sku, 3, 0)
		if err := in(func(tx *db.Tx) error { return s.Restock(ctx, tx, 999999, 1, "") }); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("restock unknown SKU: %v", err)
		}
		// A failure inside the order's transaction leaves nothing behind.
		boom := errors.New("payment declined")
		if err := in(func(tx *db.Tx) error {
			if err := s.Reserve(ctx, tx, sku, 2); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		mustLevel(t, s, sku, 3, 0)
		ms, _, _ := s.Movements(ctx, sku, page.Request{})
		var got []string
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%s %+d %s =%d", m.Reason, m.Delta, m.Ref, m.OnHandAfter))
		}
		if want := []string{"return +1 RMA-1 =3", "sale -3 SO-1 =2", "receipt +5  =5"}; !slices.Equal(got, want) {
			t.Fatalf("movements %q, want %q", got, want)
		}
		mustLedgerBalanced(t, d)
	})
}

func TestList_QueryLowStockAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		dress := newSKUs(t, d, "夏季碎花连衣裙", "DRESS", 2)
		tee := newSKUs(t, d, "纯棉T恤", "TEE", 1)
		for sku, n := range map[int64]int64{dress[0]: 3, dress[1]: 20, tee[0]: 8} {
			if _, err := s.Adjust(ctx, sku, n, inventory.ReasonReceipt, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := reserve(s, d, tee[0], 8); err != nil {
			t.Fatal(err)
		}
		list := func(f inventory.Filter) []int64 {
			t.Helper()
			items, _, err := s.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, it := range items {
				ids = append(ids, it.SKUID)
			}
			return ids
		}
		cases := []struct {
			name string
			f    inventory.Filter
			want []int64
		}{
			{"all", inventory.Filter{}, []int64{tee[0], dress[1], dress[0]}},
			{"Chinese title", inventory.Filter{Query: "连衣裙"}, []int64{dress[1], dress[0]}},
			{"one code finds its own SKU only", inventory.Filter{Query: "dress-2"}, []int64{dress[1]}},
			{"sold out", inventory.Filter{LowOnly: true}, []int64{tee[0]}},
			{"at most 5 available", inventory.Filter{LowOnly: true, Threshold: 5}, []int64{tee[0], dress[0]}},
			{"low dresses", inventory.Filter{LowOnly: true, Threshold: 5, Query: "碎花"}, []int64{dress[0]}},
		}
		for _, c := range cases {
			if got := list(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		items, next, err := s.List(ctx, inventory.Filter{Request: page.Request{Limit: 2}})
		if err != nil || len(items) != 2 || next == "" {
			t.Fatalf("page 1: %d %q %v", len(items), next, err)
		}
		if it := items[0]; it.Code != "TEE-1" || it.ProductTitle != "纯棉T恤" || it.Available != 0 || it.Reserved != 8 || !it.UpdatedAt.Equal(clock) {
			t.Fatalf("item %+v", it)
		}
		r, _ := page.Parse("2", next)
		items, next, _ = s.List(ctx, inventory.Filter{Request: r})
		if len(items) != 1 || items[0].SKUID != dress[0] || next != "" {
			t.Fatalf("page 2: %+v %q", items, next)
		}
	})
}

// The ledger invariant — on_hand equals the sum of movements, reserved never
// exceeds on_hand — holds after any sequence of operations, and every
// operation succeeds exactly when a simple model says it should.
func TestLedgerInvariant_RandomOperations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		skus := newSKUs(t, d, "随机", "RND", 3)
		type stock struct{ onHand, reserved int64 }
		model := map[int64]*stock{}
		for _, k := range skus {
			model[k] = &stock{}
		}
		rng := rand.New(rand.NewPCG(618, 1111))
		ops := 250
		if testing.Short() {
			ops = 80
		}
		var refused int
		for i := range ops {
			sku := skus[rng.IntN(len(skus))]
			m := model[sku]
			n := rng.Int64N(6) + 1
			tx := func(fn func(tx *db.Tx) error) error { return d.InTx(ctx, fn) }
			var err error
			var ok bool // what the model says
			var what string
			switch op := rng.IntN(8); op {
			case 0:
				what = fmt.Sprintf("receipt %d", n*3)
				_, err = s.Adjust(ctx, sku, n*3, inventory.ReasonReceipt, "", "")
				ok = true
				m.onHand += n * 3
			case 1:
				what = fmt.Sprintf("damage %d", n)
				_, err = s.Adjust(ctx, sku, -n, inventory.ReasonDamage, "", "")
				if ok = m.onHand-n >= m.reserved; ok {
					m.onHand -= n
				}
			case 2:
				delta := rng.Int64N(11) - 5
				if delta == 0 {
					delta = 1
				}
				what = fmt.Sprintf("adjust %d", delta)
				_, err = s.Adjust(ctx, sku, delta, inventory.ReasonAdjustment, "", "")
				if ok = m.onHand+delta >= m.reserved; ok {
					m.onHand += delta
				}
			case 3:
				counted := rng.Int64N(15)
				what = fmt.Sprintf("count %d", counted)
				_, err = s.SetCount(ctx, sku, counted, "")
				if ok = counted >= m.reserved; ok {
					m.onHand = counted
				}
			case 4:
				what = fmt.Sprintf("reserve %d", n)
				err = tx(func(tx *db.Tx) error { return s.Reserve(ctx, tx, sku, n) })
				if ok = m.onHand-m.reserved >= n; ok {
					m.reserved += n
				}
			case 5:
				what = fmt.Sprintf("release %d", n)
				err = tx(func(tx *db.Tx) error { return s.Release(ctx, tx, sku, n) })
				if ok = m.reserved >= n; ok {
					m.reserved -= n
				}
			case 6:
				what = fmt.Sprintf("sell %d", n)
				err = tx(func(tx *db.Tx) error { return s.CommitSale(ctx, tx, sku, n, fmt.Sprintf("SO-%d", i)) })
				if ok = m.reserved >= n; ok {
					m.reserved -= n
					m.onHand -= n
				}
			case 7:
				what = fmt.Sprintf("restock %d", n)
				err = tx(func(tx *db.Tx) error { return s.Restock(ctx, tx, sku, n, fmt.Sprintf("RMA-%d", i)) })
				ok = true
				m.onHand += n
			}
			if ok != (err == nil) {
				t.Fatalf("op %d on SKU %d, %s: err %v, model says ok=%v (model %+v)", i, sku, what, err, ok, *m)
			}
			if err != nil {
				refused++
				if !errors.Is(err, apperr.ErrConflict) {
					t.Fatalf("op %d %s refused with %v, want a conflict", i, what, err)
				}
			}
		}
		if refused == 0 || refused == ops {
			t.Fatalf("%d of %d operations refused: the sequence does not exercise both paths", refused, ops)
		}
		for _, k := range skus {
			mustLevel(t, s, k, model[k].onHand, model[k].reserved)
			ms, _, err := s.Movements(ctx, k, page.Request{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 1 && ms[0].OnHandAfter != model[k].onHand {
				t.Fatalf("SKU %d: last movement says %d on hand, stock says %d", k, ms[0].OnHandAfter, model[k].onHand)
			}
		}
		mustLedgerBalanced(t, d)
	})
}

func TestCheckLedger_FindsStockChangedAroundTheLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		skus := newSKUs(t, d, "对账", "LEDGER", 2)
		if _, err := s.Adjust(ctx, skus[0], 5, inventory.ReasonReceipt, "", ""); err != nil {
			t.Fatal(err)
		}
		mustLedgerBalanced(t, d)
		if _, err := d.Exec(ctx, "UPDATE stock SET on_hand = on_hand + 2 WHERE sku_id = $1", skus[1]); err != nil {
			t.Fatal(err)
		}
		ms, err := inventory.CheckLedger(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := []inventory.Mismatch{{SKUID: skus[1], OnHand: 2, LedgerSum: 0}}; !slices.Equal(ms, want) {
			t.Fatalf("CheckLedger = %+v, want %+v", ms, want)
		}
	})
}

// 16 buyers each try 20 times to take the last units of a flash-sale SKU
// with 50 in stock, every attempt in its own transaction: exactly 50 win.
func TestReserve_ConcurrentBuyersNeverOversell(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		sku := newSKUs(t, d, "秒杀", "FLASH", 1)[0]
		if _, err := s.Adjust(ctx, sku, 50, inventory.ReasonReceipt, "", ""); err != nil {
			t.Fatal(err)
		}
		var won, soldOut atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 16*20)
		done := make(chan struct{})
		var minAvailable atomic.Int64
		minAvailable.Store(50)
		go func() { // watch from a reader while the buyers run
			for {
				select {
				case <-done:
					return
				default:
				}
				if l, err := s.Get(ctx, sku); err == nil && l.Available < minAvailable.Load() {
					minAvailable.Store(l.Available)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		for range 16 {
			wg.Go(func() {
				for range 20 {
					err := d.InTx(ctx, func(tx *db.Tx) error { return s.Reserve(ctx, tx, sku, 1) })
					switch {
					case err == nil:
						won.Add(1)
					case errors.Is(err, inventory.ErrOutOfStock):
						soldOut.Add(1)
					default:
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(done)
		close(errs)
		for err := range errs {
			t.Fatalf("unexpected error: %v", err)
		}
		if won.Load() != 50 || soldOut.Load() != 16*20-50 {
			t.Fatalf("%d reservations succeeded and %d were sold out, want 50 and %d", won.Load(), soldOut.Load(), 16*20-50)
		}
		if minAvailable.Load() < 0 {
			t.Fatalf("available went down to %d", minAvailable.Load())
		}
		mustLevel(t, s, sku, 50, 50)
		mustLedgerBalanced(t, d)
	})
}
