package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/importer"
)

func TestImports_JobsAndMappingsThroughTheAPI(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	f.loadSpec()
	path := filepath.Join(t.TempDir(), "o.csv")
	os.WriteFile(path, []byte("order_no,created_at,total\nA1,2024-01-01 10:00,1.00\nA2,oops,2.00\n"), 0o600)
	rep, err := (&importer.Service{DB: d}).Validate(context.Background(), importer.Request{Kind: importer.KindOrders, Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}

	st, body := f.call("finance", "GET", "/api/v1/imports/"+itoa(rep.JobID), nil)
	job := decodeAs[importer.Job](t, body)
	if st != http.StatusOK || job.Status != "invalid" || len(job.Report.Errors) != 1 || job.Report.Errors[0].Line != 3 || job.Report.Errors[0].Column != "created_at" {
		t.Errorf("GET import: %d %s", st, body)
	}
	if st, body = f.call("viewer", "GET", "/api/v1/imports", nil); st != http.StatusForbidden {
		t.Errorf("viewer lists imports: %d %s", st, body)
	}
	st, body = f.call("supply", "GET", "/api/v1/import-presets", nil)
	if presets := decodeAs[api.List[api.ImportPreset]](t, body); st != http.StatusOK || len(presets.Items) != len(importer.PresetNames()) {
		t.Errorf("presets: %d %s", st, body)
	}
	in := api.ImportMappingInput{Kind: "orders", Columns: map[string]string{"order_no": "单号", "created_at": "#2"}}
	st, body = f.call("operator", "PUT", "/api/v1/import-mappings/erp", in)
	if m := decodeAs[importer.SavedMapping](t, body); st != http.StatusOK || m.Name != "erp" || m.Columns["created_at"] != "#2" {
		t.Errorf("save mapping: %d %s", st, body)
	}
	st, body = f.call("operator", "PUT", "/api/v1/import-mappings/erp", api.ImportMappingInput{Kind: "orders", Columns: map[string]string{"colour": "x"}})
	if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "columns.colour" {
		t.Errorf("bad mapping: %d %s", st, body)
	}
	if st, body = f.call("finance", "PUT", "/api/v1/import-mappings/erp", in); st != http.StatusForbidden {
		t.Errorf("finance saves a mapping: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/import-mappings", nil)
	if ms := decodeAs[api.List[importer.SavedMapping]](t, body); st != http.StatusOK || len(ms.Items) != 1 {
		t.Errorf("list mappings: %d %s", st, body)
	}
}
