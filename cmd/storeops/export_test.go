package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestCLI_ExportOrdersCSVAndXLSX(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "shop.db")
	src := filepath.Join(dir, "cdnow.txt")
	// CDNOW: customer, yyyymmdd, CDs, dollars.
	os.WriteFile(src, []byte(" customer_id date number_of_cds dollar_value\r\n00001 19970101 1 11.77\r\n00002 19970112 1 12.00\r\n00002 19970201 2 25.99\r\n"), 0o600)
	if code, out, errs := run(t, "", "import", "orders", src, "--preset", "cdnow", "--db", dbPath); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	csvPath := filepath.Join(dir, "jan.csv")
	code, _, errs := run(t, "", "export", "orders", "--db", dbPath, "--from", "1997-01-01", "--to", "1997-01-31", "--out", csvPath)
	if code != 0 || !strings.Contains(errs, "2 rows of orders written") {
		t.Fatalf("export csv: %d %s", code, errs)
	}
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "\ufefforder_no,") || !strings.Contains(lines[1], "11.77") {
		t.Errorf("csv: %q", lines)
	}
	xlsxPath := filepath.Join(dir, "all.xlsx")
	if code, _, errs := run(t, "", "export", "order-lines", "--db", dbPath, "--out", xlsxPath); code != 0 {
		t.Fatalf("export xlsx: %d %s", code, errs)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("order-lines")
	if len(rows) != 4 || rows[0][0] != "order_no" {
		t.Errorf("xlsx rows %q", rows)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "orders", "--db", dbPath, "--format", "pdf"}, "not csv or xlsx"},
		{[]string{"export", "orders", "--db", dbPath, "--from", "1/1/1997"}, "--from"},
		{[]string{"export", "products", "--db", dbPath, "--from", "1997-01-01"}, "no dates"},
		{[]string{"export", "orders", "--db", dbPath, "--from", "1997-02-01", "--to", "1997-01-01"}, "before"},
	} {
		if code, out, errs := run(t, "", c.args...); code == 0 || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d, %s%s; want an error with %q", c.args, code, out, errs, c.want)
		}
	}
	// Written beside the target and renamed: no temporary file is left.
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
