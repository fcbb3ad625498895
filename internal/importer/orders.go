package importer

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/settings"
)

// order is one order read from a file, its lines merged from consecutive
// rows that carry the same order number (how Taobao, Shopify and most
// exports list an order of several items).
type order struct {
	firstLine, lastLine   int
	externalID            string
	customerRef           string
	customerName          string
	phone, email          string
	status                string
	currency              string
	createdAt             time.Time
	paidAt                time.Time // zero: not paid
	total, shipping       int64
	totalGiven, shipGiven bool
	lines                 []line
	bad                   bool // a row of it has an error; it is reported, never written
}

type line struct {
	title, sku       string
	qty              int64
	listPrice, gross int64 // list price, and list price × quantity
	discount, total  int64
}

// items is the lines at list price.
func (o *order) items() (items, discount, lines int64) {
	for _, l := range o.lines {
		items += l.gross
		discount += l.discount
		lines += l.total
	}
	return
}

// settle works out the order's money as the orders table keeps it: the
// buyer paid total; items_total - discount_total + shipping_fee = total.
func (o *order) settle() (items, discount, shipping, total int64) {
	items, _, lineSum := o.items()
	shipping = o.shipping
	total = lineSum + shipping
	if o.totalGiven {
		total = o.total
	}
	discount = items + shipping - total
	if discount < 0 {
		// the buyer paid more than the goods: the rest was shipping (or a fee)
		shipping -= discount
		discount = 0
	}
	return
}

// orderReader turns rows into orders, validating each row and reporting
// what is wrong by line and column.
type orderReader struct {
	rows     Rows
	lay      layout
	p        Preset
	loc      *time.Location
	currency string
	errs     *errorList

	cur *order
	// seen maps a hash of each external order id to the line it first
	// appeared on: 12 bytes an order instead of the id itself, so that a
	// file of millions of orders is checked for repeats in little memory.
	// (Two different ids sharing a 64-bit hash is a chance of about one in
	// 10^8 for a million orders; the commit's unique index would stop it.)
	// nil: not checked (a commit re-reads a file its validation checked).
	seen     map[uint64]int32
	synth    map[string]int // customer and day → orders so far, for CDNOW's order numbers
	rowCount int
	done     bool
}

func newOrderReader(rows Rows, lay layout, p Preset, st settings.Store, errs *errorList) *orderReader {
	cur := p.Currency
	if cur == "" {
		cur = st.Currency
	}
	return &orderReader{rows: rows, lay: lay, p: p, loc: st.Location(), currency: cur, errs: errs,
		seen: map[uint64]int32{}, synth: map[string]int{}}
}

// next returns the next whole order, io.EOF after the last. An order with
// errors comes back with bad set, so the caller can count it.
func (r *orderReader) next() (*order, error) {
	for !r.done {
		rec, err := r.rows.Next()
		if errors.Is(err, io.EOF) {
			r.done = true
			r.seen = nil // the file is checked; a load goes on for a while
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			r.errs.add(re)
			continue
		}
		if err != nil {
			return nil, err
		}
		r.rowCount++
		ln := r.rows.Line()
		o := r.parse(rec, ln)
		if r.cur != nil && o.externalID == r.cur.externalID && o.externalID != "" && !r.p.SynthOrderNo {
			r.merge(o)
			continue
		}
		prev := r.cur
		r.cur = o
		r.checkDuplicate(o)
		if prev != nil {
			return r.finish(prev), nil
		}
	}
	if r.cur != nil {
		o := r.cur
		r.cur = nil
		return r.finish(o), nil
	}
	return nil, io.EOF
}

// finish checks what only the whole order can tell.
func (r *orderReader) finish(o *order) *order {
	if o.createdAt.IsZero() && !o.bad {
		r.errs.add(&RowError{Line: o.firstLine, Column: r.lay.column(FCreatedAt), Field: FCreatedAt,
			Message: "empty: every order needs the time it was placed"})
		o.bad = true
	}
	return o
}

func (r *orderReader) checkDuplicate(o *order) {
	if o.externalID == "" {
		return
	}
	if r.seen == nil {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(o.externalID))
	key := h.Sum64()
	if first, dup := r.seen[key]; dup {
		r.errs.add(&RowError{Line: o.firstLine, Column: r.lay.column(FOrderNo), Field: FOrderNo,
			Message: fmt.Sprintf("order %s appears again: it was on line %d already; an order's rows must be next to each other and appear once", o.externalID, first)})
		o.bad = true
		return
	}
	r.seen[key] = int32(o.firstLine)
}

// merge adds a further row of the current order: its line, and any order
// field the first row left empty (Shopify prints them on the first row only).
func (r *orderReader) merge(o *order) {
	c := r.cur
	c.lastLine = o.lastLine
	c.bad = c.bad || o.bad
	c.lines = append(c.lines, o.lines...)
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&c.customerRef, o.customerRef)
	fill(&c.customerName, o.customerName)
	fill(&c.phone, o.phone)
	fill(&c.email, o.email)
	if !c.totalGiven && o.totalGiven {
		c.total, c.totalGiven = o.total, true
	}
	if !c.shipGiven && o.shipGiven {
		c.shipping, c.shipGiven = o.shipping, true
	}
	if c.paidAt.IsZero() {
		c.paidAt = o.paidAt
	}
	if c.createdAt.IsZero() {
		c.createdAt = o.createdAt
	}
}

// parse validates one row into an order of one line.
func (r *orderReader) parse(rec []string, ln int) *order {
	l := r.lay
	o := &order{firstLine: ln, lastLine: ln, currency: r.currency}
	fail := func(f, format string, args ...any) {
		r.errs.add(&RowError{Line: ln, Column: l.column(f), Field: f, Message: fmt.Sprintf(format, args...)})
		o.bad = true
	}
	get := func(f string) string { return l.get(rec, f) }

	o.customerRef = get(FCustomerRef)
	if o.customerRef != "" {
		o.customerRef = r.p.Prefix + o.customerRef
	}
	o.customerName, o.phone, o.email = get(FCustomerName), get(FPhone), get(FEmail)
	if c := get(FCurrency); c != "" {
		if len(c) != 3 {
			fail(FCurrency, "%q is not a three-letter currency code such as CNY or USD", c)
		}
		o.currency = strings.ToUpper(c)
	}

	created := get(FCreatedAt)
	switch {
	case created == "":
		// checked when the order is complete: later rows of an order may
		// leave it empty
	case r.p.DateOnly:
		t, err := time.ParseInLocation("20060102", created, r.loc)
		if err != nil || len(created) != 8 || !validTime(t) {
			fail(FCreatedAt, "%q is not a date written yyyymmdd, such as 19970101", created)
		}
		o.createdAt = t
	default:
		t, ok := parseTime(created, r.loc)
		if !ok || !validTime(t) {
			fail(FCreatedAt, "%q is not a date and time such as 2024-03-08 20:15:00", created)
		}
		o.createdAt = t
	}

	no := get(FOrderNo)
	if r.p.SynthOrderNo {
		if o.customerRef == "" {
			fail(FCustomerRef, "empty: the order number is made from the customer id, so it is needed")
		}
		key := o.customerRef + "-" + created
		r.synth[key]++
		no = fmt.Sprintf("%s-%d", strings.TrimPrefix(key, r.p.Prefix), r.synth[key])
	} else if no == "" {
		fail(FOrderNo, "empty: every row needs the order number it belongs to")
	}
	// Spreadsheets show long numbers as 1.23E+18 and Taobao prefixes its
	// numbers with a quote or tab to stop that; neither is part of the number.
	no = strings.Trim(no, "'\t =\"")
	if strings.ContainsAny(no, "Ee") && strings.Contains(no, "+") {
		fail(FOrderNo, "%q is an order number that a spreadsheet turned into scientific notation; export it again as text", no)
	}
	if no != "" {
		o.externalID = r.p.Prefix + no
	}

	if s := get(FStatus); s != "" {
		st, ok := r.p.Statuses[s]
		if !ok {
			st, ok = r.p.Statuses[strings.ToLower(s)]
		}
		if !ok {
			fail(FStatus, "%q is not an order status this preset knows; use one of pending_payment, paid, shipped, delivered, completed, cancelled, closed", s)
		}
		o.status = st
	} else {
		o.status = "completed"
	}
	if s := get(FPaidAt); s != "" {
		t, ok := parseTime(s, r.loc)
		if !ok || !validTime(t) {
			fail(FPaidAt, "%q is not a date and time such as 2024-03-08 20:16:00", s)
		}
		o.paidAt = t
	}
	money := func(f string) (int64, bool) {
		s := get(f)
		if s == "" {
			return 0, false
		}
		v, err := ParseMoney(s)
		if err != nil {
			fail(f, "%q is not an amount such as 12.50 (no more than two decimals, not negative)", s)
			return 0, false
		}
		return v, true
	}
	o.total, o.totalGiven = money(FTotal)
	o.shipping, o.shipGiven = money(FShippingFee)

	ln2 := line{title: get(FTitle), sku: get(FSKU), qty: 1}
	if s := get(FQuantity); s != "" {
		q, ok := parseQuantity(s)
		switch {
		case !ok:
			fail(FQuantity, "%q is not a whole number of items", s)
		case q <= 0:
			fail(FQuantity, "%d: a line needs at least one item", q)
		default:
			ln2.qty = q
		}
	}
	price, hasPrice := money(FPrice)
	lineTotal, hasTotal := money(FLineTotal)
	if hasPrice && price > 0 && ln2.qty > maxLineAmount/price {
		fail(FQuantity, "%d × %s is beyond what one line can be worth; check the quantity and price", ln2.qty, minor(price))
		hasPrice = false
	}
	switch {
	case hasPrice:
		ln2.listPrice = price
		ln2.gross = price * ln2.qty
		ln2.total = ln2.gross
		if hasTotal {
			if lineTotal > ln2.gross {
				fail(FLineTotal, "%s is more than price × quantity (%s); check the price and quantity columns", minor(lineTotal), minor(ln2.gross))
			}
			ln2.total = lineTotal
		}
	case hasTotal:
		// Only the line's value is known (CDNOW): the list price is the
		// value per item rounded up, the rounding a discount, so that
		// price × quantity − discount is the value to the cent.
		ln2.listPrice = (lineTotal + ln2.qty - 1) / ln2.qty
		ln2.gross = ln2.listPrice * ln2.qty
		ln2.total = lineTotal
	case o.totalGiven:
		ln2.listPrice, ln2.gross, ln2.total = o.total, o.total, o.total
		ln2.qty = 1
	default:
		if !o.bad {
			fail(FPrice, "empty: a row needs the item's price, the line's total or the order's total")
		}
	}
	ln2.discount = ln2.gross - ln2.total
	if ln2.title == "" {
		switch {
		case ln2.sku != "":
			ln2.title = ln2.sku
		case r.p.Name == "cdnow":
			ln2.title = "CDNOW CD"
		default:
			ln2.title = "导入订单商品 Imported item"
		}
	}
	if ln2.sku == "" {
		if r.p.Name == "cdnow" {
			ln2.sku = "CDNOW-CD"
		} else {
			ln2.sku = placeholderCode(ln2.title)
		}
	}
	o.lines = []line{ln2}
	return o
}

// placeholderCode is the SKU code of a placeholder product made for an
// imported line that names no SKU: the same title always gets the same code.
func placeholderCode(title string) string {
	h := sha1.Sum([]byte(title))
	return "IMPORT-" + strings.ToUpper(hex.EncodeToString(h[:6]))
}

// maxLineAmount bounds a line's value (10,000,000,000.00), far above any
// real order and far below where int64 arithmetic on it could overflow.
const maxLineAmount = 1_000_000_000_000

func minor(v int64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }

// errorList keeps the first few hundred errors and counts all of them.
type errorList struct {
	list  []RowError
	count int
	max   int
}

func (e *errorList) add(re *RowError) {
	e.count++
	if len(e.list) < e.max {
		e.list = append(e.list, *re)
	}
}
