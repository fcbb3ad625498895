// Package importer brings products, customers, orders and stock levels in
// from files other systems export: CSV in any encoding a Chinese shop meets,
// XLSX, and a few fixed formats. A file is validated row by row before any
// of it is written; the commit is idempotent on external ids and proceeds in
// recorded chunks, so it never stops half-way without saying where.
package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encoding is the text encoding a CSV file was read in.
type Encoding string

const (
	UTF8    Encoding = "utf-8"
	UTF8BOM Encoding = "utf-8-bom"
	GB18030 Encoding = "gb18030" // a superset of GBK and GB2312, what Excel on Chinese Windows saves
)

// sniffSize is how much of a file decides its encoding. Exports put Chinese
// text in the header already, so the first 64 KiB is plenty.
const sniffSize = 64 << 10

// Decode returns r as UTF-8 text and the encoding it was in: a byte-order
// mark means UTF-8; text that is valid UTF-8 is UTF-8; anything else is read
// as GB18030.
func Decode(r io.Reader) (io.Reader, Encoding, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", err
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		return br, UTF8BOM, nil
	}
	if validUTF8Prefix(head, len(head) < sniffSize) {
		return br, UTF8, nil
	}
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), GB18030, nil
}

// validUTF8Prefix is utf8.Valid, except that a rune cut off by the end of
// the sniffed window of a longer file does not count against it.
func validUTF8Prefix(b []byte, whole bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if whole {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return !utf8.FullRune(b[len(b)-i:])
		}
	}
	return false
}

// Rows is a file read row by row: Next returns the cells of the next row
// and io.EOF after the last; Line is the 1-based line (or spreadsheet row)
// the last row started on, which error reports point to.
type Rows interface {
	Next() ([]string, error)
	Line() int
	Close() error
}

// Limits bound what one file may hold, so a hostile upload cannot exhaust
// memory: a cell, a row's cells, the rows, and for XLSX the unzipped size.
type Limits struct {
	MaxCellBytes  int
	MaxColumns    int
	MaxRows       int
	MaxUnzipBytes int64
}

// DefaultLimits suit any real shop export.
var DefaultLimits = Limits{MaxCellBytes: 64 << 10, MaxColumns: 512, MaxRows: 20_000_000, MaxUnzipBytes: 2 << 30}

// ErrTooLarge means the file is beyond Limits.
var ErrTooLarge = errors.New("file too large")

type csvRows struct {
	r      *csv.Reader
	budget *budget
	c      io.Closer
	lim    Limits
	line   int
	count  int
}

// NewCSV reads CSV text in any of the encodings Decode knows.
func NewCSV(r io.Reader, lim Limits) (Rows, Encoding, error) {
	text, enc, err := Decode(r)
	if err != nil {
		return nil, "", err
	}
	// csv.Reader holds a whole record in memory before handing it over, so
	// a record is cut off at a budget: one unterminated quote must not
	// make it swallow a gigabyte.
	b := &budget{r: text}
	cr := csv.NewReader(b)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvRows{r: cr, lim: lim, budget: b}, enc, nil
}

// budget fails a read once more than max bytes were read since reset.
type budget struct {
	r         io.Reader
	used, max int
}

var errRecordTooLong = errors.New("record too long")

func (b *budget) Read(p []byte) (int, error) {
	if b.max > 0 && b.used > b.max {
		return 0, errRecordTooLong
	}
	n, err := b.r.Read(p)
	b.used += n
	return n, err
}

func (l Limits) recordBytes() int {
	if l.MaxCellBytes <= 0 {
		return 0
	}
	return l.MaxCellBytes * 16
}

func (c *csvRows) Next() ([]string, error) {
	for {
		c.budget.used, c.budget.max = 0, c.lim.recordBytes()
		rec, err := c.r.Read()
		if errors.Is(err, errRecordTooLong) {
			line, _ := c.r.FieldPos(0)
			return nil, fmt.Errorf("%w: a record after line %d is longer than %d bytes (an unclosed quote?)", ErrTooLarge, line, c.lim.recordBytes())
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &RowError{Line: pe.StartLine, Message: "the CSV is malformed here: " + pe.Err.Error()}
			}
			return nil, err
		}
		c.line, _ = c.r.FieldPos(0)
		if blank(rec) {
			continue
		}
		c.count++
		if err := c.lim.check(rec, c.count, c.line); err != nil {
			return nil, err
		}
		return rec, nil
	}
}

func (c *csvRows) Line() int { return c.line }
func (c *csvRows) Close() error {
	if c.c != nil {
		return c.c.Close()
	}
	return nil
}

func (l Limits) check(rec []string, count, line int) error {
	if l.MaxRows > 0 && count > l.MaxRows {
		return fmt.Errorf("%w: more than %d rows", ErrTooLarge, l.MaxRows)
	}
	if l.MaxColumns > 0 && len(rec) > l.MaxColumns {
		return &RowError{Line: line, Message: fmt.Sprintf("%d columns, more than the %d a row may have", len(rec), l.MaxColumns)}
	}
	for i, s := range rec {
		if l.MaxCellBytes > 0 && len(s) > l.MaxCellBytes {
			return &RowError{Line: line, Column: fmt.Sprint(i + 1), Message: fmt.Sprintf("a cell of %d bytes, more than %d", len(s), l.MaxCellBytes)}
		}
	}
	return nil
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// fieldRows reads whitespace-separated columns, one record a line (CDNOW).
type fieldRows struct {
	s     *bufio.Scanner
	lim   Limits
	line  int
	count int
	rec   []string
}

// NewFields reads text whose columns are separated by runs of spaces or
// tabs, one record a line, CRLF or LF.
func NewFields(r io.Reader, lim Limits) (Rows, Encoding, error) {
	text, enc, err := Decode(r)
	if err != nil {
		return nil, "", err
	}
	s := bufio.NewScanner(text)
	max := lim.MaxCellBytes * 4
	if max <= 0 {
		max = 1 << 20
	}
	s.Buffer(make([]byte, 0, 64<<10), max)
	return &fieldRows{s: s, lim: lim}, enc, nil
}

func (f *fieldRows) Next() ([]string, error) {
	for f.s.Scan() {
		f.line++
		f.rec = f.rec[:0]
		for _, w := range strings.Fields(f.s.Text()) {
			f.rec = append(f.rec, w)
		}
		if len(f.rec) == 0 {
			continue
		}
		f.count++
		if err := f.lim.check(f.rec, f.count, f.line); err != nil {
			return nil, err
		}
		return f.rec, nil
	}
	if err := f.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &RowError{Line: f.line + 1, Message: "a line longer than a record may be"}
		}
		return nil, err
	}
	return nil, io.EOF
}

func (f *fieldRows) Line() int    { return f.line }
func (f *fieldRows) Close() error { return nil }

// xlsxRows streams the first sheet of a workbook.
type xlsxRows struct {
	f     *excelize.File
	rows  *excelize.Rows
	lim   Limits
	line  int
	count int
}

// OpenXLSX opens the first worksheet of the workbook at path. The zip's
// declared sizes are checked before anything is inflated, and excelize is
// told the same limit, so a zip bomb stops at the door.
func OpenXLSX(path string, lim Limits) (Rows, error) {
	if err := checkZip(path, lim.MaxUnzipBytes); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: lim.MaxUnzipBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errors.New("the workbook has no worksheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read worksheet %s: %w", sheets[0], err)
	}
	return &xlsxRows{f: f, rows: rows, lim: lim}, nil
}

func checkZip(path string, max int64) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("the file is not a readable XLSX workbook: %w", err)
	}
	defer z.Close()
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if max > 0 && total > uint64(max) {
			return fmt.Errorf("%w: the workbook unpacks to more than %d bytes", ErrTooLarge, max)
		}
	}
	return nil
}

func (x *xlsxRows) Next() ([]string, error) {
	for x.rows.Next() {
		x.line++
		rec, err := x.rows.Columns()
		if err != nil {
			return nil, &RowError{Line: x.line, Message: "unreadable row: " + err.Error()}
		}
		if blank(rec) {
			continue
		}
		x.count++
		if err := x.lim.check(rec, x.count, x.line); err != nil {
			return nil, err
		}
		return rec, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

func (x *xlsxRows) Line() int { return x.line }
func (x *xlsxRows) Close() error {
	x.rows.Close()
	return x.f.Close()
}

// Open opens the file at path by what it holds: an XLSX workbook (a zip),
// whitespace-separated columns when the preset says so, otherwise CSV.
func Open(path string, p Preset, lim Limits) (Rows, Encoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	magic := make([]byte, 4)
	n, _ := io.ReadFull(f, magic)
	if n == 4 && string(magic) == "PK\x03\x04" {
		f.Close()
		r, err := OpenXLSX(path, lim)
		return r, "xlsx", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", err
	}
	var r Rows
	var enc Encoding
	if p.Whitespace {
		r, enc, err = NewFields(f, lim)
	} else {
		r, enc, err = NewCSV(f, lim)
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	switch v := r.(type) {
	case *csvRows:
		v.c = f
	case *fieldRows:
		return closing{v, f}, enc, nil
	}
	return r, enc, nil
}

type closing struct {
	Rows
	c io.Closer
}

func (c closing) Close() error { return c.c.Close() }
