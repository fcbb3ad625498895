package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// writer takes validated rows to the store chunk by chunk; with no job it
// only looks, counting what a commit would write.
type writer struct {
	s        *Service
	ctx      context.Context
	job      *int64
	p        Preset
	st       settings.Store
	rep      *Report
	errs     *errorList
	phase    string
	progress func(Progress)
	// load, when set, writes orders in one transaction (loadOrders) and
	// records it; with no job it validates the file as it goes.
	load loadRecord
	// empty: the load began on a store without orders, so none of the
	// file's is there already.
	empty bool
	// custs holds customers known to be in the store, by external id, in a
	// dry run and a load (whose transaction no one else writes in), so each
	// chunk looks up only those it has not met; nil: every chunk looks up
	// its own.
	custs map[string]int64
	// firstPaid holds a load's first paid day by customer id, written
	// once at its end (notePaidDays) instead of chunk by chunk.
	firstPaid map[int64]int64
	values    []any // planOrders' buffer

	skus map[string]skuRef // SKU code → ids, for codes seen in committed chunks
	// a dry run writes nothing, so what it would create is remembered here
	// to be counted once
	dryCustomers map[string]bool
	drySKUs      map[string]bool
}

type skuRef struct{ sku, product int64 }

// counts is what one chunk wrote.
type counts struct {
	rows, customers, orders, lines, revenue, products, stock, skipped int64
}

func (w *writer) add(c counts) {
	w.rep.Customers += c.customers
	w.rep.Orders += c.orders
	w.rep.Lines += c.lines
	w.rep.Revenue += c.revenue
	w.rep.Products += c.products
	w.rep.Stock += c.stock
	w.rep.Skipped += c.skipped
}

func (c *counts) add(o counts) {
	c.rows += o.rows
	c.customers += o.customers
	c.orders += o.orders
	c.lines += o.lines
	c.revenue += o.revenue
	c.products += o.products
	c.stock += o.stock
	c.skipped += o.skipped
}

func (w *writer) report() {
	if w.progress != nil {
		w.progress(Progress{Phase: w.phase, Rows: w.rep.Rows})
	}
}

// errFileChanged: a commit met an error the validation did not, so the file
// changed in between.
var errFileChanged = errors.New("the file has an error its validation did not find (was it changed?); validate it again")

func (w *writer) orders(r *orderReader) error {
	// The file is read and checked a chunk ahead, in a goroutine of its
	// own, while the chunk before is written: on two cores the parsing
	// (a fifth of an import's time) then costs almost nothing.
	chunks := make(chan orderChunk, 1)
	stop := make(chan struct{})
	go w.readOrders(r, chunks, stop)
	defer func() {
		close(stop)
		for range chunks { // let the reader end before the caller reads r.errs
		}
	}()
	if w.load != nil {
		return w.loadOrders(chunks)
	}
	for c := range chunks {
		if err := w.checkChunk(c); err != nil {
			return err
		}
		if len(c.orders) > 0 {
			last := int64(c.orders[len(c.orders)-1].lastLine)
			if err := w.commit(last, func(q db.Queryer) (counts, map[string]skuRef, error) { return w.planOrders(q, c.orders) }); err != nil {
				return err
			}
		}
		w.rep.Rows = c.rows
		w.report()
	}
	return nil
}

// checkChunk returns the error a chunk carries: the reader's, or, at the
// end of a commit, that the file has errors now.
func (w *writer) checkChunk(c orderChunk) error {
	if c.err != nil {
		return c.err
	}
	if c.last && w.job != nil && c.errCount > 0 {
		return fmt.Errorf("line %d: %w", c.firstErr, errFileChanged)
	}
	return nil
}

// loadOrders commits every chunk in one transaction, building the
// secondary indexes of orders and order lines at its end when the store
// had no orders at its start (see Service.LoadRows): one sort per index
// instead of an insert into each for every row. Readers go on reading the
// store as it was, indexes and all, until the transaction commits; writers
// wait for it. A commit that stops leaves the store as it was, its job at
// the line it started from.
func (w *writer) loadOrders(chunks <-chan orderChunk) error {
	ctx := w.ctx
	var total counts
	var lastRow int64
	made := map[string]skuRef{}
	err := w.s.DB.InTx(ctx, func(tx *db.Tx) error {
		deferred, empty, err := deferIndexes(ctx, tx)
		if err != nil {
			return err
		}
		w.empty = empty
		errCount := 0
		for c := range chunks {
			if err := w.checkChunk(c); err != nil {
				return err
			}
			errCount = c.errCount
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(c.orders) > 0 {
				n, m, err := w.planOrders(tx, c.orders)
				if err != nil {
					return err
				}
				// Later chunks look up the SKUs this one made.
				for k, v := range m {
					w.skus[k] = v
					made[k] = v
				}
				total.add(n)
				lastRow = int64(c.orders[len(c.orders)-1].lastLine)
				if w.s.inChunk != nil {
					w.s.inChunk()
				}
			}
			w.rep.Rows = c.rows
			w.report()
		}
		if errCount > 0 {
			return errLoadInvalid // validating as it wrote (importLoad)
		}
		if err := notePaidDays(ctx, tx, w.firstPaid); err != nil {
			return err
		}
		clear(w.firstPaid)
		if len(deferred) > 0 {
			// SQLite sorts each index's keys in memory of its own (tens
			// of megabytes for a million lines); the garbage of reading
			// the file goes back to the OS first, so the two do not add
			// up (a million lines: 254 → 192 MB peak RSS for storeops import).
			debug.FreeOSMemory()
		}
		if err := buildIndexes(ctx, tx, deferred); err != nil {
			return err
		}
		return w.load(w, tx, lastRow, total)
	})
	if err != nil {
		for k := range made { // not in the store after all
			delete(w.skus, k)
		}
		if errors.Is(err, errLoadInvalid) {
			w.add(total) // what the valid orders would write, as a validation reports
		}
		return err
	}
	w.add(total)
	if lastRow > 0 {
		w.rep.LastRow = lastRow
	}
	return nil
}

// secondaryIndex is an index loadOrders drops and builds again.
type secondaryIndex struct{ name, sql string }

// deferIndexes drops the secondary indexes of orders and order_lines when
// the store has no orders (empty), returning them to be built again. The
// unique indexes stay: they check the rows as they go in (an order number
// taken twice fails the load), and the import looks orders up by one.
func deferIndexes(ctx context.Context, tx *db.Tx) (list []secondaryIndex, empty bool, err error) {
	var has bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM orders)").Scan(&has); err != nil {
		return nil, false, fmt.Errorf("look for orders: %w", err)
	}
	if has {
		// Another writer added orders since the commit looked: the indexes
		// stay and take the rows one by one.
		return nil, false, nil
	}
	rs, err := tx.Query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('orders', 'order_lines')
		AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, false, fmt.Errorf("list indexes: %w", err)
	}
	var out []secondaryIndex
	for rs.Next() {
		var ix secondaryIndex
		if err := rs.Scan(&ix.name, &ix.sql); err != nil {
			rs.Close()
			return nil, false, err
		}
		if !strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ix.sql), " ")), "CREATE UNIQUE ") {
			out = append(out, ix)
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, false, fmt.Errorf("list indexes: %w", err)
	}
	for _, ix := range out {
		if _, err := tx.Exec(ctx, `DROP INDEX "`+ix.name+`"`); err != nil {
			return nil, false, fmt.Errorf("drop index %s for the load: %w", ix.name, err)
		}
	}
	return out, true, nil
}

func buildIndexes(ctx context.Context, tx *db.Tx, list []secondaryIndex) error {
	for _, ix := range list {
		if _, err := tx.Exec(ctx, ix.sql); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	return nil
}

// orderChunk is what readOrders hands on: about chunkRows rows' worth of
// whole orders, the rows read so far, or the error that ended the reading.
type orderChunk struct {
	orders   []*order
	rows     int64
	last     bool
	errCount int
	firstErr int
	err      error
}

// readOrders reads the file into chunks until its end, an error, or stop.
// Only it touches r (and r's error list) until it has closed chunks.
func (w *writer) readOrders(r *orderReader, chunks chan<- orderChunk, stop <-chan struct{}) {
	defer close(chunks)
	send := func(c orderChunk) bool {
		select {
		case chunks <- c:
			return true
		case <-stop:
			return false
		}
	}
	var chunk []*order
	rows := 0
	for {
		if err := w.ctx.Err(); err != nil {
			send(orderChunk{err: err})
			return
		}
		o, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			send(orderChunk{err: err})
			return
		}
		if o.bad {
			if w.job != nil {
				send(orderChunk{err: fmt.Errorf("line %d: %w", o.firstLine, errFileChanged)})
				return
			}
			continue
		}
		chunk = append(chunk, o)
		rows += len(o.lines)
		if rows >= w.s.chunkRows() {
			if !send(orderChunk{orders: chunk, rows: int64(r.rowCount)}) {
				return
			}
			chunk, rows = nil, 0
		}
	}
	c := orderChunk{orders: chunk, rows: int64(r.rowCount), last: true, errCount: r.errs.count}
	if c.errCount > 0 {
		c.firstErr = r.errs.list[0].Line
	}
	send(c)
}

// commit runs one chunk: in a dry run as reads on the store; in a commit
// in one transaction that also advances the job to lastRow.
func (w *writer) commit(lastRow int64, plan func(q db.Queryer) (counts, map[string]skuRef, error)) error {
	ctx := w.ctx
	if w.job == nil {
		c, _, err := plan(w.s.DB)
		if err != nil {
			return err
		}
		w.add(c)
		return nil
	}
	var c counts
	var made map[string]skuRef
	err := w.s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		c, made, err = plan(tx)
		if err != nil {
			return err
		}
		if w.s.inChunk != nil {
			w.s.inChunk()
		}
		return w.record(tx, *w.job, lastRow, c)
	})
	if err != nil {
		return err
	}
	for k, v := range made {
		w.skus[k] = v
	}
	w.add(c)
	w.rep.LastRow = lastRow
	return nil
}

// record advances the job to lastRow with what was written up to it, in
// the transaction that wrote it.
func (w *writer) record(tx *db.Tx, job, lastRow int64, c counts) error {
	ctx := w.ctx
	_, err := tx.Exec(ctx, `UPDATE import_jobs SET last_row = $1, customers = customers + $2, orders = orders + $3, lines = lines + $4,
		revenue = revenue + $5, products = products + $6, stock = stock + $7, skipped = skipped + $8, updated_at = $9 WHERE id = $10`,
		lastRow, c.customers, c.orders, c.lines, c.revenue, c.products, c.stock, c.skipped, w.s.now().UnixMilli(), job)
	if err != nil {
		return fmt.Errorf("record progress of import %d: %w", job, err)
	}
	return audit.Record(ctx, tx, "import.commit", "import_job", job, nil, map[string]any{
		"through_line": lastRow, "customers": c.customers, "orders": c.orders, "lines": c.lines,
		"revenue": c.revenue, "products": c.products, "stock": c.stock, "skipped": c.skipped})
}

var (
	customerCols = []string{"external_id", "name", "phone", "email", "source_channel", "note", "gender", "birthday", "search_text", "created_at", "updated_at"}
	orderCols    = []string{"id", "order_no", "external_id", "customer_id", "channel", "status", "currency", "items_total", "discount_total",
		"shipping_fee", "total", "created_at", "paid_at", "paid_day", "cancelled_at", "updated_at"}
	lineCols = []string{"order_id", "sku_id", "product_id", "title", "quantity", "list_price", "unit_price", "discount", "line_total"}
)

func customerSearch(name, phone, email string) string {
	return strings.ToLower(strings.Join([]string{name, phone, email}, " "))
}

// planOrders writes (or, in a dry run, counts) a chunk of orders: their new
// customers, placeholder products for SKUs the catalog lacks, the orders
// not yet in the store, and their lines.
func (w *writer) planOrders(q db.Queryer, chunk []*order) (counts, map[string]skuRef, error) {
	ctx := w.ctx
	var c counts
	write := w.job != nil || w.load != nil
	now := w.s.now().UnixMilli()

	// Customers, by the platform's buyer id.
	firstOf := map[string]*order{}
	var refs []string
	for _, o := range chunk {
		if o.customerRef != "" && firstOf[o.customerRef] == nil {
			firstOf[o.customerRef] = o
			refs = append(refs, o.customerRef)
		}
	}
	custID, err := w.lookupCustomers(q, refs)
	if err != nil {
		return c, nil, err
	}
	// One buffer of values for all the chunks' statements: a chunk's are
	// a megabyte or two, garbage a million lines would make a thousand
	// times over.
	args := w.values[:0]
	defer func() {
		clear(args[:cap(args)])
		w.values = args[:0]
	}()
	for _, ref := range refs {
		if _, ok := custID[ref]; ok {
			continue
		}
		if !write {
			if !w.dryCustomers[ref] {
				w.dryCustomers[ref] = true
				c.customers++
			}
			continue
		}
		o := firstOf[ref]
		// A customer imported with their orders joined the shop with the
		// first of them, so cohorts and new-customer counts come out right.
		args = append(args, ref, o.customerName, o.phone, o.email, w.p.Channel, "", "", "",
			customerSearch(o.customerName, o.phone, o.email), o.createdAt.UnixMilli(), now)
		c.customers++
	}
	if len(args) > 0 {
		// Ids allocated up front, as for orders: the bulk path returns no
		// rows, and a multi-row INSERT … RETURNING is several times slower.
		n := len(args) / len(customerCols)
		ids, err := allocateIDs(ctx, q, "customers", n)
		if err != nil {
			return c, nil, err
		}
		rows := make([]any, 0, n*(len(customerCols)+1))
		for i := range n {
			row := args[i*len(customerCols) : (i+1)*len(customerCols)]
			rows = append(append(rows, ids[i]), row...)
			custID[row[0].(string)] = ids[i]
			w.know(row[0].(string), ids[i])
		}
		if err := insertRows(ctx, q, "customers", append([]string{"id"}, customerCols...), rows); err != nil {
			return c, nil, err
		}
	}

	// Orders already in the store are skipped: that is what makes importing
	// the same file twice change nothing.
	ids := make([]string, len(chunk))
	for i, o := range chunk {
		ids[i] = o.externalID
	}
	var existing map[string]int64
	if !w.empty {
		existing, err = lookup(ctx, q, "orders", "external_id", ids)
		if err != nil {
			return c, nil, err
		}
	}
	fresh := chunk[:0:0]
	for _, o := range chunk {
		if _, ok := existing[o.externalID]; ok {
			c.skipped++
			continue
		}
		fresh = append(fresh, o)
	}

	// SKUs: the catalog's, or a placeholder product made for the line.
	made := map[string]skuRef{}
	var codes []string
	want := map[string]*line{}
	for _, o := range fresh {
		for i := range o.lines {
			l := &o.lines[i]
			if _, ok := w.skus[l.sku]; ok {
				continue
			}
			if want[l.sku] == nil {
				want[l.sku] = l
				codes = append(codes, l.sku)
			}
		}
	}
	found, err := lookupSKUs(ctx, q, codes)
	if err != nil {
		return c, nil, err
	}
	for _, code := range codes {
		if ref, ok := found[code]; ok {
			made[code] = ref
			continue
		}
		if !write {
			if !w.drySKUs[code] {
				w.drySKUs[code] = true
				c.products++
			}
			continue
		}
		ref, err := createPlaceholder(ctx, q, code, want[code], w.st.Currency, now)
		if err != nil {
			return c, nil, err
		}
		made[code] = ref
		c.products++
	}
	skuOf := func(code string) skuRef {
		if r, ok := made[code]; ok {
			return r
		}
		return w.skus[code]
	}

	loc := w.st.Location()
	args = slices.Grow(args[:0], len(fresh)*len(orderCols))
	for _, o := range fresh {
		items, discount, shipping, total := o.settle()
		var paidAt, paidDay, cancelledAt any
		switch {
		case isPaid(o.status):
			paidAt, paidDay = o.paidTime().UnixMilli(), o.paidDay(loc)
			c.revenue += total
		case o.status == "cancelled" || o.status == "closed":
			cancelledAt = o.createdAt.UnixMilli()
		}
		var cust any
		if id, ok := custID[o.customerRef]; ok {
			cust = id
		}
		args = append(args, nil, o.externalID, o.externalID, cust, w.p.Channel, o.status, o.currency, items, discount, shipping, total,
			o.createdAt.UnixMilli(), paidAt, paidDay, cancelledAt, now)
		c.orders++
		c.lines += int64(len(o.lines))
	}
	if !write || len(fresh) == 0 {
		return c, made, nil
	}
	orderIDs, err := allocateIDs(ctx, q, "orders", len(fresh))
	if err != nil {
		return c, nil, err
	}
	for i := range fresh {
		args[i*len(orderCols)] = orderIDs[i]
	}
	if err := insertRows(ctx, q, "orders", orderCols, args); err != nil {
		return c, nil, err
	}
	args = slices.Grow(args[:0], int(c.lines)*len(lineCols))
	for i, o := range fresh {
		id := orderIDs[i]
		for _, l := range o.lines {
			ref := skuOf(l.sku)
			args = append(args, id, ref.sku, ref.product, l.title, l.qty, l.listPrice, l.total/l.qty, l.discount, l.total)
		}
	}
	if err := insertRows(ctx, q, "order_lines", lineCols, args); err != nil {
		return c, nil, err
	}
	if w.firstPaid != nil {
		paidDays(fresh, custID, loc, w.firstPaid)
		if len(w.firstPaid) >= maxKnown {
			if err := notePaidDays(ctx, q, w.firstPaid); err != nil {
				return c, nil, err
			}
			clear(w.firstPaid)
		}
		return c, made, nil
	}
	if err := notePaid(ctx, q, fresh, custID, loc); err != nil {
		return c, nil, err
	}
	return c, made, nil
}

// maxKnown bounds what a writer keeps across chunks (custs, firstPaid):
// a few megabytes, enough for the customers of most shops.
const maxKnown = 1 << 18

// lookupCustomers returns the store's ids of the customers refs names,
// looking up only those w.custs does not hold (or, in a dry run, that it
// has not counted as new already).
func (w *writer) lookupCustomers(q db.Queryer, refs []string) (map[string]int64, error) {
	if w.custs == nil {
		return lookup(w.ctx, q, "customers", "external_id", refs)
	}
	out := make(map[string]int64, len(refs))
	var unknown []string
	for _, ref := range refs {
		if id, ok := w.custs[ref]; ok {
			out[ref] = id
		} else if !w.dryCustomers[ref] {
			unknown = append(unknown, ref)
		}
	}
	found, err := lookup(w.ctx, q, "customers", "external_id", unknown)
	if err != nil {
		return nil, err
	}
	for ref, id := range found {
		out[ref] = id
		w.know(ref, id)
	}
	return out, nil
}

// know remembers that customer ref is id in the store, when the writer
// keeps customers.
func (w *writer) know(ref string, id int64) {
	if w.custs != nil && len(w.custs) < maxKnown {
		w.custs[ref] = id
	}
}

// notePaid keeps customers.first_paid_day (see customer.NotePaid) for the
// buyers of a chunk's paid orders: each moves to the earliest paid day of
// the chunk's orders when that is earlier, so a file in time order updates
// a customer once, with their first order, not once per chunk.
func notePaid(ctx context.Context, q db.Queryer, orders []*order, custID map[string]int64, loc *time.Location) error {
	first := map[int64]int64{}
	paidDays(orders, custID, loc, first)
	return notePaidDays(ctx, q, first)
}

// paidDays keeps in first the earliest paid day of each buyer's paid
// orders.
func paidDays(orders []*order, custID map[string]int64, loc *time.Location, first map[int64]int64) {
	for _, o := range orders {
		id, ok := custID[o.customerRef]
		if !ok || !isPaid(o.status) {
			continue
		}
		day := o.paidDay(loc)
		if d, seen := first[id]; !seen || day < d {
			first[id] = day
		}
	}
}

// notePaidDays moves each customer's first_paid_day to first's day where
// that is earlier.
func notePaidDays(ctx context.Context, q db.Queryer, first map[int64]int64) error {
	if len(first) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	slices.Sort(ids) // the customers' rows in the order they are stored
	const set = `UPDATE customers SET first_paid_day = v.day FROM (%s) AS v
		WHERE customers.id = v.id AND (customers.first_paid_day IS NULL OR customers.first_paid_day > v.day)`
	if q.Dialect() == db.SQLite {
		// One statement, the pairs as one JSON argument.
		var b strings.Builder
		b.WriteByte('[')
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%d,%d]", id, first[id])
		}
		b.WriteByte(']')
		_, err := q.Exec(ctx, fmt.Sprintf(set, `SELECT j.value->>0 AS id, j.value->>1 AS day FROM json_each($1) AS j`), b.String())
		if err != nil {
			return fmt.Errorf("note first paid days: %w", err)
		}
		return nil
	}
	for done := 0; done < len(ids); {
		n := min(1000, len(ids)-done)
		var b strings.Builder
		args := make([]any, 0, 2*n)
		b.WriteString("VALUES ")
		for i, id := range ids[done : done+n] {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "($%d::bigint, $%d::bigint)", 2*i+1, 2*i+2)
			args = append(args, id, first[id])
		}
		if _, err := q.Exec(ctx, fmt.Sprintf(set, "SELECT * FROM ("+b.String()+") AS p (id, day)"), args...); err != nil {
			return fmt.Errorf("note first paid days: %w", err)
		}
		done += n
	}
	return nil
}

// paidTime is when a paid order was paid: the file's payment time, or the
// time it was placed when the file has none.
func (o *order) paidTime() time.Time {
	if o.paidAt.IsZero() {
		return o.createdAt
	}
	return o.paidAt
}

// paidDay is the store-zone day (YYYYMMDD) of paidTime.
func (o *order) paidDay(loc *time.Location) int64 {
	return settings.Day(o.paidTime(), loc)
}

func isPaid(status string) bool {
	switch status {
	case "paid", "shipped", "delivered", "completed":
		return true
	}
	return false
}

// lookupSKUs finds the catalog's SKUs by code.
func lookupSKUs(ctx context.Context, q db.Queryer, codes []string) (map[string]skuRef, error) {
	out := make(map[string]skuRef, len(codes))
	err := lookupRows(ctx, q, "skus", "code", "t.id, t.product_id, t.code", codes, func(scan func(...any) error) error {
		var r skuRef
		var code string
		if err := scan(&r.sku, &r.product, &code); err != nil {
			return err
		}
		out[code] = r
		return nil
	})
	return out, err
}

// placeholderAttrs marks what an import made up: a product the catalog did
// not have, kept off the shelf until someone completes it.
const placeholderAttrs = `{"imported":"true"}`

func createPlaceholder(ctx context.Context, q db.Queryer, code string, l *line, currency string, now int64) (skuRef, error) {
	var r skuRef
	err := q.QueryRow(ctx, `INSERT INTO products (title, status, attributes, search_text, created_at, updated_at)
		VALUES ($1, 'off_shelf', $2, $3, $4, $4) RETURNING id`,
		l.title, placeholderAttrs, catalog.SearchText(l.title, "", []string{code}, nil), now).Scan(&r.product)
	if err != nil {
		return r, fmt.Errorf("create placeholder product for SKU %s: %w", code, err)
	}
	err = q.QueryRow(ctx, `INSERT INTO skus (product_id, code, attributes, list_price, cost_price, currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 0, $5, $6, $6) RETURNING id`, r.product, code, placeholderAttrs, l.listPrice, currency, now).Scan(&r.sku)
	if err != nil {
		return r, fmt.Errorf("create placeholder SKU %s: %w", code, err)
	}
	if _, err := q.Exec(ctx, `INSERT INTO stock (sku_id, on_hand, reserved, updated_at) VALUES ($1, 0, 0, $2)`, r.sku, now); err != nil {
		return r, fmt.Errorf("create stock for SKU %s: %w", code, err)
	}
	return r, nil
}
