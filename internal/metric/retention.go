package metric

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
	"github.com/storeops/storeops/internal/rfm"
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
const retentionChunk = 5000

// retentionRunMark is the last RFM run whose segment moves the segment
// rollup has taken in.
const retentionRunMark = "retention.rfm_run"

// buy is one purchase of a buyer: its paid day, net amount (total and
// deposit less refunds) and value (total and deposit: what GMV counts).
type buy struct{ day, net, value int64 }

// encodeBuys writes purchases (sorted by day) as uvarint day deltas (the
// first from 0) and zigzag varint amounts.
func encodeBuys(bs []buy) []byte {
	out := make([]byte, 0, 6*len(bs))
	var last int64
	for _, b := range bs {
		out = binary.AppendUvarint(out, uint64(b.day-last))
		out = binary.AppendVarint(out, b.net)
		out = binary.AppendVarint(out, b.value)
		last = b.day
	}
	return out
}

func decodeBuys(p []byte) ([]buy, error) {
	var out []buy
	r := varints{p: p}
	for !r.done() {
		day, net, value := r.day(), r.varint(), r.varint()
		if r.bad {
			return nil, errors.New("retention rollup: a damaged purchase list")
		}
		out = append(out, buy{day: day, net: net, value: value})
	}
	return out, nil
}

// varints reads what encodeBuys and encodePairs write: days as uvarint
// deltas from the one before, amounts as zigzag varints. bad is set at the
// first that does not read, and stays.
type varints struct {
	p       []byte
	lastDay int64
	bad     bool
}

func (r *varints) done() bool { return r.bad || len(r.p) == 0 }

func (r *varints) day() int64 {
	d, n := binary.Uvarint(r.p)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p = r.p[n:]
	r.lastDay += int64(d)
	return r.lastDay
}

func (r *varints) varint() int64 {
	v, n := binary.Varint(r.p)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p = r.p[n:]
	return v
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
	r := varints{p: p}
	for !r.done() {
		day, n := r.day(), r.varint()
		if r.bad {
			return nil, errors.New("retention rollup: a damaged day row")
		}
		out = append(out, dayCount{day, n})
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

type segmentKey struct {
	day     int64
	segment string
}

// segmentShare is what purchases add to one row of segment_daily.
type segmentShare struct {
	orders, gmv int64
	prevs       map[int64]int64
}

// retentionDelta collects what a set of buyers' purchase lists add to (or,
// with sign −1, take from) the rollup's rows.
type retentionDelta struct {
	days     map[int64]*dayShare
	cohorts  map[cohortKey]*cohortShare
	segments map[segmentKey]*segmentShare
}

func newRetentionDelta() *retentionDelta {
	return &retentionDelta{days: map[int64]*dayShare{}, cohorts: map[cohortKey]*cohortShare{}, segments: map[segmentKey]*segmentShare{}}
}

// addSegment adds sign times one buyer's purchases to their segment's rows.
func (x *retentionDelta) addSegment(bs []buy, segment string, sign int64) {
	for i, b := range bs {
		k := segmentKey{b.day, segment}
		s := x.segments[k]
		if s == nil {
			s = &segmentShare{prevs: map[int64]int64{}}
			x.segments[k] = s
		}
		s.orders += sign
		s.gmv += sign * b.value
		if i > 0 {
			s.prevs[bs[i-1].day] += sign
		}
	}
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
// customers ids, grouped by customer in day order. The conditions are the
// purchases index's (orders_purchases), so it is read in its order and
// never the table.
func purchasesOf(ctx context.Context, q db.Queryer, ids []int64, each func(customer int64, bs []buy) error) error {
	where := ""
	if ids != nil {
		where = " AND o.customer_id IN (" + db.Placeholders(len(ids), 1) + ")"
	}
	rows, err := q.Query(ctx, `SELECT o.customer_id, o.paid_day, `+purchase.Net("o")+`, `+purchase.Value("o")+` FROM orders o
		WHERE o.customer_id IS NOT NULL AND o.paid_at IS NOT NULL AND o.paid_day IS NOT NULL AND `+purchase.Is("o")+where+`
		ORDER BY o.customer_id, o.paid_day`, db.Args(ids)...)
	if err != nil {
		return fmt.Errorf("retention rollup: purchases: %w", err)
	}
	defer rows.Close()
	var cur int64 = -1
	var bs []buy
	for rows.Next() {
		var c int64
		var b buy
		if err := rows.Scan(&c, &b.day, &b.net, &b.value); err != nil {
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
			return cmp.Compare(a.day, b.day)
		}
		switch {
		case a.net != b.net:
			return cmp.Compare(a.net, b.net)
		default:
			return cmp.Compare(a.value, b.value)
		}
	})
	return bs
}

// refreshRetention brings the retention rollup up to the orders and the
// RFM segments: the purchases of every customer whose orders changed since
// the last refresh are read again, the customers an RFM run since then
// moved to another segment are looked up again, and where a customer's
// kept list or segment differs the old one's share is taken out and the
// new one's added, in one transaction per chunk of customers. The first
// refresh (or one after most buyers changed) builds it from all orders.
// It returns the days whose purchases changed (nil after a build), which
// the sales rollup recomputes too: an order whose paid day moved changed
// its old day as well.
func (r *Rollup) refreshRetention(ctx context.Context) ([]int64, error) {
	started := r.now()
	mark, ok, err := r.mark(ctx, retentionMark)
	if err != nil {
		return nil, err
	}
	runMark, _, err := r.mark(ctx, retentionRunMark)
	if err != nil {
		return nil, err
	}
	moves, err := rfm.MovesSince(ctx, r.DB, runMark)
	if err != nil {
		return nil, err
	}
	var changed, moved []int64
	if ok {
		// Without DISTINCT, so that SQLite reads orders_updated's range
		// rather than walking a customer index for the order it gives.
		if changed, err = customerIDs(ctx, r.DB, `SELECT customer_id FROM orders WHERE updated_at >= $1`,
			mark-refreshMargin.Milliseconds()); err != nil {
			return nil, err
		}
		// Runs older than the last few keep no moves: after that many,
		// only a build knows everyone's segment.
		moved = moves.Customers
		if !moves.Complete {
			ok = false
		}
		// Counting the kept buyers reads every row: only when so many
		// changed that a build may be cheaper.
		if n := int64(len(changed) + len(moved)); n*retentionFullShare > 1000 {
			var kept int64
			if err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM retention_customers`).Scan(&kept); err != nil {
				return nil, fmt.Errorf("retention rollup: %w", err)
			}
			if n*retentionFullShare > kept+1000 {
				ok = false
			}
		}
	}
	var days []int64
	if !ok {
		if err := r.buildRetention(ctx); err != nil {
			return nil, err
		}
	} else {
		reread := make(map[int64]bool, len(changed))
		for _, c := range changed {
			reread[c] = true
		}
		ids := changed
		for _, c := range moved {
			if !reread[c] {
				ids = append(ids, c)
			}
		}
		for len(ids) > 0 {
			n := min(len(ids), retentionChunk)
			changedDays, err := r.updateRetention(ctx, ids[:n], reread)
			if err != nil {
				return nil, err
			}
			days = mergeDays(days, changedDays)
			ids = ids[n:]
		}
	}
	return days, r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := r.setMark(ctx, tx, retentionMark, started.UnixMilli()); err != nil {
			return err
		}
		return r.setMark(ctx, tx, retentionRunMark, moves.LastRun)
	})
}

// customerIDs runs a query of customer ids (NULLs and repeats dropped).
func customerIDs(ctx context.Context, q db.Queryer, query string, arg int64) ([]int64, error) {
	rows, err := q.Query(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("retention rollup: changed customers: %w", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var out []int64
	for rows.Next() {
		var id sql.NullInt64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id.Valid && !seen[id.Int64] {
			seen[id.Int64] = true
			out = append(out, id.Int64)
		}
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
	segments, err := rfm.CurrentSegments(ctx, r.DB, nil)
	if err != nil {
		return err
	}
	x := newRetentionDelta()
	var custs []any
	err = purchasesOf(ctx, r.DB, nil, func(c int64, bs []buy) error {
		x.add(bs, 1)
		x.addSegment(bs, segments[c], 1)
		custs = append(custs, c, segments[c], encodeBuys(bs))
		return nil
	})
	if err != nil {
		return err
	}
	return r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRetention(ctx, tx); err != nil {
			return err
		}
		for _, t := range []string{"retention_customers", "retention_daily", "cohort_daily", "segment_daily"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t); err != nil {
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		if err := tx.InsertRows(ctx, "retention_customers", []string{"customer_id", "segment", "purchases"}, custs); err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		return x.apply(ctx, tx)
	})
}

// updateRetention looks up customers ids again — their segment, and the
// purchases of those in reread — and applies what changed.
func (r *Rollup) updateRetention(ctx context.Context, ids []int64, reread map[int64]bool) (days []int64, err error) {
	err = r.DB.InTx(ctx, func(tx *db.Tx) error {
		days = nil
		if err := lockRetention(ctx, tx); err != nil {
			return err
		}
		type keptRow struct {
			segment   string
			purchases []byte
		}
		kept := map[int64]keptRow{}
		rows, err := tx.Query(ctx, `SELECT customer_id, segment, purchases FROM retention_customers WHERE customer_id IN (`+db.Placeholders(len(ids), 1)+`)`, db.Args(ids)...)
		if err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		for rows.Next() {
			var id int64
			var k keptRow
			if err := rows.Scan(&id, &k.segment, &k.purchases); err != nil {
				rows.Close()
				return err
			}
			kept[id] = k
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		segments, err := rfm.CurrentSegments(ctx, tx, ids)
		if err != nil {
			return err
		}
		// What the orders say now: read again for the customers whose
		// orders changed, the kept list for those who only moved.
		now := map[int64][]byte{}
		var again []int64
		for _, c := range ids {
			if reread[c] {
				again = append(again, c)
			} else if k, ok := kept[c]; ok {
				now[c] = k.purchases
			}
		}
		if len(again) > 0 {
			err = purchasesOf(ctx, tx, again, func(c int64, bs []buy) error {
				now[c] = encodeBuys(bs)
				return nil
			})
			if err != nil {
				return err
			}
		}
		x := newRetentionDelta()
		var upserts []any
		for _, c := range ids {
			k, had := kept[c]
			cur, has := now[c]
			seg := segments[c]
			if had == has && string(k.purchases) == string(cur) && k.segment == seg {
				continue
			}
			var was, is []buy
			if had {
				if was, err = decodeBuys(k.purchases); err != nil {
					return err
				}
			}
			if has {
				if is, err = decodeBuys(cur); err != nil {
					return err
				}
			}
			if string(k.purchases) != string(cur) {
				x.add(was, -1)
				x.add(is, 1)
			}
			x.addSegment(was, k.segment, -1)
			x.addSegment(is, seg, 1)
			if has {
				upserts = append(upserts, c, seg, cur)
			} else if _, err := tx.Exec(ctx, `DELETE FROM retention_customers WHERE customer_id = $1`, c); err != nil {
				// Every purchase is gone (an order sync took the payment
				// back): the customer leaves the rollup.
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		for i := 0; i < len(upserts); i += 3 {
			if _, err := tx.Exec(ctx, `INSERT INTO retention_customers (customer_id, segment, purchases) VALUES ($1, $2, $3)
				ON CONFLICT (customer_id) DO UPDATE SET segment = excluded.segment, purchases = excluded.purchases`, upserts[i], upserts[i+1], upserts[i+2]); err != nil {
				return fmt.Errorf("retention rollup: %w", err)
			}
		}
		days = slices.Sorted(maps.Keys(x.days))
		return x.apply(ctx, tx)
	})
	return days, err
}

// apply adds the delta to the day, cohort and segment rows in tx.
func (x *retentionDelta) apply(ctx context.Context, tx *db.Tx) error {
	if err := x.applyDays(ctx, tx); err != nil {
		return err
	}
	if err := x.applySegments(ctx, tx); err != nil {
		return err
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

// readPairs decodes a blob of pairs into m.
func readPairs(blob []byte, m map[int64]int64) error {
	ps, err := decodePairs(blob)
	if err != nil {
		return err
	}
	for _, p := range ps {
		m[p.day] += p.n
	}
	return nil
}

// dayArgs runs fn over the days in parts of at most 500, with their
// placeholders and arguments.
func dayArgs(days []int64, fn func(ph string, args []any) error) error {
	for start := 0; start < len(days); start += 500 {
		part := days[start:min(len(days), start+500)]
		if err := fn(db.Placeholders(len(part), 1), db.Args(part)); err != nil {
			return err
		}
	}
	return nil
}

func (x *retentionDelta) applyDays(ctx context.Context, tx *db.Tx) error {
	days := slices.Sorted(maps.Keys(x.days))
	have := map[int64]*dayShare{}
	err := dayArgs(days, func(ph string, args []any) error {
		rows, err := tx.Query(ctx, `SELECT day, orders, first_orders, net, prevs, prevs2 FROM retention_daily WHERE day IN (`+ph+`)`, args...)
		if err != nil {
			return fmt.Errorf("retention rollup: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d int64
			var p1, p2 []byte
			s := &dayShare{prevs: map[int64]int64{}, prevs2: map[int64]int64{}}
			if err := rows.Scan(&d, &s.orders, &s.first, &s.net, &p1, &p2); err != nil {
				return err
			}
			if err := readPairs(p1, s.prevs); err != nil {
				return err
			}
			if err := readPairs(p2, s.prevs2); err != nil {
				return err
			}
			have[d] = s
		}
		return rows.Err()
	})
	if err != nil {
		return err
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
	return nil
}

func (x *retentionDelta) applySegments(ctx context.Context, tx *db.Tx) error {
	daySet := map[int64]bool{}
	for k := range x.segments {
		daySet[k.day] = true
	}
	have := map[segmentKey]*segmentShare{}
	err := dayArgs(slices.Sorted(maps.Keys(daySet)), func(ph string, args []any) error {
		rows, err := tx.Query(ctx, `SELECT day, segment, orders, gmv, prevs FROM segment_daily WHERE day IN (`+ph+`)`, args...)
		if err != nil {
			return fmt.Errorf("segment rollup: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k segmentKey
			var p []byte
			s := &segmentShare{prevs: map[int64]int64{}}
			if err := rows.Scan(&k.day, &k.segment, &s.orders, &s.gmv, &p); err != nil {
				return err
			}
			if x.segments[k] == nil {
				continue
			}
			if err := readPairs(p, s.prevs); err != nil {
				return err
			}
			have[k] = s
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for k, delta := range x.segments {
		s := have[k]
		if s == nil {
			s = &segmentShare{prevs: map[int64]int64{}}
		}
		s.orders += delta.orders
		s.gmv += delta.gmv
		for p, n := range delta.prevs {
			s.prevs[p] += n
		}
		var err error
		if s.orders == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM segment_daily WHERE day = $1 AND segment = $2`, k.day, k.segment)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO segment_daily (day, segment, orders, gmv, prevs) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (day, segment) DO UPDATE SET orders = excluded.orders, gmv = excluded.gmv, prevs = excluded.prevs`,
				k.day, k.segment, s.orders, s.gmv, encodePairs(s.prevs))
		}
		if err != nil {
			return fmt.Errorf("segment rollup: day %d %q: %w", k.day, k.segment, err)
		}
	}
	return nil
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
