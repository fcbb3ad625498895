package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLI_ImportPrintsOneJSONObjectAndIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "store.db")
	file := filepath.Join(dir, "cdnow.txt")
	data := " customer_id date number_of_cds dollar_value\r\n 00001 19970101 1 11.77\r\n 00002 19970112 1 12.00\r\n 00002 19970112 5 77.00\r\n 00003 19970102 2 0.00\r\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	type report struct {
		Rows, Customers, Orders, Lines, Revenue int64
		Errors                                  []map[string]any
	}
	for i, want := range []report{{4, 3, 4, 4, 10077, nil}, {4, 0, 0, 0, 0, nil}} {
		// flags after the file, as people type them
		code, out, errs := run(t, "", "import", "orders", file, "--preset", "cdnow", "--json", "--db", dbPath)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errs)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		var got report
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("run %d: %v in %q", i, err, out)
		}
		if dec.More() {
			t.Errorf("run %d: more than one JSON value: %q", i, out)
		}
		if got.Rows != want.Rows || got.Customers != want.Customers || got.Orders != want.Orders || got.Lines != want.Lines ||
			got.Revenue != want.Revenue || got.Errors == nil || len(got.Errors) != 0 {
			t.Errorf("run %d: %+v, want %+v", i, got, want)
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("order_no,created_at,total\nA1,2024-01-01,abc\n"), 0o600)
	code, out, _ := run(t, "", "import", "orders", "--dry-run", bad, "--db", dbPath)
	if code != 1 || !strings.Contains(out, "line 2, column total") {
		t.Errorf("a bad file: exit %d, output %q", code, out)
	}
}
