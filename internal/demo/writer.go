package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	evstore "github.com/storeops/storeops/internal/event"
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
}

// rowsPerTx is how many rows a transaction writes before the next begins:
// a few thousand, so that a commit's cost (an fsync on PostgreSQL) is spread
// thin while a failure loses little and memory stays bounded.
const rowsPerTx = 8192

// chunk is the rows of one transaction, buffered while they are generated.
type chunk struct {
	args   [numTables][]any
	events []evstore.Event // traffic, stored in compressed batches (evstore.Append)
	rows   int
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
	clear(c.events)
	c.events = c.events[:0]
	c.rows = 0
}

// writeChunk writes c in one transaction, each table's rows through the
// bulk path (db.Tx.InsertRows: one statement per table on SQLite).
func writeChunk(ctx context.Context, d *db.DB, c *chunk) error {
	var events *evstore.Prepared
	if len(c.events) > 0 {
		var err error
		// compressed here, not on the database's writer
		if events, err = evstore.Prepare(evstore.OriginDemo, c.events, time.Now()); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		for t := range numTables {
			if len(c.args[t]) == 0 {
				continue
			}
			spec := tableSpecs[t]
			if err := tx.InsertRows(ctx, spec.name, spec.cols, c.args[t]); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
		if events != nil {
			if err := events.Write(ctx, tx); err != nil {
				return fmt.Errorf("demo: %w", err)
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
