package web

import (
	"net/http"

	"github.com/storeops/storeops/internal/export"
)

// csvCell makes a cell safe to open in a spreadsheet (CSV injection); the
// rule lives in export.Cell, shared with every other download.
func csvCell(s string) string { return export.Cell(s) }

// writeCSV sends rows as a CSV download, formula-like cells neutralised.
func writeCSV(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	return export.CSV(w, header, export.SliceRows(rows))
}
