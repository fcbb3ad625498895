package flash

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// How long the in-memory view may lag the database: the flash items of
// sales that have not ended (a sale created on another instance prices
// within this), and a sold-out mark (units freed on another instance are
// offered again within this).
const (
	itemsFresh   = time.Second
	soldOutFresh = 300 * time.Millisecond
)

// live is a flash item of a sale that has not ended.
type live struct {
	ItemID, SaleID, SKUID int64
	FlashPrice, Limit     int64
	StartsAt, EndsAt      time.Time
	Sale                  string
}

func (l live) on(t time.Time) bool { return !t.Before(l.StartsAt) && t.Before(l.EndsAt) }

// gate is the in-memory view that answers sold-out without the database.
type gate struct {
	mu      sync.Mutex // held while reloading
	view    atomic.Pointer[liveView]
	soldOut sync.Map // item id → *atomic.Int64, unix nanoseconds it was seen sold out
	limited sync.Map // buyerItem → unix nanoseconds the buyer was seen at the item's limit
}

type buyerItem struct{ item, customer int64 }

// limitedFresh is how long a buyer seen at an item's limit is refused from
// memory; an order of theirs that closes clears it at once on this
// instance.
const limitedFresh = time.Second

func (g *gate) markLimited(item, customer int64) {
	v, _ := g.limited.LoadOrStore(buyerItem{item, customer}, new(atomic.Int64))
	v.(*atomic.Int64).Store(time.Now().UnixNano())
}

func (g *gate) clearLimited(item, customer int64) {
	if v, ok := g.limited.Load(buyerItem{item, customer}); ok {
		v.(*atomic.Int64).Store(0)
	}
}

func (g *gate) isLimited(item, customer int64) bool {
	v, ok := g.limited.Load(buyerItem{item, customer})
	return ok && refuse(v.(*atomic.Int64), limitedFresh)
}

// refuse says whether a mark still refuses. A fresh mark does; of the
// callers that find it stale, one goes on to ask the database (it renews
// the mark for the others first), so a crowd does not all ask at once.
func refuse(mark *atomic.Int64, fresh time.Duration) bool {
	at := mark.Load()
	if at == 0 {
		return false
	}
	now := time.Now().UnixNano()
	if time.Duration(now-at) < fresh {
		return true
	}
	return !mark.CompareAndSwap(at, now)
}

// liveView is one load of the live items; it is never changed, only
// replaced, so every checkout reads it without a lock.
type liveView struct {
	bySKU  map[int64][]live
	byItem map[int64]live
	loaded time.Time
}

func (g *gate) invalidate() { g.view.Store(nil) }

// current returns the live items, reloading them when stale; one caller
// reloads while the others wait for it.
func (s *Service) current(ctx context.Context) (*liveView, error) {
	g := &s.gate
	if v := g.view.Load(); v != nil && time.Since(v.loaded) <= itemsFresh {
		return v, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v := g.view.Load(); v != nil && time.Since(v.loaded) <= itemsFresh {
		return v, nil
	}
	now := time.Now()
	m, err := s.loadLive(ctx)
	if err != nil {
		return nil, err
	}
	v := &liveView{bySKU: m, byItem: map[int64]live{}, loaded: now}
	for _, ls := range m {
		for _, l := range ls {
			v.byItem[l.ItemID] = l
		}
	}
	g.view.Store(v)
	return v, nil
}

// items returns the live flash items of the SKUs.
func (s *Service) items(ctx context.Context, skus []int64) (map[int64][]live, error) {
	v, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	var out map[int64][]live
	for _, id := range skus {
		if ls, ok := v.bySKU[id]; ok {
			if out == nil {
				out = map[int64][]live{}
			}
			out[id] = ls
		}
	}
	return out, nil
}

func (s *Service) loadLive(ctx context.Context) (map[int64][]live, error) {
	rows, err := s.DB.Query(ctx, `SELECT i.id, f.id, i.sku_id, i.flash_price, f.per_customer_limit, f.starts_at, f.ends_at, f.name
		FROM flash_sale_items i JOIN flash_sales f ON f.id = i.flash_sale_id
		WHERE f.ended_at IS NULL AND f.ends_at > $1`, s.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("flash items: %w", err)
	}
	defer rows.Close()
	m := map[int64][]live{}
	for rows.Next() {
		var l live
		var starts, ends int64
		if err := rows.Scan(&l.ItemID, &l.SaleID, &l.SKUID, &l.FlashPrice, &l.Limit, &starts, &ends, &l.Sale); err != nil {
			return nil, fmt.Errorf("flash items: %w", err)
		}
		l.StartsAt, l.EndsAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC()
		m[l.SKUID] = append(m[l.SKUID], l)
	}
	return m, rows.Err()
}

// markSoldOut remembers that an item's pool was found empty.
func (g *gate) markSoldOut(item int64) {
	v, _ := g.soldOut.LoadOrStore(item, new(atomic.Int64))
	v.(*atomic.Int64).Store(time.Now().UnixNano())
}

// clearSoldOut forgets it: units came back.
func (g *gate) clearSoldOut(item int64) {
	if v, ok := g.soldOut.Load(item); ok {
		v.(*atomic.Int64).Store(0)
	}
}

func (g *gate) isSoldOut(item int64) bool {
	v, ok := g.soldOut.Load(item)
	return ok && refuse(v.(*atomic.Int64), soldOutFresh)
}
