package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
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
// the month of day `to`, each followed up to `to`. It reads the paid
// orders of those months once (customer, day, net total).
func Cohorts(ctx context.Context, q db.Queryer, to int64, months int) ([]Cohort, error) {
	if months < 1 || months > 36 {
		return nil, fmt.Errorf("months: %d is outside 1…36", months)
	}
	end := settings.DayTime(to, time.UTC)
	first := time.Date(end.Year(), end.Month()-time.Month(months-1), 1, 0, 0, 0, 0, time.UTC)
	from := settings.Day(first, time.UTC)
	monthIndex := func(day int64) int {
		t := settings.DayTime(day, time.UTC)
		return (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month())
	}
	type state struct {
		cohort   int
		months   map[int]bool
		lastDay  int64
		repeatAt int // month of the second purchase day, -1 none
		net      []int64
	}
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, `+purchase.Net("o")+` FROM orders o
		JOIN customers c ON c.id = o.customer_id
		WHERE c.first_paid_day BETWEEN $1 AND $2 AND o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+`
		ORDER BY o.customer_id, o.paid_day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	defer rows.Close()
	customers := map[int64]*state{}
	for rows.Next() {
		var id, day, net int64
		if err := rows.Scan(&id, &day, &net); err != nil {
			return nil, err
		}
		m := monthIndex(day)
		s := customers[id]
		if s == nil {
			s = &state{cohort: m, months: map[int]bool{}, repeatAt: -1, net: make([]int64, months)}
			customers[id] = s
		} else if day != s.lastDay && s.repeatAt < 0 {
			s.repeatAt = m - s.cohort
		}
		s.lastDay = day
		s.months[m-s.cohort] = true
		s.net[m-s.cohort] += net
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	for _, s := range customers {
		c := s.cohort
		out[c].Size++
		for k := range retained[c] {
			if s.months[k] {
				retained[c][k]++
			}
			if s.repeatAt >= 0 && s.repeatAt <= k {
				repeated[c][k]++
			}
			net[c][k] += s.net[k]
		}
	}
	for c := range out {
		n := out[c].Size
		span := len(retained[c])
		out[c].RetainedBP, out[c].RepurchasedBP, out[c].LTV = make([]int64, span), make([]int64, span), make([]int64, span)
		var cum int64
		for k := range span {
			out[c].RetainedBP[k] = divRound(retained[c][k]*10000, n)
			out[c].RepurchasedBP[k] = divRound(repeated[c][k]*10000, n)
			cum += net[c][k]
			out[c].LTV[k] = divRound(cum, n)
		}
	}
	return out, nil
}
