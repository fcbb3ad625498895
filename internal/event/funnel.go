package event

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/storeops/storeops/internal/db"
)

// FunnelSteps is the conversion funnel (转化漏斗) of a period as
// docs/METRICS.md defines it: per visitor and store day, whether the
// visitor viewed a product, then added to cart, then started checkout, then
// paid, each step counted only after the one before it that day; over
// several days the sum of the days (visitor-days). The rollup's
// funnel_view … funnel_paid hold the same counts per day.
type FunnelSteps struct {
	View, Cart, Checkout, Paid int64
}

// funnelStep is the step an event type moves a visitor to from step
// (0 nothing yet … 4 paid): each step counts only after the one before it.
func funnelStep(step int, code uint8) int {
	switch {
	case step == 0 && code == CodeProductView,
		step == 1 && code == CodeAddToCart,
		step == 2 && code == CodeCheckoutStart,
		step == 3 && code == CodePurchase:
		return step + 1
	}
	return step
}

// Funnel counts the funnel of days from..to straight from the stored
// events, through channel ("" for every channel), decoding the days in
// parallel on every core. It reads four columns (time, type, anonymous id,
// customer; the channel too when one is asked for) and the logins of
// anonymous ids.
func Funnel(ctx context.Context, q db.Queryer, from, to int64, channel string) (FunnelSteps, error) {
	logins, err := Identities(ctx, q, nil)
	if err != nil {
		return FunnelSteps{}, err
	}
	want := ColAt | ColType | ColAnonymousID | ColCustomerID
	if channel != "" {
		want |= ColChannel
	}
	var (
		mu  sync.Mutex
		out FunnelSteps
	)
	err = ScanDays(ctx, q, from, to, want, 0, func(_ int64, batches []*Batch) error {
		f := dayFunnel(batches, channel, logins)
		mu.Lock()
		out.View += f.View
		out.Cart += f.Cart
		out.Checkout += f.Checkout
		out.Paid += f.Paid
		mu.Unlock()
		return nil
	})
	if err != nil {
		return FunnelSteps{}, fmt.Errorf("funnel %d–%d: %w", from, to, err)
	}
	return out, nil
}

// stepEvent is one funnel event of a visitor whose events came out of
// time order: its time and type, and its place in the day's stored order
// (for equal times).
type stepEvent struct {
	code uint8
	at   int64
	seq  int32
}

// visitorDay is a visitor's walk through one day's funnel so far.
type visitorDay struct {
	step   int8
	lastAt int64
	late   bool // an event came earlier than one before it: walked again in order
}

// dayFunnel counts one day's funnel. Only the four funnel types matter.
// Events are walked in the order they were stored, which is their time
// order for nearly every visitor; a visitor with an event earlier than
// one before it is walked again over their events sorted by time (stored
// order for equal times), as the rollup does.
func dayFunnel(batches []*Batch, channel string, logins map[string]int64) FunnelSteps {
	n := 0
	for _, b := range batches {
		n += b.N
	}
	vs := visitorsPool.Get().(*dayVisitors)
	defer vs.release()
	states := vs.states[:0]
	var late map[int32][]stepEvent
	visit := func(each func(v int32, code uint8, at int64, seq int32)) {
		seq := int32(0)
		for _, b := range batches {
			lastAnon, lastCustomer, last := "", int64(-1), int32(-1)
			for i := range b.N {
				seq++
				code := b.Type[i]
				if code < CodeProductView || code == CodeSearch || (channel != "" && b.Channel[i] != channel) {
					continue
				}
				anon, customer := b.AnonymousID[i], b.CustomerID[i]
				if customer != lastCustomer || anon != lastAnon {
					idx, isNew := vs.of(anon, customer, logins, int32(len(states)))
					if isNew {
						states = append(states, visitorDay{lastAt: b.At[i]})
					}
					lastAnon, lastCustomer, last = anon, customer, idx
				}
				each(last, code, b.At[i], seq)
			}
		}
	}
	visit(func(v int32, code uint8, at int64, _ int32) {
		s := &states[v]
		if at < s.lastAt {
			s.late = true
		}
		s.lastAt = at
		s.step = int8(funnelStep(int(s.step), code))
	})
	for v := range states {
		if states[v].late {
			if late == nil {
				late = map[int32][]stepEvent{}
			}
			late[int32(v)] = nil
		}
	}
	if late != nil {
		visit(func(v int32, code uint8, at int64, seq int32) {
			if evs, ok := late[v]; ok {
				late[v] = append(evs, stepEvent{code: code, at: at, seq: seq})
			}
		})
		for v, evs := range late {
			slices.SortStableFunc(evs, byTime)
			step := 0
			for _, e := range evs {
				step = funnelStep(step, e.code)
			}
			states[v].step = int8(step)
		}
	}
	vs.states = states
	var f FunnelSteps
	for _, s := range states {
		if s.step >= 1 {
			f.View++
		}
		if s.step >= 2 {
			f.Cart++
		}
		if s.step >= 3 {
			f.Checkout++
		}
		if s.step >= 4 {
			f.Paid++
		}
	}
	return f
}

func byTime(a, b stepEvent) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// dayVisitors numbers one day's visitors as Visitor identifies them: a
// known customer in a map by id, an anonymous id in a map of its own that
// also remembers what the logins made of it — one string lookup a visit
// instead of a lookup of the logins and one of a (customer, id) key. The
// maps and the states are kept from day to day (visitorsPool).
type dayVisitors struct {
	customers map[int64]int32
	anons     map[string]int32
	states    []visitorDay
}

var visitorsPool = sync.Pool{New: func() any {
	return &dayVisitors{customers: map[int64]int32{}, anons: map[string]int32{}}
}}

// of is the number of the visitor of an event of anon and customer, and
// whether it is new (then it is next, the caller's count of visitors).
func (vs *dayVisitors) of(anon string, customer int64, logins map[string]int64, next int32) (int32, bool) {
	if customer == 0 {
		if idx, ok := vs.anons[anon]; ok {
			return idx, false
		}
		if customer = logins[anon]; customer == 0 {
			vs.anons[anon] = next
			return next, true
		}
		idx, isNew := vs.customer(customer, next)
		vs.anons[anon] = idx
		return idx, isNew
	}
	return vs.customer(customer, next)
}

func (vs *dayVisitors) customer(id int64, next int32) (int32, bool) {
	if idx, ok := vs.customers[id]; ok {
		return idx, false
	}
	vs.customers[id] = next
	return next, true
}

func (vs *dayVisitors) release() {
	clear(vs.customers)
	clear(vs.anons)
	vs.states = vs.states[:0]
	visitorsPool.Put(vs)
}
