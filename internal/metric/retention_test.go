package metric_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/order/purchase"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/settings"
)

// retentionFromOrders is the definition of repurchase, churn and historic
// LTV read straight from the paid orders (what RetentionOf computed before
// the rollup): the oracle of the tests below.
func retentionFromOrders(ctx context.Context, q db.Queryer, from, to int64) (metric.Retention, error) {
	r := metric.Retention{LookbackDays: metric.ChurnLookbackDays}
	before := metric.AddDays(from, -metric.ChurnLookbackDays)
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day FROM orders o
		WHERE o.paid_day BETWEEN $1 AND $2 AND o.customer_id IS NOT NULL AND `+purchase.Is("o"), before, to)
	if err != nil {
		return r, err
	}
	type seen struct {
		in     int64
		before bool
	}
	cust := map[int64]*seen{}
	for rows.Next() {
		var id, day int64
		if err := rows.Scan(&id, &day); err != nil {
			rows.Close()
			return r, err
		}
		c := cust[id]
		if c == nil {
			c = &seen{}
			cust[id] = c
		}
		if day >= from {
			c.in++
		} else {
			c.before = true
		}
	}
	rows.Close()
	for _, c := range cust {
		if c.in > 0 {
			r.Customers++
		}
		if c.in > 1 {
			r.Repeaters++
		}
		if c.before {
			r.ActiveBefore++
			if c.in == 0 {
				r.Churned++
			}
		}
	}
	div := func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		return (2*a + b) / (2 * b)
	}
	r.RepurchaseRateBP = div(r.Repeaters*10000, r.Customers)
	r.ChurnRateBP = div(r.Churned*10000, r.ActiveBefore)
	var net, customers int64
	err = q.QueryRow(ctx, `SELECT COALESCE(SUM(`+purchase.Net("o")+`), 0), COUNT(DISTINCT o.customer_id) FROM orders o
		WHERE o.paid_day <= $1 AND o.customer_id IS NOT NULL AND `+purchase.Is("o"), to).Scan(&net, &customers)
	r.LTV = div(net, customers)
	return r, err
}

// cohortsFromOrders is the monthly cohorts read straight from the paid
// orders: the oracle of Cohorts.
func cohortsFromOrders(ctx context.Context, q db.Queryer, to int64, months int) ([]metric.Cohort, error) {
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
		repeatAt int
		net      []int64
	}
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, `+purchase.Net("o")+` FROM orders o
		JOIN customers c ON c.id = o.customer_id
		WHERE c.first_paid_day BETWEEN $1 AND $2 AND o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+`
		ORDER BY o.customer_id, o.paid_day`, from, to)
	if err != nil {
		return nil, err
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
	div := func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		return (2*a + b) / (2 * b)
	}
	out := make([]metric.Cohort, months)
	for c := range out {
		span := months - c
		out[c].Month = first.AddDate(0, c, 0).Format("2006-01")
		retained, repeated, net := make([]int64, span), make([]int64, span), make([]int64, span)
		for _, s := range customers {
			if s.cohort != c {
				continue
			}
			out[c].Size++
			for k := range span {
				if s.months[k] {
					retained[k]++
				}
				if s.repeatAt >= 0 && s.repeatAt <= k {
					repeated[k]++
				}
				net[k] += s.net[k]
			}
		}
		n := out[c].Size
		out[c].RetainedBP, out[c].RepurchasedBP, out[c].LTV = make([]int64, span), make([]int64, span), make([]int64, span)
		var cum int64
		for k := range span {
			out[c].RetainedBP[k] = div(retained[k]*10000, n)
			out[c].RepurchasedBP[k] = div(repeated[k]*10000, n)
			cum += net[k]
			out[c].LTV[k] = div(cum, n)
		}
	}
	return out, rows.Err()
}

// segmentGroupsFromOrders is the segment breakdown read straight from the
// paid orders and the latest run's scores: the oracle of SegmentGroups.
func segmentGroupsFromOrders(ctx context.Context, q db.Queryer, from, to int64) ([]metric.Group, error) {
	rows, err := q.Query(ctx, `SELECT COALESCE(s.segment, 'unscored'), COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0), COUNT(DISTINCT o.customer_id)
		FROM orders o LEFT JOIN rfm_scores s ON s.customer_id = o.customer_id AND s.run_id = (SELECT MAX(id) FROM rfm_runs)
		WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+`
		GROUP BY COALESCE(s.segment, 'unscored') ORDER BY 3 DESC, 1`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []metric.Group{}
	var total int64
	for rows.Next() {
		var g metric.Group
		if err := rows.Scan(&g.Key, &g.PaidOrders, &g.GMV, &g.Buyers); err != nil {
			return nil, err
		}
		g.Label = g.Key
		g.AOV = (2*g.GMV + g.PaidOrders) / (2 * g.PaidOrders)
		total += g.GMV
		out = append(out, g)
	}
	for i := range out {
		out[i].ShareBP = (2*out[i].GMV*10000 + total) / (2 * total)
	}
	return out, rows.Err()
}

// The retention rollup gives exactly the figures of the paid orders, for
// periods of a day to a quarter and the cohorts ending on any day: after
// the first build, after changes behind its back caught up customer by
// customer (a payment, a refund, an order paid on an old day as an import
// writes it, a payment taken back by an order sync, a customer's first
// purchase moving earlier), and a rebuild leaves the same rows as the
// catch-up did.
func TestRetentionRollupAgreesWithOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		end := time.Date(2026, 11, 20, 0, 0, 0, 0, sh)
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 300, Days: 200, Seed: 9, End: end, Location: sh}); err != nil {
			t.Fatal(err)
		}
		scores := &rfm.Service{DB: d}
		if _, err := scores.Run(ctx, rfm.Options{}); err != nil {
			t.Fatal(err)
		}
		r := &metric.Rollup{DB: d}
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		check := func(stage string) {
			t.Helper()
			for _, p := range [][2]int64{{20261120, 20261120}, {20261021, 20261120}, {20260601, 20261120}} {
				want, err := segmentGroupsFromOrders(ctx, d, p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				got, err := metric.SegmentGroups(ctx, d, p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, segments %d–%d:\nrollup %+v\norders %+v", stage, p[0], p[1], got, want)
				}
				if p[0] == 20260601 && len(want) < 4 {
					t.Fatalf("%s: too few segments to compare: %+v", stage, want)
				}
			}
			for _, p := range [][2]int64{{20261120, 20261120}, {20261114, 20261120}, {20261001, 20261031}, {20260822, 20261120}, {20260601, 20260630}, {20250101, 20250131}} {
				want, err := retentionFromOrders(ctx, d, p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				got, err := metric.RetentionOf(ctx, d, p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s, %d–%d:\nrollup %+v\norders %+v", stage, p[0], p[1], got, want)
				}
				if p[0] == 20261001 && (want.Customers == 0 || want.Repeaters == 0 || want.Churned == 0 || want.LTV == 0) {
					t.Fatalf("October has nothing to compare: %+v", want)
				}
			}
			for _, to := range []int64{20261120, 20261115, 20260930} {
				want, err := cohortsFromOrders(ctx, d, to, 7)
				if err != nil {
					t.Fatal(err)
				}
				got, err := metric.Cohorts(ctx, d, to, 7)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, cohorts to %d:\nrollup %+v\norders %+v", stage, to, got, want)
				}
			}
		}
		check("first build")

		now := time.Now().UnixMilli()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		pick := func(q string) int64 {
			t.Helper()
			var id int64
			if err := d.QueryRow(ctx, q).Scan(&id); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return id
		}
		// A payment today, a refund of half an October order, an order of a
		// September buyer paid on an August day (as an import writes it),
		// a payment an order sync took back, and a buyer whose first
		// purchase moves two months earlier.
		exec(`UPDATE orders SET status = 'paid', paid_at = $1, paid_day = 20261120, updated_at = $1 WHERE id = $2`, now,
			pick(`SELECT id FROM orders WHERE paid_day IS NULL AND customer_id IS NOT NULL ORDER BY id LIMIT 1`))
		exec(`UPDATE orders SET refunded_total = total / 2, updated_at = $1 WHERE id = $2`, now,
			pick(`SELECT id FROM orders WHERE paid_day BETWEEN 20261001 AND 20261031 AND refunded_total = 0 AND total > 100 ORDER BY id LIMIT 1`))
		exec(`UPDATE orders SET paid_day = 20260815, updated_at = $1 WHERE id = $2`, now,
			pick(`SELECT id FROM orders WHERE paid_day BETWEEN 20260901 AND 20260930 AND presale_role = '' ORDER BY id DESC LIMIT 1`))
		exec(`UPDATE orders SET paid_day = NULL, paid_at = NULL, updated_at = $1 WHERE id = $2`, now,
			pick(`SELECT id FROM orders WHERE paid_day BETWEEN 20261101 AND 20261110 AND presale_role = '' ORDER BY id LIMIT 1`))
		exec(`UPDATE orders SET paid_day = 20260705, updated_at = $1 WHERE id = $2`, now,
			pick(`SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.paid_day = c.first_paid_day AND o.paid_day >= 20261001 ORDER BY o.id LIMIT 1`))
		exec(`UPDATE customers SET first_paid_day = (SELECT MIN(paid_day) FROM orders o WHERE o.customer_id = customers.id AND o.paid_day IS NOT NULL AND o.presale_role <> 'deposit')`)
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		check("after changes caught up")

		// A week later a run moves some buyers to other segments: their
		// purchases move with them.
		if _, err := scores.Run(ctx, rfm.Options{AsOf: end.AddDate(0, 0, 7)}); err != nil {
			t.Fatal(err)
		}
		var moves int
		d.QueryRow(ctx, `SELECT COUNT(*) FROM rfm_moves WHERE run_id = (SELECT MAX(id) FROM rfm_runs)`).Scan(&moves)
		if moves == 0 {
			t.Fatal("the second run moved nobody: nothing to check")
		}
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a run moved buyers")

		caughtUp := rollupRows(t, d)
		if err := r.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a rebuild")
		if rebuilt := rollupRows(t, d); !reflect.DeepEqual(caughtUp, rebuilt) {
			t.Errorf("the catch-up left rows a rebuild does not write (%d vs %d)", len(caughtUp), len(rebuilt))
		}
	})
}

// rollupRows are the retention rollup's rows, as text.
func rollupRows(t *testing.T, d *db.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range []string{
		`SELECT customer_id, purchases FROM retention_customers ORDER BY customer_id`,
		`SELECT day, orders, first_orders, net, prevs, prevs2 FROM retention_daily ORDER BY day`,
		`SELECT cohort, day, active, repeaters, net, NULL FROM cohort_daily ORDER BY cohort, day`,
		`SELECT day, segment, orders, gmv, prevs FROM segment_daily ORDER BY day, segment`,
		`SELECT customer_id, segment FROM retention_customers ORDER BY customer_id`,
	} {
		rows, err := d.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			v := make([]any, len(cols))
			p := make([]any, len(cols))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(v...))
		}
		rows.Close()
	}
	return out
}
