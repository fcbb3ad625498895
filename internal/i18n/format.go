package i18n

import (
	"strconv"
	"strings"
	"time"
)

// FormatInt formats an integer with a comma every three digits ("1,234,567"), the grouping
// both Chinese and English shop software use for figures.
func FormatInt(lang string, n int64) string {
	neg, abs := splitSign(n)
	return sign(neg) + groupDigits(strconv.FormatUint(abs, 10))
}

// FormatMoney formats an amount in minor units (分 for CNY) for display: "¥1,234.56" in
// zh-CN, "CN¥1,234.56" in English (where a bare ¥ could be yen), and the code before the
// figure for any other currency ("USD 12.00"). An empty currency shows the figure alone.
// Negative amounts take a leading minus ("-¥50.50").
func FormatMoney(lang string, minor int64, currency string) string {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	neg, abs := splitSign(minor)
	figure := decimalFigure(abs, minorDigits(currency))

	var prefix string
	switch {
	case currency == "":
	case currency == "CNY" && lang == En:
		prefix = "CN¥"
	case currency == "CNY":
		// Unsupported languages format as zh-CN, like T.
		prefix = "¥"
	default:
		prefix = currency + " "
	}
	return sign(neg) + prefix + figure
}

// FormatPercent formats a ratio given in basis points (1 bp = 0.01%) with two decimals:
// 1234 → "12.34%".
func FormatPercent(lang string, bp int64) string {
	neg, abs := splitSign(bp)
	return sign(neg) + decimalFigure(abs, 2) + "%"
}

// FormatDate formats the calendar date of t in loc: "2026年11月21日" in zh-CN, "21 Nov 2026"
// in English. A nil loc keeps t's own location.
func FormatDate(lang string, t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	if lang == En {
		return t.Format("2 Jan 2006")
	}
	return t.Format("2006年1月2日")
}

// FormatDateTime formats t in loc to the minute, "2026-11-21 14:05" in every language: the
// numeric form sorts and scans well in tables. A nil loc keeps t's own location.
func FormatDateTime(lang string, t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("2006-01-02 15:04")
}

// minorDigits is the number of decimal places of a currency's minor unit (ISO 4217).
// Two unless listed; the shop's own currency, CNY, has two (元 and 分).
func minorDigits(currency string) int {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

// decimalFigure renders abs/10^digits with grouped whole part and exactly digits decimals,
// in integer arithmetic so no amount is ever rounded by a float.
func decimalFigure(abs uint64, digits int) string {
	s := strconv.FormatUint(abs, 10)
	if digits == 0 {
		return groupDigits(s)
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	cut := len(s) - digits
	return groupDigits(s[:cut]) + "." + s[cut:]
}

// groupDigits inserts a comma every three digits from the right of a string of digits.
func groupDigits(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3)
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// splitSign returns whether n is negative and its magnitude; the magnitude of
// math.MinInt64 does not fit an int64, hence the uint64.
func splitSign(n int64) (neg bool, abs uint64) {
	if n < 0 {
		return true, -uint64(n)
	}
	return false, uint64(n)
}

func sign(neg bool) string {
	if neg {
		return "-"
	}
	return ""
}
