// Package export writes tables for spreadsheets: CSV and XLSX, streamed row
// by row, with every cell that a spreadsheet would run as a formula turned
// into plain text (CSV injection).
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Cell makes a text cell safe to open in Excel, WPS or Numbers: one that
// starts like a formula (= + - @, or a tab or carriage return that some
// programs skip before one) gets a leading apostrophe, so it shows as text
// instead of running. Plain numbers, negative ones included, stay numbers.
func Cell(s string) string {
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
	return whole != "" && digits(whole) && digits(frac) && (!dot || frac != "")
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Rows yields a table's rows one at a time: each call returns the next
// row, or nil when there are no more. It lets a caller stream a query's
// result without holding it in memory.
type Rows func() ([]string, error)

// SliceRows serves rows held in memory.
func SliceRows(rows [][]string) Rows {
	i := 0
	return func() ([]string, error) {
		if i >= len(rows) {
			return nil, nil
		}
		i++
		return rows[i-1], nil
	}
}

// CSV writes header and rows as UTF-8 CSV with a byte-order mark, which
// Excel on Windows needs to read Chinese text correctly.
func CSV(w io.Writer, header []string, rows Rows) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	out := make([]string, 0, len(header))
	write := func(rec []string) error {
		out = out[:0]
		for _, s := range rec {
			out = append(out, Cell(s))
		}
		return cw.Write(out)
	}
	if err := write(header); err != nil {
		return err
	}
	for {
		rec, err := rows()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		if err := write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// XLSX writes header and rows as a workbook of one sheet, through
// excelize's stream writer so large tables do not sit in memory. Every
// cell is written as text (numbers keep their exact digits); text that
// looks like a formula is neutralised as in CSV.
func XLSX(w io.Writer, sheet string, header []string, rows Rows) error {
	f := excelize.NewFile()
	defer f.Close()
	if sheet == "" {
		sheet = "Sheet1"
	}
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return fmt.Errorf("xlsx sheet name %q: %w", sheet, err)
		}
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	n := 1
	row := make([]any, 0, len(header))
	write := func(rec []string) error {
		row = row[:0]
		for _, s := range rec {
			row = append(row, excelize.Cell{Value: Cell(s)})
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		n++
		return sw.SetRow(cell, row)
	}
	if err := write(header); err != nil {
		return err
	}
	for {
		rec, err := rows()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		if n > 1_048_576 {
			return fmt.Errorf("xlsx: more than 1,048,576 rows, the most a sheet holds; export CSV instead")
		}
		if err := write(rec); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
