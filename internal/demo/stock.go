package demo

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Stock movement reasons, as the inventory ledger names them.
const (
	reasonReceipt = "receipt"
	reasonSale    = "sale"
	reasonReturn  = "return"
)

const actorSystem = "system"

// move is a stock movement waiting for its time to come: sales are known
// when an order is placed, returns days before they arrive.
type move struct {
	at     int64
	seq    uint64
	sku    int32
	delta  int64
	reason string
	ref    string
	note   string
}

type moveHeap []move

func (h moveHeap) Len() int { return len(h) }
func (h moveHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h moveHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *moveHeap) Push(x any)   { *h = append(*h, x.(move)) }
func (h *moveHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func compareMoves(a, b move) int {
	if a.at != b.at {
		if a.at < b.at {
			return -1
		}
		return 1
	}
	if a.seq < b.seq {
		return -1
	}
	if a.seq > b.seq {
		return 1
	}
	return 0
}

// ledger keeps stock the way a careful shop does: it replays movements in
// time order, reorders from a forecast of the calendar before stock runs
// out, and never lets on_hand drop below zero.
type ledger struct {
	cat     *catalog
	tl      *timeline
	ids     *idRange
	r       *rand.Rand
	pending moveHeap
	seq     uint64
	today   []move
	// demandCum[s][i] is the summed demand × season of days before i.
	demandCum [numSeasons][]float64
	poSeq     int
	poDay     int64
	urgent    int // receipts forced by a sale the forecast missed
}

func newLedger(cat *catalog, tl *timeline, ids *idRange, r *rand.Rand, unitsPerDay float64) *ledger {
	l := &ledger{cat: cat, tl: tl, ids: ids, r: r}
	n := len(tl.dates)
	for s := range numSeasons {
		cum := make([]float64, n+1)
		for i := range n {
			cum[i+1] = cum[i] + tl.demand[i]*seasonDemand(s, tl.dates[i], tl.info[i])
		}
		l.demandCum[s] = cum
	}
	var baseSum float64
	for _, s := range cat.skus {
		baseSum += s.base
	}
	for _, s := range cat.skus {
		s.rate = unitsPerDay * s.base / baseSum
	}
	return l
}

func (l *ledger) schedule(m move) {
	l.seq++
	m.seq = l.seq
	heap.Push(&l.pending, m)
}

// forecast is the units s is expected to sell on days [a, b).
func (l *ledger) forecast(s *sku, a, b int) float64 {
	a = max(a, s.product.launch, 0)
	b = min(b, s.product.off, len(l.tl.dates))
	if b <= a {
		return 0
	}
	cum := l.demandCum[s.season]
	return s.rate * (cum[b] - cum[a])
}

func packSize(price int64) int64 {
	switch {
	case price >= 20000:
		return 2
	case price >= 5000:
		return 5
	}
	return 10
}

func roundUp(x float64, pack int64) int64 {
	n := int64(math.Ceil(x))
	if n <= 0 {
		return 0
	}
	return (n + pack - 1) / pack * pack
}

func (l *ledger) poRef(at int64) string {
	d := l.tl.localDay(at)
	if d != l.poDay {
		l.poDay, l.poSeq = d, 0
	}
	l.poSeq++
	return fmt.Sprintf("PO%d-%03d", d, l.poSeq)
}

func (l *ledger) receipt(i int, at, qty int64, note string) move {
	l.seq++
	return move{at: at, seq: l.seq, sku: int32(i), delta: qty, reason: reasonReceipt, note: note}
}

// open stocks every item on sale when the history begins.
func (l *ledger) open(out func(tableID, ...any)) {
	for i, s := range l.cat.skus {
		if s.product.launch != 0 || s.product.status == "draft" {
			continue
		}
		qty := roundUp(1.5*l.forecast(s, 0, 30)+6, packSize(s.price))
		at := l.tl.start[0] - between(l.r, 2*hour, 40*hour)
		l.today = append(l.today, l.receipt(i, at, qty, "期初库存"))
	}
	l.apply(out)
}

// close replays the movements of day i, after deciding that morning's
// receipts and the first stock of items launching tomorrow.
func (l *ledger) close(i int, out func(tableID, ...any)) {
	tl := l.tl
	end := min(tl.start[i+1], tl.cutoff)
	for j, s := range l.cat.skus {
		p := s.product
		switch {
		case p.launch == i+1 && i+1 < tl.days:
			at := tl.start[i+1] - between(l.r, 1*hour, 10*hour)
			if at < tl.cutoff {
				qty := roundUp(1.5*l.forecast(s, i+1, i+31)+6, packSize(s.price))
				l.today = append(l.today, l.receipt(j, at, qty, "新品首批入库"))
			}
		case s.sellable(i) && i < p.off-14:
			// Nobody restocks an item that leaves the shelf in two weeks.
			need := l.forecast(s, i, i+7)
			if float64(s.onHand) < 1.4*need+2 {
				qty := roundUp(1.4*l.forecast(s, i, i+28)+4-float64(s.onHand), packSize(s.price))
				at := tl.localClock(i, 9, 0) + between(l.r, 0, 2*hour)
				if qty > 0 && at < end {
					l.today = append(l.today, l.receipt(j, at, qty, "补货入库"))
				}
			}
		}
	}
	for len(l.pending) > 0 && l.pending[0].at < end {
		l.today = append(l.today, heap.Pop(&l.pending).(move))
	}
	l.apply(out)
	if i+1 < tl.days || tl.cutoff == tl.start[tl.days] {
		for _, s := range l.cat.skus {
			if s.sellable(i) {
				// Learn the real pace of each item, per unit of calendar demand.
				w := tl.demand[i] * seasonDemand(s.season, tl.dates[i], tl.info[i])
				s.rate = 0.9*s.rate + 0.1*float64(s.sold)/w
			}
			s.sold = 0
		}
	}
}

func (l *ledger) apply(out func(tableID, ...any)) {
	slices.SortFunc(l.today, compareMoves)
	for _, m := range l.today {
		s := l.cat.skus[m.sku]
		if m.delta < 0 && s.onHand+m.delta < 0 {
			short := -(s.onHand + m.delta)
			day := l.tl.dayIndex(m.at)
			qty := roundUp(max(float64(short), 1.4*l.forecast(s, day, day+14)+2-float64(s.onHand+m.delta)), packSize(s.price))
			at := max(s.lastAt, m.at-between(l.r, 30*minute, 3*hour))
			l.urgent++
			l.write(out, s, l.receipt(int(m.sku), at, qty, "紧急补货"))
		}
		l.write(out, s, m)
		if m.reason == reasonSale {
			s.sold -= m.delta
		}
	}
	l.today = l.today[:0]
}

func (l *ledger) write(out func(tableID, ...any), s *sku, m move) {
	s.onHand += m.delta
	s.lastAt = m.at
	ref := m.ref
	if m.reason == reasonReceipt {
		ref = l.poRef(m.at)
	}
	out(tMoves, l.ids.next(tMoves), s.id, m.delta, m.reason, ref, m.note, actorSystem, s.onHand, m.at)
}

// cover makes sure stock held for unpaid orders is on hand, as checkout
// would have refused the order otherwise.
func (l *ledger) cover(out func(tableID, ...any)) {
	for i, s := range l.cat.skus {
		if s.reserved > s.onHand {
			at := max(s.lastAt, l.tl.cutoff-between(l.r, 10*minute, 60*minute))
			l.urgent++
			l.write(out, s, l.receipt(i, at, roundUp(float64(s.reserved-s.onHand), packSize(s.price)), "紧急补货"))
		}
	}
}
