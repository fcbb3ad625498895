package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/storeops/storeops/internal/db"
)

type tableID int

// Tables in the order a transaction writes them, parents before children.
const (
	tCategories tableID = iota
	tProducts
	tSKUs
	tCustomers
	tAddresses
	tTags
	tOrders
	tLines
	tRefunds
	tMoves
	tStock
	tEvents
	numTables
)

type tableSpec struct {
	name string
	cols []string
	id   bool // has an identity id whose sequence must follow explicit ids
}

var tableSpecs = [numTables]tableSpec{
	tCategories: {"categories", []string{"id", "parent_id", "name", "name_en", "sort", "created_at"}, true},
	tProducts:   {"products", []string{"id", "title", "title_en", "category_id", "role", "status", "description", "attributes", "images", "search_text", "created_at", "updated_at"}, true},
	tSKUs:       {"skus", []string{"id", "product_id", "code", "spec", "attributes", "list_price", "cost_price", "currency", "barcode", "weight_g", "created_at", "updated_at"}, true},
	tCustomers:  {"customers", []string{"id", "name", "phone", "email", "gender", "birthday", "source_channel", "consent_sms", "consent_email", "consent_wecom", "consent_updated_at", "note", "search_text", "created_at", "updated_at"}, true},
	tAddresses:  {"customer_addresses", []string{"id", "customer_id", "recipient", "phone", "province", "city", "district", "detail", "postcode", "is_default", "created_at"}, true},
	tTags:       {"customer_tags", []string{"customer_id", "tag", "created_at"}, false},
	tOrders:     {"orders", []string{"id", "order_no", "customer_id", "channel", "status", "currency", "items_total", "discount_total", "shipping_fee", "total", "refunded_total", "cost_total", "created_at", "paid_at", "paid_day", "shipped_at", "delivered_at", "completed_at", "cancelled_at", "updated_at"}, true},
	tLines:      {"order_lines", []string{"id", "order_id", "sku_id", "product_id", "title", "quantity", "list_price", "unit_price", "discount", "line_total", "unit_cost", "refunded_quantity"}, true},
	tRefunds:    {"refunds", []string{"id", "order_id", "amount", "reason", "refunded_at", "refunded_day"}, true},
	tMoves:      {"stock_movements", []string{"id", "sku_id", "delta", "reason", "ref", "note", "actor", "on_hand_after", "at"}, true},
	tStock:      {"stock", []string{"sku_id", "on_hand", "reserved", "updated_at"}, false},
	tEvents:     {"events", []string{"event_id", "received_at", "at", "day", "type", "anonymous_id", "customer_id", "session_id", "channel", "page", "product_id", "sku_id", "search_query", "order_no", "referrer", "utm_source", "utm_medium", "utm_campaign"}, false},
}

// rowsPerStatement is how many rows one INSERT carries: a few hundred on
// PostgreSQL, where binding is linear; on SQLite the driver matches each
// placeholder against the arguments one by one (quadratic in their number),
// so there a statement carries about paramsPerSQLiteStatement values.
func rowsPerStatement(dialect db.Dialect, t tableID) int {
	if dialect == db.SQLite {
		return max(1, paramsPerSQLiteStatement/len(tableSpecs[t].cols))
	}
	return 256
}

// paramsPerSQLiteStatement was measured: ~200 values per statement writes
// the default shop fastest; 1,000 is a third slower, 4,000 three times.
const paramsPerSQLiteStatement = 200

// rowsPerTx is how many rows a transaction writes before the next begins:
// a few thousand, so that a commit's cost (an fsync on PostgreSQL) is spread
// thin while a failure loses little and memory stays bounded.
const rowsPerTx = 8192

// chunk is the rows of one transaction, buffered while they are generated.
type chunk struct {
	args [numTables][]any
	rows int
}

func (c *chunk) add(t tableID, vals ...any) {
	if len(vals) != len(tableSpecs[t].cols) {
		panic(fmt.Sprintf("demo: %d values for %s, want %d", len(vals), tableSpecs[t].name, len(tableSpecs[t].cols)))
	}
	c.args[t] = append(c.args[t], vals...)
	c.rows++
}

func (c *chunk) reset() {
	for i := range c.args {
		clear(c.args[i])
		c.args[i] = c.args[i][:0]
	}
	c.rows = 0
}

var insertSQLs sync.Map // "dialect/table/rows" → statement

// insertSQL is a multi-row INSERT for n rows of table t. SQLite gets bare ?
// placeholders, which its driver binds by position without comparing names.
func insertSQL(dialect db.Dialect, t tableID, n int) string {
	key := strconv.Itoa(int(dialect)) + "/" + strconv.Itoa(int(t)) + "/" + strconv.Itoa(n)
	if s, ok := insertSQLs.Load(key); ok {
		return s.(string)
	}
	spec := tableSpecs[t]
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(spec.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(spec.cols, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for r := range n {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range spec.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if dialect == db.SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(p))
				p++
			}
		}
		b.WriteByte(')')
	}
	s := b.String()
	insertSQLs.Store(key, s)
	return s
}

// writeChunk writes c in one transaction. Full statements reuse one prepared
// statement; the remainder goes out in ever-halving pieces, so only a
// handful of statement shapes ever exist (and are prepared once each).
func writeChunk(ctx context.Context, d *db.DB, c *chunk) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		for t := range numTables {
			args := c.args[t]
			width := len(tableSpecs[t].cols)
			n := len(args) / width
			if n == 0 {
				continue
			}
			stmts := map[int]*sql.Stmt{}
			exec := func(rows int, a []any) error {
				st, ok := stmts[rows]
				if !ok {
					var err error
					st, err = tx.Prepare(ctx, insertSQL(d.Dialect(), tableID(t), rows))
					if err != nil {
						return err
					}
					stmts[rows] = st
				}
				_, err := st.ExecContext(ctx, a...)
				return err
			}
			err := func() error {
				defer func() {
					for _, st := range stmts {
						st.Close()
					}
				}()
				done := 0
				for done < n {
					rows := rowsPerStatement(d.Dialect(), tableID(t))
					for rows > n-done {
						rows /= 2
					}
					if err := exec(rows, args[done*width:(done+rows)*width]); err != nil {
						return err
					}
					done += rows
				}
				return nil
			}()
			if err != nil {
				return fmt.Errorf("insert into %s: %w", tableSpecs[t].name, err)
			}
		}
		return nil
	})
}

// sink writes chunks on a goroutine of its own, so that generating the next
// transaction's rows overlaps with the database writing the last one.
type sink struct {
	ctx    context.Context
	d      *db.DB
	todo   chan *chunk
	free   chan *chunk
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

func newSink(ctx context.Context, d *db.DB) *sink {
	ctx, cancel := context.WithCancel(ctx)
	s := &sink{ctx: ctx, d: d, todo: make(chan *chunk, 2), free: make(chan *chunk, 4), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.done)
		for c := range s.todo {
			if s.err == nil {
				if err := writeChunk(ctx, d, c); err != nil {
					s.err = err
					cancel()
				}
			}
			c.reset()
			select {
			case s.free <- c:
			default:
			}
		}
	}()
	return s
}

// send hands c to the writer and returns an empty chunk to fill next.
func (s *sink) send(c *chunk) (*chunk, error) {
	select {
	case s.todo <- c:
	case <-s.ctx.Done():
		return c, s.ctx.Err()
	}
	select {
	case f := <-s.free:
		return f, nil
	default:
		return &chunk{}, nil
	}
}

// close waits for every chunk to be written and reports the first error.
func (s *sink) close() error {
	close(s.todo)
	<-s.done
	s.cancel()
	return s.err
}

// idRange hands out ids per table after those already in use, so rows can
// be written with their ids and refer to each other without a round trip.
type idRange [numTables]int64

func (ids *idRange) next(t tableID) int64 {
	ids[t]++
	return ids[t]
}

func loadIDs(ctx context.Context, d *db.DB) (idRange, error) {
	var ids idRange
	for t, spec := range tableSpecs {
		if !spec.id {
			continue
		}
		if err := d.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+spec.name).Scan(&ids[t]); err != nil {
			return ids, fmt.Errorf("read last id of %s: %w", spec.name, err)
		}
	}
	return ids, nil
}

// syncSequences moves PostgreSQL's identity sequences past the ids written
// here, so the next row the shop inserts itself gets a fresh id.
func syncSequences(ctx context.Context, d *db.DB) error {
	if d.Dialect() != db.Postgres {
		return nil
	}
	for _, spec := range tableSpecs {
		if !spec.id {
			continue
		}
		q := "SELECT setval(pg_get_serial_sequence('" + spec.name + "', 'id'), (SELECT MAX(id) FROM " + spec.name + "))"
		var has bool
		if err := d.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+spec.name+")").Scan(&has); err != nil {
			return err
		}
		if !has {
			continue
		}
		if _, err := d.Exec(ctx, q); err != nil {
			return fmt.Errorf("advance id sequence of %s: %w", spec.name, err)
		}
	}
	return nil
}
