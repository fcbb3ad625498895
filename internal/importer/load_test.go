package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// indexesOf lists the indexes of orders and order lines with their SQL.
func indexesOf(t *testing.T, d *db.DB) map[string]string {
	t.Helper()
	rs, err := d.Query(context.Background(), `SELECT name, COALESCE(sql, '') FROM sqlite_master
		WHERE type = 'index' AND tbl_name IN ('orders', 'order_lines')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var name, sql string
		if err := rs.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		out[name] = sql
	}
	return out
}

func commitsOf(t *testing.T, d *db.DB, job int64) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'import.commit' AND entity_id = $1`, job).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func sameIndexes(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("indexes %v, want %v", got, want)
	}
	for name, sql := range want {
		if got[name] != sql {
			t.Errorf("index %s is %q, want %q", name, got[name], sql)
		}
	}
}

// An orders file loaded into a store without orders (one transaction, the
// secondary indexes built at its end) leaves the store exactly as the
// same file committed chunk by chunk does — customers and products
// imported before it included; a later file, the store no longer empty,
// goes chunk by chunk.
func TestLoad_WritesWhatChunksWrite(t *testing.T) {
	ctx := context.Background()
	path := writeFile(t, "orders.csv", genOrders(500))
	req := Request{Kind: KindOrders, Path: path}
	chunked, loaded := dbtest.SQLite(t), dbtest.SQLite(t)
	var customers strings.Builder
	customers.WriteString("客户编号,姓名\n")
	for i := range 60 {
		fmt.Fprintf(&customers, "C%05d,买家 %d\n", i*3, i)
	}
	for _, d := range []*db.DB{chunked, loaded} {
		for _, f := range []Request{
			{Kind: KindCustomers, Path: writeFile(t, "c.csv", []byte(customers.String()))},
			{Kind: KindProducts, Path: writeFile(t, "p.csv", []byte("sku,title,price,cost\nSKU-001,商品 1,10.00,5\nSKU-007,商品 7,12.00,6\n"))},
		} {
			if rep, err := (&Service{DB: d}).Import(ctx, f, nil); err != nil || rep.Customers+rep.Products == 0 {
				t.Fatalf("%s: %+v %v", f.Kind, rep, err)
			}
		}
	}
	before := indexesOf(t, loaded)
	if len(before) < 5 {
		t.Fatalf("indexes %v: the schema should have more", before)
	}
	want, err := (&Service{DB: chunked, ChunkRows: 200, LoadRows: -1}).Import(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{DB: loaded, ChunkRows: 200, LoadRows: 1}
	got, err := s.Import(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if commitsOf(t, chunked, want.JobID) != 5 || commitsOf(t, loaded, got.JobID) != 1 {
		t.Fatalf("%d and %d commits; want 5 chunks, and 1 load", commitsOf(t, chunked, want.JobID), commitsOf(t, loaded, got.JobID))
	}
	if got.Customers != want.Customers || got.Orders != want.Orders || got.Lines != want.Lines || got.Revenue != want.Revenue ||
		got.Products != want.Products || got.LastRow != want.LastRow || got.Orders != 500 || got.Customers != 500-60 || got.Products != 48 {
		t.Errorf("loaded %+v, chunked %+v; want 440 new customers and 48 new products", got, want)
	}
	// Every order's buyer, and every line's SKU, is the same in both.
	for _, q := range []string{
		"SELECT COALESCE(SUM(LENGTH(c.external_id) * o.id), 0) FROM orders o JOIN customers c ON c.id = o.customer_id",
		"SELECT COALESCE(SUM(LENGTH(k.code) * l.id + k.id), 0) FROM order_lines l JOIN skus k ON k.id = l.sku_id",
		"SELECT COALESCE(SUM(first_paid_day), 0) FROM customers",
	} {
		var a, b int64
		loaded.QueryRow(ctx, q).Scan(&a)
		chunked.QueryRow(ctx, q).Scan(&b)
		if a != b || a == 0 {
			t.Errorf("%s: loaded %d, chunked %d", q, a, b)
		}
	}
	if a, b := tableCounts(t, loaded), tableCounts(t, chunked); a != b {
		t.Errorf("store loaded %v, chunked %v", a, b)
	}
	if n, err := customer.FirstPaidMismatches(ctx, loaded); err != nil || n != 0 {
		t.Errorf("%d customers whose first_paid_day disagrees with their orders (%v)", n, err)
	}
	sameIndexes(t, indexesOf(t, loaded), before)
	// The built indexes are whole: a query through each finds every row.
	for _, q := range []string{
		"SELECT COUNT(*) FROM orders INDEXED BY orders_customer WHERE customer_id > 0",
		"SELECT COUNT(*) FROM orders INDEXED BY orders_created WHERE created_at > 0",
		"SELECT COUNT(*) FROM order_lines INDEXED BY order_lines_sku WHERE sku_id > 0",
	} {
		var n int64
		if err := loaded.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(q, err)
		}
		if n != 500 && n != 1000 {
			t.Errorf("%s: %d", q, n)
		}
	}

	more := Request{Kind: KindOrders, Path: writeFile(t, "more.csv", genOrders(700))}
	rep, err := s.Import(ctx, more, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != 200 || rep.Skipped != 500 || commitsOf(t, loaded, rep.JobID) != 7 {
		t.Errorf("second file: %+v in %d commits; want 200 new orders in 7 chunks", rep, commitsOf(t, loaded, rep.JobID))
	}
	sameIndexes(t, indexesOf(t, loaded), before)
	if n, err := customer.FirstPaidMismatches(ctx, loaded); err != nil || n != 0 {
		t.Errorf("%d customers whose first_paid_day disagrees with their orders (%v)", n, err)
	}
}

// A load killed midway leaves the store as it was — no orders, every
// index — and its job at the first line; committing it again loads it.
func TestLoad_KilledMidwayLeavesTheStoreAsItWas(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "shop.db")
	d, err := db.Open(ctx, dsn, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := indexesOf(t, d)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := &Service{DB: d, ChunkRows: 200, LoadRows: 1, Now: clock}
	path := writeFile(t, "orders.csv", genOrders(500))
	req := Request{Kind: KindOrders, Path: path}
	dry, err := s.Validate(ctx, req, nil)
	if err != nil || dry.ErrorCount != 0 {
		t.Fatal(err, dry.Errors)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dsn, crashHelperEnv+"_FILE="+path,
		crashHelperEnv+"_JOB="+strconv.FormatInt(dry.JobID, 10), crashHelperEnv+"_LOAD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("the committing process: %v\n%s", err, out)
	}

	// It died in its third chunk, two written in the same transaction.
	job, _ := s.Job(ctx, dry.JobID)
	if got := tableCounts(t, d); job.Status != JobRunning || job.Report.LastRow != 0 || got != [5]int64{} {
		t.Fatalf("after the kill: job %s through line %d, store %v; want nothing written", job.Status, job.Report.LastRow, got)
	}
	sameIndexes(t, indexesOf(t, d), before)

	mu.Lock()
	now = now.Add(3 * time.Minute)
	mu.Unlock()
	if n, err := s.FailStale(ctx); err != nil || n != 1 {
		t.Fatalf("FailStale after the lease: %d %v", n, err)
	}
	rep, err := s.Commit(ctx, dry.JobID, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := tableCounts(t, d)
	if rep.Orders != 500 || rep.Skipped != 0 || got[1] != 500 || got[2] != 1000 || got[3] != dry.Revenue || commitsOf(t, d, dry.JobID) != 1 {
		t.Errorf("resumed: %+v, store %v; want 500 orders, revenue %d, in one commit", rep, got, dry.Revenue)
	}
	sameIndexes(t, indexesOf(t, d), before)
}

// A file with errors loaded in one pass (Import into a store without
// orders) writes nothing and reports what its validation reports.
func TestLoad_AFileWithErrorsWritesNothing(t *testing.T) {
	ctx := context.Background()
	data := string(genOrders(300))
	// Line 302 (order 150's first row): a quantity that is no number.
	lines := strings.SplitAfter(data, "\n")
	lines[301] = strings.Replace(lines[301], ",1,", ",x,", 1)
	req := Request{Kind: KindOrders, Path: writeFile(t, "orders.csv", []byte(strings.Join(lines, "")))}
	checked, loaded := dbtest.SQLite(t), dbtest.SQLite(t)
	before := indexesOf(t, loaded)
	want, err := (&Service{DB: checked, ChunkRows: 200, LoadRows: -1}).Import(ctx, req, nil)
	if !errors.Is(err, ErrInvalid) || want.ErrorCount != 1 {
		t.Fatalf("validated: %v, %+v", err, want)
	}
	s := &Service{DB: loaded, ChunkRows: 200, LoadRows: 1}
	got, err := s.Import(ctx, req, nil)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("loaded: %v, want ErrInvalid", err)
	}
	if got.ErrorCount != 1 || len(got.Errors) != 1 || got.Errors[0] != want.Errors[0] || got.Errors[0].Line != 302 ||
		got.Orders != want.Orders || got.Customers != want.Customers || got.Lines != want.Lines || got.Revenue != want.Revenue ||
		got.Rows != want.Rows || got.Orders != 299 {
		t.Errorf("loaded %+v, validated %+v", got, want)
	}
	if c := tableCounts(t, loaded); c != [5]int64{} {
		t.Errorf("store %v after a file with errors; want nothing", c)
	}
	sameIndexes(t, indexesOf(t, loaded), before)
	job, err := s.Job(ctx, got.JobID)
	if err != nil || job.Status != JobInvalid || job.Report.ErrorCount != 1 {
		t.Errorf("job %+v %v; want it invalid with its error", job, err)
	}
}
