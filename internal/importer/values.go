package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RowError is one thing wrong with a file: the line (1-based, the header is
// line 1), the column as the file names it, the field it maps to and what
// is wrong in words a shop owner can act on.
type RowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

var errMoney = errors.New("not an amount")

// ParseMoney reads an amount such as "77.00", "¥1,299.5" or "$12" into
// minor units (分, cents) exactly, by its digits: never through a float,
// which would turn 0.29 into 28 分.
func ParseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, p := range []string{"¥", "￥", "$", "US$", "RMB", "CNY", "USD"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), "元")
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, errMoney
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !digits(whole) || (dot && !digits(frac)) || (dot && frac == "" && whole == "") {
		return 0, errMoney
	}
	for len(frac) > 2 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w: more than two decimals", errMoney)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	if len(whole) > 13 {
		return 0, fmt.Errorf("%w: too large", errMoney)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseQuantity reads a count of units: a whole number, "3.0" included (a
// spreadsheet's way of writing 3).
func parseQuantity(s string) (int64, bool) {
	whole, frac, dot := strings.Cut(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), ".")
	if !digits(whole) || len(whole) > 12 || (dot && strings.Trim(frac, "0") != "") {
		return 0, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	return n, err == nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04",
	"2006/1/2 15:04:05", "2006/1/2 15:04", "2006-1-2 15:04:05", "2006-1-2 15:04",
	"2006-01-02T15:04:05", "1/2/06 15:04", "01-02-06 15:04",
	"2006-01-02", "2006/01/02", "2006/1/2", "20060102", "2006年1月2日 15:04:05", "2006年1月2日",
}

var zonedLayouts = []string{time.RFC3339, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -07:00", "2006-01-02 15:04 -0700"}

// parseTime reads a moment as exports write it, in the store's zone unless
// the text carries its own offset (Shopify does).
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, ok := parseCommonTime(s, loc); ok {
		return t, true
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func validTime(t time.Time) bool {
	return t.Year() >= 1990 && t.Year() <= 2200
}

// parseCommonTime reads "2006-01-02 15:04:05", the layout almost every
// export uses, without trying the other layouts first: in a file of a
// million lines that search (an error value per layout tried) was a tenth
// of the import's time. ok is false for anything else, including dates
// that do not exist (2 月 30 日), which the layouts then refuse.
func parseCommonTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
