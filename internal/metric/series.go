package metric

import (
	"context"
	"fmt"
	"sort"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
)

// SeriesFigures fills the figures of every bucket with three range reads
// (traffic_daily, sales_daily, customers' first paid days) instead of a
// period computation per bucket: the same sums, and UV, converted visitors
// and buyers exact for one-day buckets and merged from the daily sketches
// for longer ones.
func SeriesFigures(ctx context.Context, q db.Queryer, buckets []Bucket) error {
	if len(buckets) == 0 {
		return nil
	}
	from, to := buckets[0].From, buckets[len(buckets)-1].To
	at := func(day int64) int {
		i := sort.Search(len(buckets), func(i int) bool { return buckets[i].To >= day })
		if i == len(buckets) || buckets[i].From > day {
			return -1
		}
		return i
	}
	type sketches struct{ uv, conv, buyers *hyperloglog.Sketch }
	sk := make([]sketches, len(buckets))
	merge := func(p **hyperloglog.Sketch, b []byte) error {
		if *p == nil {
			*p = hyperloglog.New14()
		}
		return mergeSketch(*p, b)
	}
	rows, err := q.Query(ctx, `SELECT day, pv, uv, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
			funnel_view, funnel_cart, funnel_checkout, funnel_paid, converted, uv_sketch, converted_sketch
		FROM traffic_daily WHERE day BETWEEN $1 AND $2 AND channel = ''`, from, to)
	if err != nil {
		return fmt.Errorf("series traffic: %w", err)
	}
	for rows.Next() {
		var day, uv, conv int64
		var t trafficSums
		var uvb, cb []byte
		if err := rows.Scan(&day, &t.pv, &uv, &t.sessions, &t.productViews, &t.searches, &t.carts, &t.checkouts, &t.purchases,
			&t.funnel[0], &t.funnel[1], &t.funnel[2], &t.funnel[3], &conv, &uvb, &cb); err != nil {
			rows.Close()
			return err
		}
		i := at(day)
		if i < 0 {
			continue
		}
		b := &buckets[i]
		b.addTraffic(t)
		if b.From == b.To {
			b.UV, b.Converted = uv, conv
			continue
		}
		b.UVApprox = true
		if err := merge(&sk[i].uv, uvb); err != nil {
			rows.Close()
			return err
		}
		if err := merge(&sk[i].conv, cb); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT day, paid_orders, gmv, cogs, refunds, buyers, buyers_sketch FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to)
	if err != nil {
		return fmt.Errorf("series sales: %w", err)
	}
	for rows.Next() {
		var day, orders, gmv, cogs, refunds, buyers int64
		var bs []byte
		if err := rows.Scan(&day, &orders, &gmv, &cogs, &refunds, &buyers, &bs); err != nil {
			rows.Close()
			return err
		}
		i := at(day)
		if i < 0 {
			continue
		}
		b := &buckets[i]
		b.PaidOrders += orders
		b.GMV += gmv
		b.COGS += cogs
		b.Refunds += refunds
		if b.From == b.To {
			b.Buyers = buyers
		} else if err := merge(&sk[i].buyers, bs); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT first_paid_day, COUNT(*) FROM customers WHERE first_paid_day BETWEEN $1 AND $2 GROUP BY first_paid_day`, from, to)
	if err != nil {
		return fmt.Errorf("series new customers: %w", err)
	}
	for rows.Next() {
		var day, n int64
		if err := rows.Scan(&day, &n); err != nil {
			rows.Close()
			return err
		}
		if i := at(day); i >= 0 {
			buckets[i].NewCustomers += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range buckets {
		if s := sk[i]; s.uv != nil {
			buckets[i].UV, buckets[i].Converted = int64(s.uv.Estimate()), int64(s.conv.Estimate())
		}
		if s := sk[i]; s.buyers != nil {
			buckets[i].Buyers = int64(s.buyers.Estimate())
		}
		buckets[i].finish()
	}
	return nil
}
