package web

import (
	"encoding/csv"
	"net/http"
	"strings"
)

// csvCell makes a cell safe to open in a spreadsheet: a cell that starts
// like a formula (= + - @, or a tab or carriage return that some programs
// skip before one) gets a leading apostrophe, so Excel and WPS show it as
// text instead of running it (CSV injection). Plain numbers, negative ones
// included, stay numbers.
func csvCell(s string) string {
	if s == "" || isPlainNumber(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func isPlainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return whole != "" && allDigits(whole) && allDigits(frac) && (!dot || frac != "")
}

// writeCSV sends rows as a CSV download. The UTF-8 byte-order mark makes
// Excel on Windows read Chinese text correctly.
func writeCSV(w http.ResponseWriter, filename string, header []string, rows [][]string) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	safe := func(rec []string) []string {
		out := make([]string, len(rec))
		for i, s := range rec {
			out[i] = csvCell(s)
		}
		return out
	}
	if err := cw.Write(safe(header)); err != nil {
		return err
	}
	for _, rec := range rows {
		if err := cw.Write(safe(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
