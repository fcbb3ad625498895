// Package lifecycle places customers in their lifecycle stage — new,
// active, dormant, churned — with thresholds that default to the shop's own
// rhythm: how long its customers usually wait between two purchases.
package lifecycle

import (
	"slices"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

// Stage is where a customer is in their life with the shop.
type Stage string

const (
	StageNew     Stage = "new"     // 新客: first paid order within the last NewDays days
	StageActive  Stage = "active"  // 活跃: bought within DormantAfter days
	StageDormant Stage = "dormant" // 沉睡: no purchase for longer than DormantAfter days
	StageChurned Stage = "churned" // 流失: no purchase for longer than ChurnedAfter days
)

// Stages lists the stages in the order a customer goes through them.
var Stages = []Stage{StageNew, StageActive, StageDormant, StageChurned}

// Thresholds decide the stages, in whole days.
type Thresholds struct {
	NewDays      int64 `json:"new_days"`
	DormantAfter int64 `json:"dormant_after_days"`
	ChurnedAfter int64 `json:"churned_after_days"`
	// Derived tells whether DormantAfter and ChurnedAfter came from the
	// shop's purchase gaps (true) or from the fallback defaults.
	Derived bool `json:"derived"`
}

// Defaults used when the shop has too few repeat purchases to measure its
// rhythm (fewer than MinGaps gaps).
const (
	DefaultNewDays      = 30
	DefaultDormantAfter = 90
	DefaultChurnedAfter = 180
	MinGaps             = 30
)

// Validate says which threshold is wrong.
func (t Thresholds) Validate() error {
	switch {
	case t.NewDays < 1:
		return apperr.Field("lifecycle.new_days", "must be at least 1 day, got %d", t.NewDays)
	case t.DormantAfter < 1:
		return apperr.Field("lifecycle.dormant_after_days", "must be at least 1 day, got %d", t.DormantAfter)
	case t.ChurnedAfter <= t.DormantAfter:
		return apperr.Field("lifecycle.churned_after_days", "must be longer than dormant_after_days (%d), got %d", t.DormantAfter, t.ChurnedAfter)
	}
	return nil
}

// StageOf places a customer whose first paid order was daysSinceFirst and
// last daysSinceLast whole days ago. A new customer is new whatever their
// recency: they have not had time to show a rhythm yet.
func (t Thresholds) StageOf(daysSinceFirst, daysSinceLast int64) Stage {
	switch {
	case daysSinceFirst < t.NewDays:
		return StageNew
	case daysSinceLast <= t.DormantAfter:
		return StageActive
	case daysSinceLast <= t.ChurnedAfter:
		return StageDormant
	}
	return StageChurned
}

// Gap is a histogram bucket: Count repeat purchases came Days days after the
// customer's previous purchase day.
type Gap struct {
	Days  int64
	Count int64
}

// FromGaps derives the thresholds from the shop's inter-purchase times:
// dormant after the 75th percentile gap (three repeat purchases in four come
// sooner), churned after the 95th. With fewer than MinGaps gaps it falls
// back to 90 and 180 days. DormantAfter is at least 7 days (a shop of
// daily buyers should not call a week's pause dormant) and ChurnedAfter is
// always longer than DormantAfter.
func FromGaps(gaps []Gap, newDays int64) Thresholds {
	if newDays <= 0 {
		newDays = DefaultNewDays
	}
	t := Thresholds{NewDays: newDays, DormantAfter: DefaultDormantAfter, ChurnedAfter: DefaultChurnedAfter}
	var n int64
	for _, g := range gaps {
		n += g.Count
	}
	if n < MinGaps {
		return t
	}
	gs := slices.Clone(gaps)
	slices.SortFunc(gs, func(a, b Gap) int { return int(a.Days - b.Days) })
	t.DormantAfter = max(7, Percentile(gs, n, 75))
	t.ChurnedAfter = max(t.DormantAfter+1, Percentile(gs, n, 95))
	t.Derived = true
	return t
}

// Percentile is the nearest-rank p-th percentile of a sorted histogram
// holding n values: the smallest gap with at least p% of the values at or
// below it.
func Percentile(sorted []Gap, n int64, p int64) int64 {
	if n == 0 || len(sorted) == 0 {
		return 0
	}
	rank := (p*n + 99) / 100 // ⌈p·n/100⌉
	rank = max(rank, 1)
	var seen int64
	for _, g := range sorted {
		seen += g.Count
		if seen >= rank {
			return g.Days
		}
	}
	return sorted[len(sorted)-1].Days
}

// DayNumber turns a YYYYMMDD store day into a count of days since
// 1970-01-01, so that the difference of two is the calendar days between
// them whatever the zone.
func DayNumber(yyyymmdd int64) int64 {
	return time.Date(int(yyyymmdd/10000), time.Month(yyyymmdd/100%100), int(yyyymmdd%100), 0, 0, 0, 0, time.UTC).Unix() / 86400
}
