package metric

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
)

// The retention rollup (migration 0035): repurchase, churn, historic LTV
// and the monthly cohorts come from per-day and per-cohort counts instead
// of every paid order of the period and the 90 days before it.
//
// Every buyer's purchases, in day order, give each purchase its previous
// and second-previous purchase day. Over days from..to:
//
//   - customers with a purchase = purchases whose previous purchase is
//     before from (or none): each such customer has exactly one, the first
//     of the period;
//   - customers with two or more = purchases in the period whose previous
//     purchase is in it too, less those whose second-previous is (a buyer
//     with k purchases in the period has k−1 of the first and k−2 of the
//     second, max 0);
//   - customers active before (in the look-back window) is the first count
//     over the window; those of them who bought again in the period are the
//     purchases of the period whose previous purchase is in the window; the
//     rest churned.
//
// So a day keeps how many purchases had their previous purchase on each
// earlier day (prevs) and their second-previous (prevs2): sums over at
// most a few hundred days a read, whatever the number of orders.

// retentionMark is the job mark of the retention rollup: orders.updated_at
// of its last refresh.
const retentionMark = "retention.orders_updated_at"

// retentionFullShare: when more than this share of the buyers changed
// since the last refresh (an import, the demo generator), the rollup is
// built again from all orders instead of customer by customer.
const retentionFullShare = 5

// retentionChunk is how many changed customers one transaction handles.
const retentionChunk = 500

// buy is one purchase of a buyer: its paid day and net amount.
type buy struct{ day, net int64 }

// encodeBuys writes purchases (sorted by day) as uvarint day deltas (the
// first from 0) and zigzag varint amounts.
func encodeBuys(bs []buy) []byte {
	out := make([]byte, 0, 4*len(bs))
	var last int64
	for _, b := range bs {
		out = binary.AppendUvarint(out, uint64(b.day-last))
		out = binary.AppendVarint(out, b.net)
		last = b.day
	}
	return out
}

func decodeBuys(p []byte) ([]buy, error) {
	var out []buy
	var last int64
	for len(p) > 0 {
		d, n := binary.Uvarint(p)
		if n <= 0 {
			return nil, errors.New("retention rollup: a damaged purchase list")
		}
		p = p[n:]
		v, m := binary.Varint(p)
		if m <= 0 {
			return nil, errors.New("retention rollup: a damaged purchase list")
		}
		p = p[m:]
		last += int64(d)
		out = append(out, buy{day: last, net: v})
	}
	return out, nil
}

// dayPairs are (day, count) pairs in day order: a day's prevs or prevs2.
type dayPairs []dayCount

type dayCount struct{ day, n int64 }

func encodePairs(m map[int64]int64) []byte {
	days := slices.Sorted(maps.Keys(m))
	out := make([]byte, 0, 3*len(days))
	var last int64
	for _, d := range days {
		if m[d] == 0 {
			continue
		}
		out = binary.AppendUvarint(out, uint64(d-last))
		out = binary.AppendVarint(out, m[d])
		last = d
	}
	return out
}

func decodePairs(p []byte) (dayPairs, error) {
	var out dayPairs
	var last int64
	for len(p) > 0 {
		d, n := binary.Uvarint(p)
		if n <= 0 {
			return nil, errors.New("retention rollup: a damaged day row")
		}
		p = p[n:]
		v, m := binary.Varint(p)
		if m <= 0 {
			return nil, errors.New("retention rollup: a damaged day row")
		}
		p = p[m:]
		last += int64(d)
		out = append(out, dayCount{last, v})
	}
	return out, nil
}

// sum is the count of the pairs whose day is in [lo, hi).
func (ps dayPairs) sum(lo, hi int64) int64 {
	var n int64
	for _, p := range ps {
		if p.day >= lo && p.day < hi {
			n += p.n
		}
	}
	return n
}

// dayShare is what purchases add to one day's row of retention_daily.
type dayShare struct {
	orders, first, net int64
	prevs, prevs2      map[int64]int64
}

type cohortKey struct{ cohort, day int64 }

// cohortShare is what purchases add to one row of cohort_daily.
type cohortShare struct{ active, repeaters, net int64 }

// retentionDelta collects what a set of buyers' purchase lists add to (or,
// with sign −1, take from) the rollup's rows.
type retentionDelta struct {
	days    map[int64]*dayShare
	cohorts map[cohortKey]*cohortShare
}

func newRetentionDelta() *retentionDelta {
	return &retentionDelta{days: map[int64]*dayShare{}, cohorts: map[cohortKey]*cohortShare{}}
}

func (x *retentionDelta) day(d int64) *dayShare {
	s := x.days[d]
	if s == nil {
		s = &dayShare{prevs: map[int64]int64{}, prevs2: map[int64]int64{}}
		x.days[d] = s
	}
	return s
}

func (x *retentionDelta) cohort(c, d int64) *cohortShare {
	k := cohortKey{c, d}
	s := x.cohorts[k]
	if s == nil {
		s = &cohortShare{}
		x.cohorts[k] = s
	}
	return s
}

// add adds sign times one buyer's purchases (sorted by day).
func (x *retentionDelta) add(bs []buy, sign int64) {
	if len(bs) == 0 {
		return
	}
	cohort := bs[0].day / 100 // yyyymm of the first purchase
	lastMonth := int64(-1)
	second := false
	for i, b := range bs {
		s := x.day(b.day)
		s.orders += sign
		s.net += sign * b.net
		if i == 0 {
			s.first += sign
		} else {
			s.prevs[bs[i-1].day] += sign
		}
		if i >= 2 {
			s.prevs2[bs[i-2].day] += sign
		}
		c := x.cohort(cohort, b.day)
		c.net += sign * b.net
		if m := b.day / 100; m != lastMonth {
			c.active += sign
			lastMonth = m
		}
		if !second && b.day != bs[0].day {
			c.repeaters += sign
			second = true
		}
	}
}

// purchasesOf reads the purchases of known buyers: all of them, or those of
// customers ids, grouped by customer in day order.
func purchasesOf(ctx context.Context, q db.Queryer, ids []int64, each func(customer int64, bs []buy) error) error {
	where := ""
	var args []any
	if ids != nil {
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		where = " AND o.customer_id IN (" + strings.Join(ph, ", ") + ")"
	}
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, `+purchase.Net("o")+` FROM orders o
		WHERE o.paid_day IS NOT NULL AND o.customer_id IS NOT NULL AND `+purchase.Is("o")+where+`
		ORDER BY o.customer_id, o.paid_day`, args...)
	if err != nil {
		return fmt.Errorf("retention rollup: purchases: %w", err)
	}
	defer rows.Close()
	var cur int64 = -1
	var bs []buy
	for rows.Next() {
		var c int64
		var b buy
		if err := rows.Scan(&c, &b.day, &b.net); err != nil {
			return fmt.Errorf("retention rollup: purchases: %w", err)
		}
		if c != cur && len(bs) > 0 {
			if err := each(cur, sortBuys(bs)); err != nil {
				return err
			}
			bs = nil
		}
		cur = c
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("retention rollup: purchases: %w", err)
	}
	if len(bs) > 0 {
		return each(cur, sortBuys(bs))
	}
	return nil
}

// sortBuys orders one day's purchases by amount too, so that the same
// purchases always encode the same.
func sortBuys(bs []buy) []buy {
	slices.SortFunc(bs, func(a, b buy) int {
		if a.day != b.day {
			return int(a.day - b.day)
		}
		switch {
		case a.net < b.net:
			return -1
		case a.net > b.net:
			return 1
		}
		return 0
	})
	return bs
}

// refreshRetention brings the retention rollup up to the orders: the
// purchases of every customer whose orders changed since the last refresh
// are read again, and where they differ from the kept list the old list's
// share is taken out and the new one's added, in one transaction per
// chunk of customers. The first refresh (or one after most buyers changed)
// builds it from all orders.
func (r *Rollup) refreshRetention(ctx context.Context) error {
	started := r.now()
	mark, ok, err := r.mark(ctx, retentionMark)
	if err != nil {
		return err
	}
	var changed []int64
	if ok {
		if changed, err = changedCustomers(ctx, r.DB, mark-refreshMargin.Milliseconds()); err != nil {
			return err
		}
		var kept int64
		if err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM retention_customers`).Scan(&kept); err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		if int64(len(changed))*retentionFullShare > kept+1000 {
			ok = false
		}
	}
	if !ok {
		if err := r.buildRetention(ctx); err != nil {
			return err
		}
	} else {
		for len(changed) > 0 {
			n := min(len(changed), retentionChunk)
			if err := r.updateRetention(ctx, changed[:n]); err != nil {
				return err
			}
			changed = changed[n:]
		}
	}
	return r.setMark(ctx, r.DB, retentionMark, started.UnixMilli())
}

func changedCustomers(ctx context.Context, q db.Queryer, sinceMillis int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT customer_id FROM orders WHERE updated_at >= $1 AND customer_id IS NOT NULL`, sinceMillis)
	if err != nil {
		return nil, fmt.Errorf("retention rollup: changed customers: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// lockRetention keeps two servers on one PostgreSQL from applying the same
// change twice; SQLite's one writer does that already.
func lockRetention(ctx context.Context, tx *db.Tx) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7411820535)`)
	return err
}

// buildRetention writes the whole rollup from all orders.
func (r *Rollup) buildRetention(ctx context.Context) error {
	x := newRetentionDelta()
	var custs []any
	err := purchasesOf(ctx, r.DB, nil, func(c int64, bs []buy) error {
		x.add(bs, 1)
		custs = append(custs, c, encodeBuys(bs))
		return nil
	})
	if err != nil {
		return err
	}
	return r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRetention(ctx, tx); err != nil {
			return err
		}
		for _, t := range []string{"retention_customers", "retention_daily", "cohort_daily"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t); err != nil {
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		if err := tx.InsertRows(ctx, "retention_customers", []string{"customer_id", "purchases"}, custs); err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		return x.apply(ctx, tx)
	})
}

// updateRetention reads again the purchases of customers ids and applies
// what changed.
func (r *Rollup) updateRetention(ctx context.Context, ids []int64) error {
	return r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRetention(ctx, tx); err != nil {
			return err
		}
		kept := map[int64][]byte{}
		args := make([]any, len(ids))
		ph := make([]string, len(ids))
		for i, id := range ids {
			args[i] = id
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		rows, err := tx.Query(ctx, `SELECT customer_id, purchases FROM retention_customers WHERE customer_id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		for rows.Next() {
			var id int64
			var p []byte
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return err
			}
			kept[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		x := newRetentionDelta()
		var upserts []any
		seen := map[int64]bool{}
		err = purchasesOf(ctx, tx, ids, func(c int64, bs []buy) error {
			seen[c] = true
			now := encodeBuys(bs)
			old, had := kept[c]
			if had && string(old) == string(now) {
				return nil
			}
			if had {
				was, err := decodeBuys(old)
				if err != nil {
					return err
				}
				x.add(was, -1)
			}
			x.add(bs, 1)
			upserts = append(upserts, c, now)
			return nil
		})
		if err != nil {
			return err
		}
		// Customers whose purchases are all gone (an order sync took the
		// payment back) leave the rollup.
		for c, old := range kept {
			if seen[c] {
				continue
			}
			was, err := decodeBuys(old)
			if err != nil {
				return err
			}
			x.add(was, -1)
			if _, err := tx.Exec(ctx, `DELETE FROM retention_customers WHERE customer_id = $1`, c); err != nil {
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		for i := 0; i < len(upserts); i += 2 {
			if _, err := tx.Exec(ctx, `INSERT INTO retention_customers (customer_id, purchases) VALUES ($1, $2)
				ON CONFLICT (customer_id) DO UPDATE SET purchases = excluded.purchases`, upserts[i], upserts[i+1]); err != nil {
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		return x.apply(ctx, tx)
	})
}

// apply adds the delta to the day and cohort rows in tx.
func (x *retentionDelta) apply(ctx context.Context, tx *db.Tx) error {
	if len(x.days) == 0 && len(x.cohorts) == 0 {
		return nil
	}
	days := slices.Sorted(maps.Keys(x.days))
	// The rows of those days as they are, to add to.
	have := map[int64]*dayShare{}
	for start := 0; start < len(days); start += 500 {
		part := days[start:min(len(days), start+500)]
		args := make([]any, len(part))
		ph := make([]string, len(part))
		for i, d := range part {
			args[i] = d
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		rows, err := tx.Query(ctx, `SELECT day, orders, first_orders, net, prevs, prevs2 FROM retention_daily WHERE day IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		for rows.Next() {
			var d int64
			var p1, p2 []byte
			s := &dayShare{prevs: map[int64]int64{}, prevs2: map[int64]int64{}}
			if err := rows.Scan(&d, &s.orders, &s.first, &s.net, &p1, &p2); err != nil {
				rows.Close()
				return err
			}
			for _, pair := range []struct {
				blob []byte
				into map[int64]int64
			}{{p1, s.prevs}, {p2, s.prevs2}} {
				ps, err := decodePairs(pair.blob)
				if err != nil {
					rows.Close()
					return err
				}
				for _, p := range ps {
					pair.into[p.day] = p.n
				}
			}
			have[d] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, d := range days {
		s, delta := have[d], x.days[d]
		if s == nil {
			s = &dayShare{prevs: map[int64]int64{}, prevs2: map[int64]int64{}}
		}
		s.orders += delta.orders
		s.first += delta.first
		s.net += delta.net
		for p, n := range delta.prevs {
			s.prevs[p] += n
		}
		for p, n := range delta.prevs2 {
			s.prevs2[p] += n
		}
		var err error
		if s.orders == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM retention_daily WHERE day = $1`, d)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO retention_daily (day, orders, first_orders, net, prevs, prevs2) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (day) DO UPDATE SET orders = excluded.orders, first_orders = excluded.first_orders, net = excluded.net,
				prevs = excluded.prevs, prevs2 = excluded.prevs2`, d, s.orders, s.first, s.net, encodePairs(s.prevs), encodePairs(s.prevs2))
		}
		if err != nil {
			return fmt.Errorf("retention rollup: day %d: %w", d, err)
		}
	}
	for k, c := range x.cohorts {
		if *c == (cohortShare{}) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cohort_daily (cohort, day, active, repeaters, net) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (cohort, day) DO UPDATE SET active = cohort_daily.active + excluded.active,
			repeaters = cohort_daily.repeaters + excluded.repeaters, net = cohort_daily.net + excluded.net`,
			k.cohort, k.day, c.active, c.repeaters, c.net); err != nil {
			return fmt.Errorf("retention rollup: cohort %d day %d: %w", k.cohort, k.day, err)
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM cohort_daily WHERE active = 0 AND repeaters = 0 AND net = 0`)
	return err
}

// RetentionOf computes repurchase rate, churn rate and historic LTV of days
// from..to from the retention rollup (refreshed by Rollup.Refresh).
func RetentionOf(ctx context.Context, q db.Queryer, from, to int64) (Retention, error) {
	r := Retention{LookbackDays: ChurnLookbackDays}
	before := AddDays(from, -ChurnLookbackDays)
	rows, err := q.Query(ctx, `SELECT day, orders, prevs, prevs2 FROM retention_daily WHERE day BETWEEN $1 AND $2`, before, to)
	if err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	var bothSides int64 // buyers of the period active in the look-back window too
	for rows.Next() {
		var day, orders int64
		var p1, p2 []byte
		if err := rows.Scan(&day, &orders, &p1, &p2); err != nil {
			rows.Close()
			return r, fmt.Errorf("retention: %w", err)
		}
		prevs, err := decodePairs(p1)
		if err != nil {
			rows.Close()
			return r, err
		}
		if day < from {
			r.ActiveBefore += orders - prevs.sum(before, from)
			continue
		}
		prevs2, err := decodePairs(p2)
		if err != nil {
			rows.Close()
			return r, err
		}
		inPeriod := prevs.sum(from, AddDays(to, 1))
		r.Customers += orders - inPeriod
		r.Repeaters += inPeriod - prevs2.sum(from, AddDays(to, 1))
		bothSides += prevs.sum(before, from)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("retention: %w", err)
	}
	r.Churned = r.ActiveBefore - bothSides
	r.RepurchaseRateBP = divRound(r.Repeaters*10000, r.Customers)
	r.ChurnRateBP = divRound(r.Churned*10000, r.ActiveBefore)
	var net, customers int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(net), 0), COALESCE(SUM(first_orders), 0) FROM retention_daily WHERE day <= $1`, to).Scan(&net, &customers); err != nil {
		return r, fmt.Errorf("LTV: %w", err)
	}
	r.LTV = divRound(net, customers)
	return r, nil
}

// buyersOf counts, for each of the day ranges (sorted, not overlapping),
// its distinct buyers and its new customers (first purchase in it) from
// the retention rollup, exactly and in one read: a buyer of a range has
// exactly one purchase in it whose previous purchase is before the range.
func buyersOf(ctx context.Context, q db.Queryer, ranges [][2]int64) (buyers, newCustomers []int64, err error) {
	buyers, newCustomers = make([]int64, len(ranges)), make([]int64, len(ranges))
	if len(ranges) == 0 {
		return buyers, newCustomers, nil
	}
	rows, err := q.Query(ctx, `SELECT day, orders, first_orders, prevs FROM retention_daily WHERE day BETWEEN $1 AND $2 ORDER BY day`,
		ranges[0][0], ranges[len(ranges)-1][1])
	if err != nil {
		return nil, nil, fmt.Errorf("buyers: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var day, orders, first int64
		var p []byte
		if err := rows.Scan(&day, &orders, &first, &p); err != nil {
			return nil, nil, fmt.Errorf("buyers: %w", err)
		}
		for i < len(ranges) && ranges[i][1] < day {
			i++
		}
		if i == len(ranges) {
			break
		}
		if day < ranges[i][0] {
			continue
		}
		newCustomers[i] += first
		buyers[i] += orders
		if orders > first {
			prevs, err := decodePairs(p)
			if err != nil {
				return nil, nil, err
			}
			buyers[i] -= prevs.sum(ranges[i][0], day+1)
		}
	}
	return buyers, newCustomers, rows.Err()
}
