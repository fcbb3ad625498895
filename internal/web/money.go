package web

import (
	"errors"
	"strconv"
	"strings"
)

// maxYuanDigits bounds the whole-yuan part so that yuan × 100 + fen always
// fits an int64 (and is far above any price: the catalog caps prices lower).
const maxYuanDigits = 15

var (
	errYuanEmpty    = errors.New("empty")
	errYuanFormat   = errors.New("format")
	errYuanDecimals = errors.New("decimals")
	errYuanTooLarge = errors.New("too large")
	errYuanNegative = errors.New("negative")
)

// parseYuan reads an amount typed in 元 ("12", "12.5", "12.50", "1,299.00",
// "¥8.8") as 分, exactly: the digits are read as text, never through a float,
// so 0.29 is 29 分 and not 28.999…. More than two decimals is an error, not
// a rounding: a price of 12.345 is a typo the operator should see.
func parseYuan(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "¥")
	s = strings.TrimPrefix(s, "￥")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errYuanEmpty
	}
	if s[0] == '-' {
		return 0, errYuanNegative
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, hasDot := strings.Cut(s, ".")
	whole = stripGrouping(whole)
	if whole == "" && (!hasDot || frac == "") {
		return 0, errYuanFormat
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, errYuanFormat
	}
	if hasDot && frac == "" {
		return 0, errYuanFormat
	}
	if len(frac) > 2 {
		return 0, errYuanDecimals
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxYuanDigits {
		return 0, errYuanTooLarge
	}
	var yuan int64
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return 0, errYuanTooLarge
		}
		yuan = n
	}
	for len(frac) < 2 {
		frac += "0"
	}
	fen, _ := strconv.ParseInt(frac, 10, 64)
	return yuan*100 + fen, nil
}

// stripGrouping removes thousands separators when they sit where grouping
// puts them ("1,299"); anything else is left for the digit check to refuse.
func stripGrouping(s string) string {
	if !strings.Contains(s, ",") {
		return s
	}
	parts := strings.Split(s, ",")
	if len(parts[0]) == 0 || len(parts[0]) > 3 {
		return s
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return s
		}
	}
	return strings.Join(parts, "")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatYuan writes 分 as 元 with two decimals and no grouping, the way a
// form field shows a price for editing ("1299.00").
func formatYuan(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/100, 10) + "." + strconv.FormatUint(u%100/10, 10) + strconv.FormatUint(u%10, 10)
	if neg {
		return "-" + s
	}
	return s
}

// yuanErrorKey is the catalog key that explains a parseYuan error.
func yuanErrorKey(err error) string {
	switch {
	case errors.Is(err, errYuanEmpty):
		return "form.money_required"
	case errors.Is(err, errYuanDecimals):
		return "form.money_decimals"
	case errors.Is(err, errYuanNegative):
		return "form.money_negative"
	case errors.Is(err, errYuanTooLarge):
		return "form.money_too_large"
	}
	return "form.money_format"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// parseID reads a positive id from a path value; 0 when it is not one.
func parseID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
