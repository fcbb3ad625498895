package metric

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/order/purchase"
)

// IndicatorRollup keeps traffic_daily, sales_channel_daily and
// product_daily in step with events, orders and refunds. Events are only
// ever appended, so the days to recompute are those of the event batches
// and purchase events after the last marks (by id); orders and refunds are
// followed as Rollup follows them.
type IndicatorRollup struct {
	DB  *db.DB
	Now func() time.Time
	// Wait, when set, is the longest a reader waits for the refresh it
	// triggers (RefreshIfOlder); 0 waits for it to end.
	Wait time.Duration
}

const (
	markIndEvents    = "indicators.event_batch_id"
	markIndPurchases = "indicators.purchase_event_id"
	markIndOrders    = "indicators.orders_updated_at"
	markIndRefunds   = "indicators.refund_id"
)

// The refresh re-reads that many batches and purchase events behind their
// marks: ids are handed out at insert and, on PostgreSQL, committed out of
// order by concurrent transactions (the payments' purchase events above
// all). SQLite's one writer commits both in id order, so there the
// refresh reads only what came after the marks: a batch holds up to 5,000
// events, and re-reading a margin means recomputing every day it touches —
// 20,000 purchase events behind the mark were the last 43 days of a
// 10M-order store, about a minute a refresh.
const (
	batchIDMargin    = 50
	purchaseIDMargin = 20000
)

// maxRunDays bounds the days one pass reads at once (memory).
const maxRunDays = 10

func (r *IndicatorRollup) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *IndicatorRollup) rollup() *Rollup { return &Rollup{DB: r.DB, Now: r.Now} }

// refreshLocks let one refresh of a store's rollup run at a time in the
// process: the first one after the demo's traffic or a rebuild reads every
// day, and readers arriving meanwhile must not each start the same work.
var refreshLocks sync.Map // refreshKey → *sync.Mutex

type refreshKey struct {
	d    *db.DB
	kind string // "sales" or "indicators"
}

func refreshLock(d *db.DB, kind string) *sync.Mutex {
	mu, _ := refreshLocks.LoadOrStore(refreshKey{d, kind}, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

// Refresh recomputes the days touched since the last refresh (every day
// the first time) and returns how many.
func (r *IndicatorRollup) Refresh(ctx context.Context) (int, error) {
	mu := refreshLock(r.DB, "indicators")
	mu.Lock()
	defer mu.Unlock()
	return r.refresh(ctx)
}

func (r *IndicatorRollup) refresh(ctx context.Context) (int, error) {
	started := r.now()
	if err := event.MoveLegacy(ctx, r.DB); err != nil {
		return 0, err
	}
	sr := r.rollup()
	evMark, okE, err := sr.mark(ctx, markIndEvents)
	if err != nil {
		return 0, err
	}
	purMark, okP, err := sr.mark(ctx, markIndPurchases)
	if err != nil {
		return 0, err
	}
	ordMark, okO, err := sr.mark(ctx, markIndOrders)
	if err != nil {
		return 0, err
	}
	refMark, _, err := sr.mark(ctx, markIndRefunds)
	if err != nil {
		return 0, err
	}
	var maxEvent, maxPurchase, maxRefund int64
	if err := r.DB.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM event_batches").Scan(&maxEvent); err != nil {
		return 0, fmt.Errorf("indicator rollup: %w", err)
	}
	if err := r.DB.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM purchase_events").Scan(&maxPurchase); err != nil {
		return 0, fmt.Errorf("indicator rollup: %w", err)
	}
	if err := r.DB.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM refunds").Scan(&maxRefund); err != nil {
		return 0, fmt.Errorf("indicator rollup: %w", err)
	}
	var days []int64
	if !okE || !okP || !okO {
		days, err = allIndicatorDays(ctx, r.DB)
	} else {
		days, err = changedDays(ctx, r.DB, ordMark-refreshMargin.Milliseconds(), refMark-refundMargin(r.DB))
		if err == nil {
			var ev []int64
			margin, purMargin := int64(0), int64(0)
			if r.DB.Dialect() == db.Postgres {
				margin, purMargin = batchIDMargin, purchaseIDMargin
			}
			ev, err = eventDays(ctx, r.DB, evMark-margin, purMark-purMargin)
			days = mergeDays(days, ev)
		}
	}
	if err != nil {
		return 0, err
	}
	for _, run := range runsOf(days, 3) {
		for from := run[0]; from <= run[1]; from = AddDays(from, maxRunDays) {
			if err := r.rebuild(ctx, from, min(run[1], AddDays(from, maxRunDays-1))); err != nil {
				return 0, err
			}
		}
	}
	if err := r.rebuildMonths(ctx, monthsOf(days)); err != nil {
		return 0, err
	}
	if err := r.rebuildWeeks(ctx, weeksOf(days)); err != nil {
		return 0, err
	}
	err = r.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := sr.setMark(ctx, tx, markIndEvents, maxEvent); err != nil {
			return err
		}
		if err := sr.setMark(ctx, tx, markIndPurchases, maxPurchase); err != nil {
			return err
		}
		if err := sr.setMark(ctx, tx, markIndOrders, started.UnixMilli()); err != nil {
			return err
		}
		return sr.setMark(ctx, tx, markIndRefunds, maxRefund)
	})
	return len(days), err
}

// RefreshIfOlder refreshes unless the last refresh is younger than maxAge,
// or another refresh is running — then the reader is served the rollups as
// they are (at most a minute behind) rather than waiting for it. With Wait
// set, the reader waits at most that long for the refresh it started.
func (r *IndicatorRollup) RefreshIfOlder(ctx context.Context, maxAge time.Duration) error {
	mu := refreshLock(r.DB, "indicators")
	if !mu.TryLock() {
		return nil
	}
	var at int64
	err := r.DB.QueryRow(ctx, "SELECT updated_at FROM job_marks WHERE name = $1", markIndEvents).Scan(&at)
	if err != nil && !db.IsNoRows(err) {
		mu.Unlock()
		return fmt.Errorf("indicator rollup: %w", err)
	}
	if err == nil && r.now().Sub(time.UnixMilli(at)) < maxAge {
		mu.Unlock()
		return nil
	}
	return awaitRefresh(ctx, mu, r.Wait, func(ctx context.Context) error {
		_, err := r.refresh(ctx)
		return err
	})
}

// Rebuild recomputes every day from events, orders and refunds.
func (r *IndicatorRollup) Rebuild(ctx context.Context) error {
	if _, err := r.DB.Exec(ctx, "DELETE FROM job_marks WHERE name IN ($1, $2, $3, $4, $5)", markIndEvents, markIndPurchases, markIndOrders, markIndRefunds, markIndWeeks); err != nil {
		return err
	}
	for _, t := range []string{"traffic_daily", "sales_channel_daily", "product_daily", "traffic_monthly", "product_monthly", "traffic_weekly"} {
		if _, err := r.DB.Exec(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	_, err := r.Refresh(ctx)
	return err
}

func allIndicatorDays(ctx context.Context, q db.Queryer) ([]int64, error) {
	sales, err := allSalesDays(ctx, q)
	if err != nil {
		return nil, err
	}
	var lo, hi int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(MIN(day), 0), COALESCE(MAX(day), 0) FROM (
		SELECT day FROM event_batches UNION ALL SELECT day FROM purchase_events) e`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("indicator rollup: event days: %w", err)
	}
	if lo == 0 {
		return sales, nil
	}
	return mergeDays(sales, Days(lo, hi)), nil
}

func eventDays(ctx context.Context, q db.Queryer, afterBatch, afterPurchase int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT day FROM event_batches WHERE id > $1
		UNION SELECT day FROM purchase_events WHERE id > $2`, afterBatch, afterPurchase)
	if err != nil {
		return nil, fmt.Errorf("indicator rollup: event days: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, rows.Err()
}

func mergeDays(a, b []int64) []int64 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// trafficRow is one traffic_daily row being computed.
type trafficRow struct {
	pv, productViews, searches, carts, checkouts, purchases int64
	sessions                                                map[string]struct{}
	visitors                                                map[event.VisitorKey]*visitorDay
}

// visitorDay is how far one visitor got through the funnel on one day, in
// order, and whether they paid at all.
type visitorDay struct {
	step int // 0 nothing yet, 1 viewed, 2 carted, 3 checkout, 4 paid
	paid bool
}

// funnelNext is the step an event moves a visitor to: each step counts
// only after the one before it.
func funnelNext(step int, typ string) int {
	switch {
	case step == 0 && typ == "product_view",
		step == 1 && typ == "add_to_cart",
		step == 2 && typ == "checkout_start",
		step == 3 && typ == "purchase":
		return step + 1
	}
	return step
}

func (t *trafficRow) add(typ, session string, visitor event.VisitorKey) {
	switch typ {
	case "page_view":
		t.pv++
	case "product_view":
		t.productViews++
	case "search":
		t.searches++
	case "add_to_cart":
		t.carts++
	case "checkout_start":
		t.checkouts++
	case "purchase":
		t.purchases++
	}
	if session != "" {
		t.sessions[session] = struct{}{}
	}
	v := t.visitors[visitor]
	if v == nil {
		v = &visitorDay{}
		t.visitors[visitor] = v
	}
	v.step = funnelNext(v.step, typ)
	v.paid = v.paid || typ == "purchase"
}

type dayChannel struct {
	day     int64
	channel string
}

type dayProduct struct{ day, product int64 }

type productRow struct{ views, carts, orders, units, sales, cogs int64 }

type channelSales struct{ orders, gmv, cogs, refunds, buyers int64 }

// rebuild recomputes the indicator rollups of days from..to.
func (r *IndicatorRollup) rebuild(ctx context.Context, from, to int64) error {
	traffic := map[dayChannel]*trafficRow{}
	products := map[dayProduct]*productRow{}
	sales := map[dayChannel]*channelSales{}
	row := func(k dayChannel) *trafficRow {
		t := traffic[k]
		if t == nil {
			t = &trafficRow{sessions: map[string]struct{}{}, visitors: map[event.VisitorKey]*visitorDay{}}
			traffic[k] = t
		}
		return t
	}
	prod := func(k dayProduct) *productRow {
		p := products[k]
		if p == nil {
			p = &productRow{}
			products[k] = p
		}
		return p
	}
	stored, err := event.ReadDays(ctx, r.DB, from, to, event.ColAt|event.ColType|event.ColSessionID|event.ColChannel|event.ColProductID)
	if err != nil {
		return fmt.Errorf("indicator rollup %d–%d: %w", from, to, err)
	}
	for _, day := range stored.Days {
		// the funnel follows each visitor's events in time order; events
		// of the same moment in the order they were stored
		batches := stored.Batches[day]
		for _, ref := range inTimeOrder(batches) {
			b, i := batches[ref.batch], int(ref.i)
			typ := event.TypeNames[b.Type[i]]
			visitor := event.Visitor(b.AnonymousID[i], b.CustomerID[i], stored.Logins)
			row(dayChannel{day, b.Channel[i]}).add(typ, b.SessionID[i], visitor)
			row(dayChannel{day, ""}).add(typ, b.SessionID[i], visitor)
			if product := b.ProductID[i]; product != 0 {
				switch typ {
				case "product_view":
					prod(dayProduct{day, product}).views++
				case "add_to_cart":
					prod(dayProduct{day, product}).carts++
				}
			}
		}
	}
	scan := func(query string, each func(v []sql.NullInt64, s string)) error {
		rs, err := r.DB.Query(ctx, query, from, to)
		if err != nil {
			return fmt.Errorf("indicator rollup %d–%d: %w", from, to, err)
		}
		defer rs.Close()
		for rs.Next() {
			var s string
			v := make([]sql.NullInt64, 6)
			if err := rs.Scan(&v[0], &s, &v[1], &v[2], &v[3], &v[4]); err != nil {
				return err
			}
			each(v, s)
		}
		return rs.Err()
	}
	cs := func(k dayChannel) *channelSales {
		x := sales[k]
		if x == nil {
			x = &channelSales{}
			sales[k] = x
		}
		return x
	}
	// Presale deposits are not purchases; a tail is worth its deposit too
	// (package purchase), on the products' figures as well.
	err = scan(`SELECT o.paid_day, o.channel, COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0), COALESCE(SUM(o.cost_total), 0), COUNT(DISTINCT o.customer_id)
		FROM orders o WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+` GROUP BY o.paid_day, o.channel`, func(v []sql.NullInt64, ch string) {
		x := cs(dayChannel{v[0].Int64, ch})
		x.orders, x.gmv, x.cogs, x.buyers = v[1].Int64, v[2].Int64, v[3].Int64, v[4].Int64
	})
	if err != nil {
		return err
	}
	err = scan(`SELECT o.paid_day, o.channel, COALESCE(SUM(l.refunded_quantity * l.unit_cost), 0), 0, 0, 0
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.paid_day BETWEEN $1 AND $2 AND o.refunded_total > 0 GROUP BY o.paid_day, o.channel`, func(v []sql.NullInt64, ch string) {
		cs(dayChannel{v[0].Int64, ch}).cogs -= v[1].Int64
	})
	if err != nil {
		return err
	}
	err = scan(`SELECT r.refunded_day, o.channel, COALESCE(SUM(r.amount), 0), 0, 0, 0
		FROM refunds r JOIN orders o ON o.id = r.order_id
		WHERE r.refunded_day BETWEEN $1 AND $2 AND `+purchase.Refund("r")+` GROUP BY r.refunded_day, o.channel`, func(v []sql.NullInt64, ch string) {
		cs(dayChannel{v[0].Int64, ch}).refunds = v[1].Int64
	})
	if err != nil {
		return err
	}
	// The deposit belongs to the tail's presale line, the one taking its
	// units from the presale's pool (a gift line rides along at 0).
	prs, err := r.DB.Query(ctx, `SELECT o.paid_day, l.product_id, COUNT(DISTINCT o.id), COALESCE(SUM(l.quantity), 0),
			COALESCE(SUM(l.line_total + CASE WHEN l.stock = 'pool' THEN o.deposit_total ELSE 0 END), 0), COALESCE(SUM(l.quantity * l.unit_cost), 0)
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.paid_day BETWEEN $1 AND $2 AND l.product_id IS NOT NULL AND `+purchase.Is("o")+` GROUP BY o.paid_day, l.product_id`, from, to)
	if err != nil {
		return fmt.Errorf("indicator rollup %d–%d: %w", from, to, err)
	}
	for prs.Next() {
		var day, product, orders, units, salesTotal, cogs int64
		if err := prs.Scan(&day, &product, &orders, &units, &salesTotal, &cogs); err != nil {
			prs.Close()
			return err
		}
		p := prod(dayProduct{day, product})
		p.orders, p.units, p.sales, p.cogs = orders, units, salesTotal, cogs
	}
	prs.Close()
	if err := prs.Err(); err != nil {
		return err
	}
	return r.write(ctx, from, to, traffic, products, sales)
}

func (r *IndicatorRollup) write(ctx context.Context, from, to int64, traffic map[dayChannel]*trafficRow,
	products map[dayProduct]*productRow, sales map[dayChannel]*channelSales) error {
	now := r.now().UnixMilli()
	// The sketches and funnel counts are worked out before the
	// transaction, off the database's one writer (the event collector's
	// too).
	type trafficOut struct {
		k         dayChannel
		t         *trafficRow
		f         [4]int64
		converted int64
		uvb, cb   []byte
	}
	outs := make([]trafficOut, 0, len(traffic))
	for k, t := range traffic {
		o := trafficOut{k: k, t: t}
		uv, conv := hyperloglog.New14(), hyperloglog.New14()
		for v, s := range t.visitors {
			key := []byte(v.String())
			uv.Insert(key)
			for i := range s.step {
				o.f[i]++
			}
			if s.paid {
				o.converted++
				conv.Insert(key)
			}
		}
		var err error
		if o.uvb, err = uv.MarshalBinary(); err != nil {
			return err
		}
		if o.cb, err = conv.MarshalBinary(); err != nil {
			return err
		}
		outs = append(outs, o)
	}
	return r.DB.InTx(ctx, func(tx *db.Tx) error {
		for _, t := range []string{"traffic_daily", "sales_channel_daily", "product_daily"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE day BETWEEN $1 AND $2", from, to); err != nil {
				return err
			}
		}
		for _, o := range outs {
			k, t, f := o.k, o.t, o.f
			if _, err := tx.Exec(ctx, `INSERT INTO traffic_daily (day, channel, pv, uv, sessions, product_views, searches, add_to_carts,
					checkout_starts, purchases, funnel_view, funnel_cart, funnel_checkout, funnel_paid, converted, uv_sketch, converted_sketch, refreshed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
				k.day, k.channel, t.pv, int64(len(t.visitors)), int64(len(t.sessions)), t.productViews, t.searches, t.carts,
				t.checkouts, t.purchases, f[0], f[1], f[2], f[3], o.converted, o.uvb, o.cb, now); err != nil {
				return fmt.Errorf("indicator rollup: write traffic of %d: %w", k.day, err)
			}
		}
		for k, x := range sales {
			if _, err := tx.Exec(ctx, `INSERT INTO sales_channel_daily (day, channel, paid_orders, gmv, cogs, refunds, buyers, refreshed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.day, k.channel, x.orders, x.gmv, x.cogs, x.refunds, x.buyers, now); err != nil {
				return fmt.Errorf("indicator rollup: write sales of %d: %w", k.day, err)
			}
		}
		for k, p := range products {
			if _, err := tx.Exec(ctx, `INSERT INTO product_daily (day, product_id, views, add_to_carts, orders, units, sales, cogs, refreshed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, k.day, k.product, p.views, p.carts, p.orders, p.units, p.sales, p.cogs, now); err != nil {
				return fmt.Errorf("indicator rollup: write product %d of %d: %w", k.product, k.day, err)
			}
		}
		return nil
	})
}

// eventRef is one event of a day: its batch and its place in it.
type eventRef struct {
	at    int64
	batch int32
	i     int32
}

// inTimeOrder lists the events of batches by time, those of the same
// millisecond in the order they were stored.
func inTimeOrder(batches []*event.Batch) []eventRef {
	n := 0
	for _, b := range batches {
		n += b.N
	}
	refs := make([]eventRef, 0, n)
	for bi, b := range batches {
		for i := range b.N {
			refs = append(refs, eventRef{at: b.At[i], batch: int32(bi), i: int32(i)})
		}
	}
	slices.SortStableFunc(refs, func(a, b eventRef) int { return cmp.Compare(a.at, b.at) })
	return refs
}
