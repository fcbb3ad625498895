// Package tables is what `storeops export` can write: the shop's lists as
// flat tables, read from the database as a stream (a year of orders is never
// held in memory) and handed to package export for CSV or XLSX. Money is
// in major units with two decimals (129.00), as a spreadsheet sums it; times
// are in the store's time zone.
package tables

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/export"
	"github.com/storeops/storeops/internal/settings"
)

// Range limits a table to rows whose date (an order's placing, a
// customer's joining, a refund's day) falls from From to To, both
// inclusive days in the store's zone; a zero end is open.
type Range struct {
	From, To time.Time
}

// column is one column: its header and how a scanned value is shown.
type column struct {
	header string
	kind   int
}

const (
	text = iota
	integer
	money
	stamp // unix ms → local time
	day   // YYYYMMDD
	boolean
)

// table is a query and its columns, in the query's order.
type table struct {
	name    string
	about   string
	columns []column
	// query selects the columns; dateCol is the unix-ms column a Range
	// applies to ("" : none).
	query, dateCol, order string
}

var all = []table{
	{name: "orders", about: "one row an order", dateCol: "o.created_at", order: "o.id",
		query: `SELECT o.order_no, COALESCE(o.external_id, ''), o.status, o.channel, COALESCE(o.customer_id, 0), COALESCE(c.name, ''), o.currency,
			o.items_total, o.discount_total, o.shipping_fee, o.total, o.refunded_total, o.created_at, o.paid_at, o.shipped_at, o.delivered_at,
			o.completed_at, o.cancelled_at, o.carrier, o.tracking_no, o.presale_role, o.deposit_total FROM orders o LEFT JOIN customers c ON c.id = o.customer_id`,
		columns: []column{{"order_no", text}, {"external_id", text}, {"status", text}, {"channel", text}, {"customer_id", integer},
			{"customer_name", text}, {"currency", text}, {"items_total", money}, {"discount_total", money}, {"shipping_fee", money},
			{"total", money}, {"refunded_total", money}, {"created_at", stamp}, {"paid_at", stamp}, {"shipped_at", stamp},
			{"delivered_at", stamp}, {"completed_at", stamp}, {"cancelled_at", stamp}, {"carrier", text}, {"tracking_no", text},
			// A presale's deposit order is no purchase of its own; its tail
			// order's value counts the deposit (docs/METRICS.md).
			{"presale_role", text}, {"deposit_total", money}}},
	{name: "order-lines", about: "one row an order line, with its order's number", dateCol: "o.created_at", order: "l.id",
		query: `SELECT o.order_no, o.created_at, o.status, s.code, l.title, l.quantity, l.list_price, l.unit_price, l.discount, l.line_total,
			l.unit_cost, l.refunded_quantity FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN skus s ON s.id = l.sku_id`,
		columns: []column{{"order_no", text}, {"order_created_at", stamp}, {"order_status", text}, {"sku", text}, {"title", text},
			{"quantity", integer}, {"list_price", money}, {"unit_price", money}, {"discount", money}, {"line_total", money},
			{"unit_cost", money}, {"refunded_quantity", integer}}},
	{name: "customers", about: "one row a customer; the range is when they joined", dateCol: "c.created_at", order: "c.id",
		query: `SELECT c.id, COALESCE(c.external_id, ''), c.name, c.phone, c.email, c.gender, c.birthday, c.source_channel,
			c.consent_sms, c.consent_email, c.consent_wecom, c.created_at, COALESCE(c.first_paid_day, 0) FROM customers c`,
		columns: []column{{"id", integer}, {"external_id", text}, {"name", text}, {"phone", text}, {"email", text}, {"gender", text},
			{"birthday", text}, {"source_channel", text}, {"consent_sms", boolean}, {"consent_email", boolean}, {"consent_wecom", boolean},
			{"created_at", stamp}, {"first_paid_day", day}}},
	{name: "products", about: "one row a SKU, with its product and stock (no date range)", order: "s.id",
		query: `SELECT p.id, p.title, p.status, p.role, s.code, s.spec, s.barcode, s.list_price, s.cost_price, s.currency,
			COALESCE(k.on_hand, 0), COALESCE(k.reserved, 0) FROM skus s JOIN products p ON p.id = s.product_id LEFT JOIN stock k ON k.sku_id = s.id`,
		columns: []column{{"product_id", integer}, {"title", text}, {"status", text}, {"role", text}, {"sku", text}, {"spec", text},
			{"barcode", text}, {"list_price", money}, {"cost_price", money}, {"currency", text}, {"on_hand", integer}, {"reserved", integer}}},
	{name: "refunds", about: "one row a refund; the range is the refund's time", dateCol: "r.refunded_at", order: "r.id",
		query:   `SELECT o.order_no, r.amount, r.reason, r.refunded_at FROM refunds r JOIN orders o ON o.id = r.order_id`,
		columns: []column{{"order_no", text}, {"amount", money}, {"reason", text}, {"refunded_at", stamp}}},
}

// Names lists the tables, with what a row is.
func Names() map[string]string {
	out := map[string]string{}
	for _, t := range all {
		out[t.name] = t.about
	}
	return out
}

// NameList is the tables' names in order.
func NameList() []string {
	var out []string
	for _, t := range all {
		out = append(out, t.name)
	}
	return out
}

// Open starts reading table name: its header and its rows as a stream.
// Call close when done (also after an error from rows).
func Open(ctx context.Context, q db.Queryer, name string, r Range) (header []string, rows export.Rows, close func(), err error) {
	var t *table
	for i := range all {
		if all[i].name == name {
			t = &all[i]
		}
	}
	if t == nil {
		return nil, nil, nil, apperr.Field("table", "%q is not a table to export; use one of %s", name, strings.Join(NameList(), ", "))
	}
	st, err := settings.Load(ctx, q)
	if err != nil {
		return nil, nil, nil, err
	}
	loc := st.Location()
	query, args := t.query, []any{}
	if t.dateCol == "" && (!r.From.IsZero() || !r.To.IsZero()) {
		return nil, nil, nil, apperr.Field("from", "the %s table has no dates; export it without --from and --to", name)
	}
	var where []string
	if !r.From.IsZero() {
		args = append(args, startOfDay(r.From, loc).UnixMilli())
		where = append(where, fmt.Sprintf("%s >= $%d", t.dateCol, len(args)))
	}
	if !r.To.IsZero() {
		args = append(args, startOfDay(r.To, loc).AddDate(0, 0, 1).UnixMilli())
		where = append(where, fmt.Sprintf("%s < $%d", t.dateCol, len(args)))
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + t.order
	rs, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("export %s: %w", name, err)
	}
	for _, c := range t.columns {
		header = append(header, c.header)
	}
	vals := make([]any, len(t.columns))
	for i, c := range t.columns {
		switch c.kind {
		case text:
			vals[i] = new(sql.NullString)
		case boolean:
			vals[i] = new(sql.NullBool)
		default:
			vals[i] = new(sql.NullInt64)
		}
	}
	rows = func() ([]string, error) {
		if !rs.Next() {
			return nil, rs.Err()
		}
		if err := rs.Scan(vals...); err != nil {
			return nil, fmt.Errorf("export %s: %w", name, err)
		}
		out := make([]string, len(vals))
		for i, c := range t.columns {
			switch c.kind {
			case text:
				out[i] = vals[i].(*sql.NullString).String
				continue
			case boolean:
				out[i] = strconv.FormatBool(vals[i].(*sql.NullBool).Bool)
				continue
			}
			n := vals[i].(*sql.NullInt64)
			if !n.Valid {
				continue
			}
			out[i] = Format(c.kind, n.Int64, loc)
		}
		return out, nil
	}
	return header, rows, func() { rs.Close() }, nil
}

// Format shows a number of a column kind.
func Format(kind int, v int64, loc *time.Location) string {
	switch kind {
	case money:
		return Money(v)
	case stamp:
		return time.UnixMilli(v).In(loc).Format("2006-01-02 15:04:05")
	case day:
		if v == 0 {
			return ""
		}
		s := strconv.FormatInt(v, 10)
		if len(s) != 8 {
			return s
		}
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	return strconv.FormatInt(v, 10)
}

// Money is minor units as a decimal with two places: 12990 → "129.90",
// -5 → "-0.05".
func Money(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// ParseDay reads a day as YYYY-MM-DD.
func ParseDay(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, apperr.Field(field, "%q is not a day as YYYY-MM-DD", s)
	}
	return t, nil
}
