package importer

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

var cdnowMaster = filepath.Join("..", "..", "..", "shared", "data", "cdnow", "CDNOW_master.txt")

// cdnowTruth reads the file independently of the importer: customers,
// transactions and the dollar total in cents, by integer arithmetic.
func cdnowTruth(t *testing.T, path string) (customers, orders, cents int64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Fields(sc.Text())
		if len(cols) != 4 {
			continue
		}
		seen[cols[0]] = true
		orders++
		dollars, frac, _ := strings.Cut(cols[3], ".")
		d, err1 := strconv.ParseInt(dollars, 10, 64)
		c, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
		if err1 != nil || err2 != nil || len(frac) > 2 {
			t.Fatalf("unexpected value %q", cols[3])
		}
		cents += d*100 + c
	}
	return int64(len(seen)), orders, cents
}

func tableCounts(t *testing.T, d *db.DB) [5]int64 {
	t.Helper()
	var out [5]int64
	for i, q := range []string{"SELECT COUNT(*) FROM customers", "SELECT COUNT(*) FROM orders", "SELECT COUNT(*) FROM order_lines",
		"SELECT COALESCE(SUM(total), 0) FROM orders", "SELECT COUNT(*) FROM products"} {
		if err := d.QueryRow(context.Background(), q).Scan(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCDNOW_ImportsEveryTransactionToTheCent(t *testing.T) {
	if _, err := os.Stat(cdnowMaster); err != nil {
		t.Skip("CDNOW data set not present:", err)
	}
	path := cdnowMaster
	if testing.Short() || raceEnabled {
		// The whole file takes minutes under -race: the race-checked and
		// short runs import its first 1,000 transactions, the full run
		// all of them.
		path = cdnowPrefix(t, 1000)
	}
	wantCust, wantOrders, wantCents := cdnowTruth(t, path)
	if path == cdnowMaster && (wantCust != 23570 || wantOrders != 69659) {
		t.Fatalf("the data set itself: %d customers, %d transactions; want 23,570 and 69,659", wantCust, wantOrders)
	}
	run := func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{DB: d}
		req := Request{Kind: KindOrders, Preset: "cdnow", Path: path}
		start := time.Now()
		rep, err := s.Import(ctx, req, nil)
		if err != nil {
			t.Fatalf("import: %v (errors %v)", err, rep.Errors)
		}
		t.Logf("%s: imported CDNOW in %s", d.Dialect(), time.Since(start).Round(time.Millisecond))
		if rep.Rows != wantOrders || rep.Customers != wantCust || rep.Orders != wantOrders || rep.Lines != wantOrders || rep.Revenue != wantCents {
			t.Errorf("report %+v; want rows=orders=lines=%d customers=%d revenue=%d", rep, wantOrders, wantCust, wantCents)
		}
		got := tableCounts(t, d)
		if got[0] != wantCust || got[1] != wantOrders || got[2] != wantOrders || got[3] != wantCents || got[4] != 1 {
			t.Errorf("store holds customers, orders, lines, revenue, products = %v; want %d, %d, %d, %d, 1", got, wantCust, wantOrders, wantOrders, wantCents)
		}
		var usd, paid int64
		d.QueryRow(ctx, "SELECT COUNT(*) FROM orders WHERE currency = 'USD' AND status = 'completed'").Scan(&usd)
		d.QueryRow(ctx, "SELECT COUNT(*) FROM orders WHERE paid_day BETWEEN 19970101 AND 19980630").Scan(&paid)
		if usd != wantOrders || paid != wantOrders {
			t.Errorf("%d orders in USD and completed, %d paid within the data set's dates; want %d", usd, paid, wantOrders)
		}
		// Each line's price × quantity − discount is its value, exactly.
		var bad int64
		d.QueryRow(ctx, "SELECT COUNT(*) FROM order_lines WHERE list_price * quantity - discount <> line_total").Scan(&bad)
		if bad != 0 {
			t.Errorf("%d lines whose price × quantity − discount is not their total", bad)
		}
		// A customer joined with their first purchase.
		var first int64
		d.QueryRow(ctx, "SELECT COUNT(*) FROM customers c WHERE c.created_at <> (SELECT MIN(o.created_at) FROM orders o WHERE o.customer_id = c.id)").Scan(&first)
		if first != 0 {
			t.Errorf("%d customers whose created_at is not their first order", first)
		}

		if n, err := customer.FirstPaidMismatches(ctx, d); err != nil || n != 0 {
			t.Errorf("%d customers whose first_paid_day disagrees with their orders (%v)", n, err)
		}

		t.Logf("%s: checks done after %s", d.Dialect(), time.Since(start).Round(time.Millisecond))
		again, err := s.Import(ctx, req, nil)
		t.Logf("%s: re-import done after %s", d.Dialect(), time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if again.Customers != 0 || again.Orders != 0 || again.Lines != 0 || again.Revenue != 0 || again.Skipped != wantOrders {
			t.Errorf("re-import report %+v; want nothing new and %d skipped", again, wantOrders)
		}
		if after := tableCounts(t, d); after != got {
			t.Errorf("re-import changed the store: %v → %v", got, after)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, dbtest.SQLite(t)) })
	if dbtest.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { run(t, dbtest.Postgres(t)) })
	}
}

// cdnowPrefix copies the header and the first n transactions of the data
// set, CRLF and all.
func cdnowPrefix(t *testing.T, n int) string {
	data, err := os.ReadFile(cdnowMaster)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	return writeFile(t, "cdnow_prefix.txt", []byte(strings.Join(lines[:n+1], "")))
}
