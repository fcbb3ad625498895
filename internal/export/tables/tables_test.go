package tables_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/export"
	"github.com/storeops/storeops/internal/export/tables"
	"github.com/storeops/storeops/internal/importer"
	"github.com/xuri/excelize/v2"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

// seed syncs three orders placed on 17, 18 and 19 June (Shanghai time),
// the first by a buyer whose name starts like a formula.
func seed(t *testing.T, d *db.DB) {
	t.Helper()
	at := func(day int) time.Time { return time.Date(2026, 6, day, 2, 0, 0, 0, time.UTC) } // 10:00 in Shanghai
	var orders []importer.SyncOrder
	for i, day := range []int{17, 18, 19} {
		orders = append(orders, importer.SyncOrder{ExternalID: "E" + string(rune('1'+i)), Status: "paid", CreatedAt: at(day),
			Customer: importer.SyncCustomer{Ref: "b" + string(rune('1'+i)), Name: []string{"=HYPERLINK(\"x\")", "李雷", "韩梅梅"}[i]},
			Lines:    []importer.SyncLine{{SKU: "TEE", Title: "T恤", Quantity: 2, Price: 5950}}})
	}
	res, err := (&importer.Service{DB: d}).Sync(context.Background(), importer.SyncBatch{Source: "jd", Orders: orders})
	if err != nil || res.Created != 3 {
		t.Fatalf("seed: %+v %v", res, err)
	}
}

func readAll(t *testing.T, d *db.DB, name string, r tables.Range) [][]string {
	t.Helper()
	header, rows, done, err := tables.Open(context.Background(), d, name, r)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var buf bytes.Buffer
	if err := export.CSV(&buf, header, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestOrders_RangeIsStoreDaysAndMoneyIsDecimal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seed(t, d)
		day := func(s string) time.Time { v, _ := tables.ParseDay("from", s); return v }
		recs := readAll(t, d, "orders", tables.Range{From: day("2026-06-18"), To: day("2026-06-18")})
		if len(recs) != 2 || recs[0][0] != "order_no" || recs[1][0] != "jd:E2" {
			t.Fatalf("18 June: %q", recs)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		row := recs[1]
		if row[col["total"]] != "119.00" || row[col["status"]] != "paid" || row[col["customer_name"]] != "李雷" ||
			row[col["created_at"]] != "2026-06-18 10:00:00" || row[col["presale_role"]] != "" || row[col["deposit_total"]] != "0.00" {
			t.Errorf("row %q", row)
		}
		if all := readAll(t, d, "orders", tables.Range{}); len(all) != 4 {
			t.Errorf("no range: %d rows", len(all)-1)
		}
		if from := readAll(t, d, "order-lines", tables.Range{From: day("2026-06-18")}); len(from) != 3 || from[1][3] != "TEE" {
			t.Errorf("lines from 18 June: %q", from)
		}
		cust := readAll(t, d, "customers", tables.Range{})
		if len(cust) != 4 || !strings.HasPrefix(cust[1][2], "'=") || cust[1][8] != "false" {
			t.Errorf("customers: %q (a name starting with = must be neutralised)", cust)
		}
		if p := readAll(t, d, "products", tables.Range{}); len(p) != 2 || p[1][4] != "TEE" || p[1][7] != "59.50" {
			t.Errorf("products: %q", p)
		}
		if _, _, _, err := tables.Open(context.Background(), d, "products", tables.Range{From: day("2026-06-18")}); err == nil {
			t.Error("a date range on products was accepted")
		}
		if _, _, _, err := tables.Open(context.Background(), d, "invoices", tables.Range{}); err == nil {
			t.Error("an unknown table was accepted")
		}
	})
}

func TestOrders_XLSX(t *testing.T) {
	d := dbtest.SQLite(t)
	seed(t, d)
	header, rows, done, err := tables.Open(context.Background(), d, "orders", tables.Range{})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var buf bytes.Buffer
	if err := export.XLSX(&buf, "orders", header, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.GetRows("orders")
	if err != nil || len(got) != 4 || got[3][0] != "jd:E3" {
		t.Fatalf("xlsx rows %q %v", got, err)
	}
}

func TestMoney(t *testing.T) {
	for v, want := range map[int64]string{0: "0.00", 5: "0.05", 12990: "129.90", -5: "-0.05", -12345: "-123.45"} {
		if got := tables.Money(v); got != want {
			t.Errorf("Money(%d) = %s, want %s", v, got, want)
		}
	}
}
