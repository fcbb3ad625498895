package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/libc"
	"modernc.org/sqlite/vtab"
)

// Bulk inserts on SQLite go through a virtual table that hands SQLite the
// rows straight from Go memory, so a chunk of thousands of rows is one
// INSERT … SELECT. Measured against multi-row INSERT … VALUES statements
// (100,000 orders and 200,000 lines into the real schema): about twice as
// fast, because the driver binds every argument of a statement by a linear
// search over all of them (quadratic, so statements must stay small) and
// SQLite copies each page a multi-row statement touches to its statement
// journal, once per statement — per dozen rows instead of per chunk.
const rowsModule = "storeops_rows"

func init() {
	keepAllocatorPages()
	// Modules are installed on connections as they open, so this must run
	// before the first Open.
	if err := vtab.RegisterModule(nil, rowsModule, rowsSource{}); err != nil {
		panic(fmt.Sprintf("database: register the %s module: %v", rowsModule, err))
	}
}

// keepAllocatorPages holds one block of each of the small size classes of
// the pure-Go SQLite's C heap (modernc.org/memory) for the life of the
// process. That allocator carves each class out of 64 KiB pages it maps
// from the OS and unmaps a page as soon as its last block is freed; a
// write of thousands of rows splits B-tree pages all the time, and each
// split allocates and frees a scratch buffer whose class often has no
// other block alive — so every split cost an mmap, two munmaps (the
// mapping is trimmed to alignment), the page faults of fresh memory and a
// final munmap. Measured on a million-line import: 52,000 mmaps and
// 155,000 munmaps per 200,000 lines, 6.5 s of the 21 s of CPU in the
// kernel; with one block held per class 9,000 and 25,000, and 2.9 s. It
// costs one 64 KiB mapping per class, touched only where blocks are used.
func keepAllocatorPages() {
	tls := libc.NewTLS()
	defer tls.Close()
	// Classes are powers of two from 16 bytes to 16 KiB; larger blocks get
	// mappings of their own either way.
	for log := 4; log <= 14; log++ {
		libc.Xmalloc(tls, libc.Tsize_t(1)<<log)
	}
}

// rowsBatches holds the rows of the bulk inserts under way, by handle.
var (
	rowsBatches sync.Map // int64 → *rowsBatch
	rowsHandle  atomic.Int64
)

type rowsBatch struct {
	width int
	vals  []any
}

// InsertRows writes rows into table: vals holds len(vals)/len(cols) rows,
// one after another, each value nil, a string, []byte, bool, an integer or a
// float64. All rows are written or, on an error (a constraint), none.
func (t *Tx) InsertRows(ctx context.Context, table string, cols []string, vals []any) error {
	return t.insertRows(ctx, table, cols, vals, "")
}

// InsertNewRows is InsertRows leaving out the rows whose key (a column with
// a unique index) the table holds already, or that an earlier row of vals
// holds: ON CONFLICT (key) DO NOTHING.
func (t *Tx) InsertNewRows(ctx context.Context, table, key string, cols []string, vals []any) error {
	return t.insertRows(ctx, table, cols, vals, " ON CONFLICT ("+key+") DO NOTHING")
}

func (t *Tx) insertRows(ctx context.Context, table string, cols []string, vals []any, tail string) error {
	width := len(cols)
	if width == 0 || len(vals)%width != 0 {
		return fmt.Errorf("insert rows into %s: %d values for %d columns", table, len(vals), width)
	}
	if len(vals) == 0 {
		return nil
	}
	for i, v := range vals {
		switch x := v.(type) {
		case nil, int64, string, []byte, bool, float64:
		case int:
			vals[i] = int64(x)
		case int32:
			vals[i] = int64(x)
		default:
			return fmt.Errorf("insert rows into %s: column %s holds a %T", table, cols[i%width], v)
		}
	}
	if t.d.dialect != SQLite {
		return t.insertValues(ctx, table, cols, vals, tail)
	}
	h := rowsHandle.Add(1)
	rowsBatches.Store(h, &rowsBatch{width: width, vals: vals})
	defer rowsBatches.Delete(h)
	src := "temp." + rowsModule + "_" + strconv.Itoa(width)
	if _, err := t.Exec(ctx, "CREATE VIRTUAL TABLE IF NOT EXISTS "+src+" USING "+rowsModule+"("+strconv.Itoa(width)+")"); err != nil {
		return fmt.Errorf("insert rows into %s: %w", table, err)
	}
	sel := make([]string, width)
	for i := range sel {
		sel[i] = "c" + strconv.Itoa(i)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(sel, ", ") + " FROM " + src + " WHERE handle = $1" + tail
	if _, err := t.Exec(ctx, q, h); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// insertValues is InsertRows on PostgreSQL: multi-row INSERTs of up to
// 60,000 arguments (the protocol allows 65,535) and 256 rows.
func (t *Tx) insertValues(ctx context.Context, table string, cols []string, vals []any, tail string) error {
	width := len(cols)
	per := max(1, min(256, 60000/width))
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for done := 0; done < len(vals); {
		n := min(per*width, len(vals)-done)
		if _, err := t.Exec(ctx, head+ValuesList(t.d.dialect, n/width, width)+tail, vals[done:done+n]...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		done += n
	}
	return nil
}

var valuesLists sync.Map

// ValuesList is the placeholders of rows × width values, "(?,?),(?,?)…"
// on SQLite and "($1,$2),($3,$4)…" on PostgreSQL, for multi-row
// statements; the lists are kept, since bulk writers ask for a few shapes
// over and over.
func ValuesList(d Dialect, rows, width int) string {
	key := [3]int{int(d), rows, width}
	if s, ok := valuesLists.Load(key); ok {
		return s.(string)
	}
	var b strings.Builder
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteByte(',')
			}
			if d == SQLite {
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
	valuesLists.Store(key, s)
	return s
}

// rowsSource is the virtual table module: "CREATE VIRTUAL TABLE
// temp.x USING storeops_rows(N)" declares columns c0…cN-1 and a hidden
// handle; "SELECT … FROM x WHERE handle = ?" reads the rows stored under
// that handle.
type rowsSource struct{}

func (rowsSource) Create(ctx vtab.Context, args []string) (vtab.Table, error) {
	return rowsConnect(ctx, args)
}

func (rowsSource) Connect(ctx vtab.Context, args []string) (vtab.Table, error) {
	return rowsConnect(ctx, args)
}

func rowsConnect(ctx vtab.Context, args []string) (vtab.Table, error) {
	// args: module name, database, table, then the module's arguments.
	if len(args) != 4 {
		return nil, fmt.Errorf("%s takes one argument, the number of columns", rowsModule)
	}
	width, err := strconv.Atoi(strings.TrimSpace(args[3]))
	if err != nil || width < 1 || width > 1000 {
		return nil, fmt.Errorf("%s: %q is not a number of columns", rowsModule, args[3])
	}
	cols := make([]string, width)
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
	}
	if err := ctx.Declare("CREATE TABLE x(" + strings.Join(cols, ", ") + ", handle HIDDEN)"); err != nil {
		return nil, err
	}
	return &rowsTable{width: width}, nil
}

type rowsTable struct{ width int }

func (t *rowsTable) BestIndex(info *vtab.IndexInfo) error {
	for i := range info.Constraints {
		c := &info.Constraints[i]
		if c.Usable && c.Column == t.width && c.Op == vtab.OpEQ {
			c.ArgIndex, c.Omit = 0, true
			info.IdxNum, info.EstimatedCost = 1, 1
			return nil
		}
	}
	// Without a handle there are no rows to read; Filter says so.
	info.IdxNum, info.EstimatedCost = 0, 1e15
	return nil
}

func (t *rowsTable) Open() (vtab.Cursor, error) { return &rowsCursor{}, nil }
func (t *rowsTable) Disconnect() error          { return nil }
func (t *rowsTable) Destroy() error             { return nil }

type rowsCursor struct {
	b      *rowsBatch
	row, n int
}

func (c *rowsCursor) Filter(idxNum int, _ string, vals []vtab.Value) error {
	c.b, c.row, c.n = nil, 0, 0
	if idxNum != 1 || len(vals) != 1 {
		return fmt.Errorf("%s is read with WHERE handle = ?", rowsModule)
	}
	h, _ := vals[0].(int64)
	b, ok := rowsBatches.Load(h)
	if !ok {
		return fmt.Errorf("%s: no rows under handle %v", rowsModule, vals[0])
	}
	c.b = b.(*rowsBatch)
	c.n = len(c.b.vals) / c.b.width
	return nil
}

func (c *rowsCursor) Next() error { c.row++; return nil }
func (c *rowsCursor) Eof() bool   { return c.row >= c.n }

func (c *rowsCursor) Column(col int) (vtab.Value, error) {
	if col >= c.b.width {
		return nil, nil // the hidden handle
	}
	return c.b.vals[c.row*c.b.width+col], nil
}

func (c *rowsCursor) Rowid() (int64, error) { return int64(c.row), nil }
func (c *rowsCursor) Close() error          { c.b = nil; return nil }
