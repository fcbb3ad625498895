package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// monthOf is YYYYMM of a YYYYMMDD day.
func monthOf(day int64) int64 { return day / 100 }

func monthFirst(m int64) int64 { return m*100 + 1 }

func monthLast(m int64) int64 {
	t := time.Date(int(m/100), time.Month(m%100)+1, 0, 0, 0, 0, 0, time.UTC)
	return settings.Day(t, time.UTC)
}

func nextMonth(m int64) int64 {
	if m%100 == 12 {
		return (m/100+1)*100 + 1
	}
	return m + 1
}

// split cuts days from..to into the calendar months it holds whole
// (m1..m2, m1 > m2 when none) and the day ranges left at its edges.
func split(from, to int64) (m1, m2 int64, edges [][2]int64) {
	m1 = monthOf(from)
	if monthFirst(m1) != from {
		m1 = nextMonth(m1)
	}
	m2 = monthOf(to)
	if monthLast(m2) != to {
		if m2%100 == 1 {
			m2 = (m2/100-1)*100 + 12
		} else {
			m2--
		}
	}
	if m1 > m2 {
		return m1, m2, [][2]int64{{from, to}}
	}
	if from < monthFirst(m1) {
		edges = append(edges, [2]int64{from, AddDays(monthFirst(m1), -1)})
	}
	if to > monthLast(m2) {
		edges = append(edges, [2]int64{AddDays(monthLast(m2), 1), to})
	}
	return m1, m2, edges
}

// rebuildMonths rewrites traffic_monthly and product_monthly for the
// months of days from..to from the daily rows.
func (r *IndicatorRollup) rebuildMonths(ctx context.Context, months []int64) error {
	now := r.now().UnixMilli()
	for _, m := range months {
		first, last := monthFirst(m), monthLast(m)
		type agg struct {
			t trafficSums
			*visitorSketches
		}
		byCh := map[string]*agg{}
		rows, err := r.DB.Query(ctx, `SELECT channel, pv, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
				funnel_view, funnel_cart, funnel_checkout, funnel_paid, uv_sketch, converted_sketch
			FROM traffic_daily WHERE day BETWEEN $1 AND $2`, first, last)
		if err != nil {
			return fmt.Errorf("monthly rollup %d: %w", m, err)
		}
		for rows.Next() {
			var ch string
			var t trafficSums
			var uvb, cb []byte
			if err := rows.Scan(&ch, &t.pv, &t.sessions, &t.productViews, &t.searches, &t.carts, &t.checkouts, &t.purchases,
				&t.funnel[0], &t.funnel[1], &t.funnel[2], &t.funnel[3], &uvb, &cb); err != nil {
				rows.Close()
				return err
			}
			a := byCh[ch]
			if a == nil {
				a = &agg{visitorSketches: newVisitorSketches()}
				byCh[ch] = a
			}
			a.t.add(t)
			if err := a.merge(uvb, cb); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		err = r.DB.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM traffic_monthly WHERE month = $1", m); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "DELETE FROM product_monthly WHERE month = $1", m); err != nil {
				return err
			}
			for ch, a := range byCh {
				uvb, err := a.uv.MarshalBinary()
				if err != nil {
					return err
				}
				cb, err := a.conv.MarshalBinary()
				if err != nil {
					return err
				}
				t := a.t
				if _, err := tx.Exec(ctx, `INSERT INTO traffic_monthly (month, channel, pv, sessions, product_views, searches, add_to_carts,
						checkout_starts, purchases, funnel_view, funnel_cart, funnel_checkout, funnel_paid, uv_sketch, converted_sketch, refreshed_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
					m, ch, t.pv, t.sessions, t.productViews, t.searches, t.carts, t.checkouts, t.purchases,
					t.funnel[0], t.funnel[1], t.funnel[2], t.funnel[3], uvb, cb, now); err != nil {
					return fmt.Errorf("monthly rollup %d %s: %w", m, ch, err)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO product_monthly (month, product_id, views, add_to_carts, orders, units, sales, cogs, refreshed_at)
				SELECT $1, product_id, SUM(views), SUM(add_to_carts), SUM(orders), SUM(units), SUM(sales), SUM(cogs), $2
				FROM product_daily WHERE day BETWEEN $3 AND $4 GROUP BY product_id`, m, now, first, last)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *trafficSums) add(o trafficSums) {
	t.pv += o.pv
	t.sessions += o.sessions
	t.productViews += o.productViews
	t.searches += o.searches
	t.carts += o.carts
	t.checkouts += o.checkouts
	t.purchases += o.purchases
	for i := range t.funnel {
		t.funnel[i] += o.funnel[i]
	}
}

func monthsOf(days []int64) []int64 {
	var out []int64
	for _, d := range days {
		if m := monthOf(d); len(out) == 0 || out[len(out)-1] != m {
			out = append(out, m)
		}
	}
	return out
}
