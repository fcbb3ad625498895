package event

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Origins of stored batches.
const (
	OriginCollect = "collect" // POST /collect
	OriginDemo    = "demo"    // the demo generator, replaced as a whole
	OriginLegacy  = "legacy"  // rows of the old events table
)

// BatchSize is the most events one stored batch holds.
const BatchSize = 5000

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// isPurchaseKey reports whether an event is stored as a purchase_events row
// (its id is its order's key), not in a batch.
func isPurchaseKey(e *Event) bool { return strings.HasPrefix(e.EventID, "purchase:") }

var purchaseColumns = []string{"event_id", "received_at", "at", "day", "type", "anonymous_id", "customer_id", "session_id", "channel", "page",
	"product_id", "sku_id", "search_query", "order_no", "referrer", "utm_source", "utm_medium", "utm_campaign"}

// Append stores events in tx: the purchases keyed by their order in
// purchase_events (one whose key is stored already is left out), the rest
// in batches of one store day each (BatchSize at most), and the customer of
// each anonymous id that logged in. The caller has left out events already
// stored (the collector's per-day id sets do). It returns how many batches
// it wrote.
func Append(ctx context.Context, tx *db.Tx, origin string, events []Event, now time.Time) (int, error) {
	p, err := Prepare(origin, events, now)
	if err != nil {
		return 0, err
	}
	return p.Batches, p.Write(ctx, tx)
}

// Prepared is events encoded for Append, ready to write: the compression
// is done before the transaction, off the database's one writer.
type Prepared struct {
	Batches    int // stored batches it writes
	batches    []any
	purchases  []any
	identities map[string]int64
}

// Prepare encodes events for Write (see Append).
func Prepare(origin string, events []Event, now time.Time) (*Prepared, error) {
	p := &Prepared{identities: map[string]int64{}}
	byDay := map[int64][]Event{}
	for i := range events {
		e := &events[i]
		if e.CustomerID > 0 && e.CustomerID > p.identities[e.AnonymousID] && !strings.HasPrefix(e.AnonymousID, ServerAnonymousPrefix) {
			p.identities[e.AnonymousID] = e.CustomerID
		}
	}
	if oneDay(events) {
		// the usual flush: no copy to sort the events by day
		byDay[events[0].Day] = events
		events = nil
	}
	for i := range events {
		e := &events[i]
		if isPurchaseKey(e) {
			p.purchases = append(p.purchases, e.EventID, e.ReceivedAt.UnixMilli(), e.At.UnixMilli(), e.Day, e.Type, e.AnonymousID,
				nullID(e.CustomerID), e.SessionID, e.Channel, e.Page, nullID(e.ProductID), nullID(e.SKUID),
				e.SearchQuery, e.OrderNo, e.Referrer, e.UTMSource, e.UTMMedium, e.UTMCampaign)
			continue
		}
		byDay[e.Day] = append(byDay[e.Day], *e)
	}
	days := make([]int64, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		evs := byDay[d]
		for len(evs) > 0 {
			part := evs[:min(len(evs), BatchSize)]
			evs = evs[len(part):]
			data, err := encodeBatch(part)
			if err != nil {
				return nil, err
			}
			p.batches = append(p.batches, d, origin, int64(len(part)), data, now.UnixMilli())
			p.Batches++
		}
	}
	return p, nil
}

// oneDay reports whether events are all of one day and none is a
// purchase keyed by its order.
func oneDay(events []Event) bool {
	for i := range events {
		if events[i].Day != events[0].Day || isPurchaseKey(&events[i]) {
			return false
		}
	}
	return len(events) > 0
}

// Write stores what Prepare encoded in tx.
func (p *Prepared) Write(ctx context.Context, tx *db.Tx) error {
	if err := tx.InsertNewRows(ctx, "purchase_events", "event_id", purchaseColumns, p.purchases); err != nil {
		return fmt.Errorf("store purchase events: %w", err)
	}
	if err := tx.InsertRows(ctx, "event_batches", batchColumns, p.batches); err != nil {
		return fmt.Errorf("store event batches: %w", err)
	}
	return saveIdentities(ctx, tx, p.identities)
}

var batchColumns = []string{"day", "origin", "events", "data", "created_at"}

func saveIdentities(ctx context.Context, tx *db.Tx, ids map[string]int64) error {
	for anon, customer := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO event_identities (anonymous_id, customer_id) VALUES ($1, $2)
			ON CONFLICT (anonymous_id) DO UPDATE SET customer_id = excluded.customer_id
			WHERE excluded.customer_id > event_identities.customer_id`, anon, customer); err != nil {
			return fmt.Errorf("store the customer of visitor %s: %w", anon, err)
		}
	}
	return nil
}

// batchOf puts events of one day into a Batch with every column.
func batchOf(day int64, events []Event) *Batch {
	n := len(events)
	b := &Batch{Day: day, N: n,
		EventID: make([]string, n), ReceivedAt: make([]int64, n), At: make([]int64, n), Type: make([]uint8, n),
		AnonymousID: make([]string, n), CustomerID: make([]int64, n), SessionID: make([]string, n), Channel: make([]string, n),
		Page: make([]string, n), ProductID: make([]int64, n), SKUID: make([]int64, n), SearchQuery: make([]string, n),
		OrderNo: make([]string, n), Referrer: make([]string, n), UTMSource: make([]string, n), UTMMedium: make([]string, n),
		UTMCampaign: make([]string, n)}
	for i, e := range events {
		b.EventID[i], b.ReceivedAt[i], b.At[i], b.Type[i] = e.EventID, e.ReceivedAt.UnixMilli(), e.At.UnixMilli(), typeCodes[e.Type]
		b.AnonymousID[i], b.CustomerID[i], b.SessionID[i], b.Channel[i] = e.AnonymousID, e.CustomerID, e.SessionID, e.Channel
		b.Page[i], b.ProductID[i], b.SKUID[i], b.SearchQuery[i] = e.Page, e.ProductID, e.SKUID, e.SearchQuery
		b.OrderNo[i], b.Referrer[i], b.UTMSource[i], b.UTMMedium[i], b.UTMCampaign[i] = e.OrderNo, e.Referrer, e.UTMSource, e.UTMMedium, e.UTMCampaign
	}
	return b
}

// purchaseSelect is each column of a Batch as purchase_events holds it.
var purchaseSelect = [numColumns]string{"event_id", "received_at", "at", "type", "anonymous_id", "COALESCE(customer_id, 0)",
	"session_id", "channel", "page", "COALESCE(product_id, 0)", "COALESCE(sku_id, 0)", "search_query", "order_no", "referrer",
	"utm_source", "utm_medium", "utm_campaign"}

// purchaseDays reads the purchase_events rows of days from..to as one
// Batch per day; the columns not in want are left empty (not read).
func purchaseDays(ctx context.Context, q db.Queryer, from, to int64, want Columns) (map[int64]*Batch, error) {
	var sel strings.Builder
	const numeric = ColReceivedAt | ColAt | ColCustomerID | ColProductID | ColSKUID
	for c, expr := range purchaseSelect {
		switch col := Columns(1) << c; {
		case want&col != 0:
		case numeric&col != 0:
			expr = "0"
		default:
			expr = "''"
		}
		sel.WriteString(expr)
		sel.WriteString(", ")
	}
	rows, err := q.Query(ctx, "SELECT "+sel.String()+`day FROM purchase_events WHERE day BETWEEN $1 AND $2 ORDER BY day, id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read purchase events %d–%d: %w", from, to, err)
	}
	defer rows.Close()
	byDay := map[int64][]Event{}
	for rows.Next() {
		var e Event
		var received, at int64
		if err := rows.Scan(&e.EventID, &received, &at, &e.Type, &e.AnonymousID, &e.CustomerID, &e.SessionID, &e.Channel, &e.Page,
			&e.ProductID, &e.SKUID, &e.SearchQuery, &e.OrderNo, &e.Referrer, &e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.Day); err != nil {
			return nil, err
		}
		if e.Type == "" {
			e.Type = Purchase // every row is one
		}
		e.ReceivedAt, e.At = ms(received), ms(at)
		byDay[e.Day] = append(byDay[e.Day], e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64]*Batch, len(byDay))
	for d, evs := range byDay {
		out[d] = batchOf(d, evs)
	}
	return out, nil
}

// ScanDays reads the stored events of the store days from..to (YYYYMMDD,
// inclusive), decoding the columns want, and calls fn once per day that has
// any with that day's batches (in the order they were stored, the day's
// purchase rows last). With workers > 1, that many days are decoded and
// handed to fn at once, so fn must be safe to call concurrently; workers 0
// is one per CPU.
func ScanDays(ctx context.Context, q db.Queryer, from, to int64, want Columns, workers int, fn func(day int64, batches []*Batch) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	purchases, err := purchaseDays(ctx, q, from, to, want)
	if err != nil {
		return err
	}
	pdays := make([]int64, 0, len(purchases))
	for d := range purchases {
		pdays = append(pdays, d)
	}
	slices.Sort(pdays)

	type job struct {
		day  int64
		data [][]byte
	}
	jobs := make(chan job, workers)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	failed := func() bool {
		errMu.Lock()
		defer errMu.Unlock()
		return firstErr != nil
	}
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if failed() {
					continue
				}
				batches, err := decodeDay(j.day, j.data, want)
				if err != nil {
					fail(err)
					continue
				}
				if p := purchases[j.day]; p != nil {
					batches = append(batches, p)
				}
				if err := fn(j.day, batches); err != nil {
					fail(err)
				}
			}
		}()
	}
	send := func(j job) {
		for len(pdays) > 0 && pdays[0] < j.day {
			jobs <- job{day: pdays[0]}
			pdays = pdays[1:]
		}
		if len(pdays) > 0 && pdays[0] == j.day {
			pdays = pdays[1:]
		}
		jobs <- j
	}
	err = func() error {
		rows, err := q.Query(ctx, "SELECT day, data FROM event_batches WHERE day BETWEEN $1 AND $2 ORDER BY day, id", from, to)
		if err != nil {
			return fmt.Errorf("read event batches %d–%d: %w", from, to, err)
		}
		defer rows.Close()
		cur := job{day: -1}
		for rows.Next() {
			if failed() {
				return nil
			}
			var day int64
			var data []byte
			if err := rows.Scan(&day, &data); err != nil {
				return err
			}
			if day != cur.day && cur.day >= 0 {
				send(cur)
				cur = job{}
			}
			cur.day = day
			cur.data = append(cur.data, data)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if cur.day >= 0 {
			send(cur)
		}
		for _, d := range pdays {
			jobs <- job{day: d}
		}
		return nil
	}()
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	return firstErr
}

func decodeDay(day int64, data [][]byte, want Columns) ([]*Batch, error) {
	batches := make([]*Batch, 0, len(data)+1)
	for _, d := range data {
		b, err := decodeStored(d, day, want)
		if err != nil {
			return nil, fmt.Errorf("read events of %d: %w", day, err)
		}
		batches = append(batches, b)
	}
	return batches, nil
}

// Identities reads the customer each of anons logged in as (event_identities);
// anons nil reads them all.
func Identities(ctx context.Context, q db.Queryer, anons map[string]struct{}) (map[string]int64, error) {
	out := map[string]int64{}
	read := func(query string, args ...any) error {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read visitor identities: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			var c int64
			if err := rows.Scan(&a, &c); err != nil {
				return err
			}
			out[a] = c
		}
		return rows.Err()
	}
	if anons == nil {
		return out, read("SELECT anonymous_id, customer_id FROM event_identities")
	}
	if len(anons) > 5000 {
		// reading the table is cheaper than binding thousands of ids
		all, err := Identities(ctx, q, nil)
		for a, c := range all {
			if _, ok := anons[a]; ok {
				out[a] = c
			}
		}
		return out, err
	}
	const chunk = 500
	args := make([]any, 0, chunk)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var sb strings.Builder
		sb.WriteString("SELECT anonymous_id, customer_id FROM event_identities WHERE anonymous_id IN (")
		for i := range args {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "$%d", i+1)
		}
		sb.WriteByte(')')
		err := read(sb.String(), args...)
		args = args[:0]
		return err
	}
	for a := range anons {
		args = append(args, a)
		if len(args) == chunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return out, flush()
}

// VisitorKey is who an event counts for: the customer when the event, or
// its anonymous id's login, names one (Anon then ""), else the anonymous id.
type VisitorKey struct {
	Customer int64
	Anon     string
}

// Visitor is the visitor of an event of anon and customer (0 when the
// event names none), given the logins of anonymous ids.
func Visitor(anon string, customer int64, ids map[string]int64) VisitorKey {
	if customer == 0 {
		customer = ids[anon]
	}
	if customer > 0 {
		return VisitorKey{Customer: customer}
	}
	return VisitorKey{Anon: anon}
}

// String is the visitor as one text: "c<customer id>" or "a<anonymous id>".
func (v VisitorKey) String() string {
	if v.Customer > 0 {
		return "c" + strconv.FormatInt(v.Customer, 10)
	}
	return "a" + v.Anon
}

// Stored is the events of a few days held in memory with the logins of
// their anonymous ids: what the rollups and exact figures read.
type Stored struct {
	Days    []int64            // days with events, in order
	Batches map[int64][]*Batch // per day
	Logins  map[string]int64   // anonymous id → customer, for these events' ids
}

// ReadDays reads the columns want (with the anonymous and customer ids,
// always) of the events of days from..to into memory, and the logins of
// their anonymous ids. For ranges of a few days; longer ones go through
// ScanDays.
func ReadDays(ctx context.Context, q db.Queryer, from, to int64, want Columns) (*Stored, error) {
	want |= ColAnonymousID | ColCustomerID
	s := &Stored{Batches: map[int64][]*Batch{}}
	var mu sync.Mutex
	err := ScanDays(ctx, q, from, to, want, 0, func(day int64, batches []*Batch) error {
		mu.Lock()
		s.Batches[day] = batches
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	anons := map[string]struct{}{}
	for d, bs := range s.Batches {
		s.Days = append(s.Days, d)
		for _, b := range bs {
			for i := range b.N {
				if b.CustomerID[i] == 0 {
					anons[b.AnonymousID[i]] = struct{}{}
				}
			}
		}
	}
	slices.Sort(s.Days)
	s.Logins, err = Identities(ctx, q, anons)
	return s, err
}

// CountIDPrefix counts the stored events whose id starts with prefix (a
// client id "c:…" keeps the client's text after "c:"), reading only the
// id column of every batch: for checks and benchmarks, not for pages.
func CountIDPrefix(ctx context.Context, q db.Queryer, prefix string) (int64, error) {
	var n int64
	var mu sync.Mutex
	err := ScanDays(ctx, q, 0, 99991231, ColEventID, 0, func(_ int64, batches []*Batch) error {
		var k int64
		for _, b := range batches {
			for _, id := range b.EventID {
				if strings.HasPrefix(id, prefix) {
					k++
				}
			}
		}
		mu.Lock()
		n += k
		mu.Unlock()
		return nil
	})
	return n, err
}

// All is every stored event of days from..to with every column, day by
// day in the order they were stored (each day's purchase rows last).
func All(ctx context.Context, q db.Queryer, from, to int64) ([]Event, error) {
	var out []Event
	err := ScanDays(ctx, q, from, to, AllColumns, 1, func(_ int64, batches []*Batch) error {
		for _, b := range batches {
			for i := range b.N {
				out = append(out, b.Event(i))
			}
		}
		return nil
	})
	return out, err
}

// Remove deletes the stored events of days from..to for which drop is
// true, rewriting the batches that held them in one transaction (a
// visitor's erasure; a test's gap in the traffic). It returns how many it
// deleted. An id removed here is new again to the collector.
func Remove(ctx context.Context, d *db.DB, from, to int64, drop func(*Event) bool) (int64, error) {
	type rewrite struct {
		id     int64
		day    int64
		origin string
		keep   []Event
	}
	var rewrites []rewrite
	var removed int64
	rows, err := d.Query(ctx, "SELECT id, day, origin, data FROM event_batches WHERE day BETWEEN $1 AND $2 ORDER BY id", from, to)
	if err != nil {
		return 0, fmt.Errorf("remove events: %w", err)
	}
	for rows.Next() {
		var rw rewrite
		var data []byte
		if err := rows.Scan(&rw.id, &rw.day, &rw.origin, &data); err != nil {
			rows.Close()
			return 0, err
		}
		b, err := decodeStored(data, rw.day, AllColumns)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("remove events of %d: %w", rw.day, err)
		}
		n := 0
		for i := range b.N {
			e := b.Event(i)
			if drop(&e) {
				n++
				continue
			}
			rw.keep = append(rw.keep, e)
		}
		if n > 0 {
			removed += int64(n)
			rewrites = append(rewrites, rw)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	purchases, err := purchaseDays(ctx, d, from, to, AllColumns)
	if err != nil {
		return 0, err
	}
	var gone []string
	for _, b := range purchases {
		for i := range b.N {
			if e := b.Event(i); drop(&e) {
				gone = append(gone, e.EventID)
			}
		}
	}
	removed += int64(len(gone))
	now := time.Now()
	err = d.InTx(ctx, func(tx *db.Tx) error {
		for _, rw := range rewrites {
			if _, err := tx.Exec(ctx, "DELETE FROM event_batches WHERE id = $1", rw.id); err != nil {
				return err
			}
			if len(rw.keep) == 0 {
				continue
			}
			data, err := encodeBatch(rw.keep)
			if err != nil {
				return err
			}
			if err := tx.InsertRows(ctx, "event_batches", batchColumns,
				[]any{rw.day, rw.origin, int64(len(rw.keep)), data, now.UnixMilli()}); err != nil {
				return err
			}
		}
		for _, id := range gone {
			if _, err := tx.Exec(ctx, "DELETE FROM purchase_events WHERE event_id = $1", id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remove events: %w", err)
	}
	return removed, nil
}
