package rfm

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"modernc.org/sqlite"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order/purchase"
)

// A rebuild on SQLite reads ten million orders. Streaming them to Go costs
// about 5 s in database/sql's row decoding alone, so SQLite does the
// counting: the purchases index (orders_purchases, migration 0034) holds
// every purchase in customer and day order, each customer's figures are
// one GROUP BY away, and their purchase days go through an aggregate
// function of ours that returns the customer's gaps (days between
// consecutive purchase days), a few bytes. Go receives a row per customer
// instead of one per order, and reads customer ranges on the reader pool
// on every core at once.

// gapsFunc is the aggregate function: rfm_purchase_gaps(paid_day) over a
// customer's purchases is their gaps in days, each an unsigned varint.
const gapsFunc = "rfm_purchase_gaps"

func init() {
	// Functions are installed on connections as they open: registered
	// here, before any Open, every connection of the process has it.
	sqlite.MustRegisterFunction(gapsFunc, &sqlite.FunctionImpl{NArgs: 1, Deterministic: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
			return &purchaseGaps{sorted: true}, nil
		}})
}

// purchaseGaps is one evaluation of rfm_purchase_gaps.
type purchaseGaps struct {
	days   []int64 // yyyymmdd
	sorted bool
}

func (g *purchaseGaps) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	d, ok := args[0].(int64)
	if !ok {
		return nil // NULL: no purchase day
	}
	if n := len(g.days); n > 0 && d < g.days[n-1] {
		g.sorted = false
	}
	g.days = append(g.days, d)
	return nil
}

func (g *purchaseGaps) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New(gapsFunc + " is not a window function")
}

func (g *purchaseGaps) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if !g.sorted {
		slices.Sort(g.days) // the index gives them in order; any other plan may not
	}
	out := []byte{}
	for i := 1; i < len(g.days); i++ {
		if g.days[i] != g.days[i-1] {
			out = binary.AppendUvarint(out, uint64(dayNumber(g.days[i])-dayNumber(g.days[i-1])))
		}
	}
	return out, nil
}

func (g *purchaseGaps) Final(*sqlite.FunctionContext) {}

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

// customerFigures is one customer's aggregates as a rebuild counts them.
type customerFigures struct {
	id, n, first, last, net int64
}

// rebuildSQLite counts the aggregates and the gaps on the reader pool and
// writes them in tx. The write transaction holds SQLite's write lock from
// its start, so the readers see what it sees — every commit — and nothing
// can commit in between; what it cannot see is work of other callers
// sharing its group commit (internal/db/batch.go), and the marks, read on
// the reader pool too, then stay behind it: the next run rebuilds again.
func rebuildSQLite(ctx context.Context, d *db.DB, tx *db.Tx, now int64) error {
	var maxID, maxUpdated, lo, hi int64
	if err := d.QueryRow(ctx, `SELECT COALESCE((SELECT MAX(id) FROM orders), 0), COALESCE((SELECT MAX(updated_at) FROM orders), 0),
		COALESCE((SELECT MIN(o.customer_id) FROM orders o INDEXED BY orders_purchases WHERE `+purchasesWhere+`), 0),
		COALESCE((SELECT MAX(o.customer_id) FROM orders o INDEXED BY orders_purchases WHERE `+purchasesWhere+`), -1)`).
		Scan(&maxID, &maxUpdated, &lo, &hi); err != nil {
		return fmt.Errorf("rfm rebuild: %w", err)
	}
	ranges := splitRange(lo, hi, rebuildRanges)
	parts := make([][]customerFigures, len(ranges))
	workers := min(len(ranges), runtime.GOMAXPROCS(0))
	hists := make([][]int64, workers)
	errs := make([]error, workers)
	next := make(chan int, len(ranges))
	for i := range ranges {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range next {
				if errs[w] != nil {
					continue
				}
				parts[i], hists[w], errs[w] = countRange(ctx, d, ranges[i], hists[w])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var hist []int64
	for _, h := range hists {
		if len(h) > len(hist) {
			hist = append(hist, make([]int64, len(h)-len(hist))...)
		}
		for days, n := range h {
			hist[days] += n
		}
	}

	for _, q := range []string{`DELETE FROM rfm_customers`, `DELETE FROM rfm_gaps`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("rfm rebuild: %w", err)
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
	for _, part := range parts {
		for _, c := range part {
			// changed_at 0: see catchUp.
			vals = append(vals, c.id, c.first, c.last, c.n, c.net, int64(0))
			if len(vals) == cap(vals) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var gaps []lifecycle.Gap
	for days, n := range hist {
		if n > 0 {
			gaps = append(gaps, lifecycle.Gap{Days: int64(days), Count: n})
		}
	}
	if err := storeGaps(ctx, tx, gaps); err != nil {
		return err
	}
	return writeRebuildMarks(ctx, tx, maxID, maxUpdated, now)
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

// countRange counts the customers of one id range, adding their gaps to
// hist (hist[days] purchases came days after the previous purchase day).
func countRange(ctx context.Context, d *db.DB, r [2]int64, hist []int64) ([]customerFigures, []int64, error) {
	// A presale is one purchase, its tail, worth the deposit too (package
	// purchase).
	rows, err := d.Query(ctx, `SELECT o.customer_id, COUNT(*), MIN(o.paid_at), MAX(o.paid_at), CAST(SUM(`+purchase.Net("o")+`) AS BIGINT), `+gapsFunc+`(o.paid_day)
		FROM orders o INDEXED BY orders_purchases WHERE o.customer_id BETWEEN $1 AND $2 AND `+purchasesWhere+`
		GROUP BY o.customer_id ORDER BY o.customer_id`, r[0], r[1])
	if err != nil {
		return nil, hist, fmt.Errorf("rfm rebuild: %w", err)
	}
	defer rows.Close()
	var out []customerFigures
	var gaps sql.RawBytes
	for rows.Next() {
		var c customerFigures
		if err := rows.Scan(&c.id, &c.n, &c.first, &c.last, &c.net, &gaps); err != nil {
			return nil, hist, fmt.Errorf("rfm rebuild: %w", err)
		}
		out = append(out, c)
		for b := []byte(gaps); len(b) > 0; {
			v, k := binary.Uvarint(b)
			if k <= 0 {
				return nil, hist, fmt.Errorf("rfm rebuild: customer %d: bad gaps %x", c.id, []byte(gaps))
			}
			b = b[k:]
			if v >= uint64(len(hist)) {
				hist = append(hist, make([]int64, int(v)+1-len(hist))...)
			}
			hist[v]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, hist, fmt.Errorf("rfm rebuild: %w", err)
	}
	return out, hist, nil
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
// updated_at, and starts a new generation.
func writeRebuildMarks(ctx context.Context, tx *db.Tx, id, updated, now int64) error {
	gen, err := readMarks(ctx, tx, markGeneration)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		v    int64
	}{{markOrderID, id}, {markUpdated, updated}, {markGeneration, gen[0] + 1}} {
		if err := writeMark(ctx, tx, m.name, m.v, now); err != nil {
			return err
		}
	}
	return nil
}
