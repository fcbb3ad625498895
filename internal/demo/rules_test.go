package demo

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGammaRand_HasTheRightMeanAndVariance(t *testing.T) {
	for _, c := range []struct{ shape, scale float64 }{{0.35, 1.0 / 30}, {1, 2}, {4, 0.25}, {9, 3}} {
		r := newRand(42, 99)
		const n = 200000
		var sum, sq float64
		for range n {
			x := gammaRand(r, c.shape, c.scale)
			if x < 0 {
				t.Fatalf("Gamma(%v, %v) drew %v", c.shape, c.scale, x)
			}
			sum += x
			sq += x * x
		}
		mean := sum / n
		variance := sq/n - mean*mean
		wantMean, wantVar := c.shape*c.scale, c.shape*c.scale*c.scale
		if math.Abs(mean-wantMean) > 0.03*wantMean {
			t.Errorf("Gamma(%v, %v) mean %.5f, want %.5f", c.shape, c.scale, mean, wantMean)
		}
		if math.Abs(variance-wantVar) > 0.08*wantVar {
			t.Errorf("Gamma(%v, %v) variance %.6f, want %.6f", c.shape, c.scale, variance, wantVar)
		}
	}
}

func TestBetaRand_HasTheRightMean(t *testing.T) {
	r := newRand(42, 98)
	const n = 100000
	var sum float64
	for range n {
		x := betaRand(r, 1, 3)
		if x < 0 || x > 1 {
			t.Fatalf("Beta(1, 3) drew %v", x)
		}
		sum += x
	}
	if mean := sum / n; math.Abs(mean-0.25) > 0.005 {
		t.Errorf("Beta(1, 3) mean %.4f, want 0.25", mean)
	}
}

func TestAllocate_LargestRemainderAddsUpExactly(t *testing.T) {
	cases := []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{3000, []int64{15900, 3990, 12900}, []int64{1455, 365, 1180}},
		{100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{5000, []int64{30000}, []int64{5000}},
		{0, []int64{100, 200}, []int64{0, 0}},
		{7, []int64{0, 5, 0}, []int64{0, 7, 0}},
	}
	for _, c := range cases {
		got := allocate(c.total, c.weights)
		if !slices.Equal(got, c.want) {
			t.Errorf("allocate(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
		}
	}
}

func TestPromo_SpendXGetYOff(t *testing.T) {
	cases := []struct {
		p      *promo
		amount int64
		want   int64
	}{
		{promo1111, 29999, 0},
		{promo1111, 30000, 5000},
		{promo1111, 65000, 10000}, // 每满300减50: twice
		{promo618, 90000, 12000},
		{promo1212, 45000, 2000}, // 满200减20 once
		{nil, 99999, 0},
	}
	for _, c := range cases {
		if got := c.p.discount(c.amount); got != c.want {
			name := "none"
			if c.p != nil {
				name = c.p.name
			}
			t.Errorf("%s on %d: %d off, want %d", name, c.amount, got, c.want)
		}
	}
}

func TestCalendar_BigDaysAndSpringFestival(t *testing.T) {
	d1111 := calendarDay(date{2025, 11, 11})
	if !d1111.peak || d1111.promo != promo1111 || d1111.demand < 5 {
		t.Errorf("双11: %+v", d1111)
	}
	for dt := (date{2025, 1, 1}); dt.y == 2025; dt = dt.addDays(1) {
		if in := calendarDay(dt); dt != (date{2025, 11, 11}) && in.demand >= d1111.demand {
			t.Errorf("%v has demand %.2f, not below 双11's %.2f", dt, in.demand, d1111.demand)
		}
	}
	// 春节 2025 was on January 29: couriers stop around it, 年货节 runs before it.
	if in := calendarDay(date{2025, 1, 30}); !in.shutdown || in.demand > 0.6 {
		t.Errorf("2025-01-30: %+v, want a lull with couriers stopped", in)
	}
	if in := calendarDay(date{2025, 1, 10}); !in.nianhuo || in.promo != promoNianhuo {
		t.Errorf("2025-01-10: %+v, want 年货节", in)
	}
	// In 2026 春节 is on February 17: January 30 is 年货节, not the lull,
	// and mid-January is an ordinary day.
	if in := calendarDay(date{2026, 1, 30}); in.shutdown || !in.nianhuo {
		t.Errorf("2026-01-30: %+v, want 年货节", in)
	}
	if in := calendarDay(date{2026, 1, 15}); in.shutdown || in.nianhuo || in.promo != nil {
		t.Errorf("2026-01-15: %+v, want no festival effects", in)
	}
	if got := sinceSpringFestival(date{2024, 12, 31}); got != -29 {
		t.Errorf("2024-12-31 is %d days from 春节 2025, want -29", got)
	}
}

func TestTimeline_PurchasesFollowTheCalendar(t *testing.T) {
	loc := shanghai(t)
	tl := newTimeline(time.Date(2025, 12, 31, 0, 0, 0, 0, loc), 365, loc, newRand(1, streamCalendar))
	if tl.cutoff != time.Date(2026, 1, 1, 0, 0, 0, 0, loc).UnixMilli() {
		t.Errorf("a bare date runs to its midnight; cutoff %v", time.UnixMilli(tl.cutoff).In(loc))
	}
	if math.Abs(tl.endCum-365) > 1e-6 {
		t.Errorf("total intensity %.3f, want 365 (a mean of one per day)", tl.endCum)
	}
	// Draw many purchase instants; 双11 gets several ordinary days' share,
	// 4 a.m. far less than 9 p.m.
	r := newRand(1, 5)
	byDay := map[int64]int{}
	byHour := [24]int{}
	for range 200000 {
		at, ok := tl.at(r.Float64() * tl.endCum)
		if !ok {
			t.Fatal("instant inside the history reported outside it")
		}
		lt := time.UnixMilli(at).In(loc)
		byDay[tl.localDay(at)]++
		byHour[lt.Hour()]++
	}
	if byDay[20251111] < 4*byDay[20250916] {
		t.Errorf("双11 drew %d purchases, an ordinary Tuesday %d", byDay[20251111], byDay[20250916])
	}
	if byHour[4]*5 > byHour[21] {
		t.Errorf("4 a.m. drew %d, 9 p.m. %d", byHour[4], byHour[21])
	}
	mid := time.Date(2025, 12, 31, 12, 0, 0, 0, loc)
	if tl := newTimeline(mid, 30, loc, newRand(1, 2)); tl.cutoff != mid.UnixMilli() {
		t.Errorf("End with a time of day must stop history there; cutoff %v", time.UnixMilli(tl.cutoff).In(loc))
	}
	if _, ok := tl.next(r, tl.cutoff-1, 1e-9); ok {
		t.Error("a customer who almost never buys bought again before the end")
	}
}

func TestNumbering_GivesDistinctPhones(t *testing.T) {
	nb := numbering{mul: 2654435761, add: 12345, mod: uint64(len(mobilePrefixes)) * 1e8}
	seen := map[string]bool{}
	valid := regexp.MustCompile(`^1[3-9]\d{9}$`)
	for i := range int64(50000) {
		p := mobile(nb, i)
		if !valid.MatchString(p) {
			t.Fatalf("%q is not a mainland mobile number", p)
		}
		if seen[p] {
			t.Fatalf("phone %s given twice", p)
		}
		seen[p] = true
	}
}

func TestEAN13_CheckDigit(t *testing.T) {
	code := ean13(1)
	if len(code) != 13 || !strings.HasPrefix(code, "69") {
		t.Fatalf("ean13(1) = %q", code)
	}
	sum := 0
	for i, c := range code {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	if sum%10 != 0 {
		t.Errorf("%s fails the EAN-13 check", code)
	}
}

func TestCatalog_MatrixAndPrices(t *testing.T) {
	loc := shanghai(t)
	tl := newTimeline(time.Date(2025, 12, 31, 0, 0, 0, 0, loc), 400, loc, newRand(1, streamCalendar))
	var ids idRange
	cat := buildCatalog(newRand(1, streamCatalog), tl, &ids)
	if len(cat.products) != 120 || len(cat.skus) != 300 {
		t.Fatalf("%d products, %d SKUs; want 120 and 300", len(cat.products), len(cat.skus))
	}
	statuses := map[string]int{}
	codes := map[string]bool{}
	for _, p := range cat.products {
		statuses[p.status]++
		if n := len(p.skus); n < 1 || n > 5 {
			t.Errorf("%s has %d variants, want 1–5", p.seed.title, n)
		}
	}
	if statuses["draft"] == 0 || statuses["off_shelf"] == 0 || statuses["on_sale"] < 100 {
		t.Errorf("statuses %v: want mostly on_sale with a few drafts and off-shelf items", statuses)
	}
	for _, s := range cat.skus {
		margin := 1 - float64(s.cost)/float64(s.price)
		lo, hi := roleMargin[s.product.role][0], roleMargin[s.product.role][1]
		if margin < lo-0.01 || margin > hi+0.01 {
			t.Errorf("%s (%s) margin %.2f outside %.2f–%.2f", s.code, roleNames[s.product.role], margin, lo, hi)
		}
		if s.price%10 != 0 || s.cost%10 != 0 {
			t.Errorf("%s priced %d, cost %d: want whole 角", s.code, s.price, s.cost)
		}
		if codes[s.code] {
			t.Errorf("SKU code %s twice", s.code)
		}
		codes[s.code] = true
	}
}

func TestProgressBar_DrawsOneLinePerStage(t *testing.T) {
	var b bytes.Buffer
	bar := ProgressBar(&b)
	bar(0, 1, "catalog")
	bar(1, 1, "catalog")
	bar(100, 400, "history")
	bar(400, 400, "history")
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per stage:\n%q", len(lines), out)
	}
	if !strings.Contains(lines[1], "25%") || !strings.Contains(lines[1], "100%") || !strings.Contains(lines[1], "\r") {
		t.Errorf("history line %q: want the 25%% state redrawn in place as 100%%", lines[1])
	}
	last := lines[1][strings.LastIndex(lines[1], "\r")+1:]
	if !strings.HasPrefix(last, "history  [##############################] 100%  400/400") {
		t.Errorf("final state %q", last)
	}
}
