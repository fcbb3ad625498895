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

// stepEvent is one funnel event of a day: its visitor (an index), time
// and type, and its place in the day's stored order (for equal times).
type stepEvent struct {
	visitor int32
	code    uint8
	at      int64
	seq     int32
}

// dayFunnel counts one day's funnel. Only the four funnel types matter;
// each visitor's events are walked in time order (stored order for equal
// times), grouped by visitor with a counting sort so the day costs about
// one map lookup per funnel event.
func dayFunnel(batches []*Batch, channel string, logins map[string]int64) FunnelSteps {
	visitors := map[VisitorKey]int32{}
	var evs []stepEvent
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
				v := Visitor(anon, customer, logins)
				idx, ok := visitors[v]
				if !ok {
					idx = int32(len(visitors))
					visitors[v] = idx
				}
				lastAnon, lastCustomer, last = anon, customer, idx
			}
			evs = append(evs, stepEvent{visitor: last, code: code, at: b.At[i], seq: seq})
		}
	}
	// group by visitor, keeping each visitor's events in stored order
	start := make([]int32, len(visitors)+1)
	for _, e := range evs {
		start[e.visitor+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	grouped := make([]stepEvent, len(evs))
	next := slices.Clone(start[:len(visitors)])
	for _, e := range evs {
		grouped[next[e.visitor]] = e
		next[e.visitor]++
	}
	var f FunnelSteps
	for v := range len(visitors) {
		mine := grouped[start[v]:start[v+1]]
		if !slices.IsSortedFunc(mine, byTime) {
			slices.SortStableFunc(mine, byTime)
		}
		step := 0
		for _, e := range mine {
			step = funnelStep(step, e.code)
		}
		if step >= 1 {
			f.View++
		}
		if step >= 2 {
			f.Cart++
		}
		if step >= 3 {
			f.Checkout++
		}
		if step >= 4 {
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
