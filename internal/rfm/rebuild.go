package rfm

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"modernc.org/sqlite"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order/purchase"
)

// A rebuild on SQLite reads ten million orders. Streaming them to Go costs
// about 5 s in database/sql's row decoding alone, and a GROUP BY with its
// five aggregates costs SQLite's interpreter more than a Go function called
// once per order. So SQLite walks the purchases index (orders_purchases,
// migration 0034: every purchase in customer and day order, nothing read
// from the table) and hands each purchase to an aggregate function of ours,
// rfm_purchases, which counts the customers' figures and the gaps between
// their purchase days as the rows go by and returns them in one value. The
// customers are read in id ranges on the reader pool on every core at
// once.

// purchasesFunc is the aggregate: rfm_purchases(customer_id, paid_day,
// paid_at, net) over purchases in customer and day order is an encoded
// rangeCount.
const purchasesFunc = "rfm_purchases"

func init() {
	// Functions are installed on connections as they open: registered
	// here, before any Open, every connection of the process has it.
	sqlite.MustRegisterFunction(purchasesFunc, &sqlite.FunctionImpl{NArgs: 4, Deterministic: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
			return &purchaseFold{}, nil
		}})
}

// rangeCount is what rfm_purchases counts: the customers' figures in id
// order and the gap histogram (gaps[days] purchase days came days after
// the same customer's previous one).
type rangeCount struct {
	customers []aggRow
	gaps      []int64
}

// purchaseFold is one evaluation of rfm_purchases.
type purchaseFold struct {
	rangeCount
	day int64 // the current customer's last purchase day, yyyymmdd
	err error
}

func (f *purchaseFold) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if f.err != nil {
		return f.err
	}
	id, ok1 := args[0].(int64)
	day, ok2 := args[1].(int64)
	at, ok3 := args[2].(int64)
	net, ok4 := args[3].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		f.err = fmt.Errorf("%s(%v): every argument must be an integer", purchasesFunc, args)
		return f.err
	}
	n := len(f.customers)
	if n == 0 || id > f.customers[n-1].id {
		f.customers = append(f.customers, aggRow{id: id, first: at, last: at, freq: 1, mon: net})
		f.day = day
		return nil
	}
	c := &f.customers[n-1]
	if id < c.id || day < f.day {
		// The gaps need each customer's days in order: only a walk of
		// the index gives them so.
		f.err = fmt.Errorf("%s: purchases out of customer and day order (customer %d day %d after customer %d day %d)", purchasesFunc, id, day, c.id, f.day)
		return f.err
	}
	c.freq++
	c.mon += net
	c.first, c.last = min(c.first, at), max(c.last, at)
	if day != f.day {
		g := dayNumber(day) - dayNumber(f.day)
		if g >= int64(len(f.gaps)) {
			f.gaps = append(f.gaps, make([]int64, int(g)+1-len(f.gaps))...)
		}
		f.gaps[g]++
		f.day = day
	}
	return nil
}

func (f *purchaseFold) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New(purchasesFunc + " is not a window function")
}

func (f *purchaseFold) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.rangeCount.encode(), nil
}

func (f *purchaseFold) Final(*sqlite.FunctionContext) {}

// encode lays a rangeCount out as varints: the number of customers, each
// customer (id after the previous one, orders, first payment, last after
// first, net spend), the histogram's length and its counts.
func (r rangeCount) encode() []byte {
	out := make([]byte, 0, 16+len(r.customers)*20+len(r.gaps)*2)
	out = binary.AppendUvarint(out, uint64(len(r.customers)))
	var prev int64
	for _, c := range r.customers {
		out = binary.AppendVarint(out, c.id-prev)
		out = binary.AppendUvarint(out, uint64(c.freq))
		out = binary.AppendVarint(out, c.first)
		out = binary.AppendUvarint(out, uint64(c.last-c.first))
		out = binary.AppendVarint(out, c.mon)
		prev = c.id
	}
	out = binary.AppendUvarint(out, uint64(len(r.gaps)))
	for _, n := range r.gaps {
		out = binary.AppendUvarint(out, uint64(n))
	}
	return out
}

// decodeRangeCount reads what encode wrote.
func decodeRangeCount(b []byte) (rangeCount, error) {
	var r rangeCount
	v := varints{b: b}
	n := v.uint()
	if n > uint64(len(b)) {
		return r, errBadRangeCount
	}
	r.customers = make([]aggRow, n)
	var prev int64
	for i := range r.customers {
		c := &r.customers[i]
		c.id = prev + v.int()
		c.freq = int64(v.uint())
		c.first = v.int()
		c.last = c.first + int64(v.uint())
		c.mon = v.int()
		prev = c.id
	}
	g := v.uint()
	if g > uint64(len(b)) {
		return r, errBadRangeCount
	}
	r.gaps = make([]int64, g)
	for i := range r.gaps {
		r.gaps[i] = int64(v.uint())
	}
	if v.bad || len(v.b) != 0 {
		return r, errBadRangeCount
	}
	return r, nil
}

var errBadRangeCount = errors.New("bad " + purchasesFunc + " value")

// varints reads varints off b; bad says one was cut short.
type varints struct {
	b   []byte
	bad bool
}

func (v *varints) uint() uint64 {
	x, k := binary.Uvarint(v.b)
	if k <= 0 {
		v.b, v.bad = nil, true
		return 0
	}
	v.b = v.b[k:]
	return x
}

func (v *varints) int() int64 {
	x, k := binary.Varint(v.b)
	if k <= 0 {
		v.b, v.bad = nil, true
		return 0
	}
	v.b = v.b[k:]
	return x
}

// dayNumber is lifecycle.DayNumber (days since 1970-01-01 of a yyyymmdd
// date) in integer arithmetic, without time.Date: it runs once per
// purchase of a rebuild. Days from the civil calendar, counting years
// from March so the leap day comes last.
func dayNumber(yyyymmdd int64) int64 {
	y, m, d := yyyymmdd/10000, yyyymmdd/100%100, yyyymmdd%100
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// rebuildRanges is how many customer ranges a SQLite rebuild reads, taken
// in turn by a worker per core: more ranges than cores, since the
// customers with low ids (the oldest) have more orders.
const rebuildRanges = 32

// rebuildSQLite counts the aggregates and the gaps on the reader pool and
// writes them in tx. The write transaction holds SQLite's write lock from
// its start, so the readers see what it sees — every commit — and nothing
// can commit in between; what it cannot see is work of other callers
// sharing its group commit (internal/db/batch.go), and the marks, read on
// the reader pool too, then stay behind it: the next run rebuilds again.
func rebuildSQLite(ctx context.Context, d *db.DB, tx *db.Tx, now int64) (aggs []aggRow, generation int64, err error) {
	var maxID, maxUpdated, lo, hi int64
	if err := d.QueryRow(ctx, `SELECT COALESCE((SELECT MAX(id) FROM orders), 0), COALESCE((SELECT MAX(updated_at) FROM orders), 0),
		COALESCE((SELECT MIN(o.customer_id) FROM orders o INDEXED BY orders_purchases WHERE `+purchasesWhere+`), 0),
		COALESCE((SELECT MAX(o.customer_id) FROM orders o INDEXED BY orders_purchases WHERE `+purchasesWhere+`), -1)`).
		Scan(&maxID, &maxUpdated, &lo, &hi); err != nil {
		return nil, 0, fmt.Errorf("rfm rebuild: %w", err)
	}
	ranges := splitRange(lo, hi, rebuildRanges)
	counts := make([]rangeCount, len(ranges))
	errs := make([]error, len(ranges))
	next := make(chan int, len(ranges))
	for i := range ranges {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(len(ranges), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				counts[i], errs[i] = countRange(ctx, d, ranges[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	var hist []int64
	for _, c := range counts {
		if len(c.gaps) > len(hist) {
			hist = append(hist, make([]int64, len(c.gaps)-len(hist))...)
		}
		for days, n := range c.gaps {
			hist[days] += n
		}
	}

	for _, q := range []string{`DELETE FROM rfm_customers`, `DELETE FROM rfm_gaps`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, 0, fmt.Errorf("rfm rebuild: %w", err)
		}
	}
	cols := []string{"customer_id", "first_paid_at", "last_paid_at", "frequency", "monetary", "changed_at"}
	const chunk = 100_000
	vals := make([]any, 0, chunk*len(cols))
	flush := func() error {
		if len(vals) == 0 {
			return nil
		}
		err := tx.InsertRows(ctx, "rfm_customers", cols, vals)
		vals = vals[:0]
		if err != nil {
			return fmt.Errorf("rfm rebuild: %w", err)
		}
		return nil
	}
	n := 0
	for _, rc := range counts {
		n += len(rc.customers)
	}
	aggs = make([]aggRow, 0, n)
	for _, rc := range counts {
		aggs = append(aggs, rc.customers...)
		for _, c := range rc.customers {
			// changed_at 0: see catchUp.
			vals = append(vals, c.id, c.first, c.last, c.freq, c.mon, int64(0))
			if len(vals) == cap(vals) {
				if err := flush(); err != nil {
					return nil, 0, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, 0, err
	}
	var gaps []lifecycle.Gap
	for days, n := range hist {
		if n > 0 {
			gaps = append(gaps, lifecycle.Gap{Days: int64(days), Count: n})
		}
	}
	if err := storeGaps(ctx, tx, gaps); err != nil {
		return nil, 0, err
	}
	generation, err = writeRebuildMarks(ctx, tx, maxID, maxUpdated, now)
	return aggs, generation, err
}

// splitRange cuts [lo, hi] into at most n ranges of about equal width.
func splitRange(lo, hi int64, n int) [][2]int64 {
	if hi < lo {
		return nil
	}
	width := max(1, (hi-lo+int64(n))/int64(n))
	var out [][2]int64
	for a := lo; a <= hi; a += width {
		out = append(out, [2]int64{a, min(hi, a+width-1)})
		if a > hi-width {
			break
		}
	}
	return out
}

// countRange counts the customers of one id range.
func countRange(ctx context.Context, d *db.DB, r [2]int64) (rangeCount, error) {
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	var b []byte
	err := d.QueryRow(ctx, `SELECT `+purchasesFunc+`(o.customer_id, o.paid_day, o.paid_at, CAST(`+purchase.Net("o")+` AS BIGINT))
		FROM orders o INDEXED BY orders_purchases WHERE o.customer_id BETWEEN $1 AND $2 AND `+purchasesWhere, r[0], r[1]).Scan(&b)
	if err != nil {
		return rangeCount{}, fmt.Errorf("rfm rebuild: customers %d to %d: %w", r[0], r[1], err)
	}
	rc, err := decodeRangeCount(b)
	if err != nil {
		return rc, fmt.Errorf("rfm rebuild: customers %d to %d: %w", r[0], r[1], err)
	}
	return rc, nil
}

// storeGaps writes the gap histogram.
func storeGaps(ctx context.Context, tx *db.Tx, gaps []lifecycle.Gap) error {
	if len(gaps) == 0 {
		return nil
	}
	vals := make([]any, 0, 2*len(gaps))
	for _, g := range gaps {
		vals = append(vals, g.Days, g.Count)
	}
	if err := tx.InsertRows(ctx, "rfm_gaps", []string{"days", "purchases"}, vals); err != nil {
		return fmt.Errorf("rfm rebuild: %w", err)
	}
	return nil
}

// writeRebuildMarks says the aggregates cover the orders up to id and
// updated_at, and starts a new generation, which it returns.
func writeRebuildMarks(ctx context.Context, tx *db.Tx, id, updated, now int64) (int64, error) {
	gen, err := readMarks(ctx, tx, markGeneration)
	if err != nil {
		return 0, err
	}
	for _, m := range []struct {
		name string
		v    int64
	}{{markOrderID, id}, {markUpdated, updated}, {markGeneration, gen[0] + 1}} {
		if err := writeMark(ctx, tx, m.name, m.v, now); err != nil {
			return 0, err
		}
	}
	return gen[0] + 1, nil
}
