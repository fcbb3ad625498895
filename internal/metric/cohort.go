package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Cohort is the customers whose first paid order fell in one month, and
// what they did in the months after it (month 0 is the first month).
type Cohort struct {
	Month string `json:"month"` // 2026-03
	Size  int64  `json:"size"`
	// RetainedBP[k]: share of the cohort with a paid order in month k.
	RetainedBP []int64 `json:"retained_bp"`
	// RepurchasedBP[k]: share that bought again (a second purchase day) by
	// the end of month k.
	RepurchasedBP []int64 `json:"repurchased_bp"`
	// LTV[k]: cumulative net sales (totals − refunds) per cohort customer
	// by the end of month k, 分.
	LTV []int64 `json:"ltv"`
}

// Cohorts computes the monthly cohorts of the `months` months ending with
// the month of day `to`, each followed up to `to`, from the cohort rollup
// (cohort_daily, refreshed by Rollup.Refresh): a few rows per cohort and
// day, however many orders.
func Cohorts(ctx context.Context, q db.Queryer, to int64, months int) ([]Cohort, error) {
	if months < 1 || months > 36 {
		return nil, fmt.Errorf("months: %d is outside 1…36", months)
	}
	end := settings.DayTime(to, time.UTC)
	first := time.Date(end.Year(), end.Month()-time.Month(months-1), 1, 0, 0, 0, 0, time.UTC)
	monthIndex := func(yyyymm int64) int {
		return int(yyyymm/100-int64(first.Year()))*12 + int(yyyymm%100) - int(first.Month())
	}
	out := make([]Cohort, months)
	retained := make([][]int64, months)
	repeated := make([][]int64, months)
	net := make([][]int64, months)
	for c := range out {
		span := months - c // months the cohort has been followed
		out[c].Month = first.AddDate(0, c, 0).Format("2006-01")
		retained[c], repeated[c], net[c] = make([]int64, span), make([]int64, span), make([]int64, span)
	}
	rows, err := q.Query(ctx, `SELECT cohort, day, active, repeaters, net FROM cohort_daily
		WHERE cohort BETWEEN $1 AND $2 AND day <= $3`, int64(first.Year())*100+int64(first.Month()), to/100, to)
	if err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cohort, day, active, repeaters, amount int64
		if err := rows.Scan(&cohort, &day, &active, &repeaters, &amount); err != nil {
			return nil, fmt.Errorf("cohorts: %w", err)
		}
		c := monthIndex(cohort)
		k := monthIndex(day/100) - c
		if c < 0 || c >= months || k < 0 || k >= len(retained[c]) {
			continue
		}
		retained[c][k] += active
		repeated[c][k] += repeaters
		net[c][k] += amount
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	for c := range out {
		n := retained[c][0] // every customer's first month
		out[c].Size = n
		span := len(retained[c])
		out[c].RetainedBP, out[c].RepurchasedBP, out[c].LTV = make([]int64, span), make([]int64, span), make([]int64, span)
		var cumNet, cumRepeat int64
		for k := range span {
			out[c].RetainedBP[k] = divRound(retained[c][k]*10000, n)
			cumRepeat += repeated[c][k]
			out[c].RepurchasedBP[k] = divRound(cumRepeat*10000, n)
			cumNet += net[c][k]
			out[c].LTV[k] = divRound(cumNet, n)
		}
	}
	return out, nil
}
