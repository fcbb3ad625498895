package metric

import (
	"context"
	"fmt"
	"runtime"
	"sort"

	"github.com/axiomhq/hyperloglog"
	"golang.org/x/sync/errgroup"

	"github.com/storeops/storeops/internal/db"
)

// SeriesFigures fills the figures of every bucket with a few range reads
// (traffic_monthly for whole-month buckets, traffic_daily, sales_daily,
// the retention rollup) instead of a period computation per bucket: the
// same sums, buyers and new customers exact, and UV and converted visitors
// exact for one-day buckets and merged from the daily sketches for longer
// ones.
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
	// The sketches of each bucket longer than a day, merged once every
	// row is read, the buckets on every core.
	type sketches struct{ uv, conv [][]byte }
	sk := make([]sketches, len(buckets))
	// Buckets that are whole calendar months (the month grain) read their
	// traffic from traffic_monthly; the others from the daily rows.
	whole := func(b Bucket) bool {
		return b.From == monthFirst(monthOf(b.From)) && b.To == monthLast(monthOf(b.From))
	}
	var months []int64
	ranges := [][2]int64{}
	for _, b := range buckets {
		if whole(b) {
			months = append(months, monthOf(b.From))
			continue
		}
		if n := len(ranges); n > 0 && AddDays(ranges[n-1][1], 1) == b.From {
			ranges[n-1][1] = b.To
		} else {
			ranges = append(ranges, [2]int64{b.From, b.To})
		}
	}
	// Whole weeks read their visitors from traffic_weekly.
	weekly, err := weeklyVisitors(ctx, q, buckets)
	if err != nil {
		return err
	}
	add := func(i int, t trafficSums, uv, conv int64, uvb, cb []byte, daily bool) error {
		b := &buckets[i]
		b.addTraffic(t)
		if daily && b.From == b.To {
			b.UV, b.Converted = uv, conv
			return nil
		}
		b.UVApprox = true
		if wv, ok := weekly[b.From]; ok && daily && wholeWeek(*b) {
			b.UV, b.Converted = wv[0], wv[1]
			return nil
		}
		sk[i].uv = append(sk[i].uv, uvb)
		sk[i].conv = append(sk[i].conv, cb)
		return nil
	}
	read := func(query string, a, z int64, daily bool) error {
		rows, err := q.Query(ctx, query, a, z)
		if err != nil {
			return fmt.Errorf("series traffic: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var key, uv, conv int64
			var t trafficSums
			var uvb, cb []byte
			if err := rows.Scan(&key, &t.pv, &uv, &t.sessions, &t.productViews, &t.searches, &t.carts, &t.checkouts, &t.purchases,
				&t.funnel[0], &t.funnel[1], &t.funnel[2], &t.funnel[3], &conv, &uvb, &cb); err != nil {
				return err
			}
			day := key
			if !daily {
				day = monthFirst(key)
			}
			i := at(day)
			if i < 0 || whole(buckets[i]) == daily {
				continue
			}
			if err := add(i, t, uv, conv, uvb, cb, daily); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if len(months) > 0 {
		if err := read(`SELECT month, pv, 0, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
				funnel_view, funnel_cart, funnel_checkout, funnel_paid, 0, uv_sketch, converted_sketch
			FROM traffic_monthly WHERE month BETWEEN $1 AND $2 AND channel = ''`, months[0], months[len(months)-1], false); err != nil {
			return err
		}
	}
	for _, rg := range ranges {
		if err := read(`SELECT day, pv, uv, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
				funnel_view, funnel_cart, funnel_checkout, funnel_paid, converted, uv_sketch, converted_sketch
			FROM traffic_daily WHERE day BETWEEN $1 AND $2 AND channel = ''`, rg[0], rg[1], true); err != nil {
			return err
		}
	}
	rows, err := q.Query(ctx, `SELECT day, paid_orders, gmv, cogs, refunds FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to)
	if err != nil {
		return fmt.Errorf("series sales: %w", err)
	}
	for rows.Next() {
		var day, orders, gmv, cogs, refunds int64
		if err := rows.Scan(&day, &orders, &gmv, &cogs, &refunds); err != nil {
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
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	spans := make([][2]int64, len(buckets))
	for i, b := range buckets {
		spans[i] = [2]int64{b.From, b.To}
	}
	buyers, newCustomers, err := buyersOf(ctx, q, spans)
	if err != nil {
		return fmt.Errorf("series buyers: %w", err)
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range buckets {
		buckets[i].Buyers, buckets[i].NewCustomers = buyers[i], newCustomers[i]
		if len(sk[i].uv) == 0 {
			buckets[i].finish()
			continue
		}
		g.Go(func() error {
			uv, conv := hyperloglog.New14(), hyperloglog.New14()
			for k := range sk[i].uv {
				if err := mergeSketch(uv, sk[i].uv[k]); err != nil {
					return err
				}
				if err := mergeSketch(conv, sk[i].conv[k]); err != nil {
					return err
				}
			}
			buckets[i].UV, buckets[i].Converted = int64(uv.Estimate()), int64(conv.Estimate())
			buckets[i].finish()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("series visitors: %w", err)
	}
	return nil
}
