package demo

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
)

// horizon is how many days past the end the calendar is known, so stock can
// be planned for demand that has not happened yet.
const horizon = 60

// timeline is the period of history: its days in the store's zone, their
// demand, and the cumulative purchase intensity by hour. Purchases are a
// Poisson process whose rate follows the calendar, sampled by changing time:
// a customer with rate λ waits Exp(1)/λ units of cumulative intensity, so
// they buy more on 双11 and less at 4 a.m. without thinning.
type timeline struct {
	loc    *time.Location
	days   int       // days of history; day days-1 holds End
	dates  []date    // days + horizon
	info   []dayInfo // days + horizon
	start  []int64   // start of each day in ms, days + horizon + 1
	demand []float64 // demand of each day including noise, mean 1 over history
	cum    []float64 // cumulative intensity at each hour slot start, days*24 + 1
	cutoff int64     // nothing happens at or after this instant
	endCum float64   // cumulative intensity at cutoff
}

func newTimeline(end time.Time, days int, loc *time.Location, r *rand.Rand) *timeline {
	endLocal := end.In(loc)
	last := dateOf(endLocal)
	first := last.addDays(-(days - 1))
	n := days + horizon
	tl := &timeline{
		loc:    loc,
		days:   days,
		dates:  make([]date, n),
		info:   make([]dayInfo, n),
		start:  make([]int64, n+1),
		demand: make([]float64, n),
		cum:    make([]float64, days*24+1),
	}
	for i := 0; i <= n; i++ {
		dt := first.addDays(i)
		tl.start[i] = dt.start(loc).UnixMilli()
		if i < n {
			tl.dates[i] = dt
			tl.info[i] = calendarDay(dt)
			tl.demand[i] = tl.info[i].demand
		}
	}
	// Day-to-day noise: weather, a post that went viral, a competitor's sale.
	for i := range days {
		tl.demand[i] *= math.Exp(0.08 * r.NormFloat64())
	}
	var mean float64
	for i := range days {
		mean += tl.demand[i]
	}
	mean /= float64(days)
	for i := range n {
		tl.demand[i] /= mean
	}
	for i := range days {
		hw := hourWeights(tl.dates[i], tl.info[i])
		var sum float64
		for _, w := range hw {
			sum += w
		}
		for h, w := range hw {
			k := i*24 + h
			tl.cum[k+1] = tl.cum[k] + tl.demand[i]*w/sum
		}
	}
	tl.cutoff = tl.start[days]
	if h, m, s := endLocal.Clock(); h != 0 || m != 0 || s != 0 || endLocal.Nanosecond() != 0 {
		tl.cutoff = end.UnixMilli()
	}
	tl.endCum = tl.cumAt(tl.cutoff)
	return tl
}

// dayIndex is the day holding instant t (may be <0 or beyond the horizon).
func (tl *timeline) dayIndex(t int64) int {
	if t < tl.start[0] {
		return -1 - int((tl.start[0]-t-1)/day)
	}
	return sort.Search(len(tl.start), func(i int) bool { return tl.start[i] > t }) - 1
}

func (tl *timeline) dayLen(i int) int64 { return tl.start[i+1] - tl.start[i] }

func (tl *timeline) slotStart(k int) int64 {
	d, h := k/24, k%24
	return tl.start[d] + int64(h)*tl.dayLen(d)/24
}

func (tl *timeline) slotLen(k int) int64 {
	return tl.slotStart(k+1) - tl.slotStart(k)
}

// cumAt is the cumulative intensity at instant t within the history.
func (tl *timeline) cumAt(t int64) float64 {
	if t <= tl.start[0] {
		return 0
	}
	if t >= tl.start[tl.days] {
		return tl.cum[tl.days*24]
	}
	d := tl.dayIndex(t)
	h := int((t - tl.start[d]) * 24 / tl.dayLen(d))
	k := d*24 + h
	frac := float64(t-tl.slotStart(k)) / float64(tl.slotLen(k))
	return tl.cum[k] + frac*(tl.cum[k+1]-tl.cum[k])
}

// at is the instant where the cumulative intensity reaches c; false when
// that is at or after the cutoff.
func (tl *timeline) at(c float64) (int64, bool) {
	if c >= tl.endCum {
		return 0, false
	}
	n := len(tl.cum) - 1
	k := sort.Search(n, func(i int) bool { return tl.cum[i+1] > c })
	if k >= n {
		return 0, false
	}
	frac := (c - tl.cum[k]) / (tl.cum[k+1] - tl.cum[k])
	t := tl.slotStart(k) + int64(frac*float64(tl.slotLen(k)))
	if t >= tl.cutoff {
		return 0, false
	}
	return t, true
}

// next is when a customer buying at rate λ (per average day) buys again
// after t, if before the cutoff.
func (tl *timeline) next(r *rand.Rand, t int64, lambda float64) (int64, bool) {
	if lambda <= 0 {
		return 0, false
	}
	return tl.at(tl.cumAt(t) + r.ExpFloat64()/lambda)
}

// instantIn draws an instant of day i in proportion to that day's intensity
// (so more at 21:00 than at 04:00), before the cutoff.
func (tl *timeline) instantIn(r *rand.Rand, i int) int64 {
	lo := tl.cum[i*24]
	hi := min(tl.cum[i*24+24], tl.endCum)
	for range 8 {
		if t, ok := tl.at(lo + r.Float64()*(hi-lo)); ok {
			return t
		}
	}
	return tl.start[i]
}

// history reports whether day i is in the history (not the horizon).
func (tl *timeline) history(i int) bool { return i >= 0 && i < tl.days }

// localDay is YYYYMMDD of instant t in the store's zone.
func (tl *timeline) localDay(t int64) int64 {
	return dateOf(time.UnixMilli(t).In(tl.loc)).yyyymmdd()
}

// localClock is instant of day i at hh:mm in the store's zone.
func (tl *timeline) localClock(i int, hh, mm int) int64 {
	var dt date
	if i >= 0 && i < len(tl.dates) {
		dt = tl.dates[i]
	} else {
		dt = tl.dates[0].addDays(i)
	}
	return time.Date(dt.y, dt.m, dt.d, hh, mm, 0, 0, tl.loc).UnixMilli()
}

// infoAt is the calendar of the day holding t.
func (tl *timeline) infoAt(t int64) dayInfo {
	i := tl.dayIndex(t)
	if i >= 0 && i < len(tl.info) {
		return tl.info[i]
	}
	return calendarDay(dateOf(time.UnixMilli(t).In(tl.loc)))
}
