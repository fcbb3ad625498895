package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/settings"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func FuzzCSVReader(f *testing.F) {
	gbkText, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("订单编号,买家会员名\n1,小鱼儿\n"))
	for _, s := range [][]byte{
		[]byte("a,b\n1,2\n"),
		[]byte("\xef\xbb\xbfa,b\r\n1,2\r\n"),
		gbkText,
		[]byte("a,\"b\nc,d\n"),                        // unterminated quote
		[]byte("a,b\"c,d\n1,\"2\"x,3\n"),              // quote in the middle
		[]byte("a,b,c\n1\n1,2,3,4,5\n"),               // wrong column counts
		[]byte("=cmd|' /C calc'!A0,+1,-2,@SUM(A1)\n"), // formulas
		[]byte(strings.Repeat("x", 70000) + ",y\n"),   // a field larger than the sniff window
		[]byte("\xff\xfe\x00a\x00"),
		[]byte("\xe4\xb8"),
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxCellBytes: 1 << 20, MaxColumns: 1000, MaxRows: 100000}
		rows, enc, err := NewCSV(bytes.NewReader(data), lim)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.Valid(data) && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) && enc != UTF8 {
			t.Fatalf("valid UTF-8 read as %s", enc)
		}
		for n := 0; n < 200000; n++ {
			rec, err := rows.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line < 1 {
					t.Fatalf("error on line %d", re.Line)
				}
				continue
			}
			if err != nil {
				return // the limits
			}
			if rows.Line() < 1 {
				t.Fatalf("row on line %d", rows.Line())
			}
			if len(data) < sniffSize {
				for _, c := range rec {
					if !utf8.ValidString(c) {
						t.Fatalf("cell %q is not UTF-8 after decoding as %s", c, enc)
					}
				}
			}
		}
		t.Fatal("the reader does not end")
	})
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0", "0.29", "77.00", "¥1,299.5", "$12", "1.234", "-5", "1e3", ".5", "5.", "12.300", "", "999999999999999.99", "元"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMoney(s)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("ParseMoney(%q) = %d", s, v)
		}
		back, err := ParseMoney(minor(v))
		if err != nil || back != v {
			t.Fatalf("ParseMoney(%q) = %d, but %s reads back as %d (%v)", s, v, minor(v), back, err)
		}
	})
}

func FuzzOrderRows(f *testing.F) {
	f.Add("A1,2024-01-01 10:00:00,10.00,2,4.50,,paid", "A1,,,1,1.00,,")
	f.Add("A1,20240101,,1,,9.99,completed", "A2,2024/1/2 3:04,0,1,0,0,closed")
	f.Add("'=1+1,2024-01-01 10:00,1,1,1,2,paid", ",,,,,,")
	f.Add("A1,2024-01-01 10:00:00,abc,-1,1e9,x,??", "A1,2024-01-01,99999999999999.99,999999999999,99999999999999.99,,paid")
	f.Fuzz(func(t *testing.T, row1, row2 string) {
		header := []string{"order_no", "created_at", "total", "quantity", "price", "line_total", "status"}
		p, _ := LookupPreset("generic")
		lay, err := resolve(KindOrders, p, nil, header)
		if err != nil {
			t.Fatal(err)
		}
		src := &sliceRows{rows: [][]string{strings.Split(row1, ","), strings.Split(row2, ",")}}
		errs := &errorList{max: 10}
		r := newOrderReader(src, lay, p, settings.Defaults, errs)
		for {
			o, err := r.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.bad {
				continue
			}
			if o.createdAt.IsZero() || o.externalID == "" || len(o.lines) == 0 {
				t.Fatalf("a good order without time, number or lines: %+v", o)
			}
			for _, l := range o.lines {
				if l.qty <= 0 || l.total < 0 || l.total > l.gross || l.gross-l.discount != l.total {
					t.Fatalf("line %+v", l)
				}
			}
			items, discount, shipping, total := o.settle()
			if discount < 0 || shipping < 0 || total < 0 || items-discount+shipping != total {
				t.Fatalf("settle: items %d discount %d shipping %d total %d", items, discount, shipping, total)
			}
		}
		for _, e := range errs.list {
			if e.Line < 2 || e.Line > 3 || e.Message == "" {
				t.Fatalf("error %+v", e)
			}
		}
	})
}

// sliceRows serves rows from memory, the header being line 1.
type sliceRows struct {
	rows [][]string
	i    int
}

func (s *sliceRows) Next() ([]string, error) {
	if s.i >= len(s.rows) {
		return nil, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}
func (s *sliceRows) Line() int    { return s.i + 1 }
func (s *sliceRows) Close() error { return nil }
