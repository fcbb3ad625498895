// Package alert raises anomaly alerts (异常预警): each key metric of each
// channel gets a baseline from the same weekday of the weeks before (the
// shop's weekly rhythm; promotion days left out), a band around it, and an
// alert when a day falls outside the band on the bad side — a channel's
// traffic drops, conversion falls, refunds spike. Each alert carries its
// severity, the evidence and a playbook from the seeds' risk section, and
// moves open → acknowledged → resolved with notes.
package alert

import (
	"math"
	"slices"
)

// Metrics watched.
const (
	MetricUV         = "uv"          // a channel's or the shop's visitors
	MetricConversion = "conversion"  // visitors with a purchase ÷ UV
	MetricGMV        = "gmv"         // the shop's GMV
	MetricRefundRate = "refund_rate" // refunds paid out ÷ GMV of the day
)

// Severities.
const (
	Warning  = "warning"
	Critical = "critical"
)

// Baseline rules.
const (
	// Weeks of the same weekday the baseline looks back on, and how many
	// of them (after leaving out promotion days) it needs at least.
	LookbackWeeks = 6
	MinPoints     = 4
	// Sigmas of noise a value may stray before it is out of band.
	Sigmas = 3.0
	// Critical when the value is this many band widths past the edge … or
	// a count has fallen by half.
	CriticalWidths = 2.0
)

// rule is how one metric is judged.
type rule struct {
	lowIsBad bool    // a drop is the problem (UV, conversion, GMV); else a rise (refund rate)
	minRel   float64 // the band is at least this share of the baseline on each side
	minBase  float64 // below this baseline the metric is too small to judge
}

var rules = map[string]rule{
	MetricUV:         {lowIsBad: true, minRel: 0.20, minBase: 30},
	MetricConversion: {lowIsBad: true, minRel: 0.20, minBase: 20}, // basis points
	MetricGMV:        {lowIsBad: true, minRel: 0.25, minBase: 10000},
	MetricRefundRate: {lowIsBad: false, minRel: 0.50, minBase: 0},
}

// Band is a baseline and the values it tolerates.
type Band struct {
	Baseline, Low, High float64
	Points              int
}

// BandFor computes the band of metric from its values on the same weekday
// of the weeks before (promotion days already left out). noise is the
// value's own sampling noise in the metric's unit (√n for a count,
// √(p(1−p)/n) for a rate), 0 when unknown. ok is false when the history is
// too short or too small to judge.
func BandFor(metric string, hist []float64, noise float64) (Band, bool) {
	r, known := rules[metric]
	if !known || len(hist) < MinPoints {
		return Band{Points: len(hist)}, false
	}
	base := median(hist)
	dev := make([]float64, len(hist))
	for i, h := range hist {
		dev[i] = math.Abs(h - base)
	}
	// 1.4826 × MAD estimates σ of normal noise and ignores a past outlier.
	sigma := max(1.4826*median(dev), noise)
	half := max(Sigmas*sigma, r.minRel*base)
	b := Band{Baseline: base, Low: math.Max(0, base-half), High: base + half, Points: len(hist)}
	if base < r.minBase && r.lowIsBad {
		return b, false
	}
	return b, true
}

// Judge says whether value is out of band on the metric's bad side and
// how badly.
func Judge(metric string, b Band, value float64) (bool, string) {
	r := rules[metric]
	width := b.High - b.Baseline
	var past float64
	if r.lowIsBad {
		if value >= b.Low {
			return false, ""
		}
		past = b.Low - value
		if value <= b.Baseline/2 {
			return true, Critical
		}
	} else {
		if value <= b.High {
			return false, ""
		}
		past = value - b.High
	}
	if width > 0 && past >= CriticalWidths*width {
		return true, Critical
	}
	return true, Warning
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Playbook names the response to a metric's alert (brief.playbook.*):
// traffic for traffic and GMV (备用渠道、调整投放、私域召回), conversion
// (页面、客服、价格排查，A/B 测试), supply for refunds (质量、供应商).
func Playbook(metric string) string {
	switch metric {
	case MetricConversion:
		return "conversion"
	case MetricRefundRate:
		return "supply"
	}
	return "traffic"
}
