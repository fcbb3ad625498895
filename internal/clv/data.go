package clv

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
)

// Purchases is one customer's purchase days up to the fit's end: Days are
// day numbers (days since 1970-01-01 in the store's calendar), ascending,
// and Net the net spend of each day in 分.
type Purchases struct {
	CustomerID int64
	Days       []int64
	Net        []int64
}

// dayNumber turns a YYYYMMDD store day into a count of days, so that
// differences are calendar days whatever the zone.
func dayNumber(yyyymmdd int64) int64 {
	t := time.Date(int(yyyymmdd/10000), time.Month(yyyymmdd/100%100), int(yyyymmdd%100), 0, 0, 0, 0, time.UTC)
	return t.Unix() / 86400
}

// LoadPurchases streams every customer's paid days up to and including the
// store day lastDay (YYYYMMDD), one transaction per customer per day as the
// model counts them, with the day's net spend (total − refunded).
func LoadPurchases(ctx context.Context, q db.Queryer, lastDay int64) ([]Purchases, error) {
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, CAST(SUM(`+purchase.Net("o")+`) AS BIGINT)
		FROM orders o WHERE o.customer_id IS NOT NULL AND o.paid_day IS NOT NULL AND o.paid_at IS NOT NULL AND o.paid_day <= $1 AND `+purchase.Is("o")+`
		GROUP BY o.customer_id, o.paid_day ORDER BY o.customer_id, o.paid_day`, lastDay)
	if err != nil {
		return nil, fmt.Errorf("load purchases: %w", err)
	}
	defer rows.Close()
	var out []Purchases
	for rows.Next() {
		var id, day, net int64
		if err := rows.Scan(&id, &day, &net); err != nil {
			return nil, fmt.Errorf("load purchases: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].CustomerID != id {
			out = append(out, Purchases{CustomerID: id})
		}
		p := &out[len(out)-1]
		p.Days = append(p.Days, dayNumber(day))
		p.Net = append(p.Net, net)
	}
	return out, rows.Err()
}

// Calibrate is the customer's history as of day end (a day number, inclusive)
// and their repeat transactions' mean spend in 元; ok is false when they had
// not bought by then.
func (p Purchases) Calibrate(end int64) (h History, meanYuan float64, ok bool) {
	if len(p.Days) == 0 || p.Days[0] > end {
		return History{}, 0, false
	}
	first, last := p.Days[0], p.Days[0]
	var repeat int64
	for i := 1; i < len(p.Days) && p.Days[i] <= end; i++ {
		h.X++
		last = p.Days[i]
		repeat += p.Net[i]
	}
	h.Tx = float64(last-first) / 7
	h.T = float64(end-first) / 7
	if h.X > 0 {
		meanYuan = float64(repeat) / 100 / float64(h.X)
	}
	return h, meanYuan, true
}
