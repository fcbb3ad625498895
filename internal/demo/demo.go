// Package demo generates a realistic demo shop — 花间生活馆, a lifestyle and
// apparel shop — straight into the database: catalog, customers, a year or
// more of orders, refunds and the stock ledger behind them.
//
// The data is deterministic: the same Seed, End, Customers and Days give the
// same rows on SQLite and PostgreSQL. It is written the way the real code
// paths write it, so every invariant the shop relies on holds (stock equals
// the sum of its movements and never went negative, order totals add up,
// refunds never exceed what was paid), and it behaves like a real shop:
// customers buy as the BG/NBD model says they do, the days follow the
// Chinese retail calendar, and the product matrix is 20/50/30.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// StoreName is the demo shop's name.
const StoreName = "花间生活馆"

// Options size the demo shop.
type Options struct {
	Customers int    // default 20000
	Days      int    // days of history, default 400
	Seed      uint64 // default 1
	// End is the last day of history (default: today in the store's zone).
	// When End has a time of day, nothing happens after that instant, so the
	// default never writes orders in the future; a bare date runs to midnight.
	End      time.Time
	Location *time.Location // the store's zone, default Asia/Shanghai
	// Progress, when set, hears how far the generator is, at most about ten
	// times a second and once more at the end of each stage.
	Progress func(done, total int64, stage string)
}

// Summary counts what Generate wrote.
type Summary struct {
	Categories, Products, SKUs, Customers, Orders, OrderLines, Refunds int64
	GMV                                                                int64 // 分, paid orders' totals
	Took                                                               time.Duration
}

// ErrNotEmpty means the store already has products or orders; the demo only
// fills an empty store so it can never mix with real data.
var ErrNotEmpty = errors.New("the store already has products or orders; the demo generator only fills an empty store (use a new database file)")

// Progress stages.
const (
	StageCatalog = "catalog"
	StageHistory = "history"
	StageStock   = "stock"
)

// IsEmpty reports whether the store has no products and no orders.
func IsEmpty(ctx context.Context, d *db.DB) (bool, error) {
	for _, table := range []string{"products", "orders"} {
		var one int
		err := d.QueryRow(ctx, "SELECT 1 FROM "+table+" LIMIT 1").Scan(&one)
		switch {
		case err == nil:
			return false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return false, fmt.Errorf("check whether the store is empty: %w", err)
		}
	}
	return true, nil
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Customers < 0:
		return o, fmt.Errorf("customers: %d is negative; give a number of customers such as 20000", o.Customers)
	case o.Days < 0:
		return o, fmt.Errorf("days: %d is negative; give the days of history, such as 400", o.Days)
	case o.Days > 0 && o.Days < 7:
		return o, fmt.Errorf("days: %d is too short for a shop's rhythm; give at least 7", o.Days)
	case o.Days > 3660:
		return o, fmt.Errorf("days: %d is more than ten years; give at most 3660", o.Days)
	}
	if o.Customers == 0 {
		o.Customers = 20000
	}
	if o.Days == 0 {
		o.Days = 400
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			// No zone database on this machine: China has had no DST since 1991.
			loc = time.FixedZone("Asia/Shanghai", 8*3600)
		}
		o.Location = loc
	}
	if o.End.IsZero() {
		o.End = time.Now().In(o.Location)
	}
	return o, nil
}

// Generate fills an empty store with the demo shop described by opts and
// sets the store's name, time zone and currency. It writes rows directly, in
// transactions of a few thousand rows, with no audit entries (nobody made
// these changes) but the upcoming flash sale's: its stock receipt and its
// creation go through the inventory and flash-sale services. If it fails or
// ctx is cancelled part of the shop is left behind: start again with a new
// database.
func Generate(ctx context.Context, d *db.DB, opts Options) (Summary, error) {
	began := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	empty, err := IsEmpty(ctx, d)
	if err != nil {
		return Summary{}, err
	}
	if !empty {
		return Summary{}, ErrNotEmpty
	}
	ids, err := loadIDs(ctx, d)
	if err != nil {
		return Summary{}, err
	}
	rep := &reporter{fn: opts.Progress}

	tl := newTimeline(opts.End, opts.Days, opts.Location, newRand(opts.Seed, streamCalendar))
	cr := newRand(opts.Seed, streamCatalog)
	cat := buildCatalog(cr, tl, &ids)
	rep.report(0, 1, StageCatalog, true)
	var sum Summary
	if err := writeCatalog(ctx, d, cat, cr, tl); err != nil {
		return sum, err
	}
	sum.Categories, sum.Products, sum.SKUs = int64(len(cat.categories)), int64(len(cat.products)), int64(len(cat.skus))
	rep.report(1, 1, StageCatalog, true)

	hr := newRand(opts.Seed, streamHistory)
	s := newSink(ctx, d)
	h := &history{
		ctx:       s.ctx,
		tl:        tl,
		cat:       cat,
		r:         hr,
		ids:       &ids,
		out:       &chunk{},
		sink:      s,
		customers: opts.Customers,
		phones:    numbering{mul: 2654435761, add: hr.Uint64N(uint64(len(mobilePrefixes)) * 1e8), mod: uint64(len(mobilePrefixes)) * 1e8},
		qq:        numbering{mul: 2246822519, add: hr.Uint64N(2_900_000_000), mod: 2_900_000_000},
		handles:   numbering{mul: 3266489917, add: hr.Uint64N(10_000_000), mod: 10_000_000},
	}
	// Progress counts customers and orders written: later days carry far
	// more orders than early ones, so counting days would make a poor ETA.
	expectOrders := ordersPerCustomer(opts.Days) * float64(opts.Customers)
	expect := int64(opts.Customers) + int64(expectOrders)
	h.report = func(final bool) {
		done := h.sum.Customers + h.sum.Orders
		total := max(expect, done)
		if final {
			total = done
		}
		rep.report(done, total, StageHistory, final)
	}
	h.flash = planPastFlash(tl, cat, newRand(opts.Seed, streamFlash))
	// A first guess at the pace of sales for opening stock; the ledger
	// learns the real one within weeks.
	h.led = newLedger(cat, tl, &ids, newRand(opts.Seed, streamStock), unitsPerOrder*expectOrders/float64(opts.Days))
	runErr := h.run()
	if runErr == nil {
		rep.report(0, 1, StageStock, true)
		if h.out.rows > 0 {
			_, runErr = s.send(h.out)
		}
	}
	if err := s.close(); err != nil {
		return sum, err
	}
	if runErr != nil {
		return sum, runErr
	}
	if err := syncSequences(ctx, d); err != nil {
		return sum, err
	}
	// What customer.NotePaid keeps for live orders, set in one pass.
	if _, err := d.Exec(ctx, `UPDATE customers SET first_paid_day = (
		SELECT MIN(o.paid_day) FROM orders o WHERE o.customer_id = customers.id AND o.paid_day IS NOT NULL)`); err != nil {
		return sum, fmt.Errorf("first paid days: %w", err)
	}
	// Each paid order was paid once through the sandbox provider, as the
	// order service records a payment.
	if _, err := d.Exec(ctx, `INSERT INTO payments (order_id, provider, provider_ref, amount, refunded, currency, status, created_at, updated_at)
		SELECT id, 'sandbox', 'demo-' || order_no, total, refunded_total, currency, 'succeeded', paid_at, paid_at
		FROM orders WHERE paid_at IS NOT NULL`); err != nil {
		return sum, fmt.Errorf("demo payments: %w", err)
	}
	if err := writeCoupons(ctx, d, opts.End); err != nil {
		return sum, err
	}
	if err := writePromotions(ctx, d, opts.End, opts.Days, opts.Location); err != nil {
		return sum, err
	}
	if err := writePastFlash(ctx, d, h.flash, opts.Location); err != nil {
		return sum, err
	}
	if err := writeFlashSales(ctx, d, opts.End, opts.Location); err != nil {
		return sum, err
	}
	if err := writePresales(ctx, d, opts.End, opts.Location); err != nil {
		return sum, err
	}
	if err := writeTiers(ctx, d, opts.End, opts.Location); err != nil {
		return sum, err
	}
	if err := writeAudiences(ctx, d, opts.End); err != nil {
		return sum, err
	}
	if err := writeReferrals(ctx, d, opts.End); err != nil {
		return sum, err
	}
	rep.report(1, 1, StageStock, true)
	hs := h.sum
	sum.Customers, sum.Orders, sum.OrderLines, sum.Refunds, sum.GMV = hs.Customers, hs.Orders, hs.OrderLines, hs.Refunds, hs.GMV
	sum.Took = time.Since(began)
	return sum, nil
}

// ordersPerCustomer is about how many orders a customer places over a
// history of that many days, fitted on generated shops (within 10% from 7 to
// 1,200 days). It only sizes the progress bar and the opening stock.
func ordersPerCustomer(days int) float64 { return 0.93 + 0.01057*math.Pow(float64(days), 0.742) }

const unitsPerOrder = 1.78

func writeCatalog(ctx context.Context, d *db.DB, cat *catalog, r *rand.Rand, tl *timeline) error {
	c := &chunk{}
	for _, k := range cat.categories {
		var parent any
		if k.parent != 0 {
			parent = k.parent
		}
		c.add(tCategories, k.id, parent, k.name, k.en, k.sort, tl.start[0]-250*day)
	}
	for _, p := range cat.products {
		c.add(tProducts, p.id, p.seed.title, p.seed.titleEN, p.categoryID, roleNames[p.role], p.status,
			p.seed.title+"，"+p.leaf.pitch+"。", cat.productAttrs(p, r), cat.productImages(p, r), cat.searchText(p), p.createdAt, p.updatedAt)
	}
	for _, s := range cat.skus {
		c.add(tSKUs, s.id, s.product.id, s.code, s.spec, s.attrs, s.price, s.cost, "CNY", s.barcode, s.weightG, s.createdAt, s.product.createdAt)
	}
	if err := writeChunk(ctx, d, c); err != nil {
		return fmt.Errorf("write demo catalog: %w", err)
	}
	now := tl.cutoff
	for k, v := range map[string]string{"name": StoreName, "time_zone": tl.loc.String(), "currency": "CNY"} {
		if _, err := d.Exec(ctx, `INSERT INTO store_settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, k, v, now); err != nil {
			return fmt.Errorf("write store setting %s: %w", k, err)
		}
	}
	return nil
}

// reporter keeps Progress calls to about ten a second.
type reporter struct {
	fn   func(done, total int64, stage string)
	last time.Time
}

func (p *reporter) report(done, total int64, stage string, force bool) {
	if p.fn == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.fn(done, total, stage)
}
