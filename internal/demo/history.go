package demo

import (
	"container/heap"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Buying behaviour follows the BG/NBD story: while alive, a customer buys as
// a Poisson process with rate λ ~ Gamma(r, α); after every purchase they
// drop out for good with probability p ~ Beta(a, b). Most customers buy once,
// a few buy often, and nobody can tell from the data alone who has left.
const (
	lambdaShape = 0.35
	lambdaScale = 1.0 / 30 // mean λ ≈ one purchase per 86 days while alive
	dropoutA    = 1.0
	dropoutB    = 3.0

	browserShare = 0.08  // signed up, never paid
	unpaidShare  = 0.025 // purchases first left unpaid, then cancelled or closed
)

type buyer struct {
	id      int64
	lambda  float64
	p       float64
	basket  float64 // how much this customer puts in a cart, mean 1
	fav     int
	channel uint8
	wecom   bool
	remote  bool
	paid    int32 // paid orders so far
}

const (
	evPurchase uint8 = iota
	evRetry          // paying for real after leaving an order unpaid
	evBrowse         // an order placed and never paid by someone who never buys
	evFlash          // a rush buyer's try at the past 双11 flash sale (see flash.go)
)

type event struct {
	at   int64
	seq  uint64
	b    *buyer
	kind uint8
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = event{}
	*h = old[:len(old)-1]
	return x
}

type history struct {
	ctx    context.Context
	tl     *timeline
	cat    *catalog
	r      *rand.Rand
	ids    *idRange
	led    *ledger
	out    *chunk
	sink   *sink
	events eventHeap
	seq    uint64

	customers int
	people    int64
	phones    numbering
	qq        numbering
	handles   numbering

	all   weighted
	byTop [numTops]weighted

	daySeq int
	lines  []orderLine
	// flash is the past 双11 flash sale (nil: none in the history);
	// preset, when set, is the next order's lines instead of a basket.
	flash  *pastFlash
	preset []orderLine
	buyers []*buyer // every customer who may buy, by sign-up (for the flash rush)
	sum    Summary
	report func(final bool)
}

func (h *history) emit(t tableID, vals ...any) { h.out.add(t, vals...) }

func (h *history) flushIfFull() error {
	if h.out.rows < rowsPerTx {
		return nil
	}
	var err error
	h.out, err = h.sink.send(h.out)
	return err
}

func (h *history) push(at int64, b *buyer, kind uint8) {
	if at >= h.tl.cutoff {
		return
	}
	h.seq++
	heap.Push(&h.events, event{at: at, seq: h.seq, b: b, kind: kind})
}

// run writes the whole history, day by day.
func (h *history) run() error {
	tl := h.tl
	acq := make([]float64, tl.days)
	for i := range acq {
		f := float64(i) / float64(tl.days)
		lo, hi := tl.cum[i*24], tl.cum[i*24+24]
		before := (min(hi, tl.endCum) - lo) / (hi - lo)
		// The shop grows, and big promotions bring new customers in.
		acq[i] = math.Pow(tl.demand[i], 0.9) * math.Exp(0.1*h.r.NormFloat64()) * (0.75 + 0.5*f) * max(before, 0)
	}
	newPerDay := allocateFloat(h.customers, acq)

	h.led.open(h.emit)
	times := []int64{}
	for i := range tl.days {
		if err := h.ctx.Err(); err != nil {
			return err
		}
		h.shelves(i)
		if h.flash != nil && i == h.flash.day {
			h.flash.rush(h)
		}
		h.daySeq = 0
		times = times[:0]
		for range newPerDay[i] {
			times = append(times, tl.instantIn(h.r, i))
		}
		slices.Sort(times)
		for _, t := range times {
			h.newCustomer(t, i)
			if err := h.flushIfFull(); err != nil {
				return err
			}
		}
		end := min(tl.start[i+1], tl.cutoff)
		for len(h.events) > 0 && h.events[0].at < end {
			ev := heap.Pop(&h.events).(event)
			h.handle(ev, i)
			if err := h.flushIfFull(); err != nil {
				return err
			}
		}
		h.led.close(i, h.emit)
		if err := h.flushIfFull(); err != nil {
			return err
		}
		h.report(i == tl.days-1)
	}
	h.led.cover(h.emit)
	for _, s := range h.cat.skus {
		updated := s.lastAt
		if updated == 0 {
			updated = s.createdAt
		}
		h.emit(tStock, s.id, s.onHand, s.reserved, updated)
	}
	return nil
}

// shelves sets up the day's picking odds: what is on sale, and how the
// season moves each category.
func (h *history) shelves(i int) {
	h.all.reset()
	for t := range h.byTop {
		h.byTop[t].reset()
	}
	dt, in := h.tl.dates[i], h.tl.info[i]
	for j, s := range h.cat.skus {
		if !s.sellable(i) {
			continue
		}
		w := s.base * seasonDemand(s.season, dt, in)
		h.all.add(j, w)
		h.byTop[s.top].add(j, w)
	}
}

func (h *history) newCustomer(t int64, i int) {
	r, tl := h.r, h.tl
	idx := h.people
	h.people++
	id := h.ids.next(tCustomers)
	f := float64(i) / float64(tl.days)
	ch := pickChannel(r, channelMix(f, tl.info[i]))
	browser := r.Float64() < browserShare
	created := t
	if !browser {
		// Sign-up: at checkout for half of them, after some browsing for the rest.
		switch x := r.Float64(); {
		case x < 0.5:
			created -= between(r, 0, 30*minute)
		case x < 0.8:
			created -= between(r, 30*minute, 3*day)
		default:
			created -= between(r, 3*day, 60*day)
		}
	}
	p := newPerson(r, h.phones, h.qq, h.handles, idx, time.UnixMilli(created).In(tl.loc), ch)
	b := &buyer{
		id:      id,
		lambda:  gammaRand(r, lambdaShape, lambdaScale),
		p:       betaRand(r, dropoutA, dropoutB),
		basket:  gammaRand(r, 4, 0.25),
		fav:     p.fav,
		channel: ch,
		wecom:   p.wecom,
	}
	var consentAt any
	if p.sms || p.mail || p.wecom {
		consentAt = created
	}
	note := ""
	if r.Float64() < 0.015 {
		note = pick(r, notes)
	}
	search := strings.ToLower(strings.TrimSpace(p.name + " " + p.phone + " " + p.email))
	h.emit(tCustomers, id, p.name, p.phone, p.email, p.gender, p.birthday, channels[ch],
		p.sms, p.mail, p.wecom, consentAt, note, search, created, created)

	home := cities[cityPicker.pick(r)]
	b.remote = home.remote
	h.emit(tAddresses, h.ids.next(tAddresses), id, p.name, p.phone, home.province, home.city,
		pick(r, home.districts), homeDetail(r), home.postcode+strconv.Itoa(100+r.IntN(900)), true, created)
	if r.Float64() < 0.25 {
		if at := created + between(r, 7*day, 200*day); at < tl.cutoff {
			if r.Float64() < 0.5 {
				h.emit(tAddresses, h.ids.next(tAddresses), id, p.name, p.phone, home.province, home.city,
					pick(r, home.districts), officeDetail(r), home.postcode+strconv.Itoa(100+r.IntN(900)), false, at)
			} else {
				c := cities[cityPicker.pick(r)]
				h.emit(tAddresses, h.ids.next(tAddresses), id, personName(r, pick(r, []string{"female", "male"})), randomMobile(r),
					c.province, c.city, pick(r, c.districts), homeDetail(r), c.postcode+strconv.Itoa(100+r.IntN(900)), false, at)
			}
		}
	}
	for _, tag := range tagsFor(r, p, b.basket) {
		at := max(created, min(created+between(r, 0, 30*day), tl.cutoff-1))
		h.emit(tTags, id, tag, at)
	}
	h.sum.Customers++
	if browser {
		if r.Float64() < 0.25 {
			h.push(t+between(r, 1*minute, 30*minute), b, evBrowse)
		}
		return
	}
	if h.flash != nil {
		h.buyers = append(h.buyers, b)
	}
	h.push(t, b, evPurchase)
}

func (h *history) handle(ev event, i int) {
	r, b := h.r, ev.b
	switch ev.kind {
	case evBrowse:
		h.order(b, ev.at, i, false)
		return
	case evFlash:
		h.flash.buy(h, b, ev.at, i)
		return
	case evPurchase:
		if r.Float64() < unpaidShare {
			h.order(b, ev.at, i, false)
			if r.Float64() < 0.65 {
				h.push(ev.at+between(r, 3*minute, 90*minute), b, evRetry)
				return
			}
			h.next(b, ev.at)
			return
		}
	}
	h.order(b, ev.at, i, true)
	h.next(b, ev.at)
}

// next schedules b's next purchase, unless b drops out now.
func (h *history) next(b *buyer, at int64) {
	if h.r.Float64() < b.p {
		return
	}
	if t, ok := h.tl.next(h.r, at, b.lambda); ok {
		h.push(max(t, at+1), b, evPurchase)
	}
}
