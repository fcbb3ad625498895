package demo

import (
	"math"
	"time"
)

// date is a calendar day, free of any time zone.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

func (dt date) noonUTC() time.Time { return time.Date(dt.y, dt.m, dt.d, 12, 0, 0, 0, time.UTC) }

func (dt date) addDays(n int) date { return dateOf(dt.noonUTC().AddDate(0, 0, n)) }

// sub is the number of days from o to dt.
func (dt date) sub(o date) int {
	return int(math.Round(dt.noonUTC().Sub(o.noonUTC()).Hours() / 24))
}

func (dt date) weekday() time.Weekday { return dt.noonUTC().Weekday() }

func (dt date) yearDay() int { return dt.noonUTC().YearDay() }

func (dt date) yyyymmdd() int64 { return int64(dt.y*10000 + int(dt.m)*100 + dt.d) }

func (dt date) start(loc *time.Location) time.Time {
	return time.Date(dt.y, dt.m, dt.d, 0, 0, 0, 0, loc)
}

// springFestival is 春节 (the first day of the lunar year) by year; the year's
// rhythm around it — 年货节 before, couriers stopping, the lull — moves with it.
var springFestival = map[int]date{
	2015: {2015, 2, 19}, 2016: {2016, 2, 8}, 2017: {2017, 1, 28}, 2018: {2018, 2, 16},
	2019: {2019, 2, 5}, 2020: {2020, 1, 25}, 2021: {2021, 2, 12}, 2022: {2022, 2, 1},
	2023: {2023, 1, 22}, 2024: {2024, 2, 10}, 2025: {2025, 1, 29}, 2026: {2026, 2, 17},
	2027: {2027, 2, 6}, 2028: {2028, 1, 26}, 2029: {2029, 2, 13}, 2030: {2030, 2, 3},
	2031: {2031, 1, 23}, 2032: {2032, 2, 11}, 2033: {2033, 1, 31}, 2034: {2034, 2, 19},
	2035: {2035, 2, 8}, 2036: {2036, 1, 28}, 2037: {2037, 2, 15}, 2038: {2038, 2, 4},
	2039: {2039, 1, 24}, 2040: {2040, 2, 12},
}

func springFestivalOf(year int) date {
	if d, ok := springFestival[year]; ok {
		return d
	}
	return date{year, 2, 5} // outside the table: its average date is close enough for a demo
}

// sinceSpringFestival is the offset of dt from the nearest 春节.
func sinceSpringFestival(dt date) int {
	best := dt.sub(springFestivalOf(dt.y))
	for _, y := range []int{dt.y - 1, dt.y + 1} {
		if o := dt.sub(springFestivalOf(y)); abs(o) < abs(best) {
			best = o
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// promo is a spend-X-get-Y-off (满减) rule running on a day.
type promo struct {
	name      string
	threshold int64 // 满: the spend that unlocks it, in 分
	off       int64 // 减: what it takes off, in 分
	repeat    bool  // 每满: off again for every full threshold
}

// discount is what the rule takes off goods worth amount.
func (p *promo) discount(amount int64) int64 {
	if p == nil || amount < p.threshold {
		return 0
	}
	if p.repeat {
		return amount / p.threshold * p.off
	}
	return p.off
}

var (
	promo1111    = &promo{"双11", 30000, 5000, true}
	promo618     = &promo{"618", 30000, 4000, true}
	promo1212    = &promo{"双12", 20000, 2000, false}
	promoNianhuo = &promo{"年货节", 19900, 2000, false}
	promo38      = &promo{"女王节", 30000, 3000, false}
	promo520     = &promo{"520", 52000, 5200, false}
)

// dayInfo is what the retail calendar says about one day.
type dayInfo struct {
	demand   float64 // demand multiplier, weekday included (1 = an ordinary day)
	promo    *promo  // the 满减 running that day, if any
	peak     bool    // the big day of 618 or 双11: a rush at midnight
	big      bool    // inside a big promotion: warehouses fall behind
	shutdown bool    // couriers stop for 春节
	nianhuo  bool    // 年货节: food gifts sell
}

var weekdayDemand = [7]float64{
	time.Sunday: 1.21, time.Monday: 1.0, time.Tuesday: 0.93, time.Wednesday: 1.0,
	time.Thursday: 0.94, time.Friday: 0.97, time.Saturday: 1.16,
}

// calendarDay is the Chinese retail calendar as a shop of this kind lives it.
func calendarDay(dt date) dayInfo {
	in := dayInfo{demand: 1}
	m, d := dt.m, dt.d
	switch {
	case m == 11 && d == 11:
		in.demand, in.peak = 7.5, true
	case m == 11 && d == 10:
		in.demand = 1.9
	case m == 11 && d == 1:
		in.demand = 2.6
	case m == 11 && d <= 9:
		in.demand = 1.35
	case m == 11 && d <= 20:
		in.demand = 0.8 // wallets are empty after 双11
	case m == 10 && d >= 20:
		in.demand = 1.1 // 双11 warm-up and presale
	case m == 10 && d <= 7:
		in.demand = 0.85 // 国庆: people travel
	case m == 6 && d == 18:
		in.demand, in.peak = 5.5, true
	case m == 6 && d == 1:
		in.demand = 2.2
	case m == 6 && (d == 16 || d == 17):
		in.demand = 1.5
	case m == 6 && d <= 15:
		in.demand = 1.25
	case m == 6 && d <= 24:
		in.demand = 0.85
	case m == 12 && d == 12:
		in.demand = 3.2
	case m == 12 && (d == 10 || d == 11):
		in.demand = 1.3
	case m == 5 && d == 20:
		in.demand = 1.9
	case m == 5 && d == 19:
		in.demand = 1.2
	case m == 3 && d == 8:
		in.demand = 2.0
	case m == 3 && (d == 6 || d == 7):
		in.demand = 1.3
	}
	switch {
	case m == 11 && d <= 11:
		in.promo, in.big = promo1111, true
	case m == 6 && d <= 18:
		in.promo, in.big = promo618, true
	case m == 12 && d >= 10 && d <= 12:
		in.promo, in.big = promo1212, d == 12
	case m == 5 && (d == 19 || d == 20):
		in.promo = promo520
	case m == 3 && d >= 6 && d <= 8:
		in.promo = promo38
	}
	switch off := sinceSpringFestival(dt); {
	case off >= -25 && off <= -10:
		in.demand *= 1.45
		in.nianhuo = true
		if in.promo == nil {
			in.promo = promoNianhuo
		}
	case off >= -9 && off <= -6:
		in.demand *= 0.9
	case off >= -5 && off <= 6:
		in.demand *= 0.45
		in.shutdown = off >= -3 && off <= 5
	case off >= 7 && off <= 12:
		in.demand *= 0.8
	}
	in.demand *= weekdayDemand[dt.weekday()]
	return in
}

// baseHours is the share of a day's orders by hour, Beijing time: a lunch
// break peak and the evening on the sofa, quiet before dawn.
var baseHours = [24]float64{
	0.55, 0.28, 0.14, 0.08, 0.06, 0.08, 0.16, 0.32, 0.52, 0.72, 0.88, 1.0,
	1.32, 1.34, 1.08, 0.94, 0.94, 0.98, 1.02, 1.22, 1.6, 1.82, 1.7, 1.12,
}

func hourWeights(dt date, in dayInfo) [24]float64 {
	h := baseHours
	if dt.weekday() == time.Monday {
		for i := 19; i < 24; i++ {
			h[i] *= 1.3 // back from the weekend, shopping after work
		}
	}
	if in.peak {
		h[0] *= 6 // 0点开抢: the rush when the big day starts
		h[1] *= 3
		h[20] *= 1.4
		h[21] *= 1.3
	}
	return h
}

// seasonDemand shifts a category's demand through the year.
func seasonDemand(s season, dt date, in dayInfo) float64 {
	doy := float64(dt.yearDay())
	switch s {
	case summer:
		return 1 + 0.55*math.Cos(2*math.Pi*(doy-196)/365.25)
	case winter:
		return 1 + 0.8*math.Cos(2*math.Pi*(doy-15)/365.25)
	case newYear:
		if in.nianhuo {
			return 2.2
		}
		return 1 + 0.2*math.Cos(2*math.Pi*(doy-20)/365.25)
	}
	return 1
}
