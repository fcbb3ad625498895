package i18n

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai even where the system has no zoneinfo
)

func TestCatalogs_HaveSameKeys(t *testing.T) {
	want := Keys(ZhCN)
	if len(want) == 0 {
		t.Fatal("zh-CN catalog is empty")
	}
	for _, lang := range Supported[1:] {
		got := Keys(lang)
		for _, k := range want {
			if !Has(lang, k) {
				t.Errorf("%s lacks key %q (present in %s)", lang, k, ZhCN)
			}
		}
		for _, k := range got {
			if !Has(ZhCN, k) {
				t.Errorf("%s has key %q missing from %s", lang, k, ZhCN)
			}
		}
	}
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]+|\.zh-CN)+$`)

func TestCatalogs_KeysWellFormedValuesNotEmpty(t *testing.T) {
	for _, lang := range Supported {
		for _, k := range Keys(lang) {
			if !keyPattern.MatchString(k) {
				t.Errorf("%s: key %q is not dotted lower-case (like nav.orders)", lang, k)
			}
			v := T(lang, k)
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q has an empty message", lang, k)
			}
			if v != strings.TrimSpace(v) {
				t.Errorf("%s: key %q has leading or trailing space: %q", lang, k, v)
			}
		}
	}
}

// TestCatalogs_VerbsMatchAcrossLanguages makes sure a caller's arguments fit every
// translation of a message: the same fmt verb for each argument position.
func TestCatalogs_VerbsMatchAcrossLanguages(t *testing.T) {
	for _, k := range Keys(ZhCN) {
		want, err := verbs(catalogs[ZhCN][k])
		if err != nil {
			t.Errorf("%s %q: %v", ZhCN, k, err)
			continue
		}
		for _, lang := range Supported[1:] {
			msg, ok := catalogs[lang][k]
			if !ok {
				continue // reported by TestCatalogs_HaveSameKeys
			}
			got, err := verbs(msg)
			if err != nil {
				t.Errorf("%s %q: %v", lang, k, err)
				continue
			}
			if !maps.Equal(got, want) {
				t.Errorf("key %q: %s verbs %v, %s verbs %v", k, lang, got, ZhCN, want)
			}
		}
	}
}

// TestCatalogs_FormatCleanly renders every message with arguments of the kinds its verbs
// ask for and looks for fmt's complaints (%!d(string=…), %!(EXTRA …)).
func TestCatalogs_FormatCleanly(t *testing.T) {
	for _, lang := range Supported {
		for _, k := range Keys(lang) {
			vs, err := verbs(catalogs[lang][k])
			if err != nil || len(vs) == 0 {
				continue
			}
			args := make([]any, len(vs))
			for i := range args {
				switch vs[i+1] {
				case "%d":
					args[i] = 42
				default:
					args[i] = "x"
				}
			}
			if got := T(lang, k, args...); strings.Contains(got, "%!") {
				t.Errorf("%s %q formats badly: %s", lang, k, got)
			}
		}
	}
}

// verbs maps each argument position (1-based) of a fmt format to its verb ("%d"),
// following explicit indexes such as %[2]s.
func verbs(format string) (map[int]string, error) {
	out := map[int]string{}
	next := 1
	rs := []rune(format)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '%' {
			continue
		}
		i++
		if i < len(rs) && rs[i] == '%' {
			continue
		}
		for i < len(rs) && strings.ContainsRune("+-# 0123456789.", rs[i]) {
			i++
		}
		if i < len(rs) && rs[i] == '[' {
			end := slices.Index(rs[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed argument index in %q", format)
			}
			var n int
			if _, err := fmt.Sscanf(string(rs[i+1:i+end]), "%d", &n); err != nil || n < 1 {
				return nil, fmt.Errorf("bad argument index in %q", format)
			}
			next = n
			i += end + 1
		}
		if i >= len(rs) {
			return nil, fmt.Errorf("dangling %% at the end of %q", format)
		}
		verb := "%" + string(rs[i])
		if prev, ok := out[next]; ok && prev != verb {
			return nil, fmt.Errorf("argument %d used as %s and %s in %q", next, prev, verb, format)
		}
		out[next] = verb
		next++
	}
	return out, nil
}

func TestT(t *testing.T) {
	tests := []struct {
		name, lang, key string
		args            []any
		want            string
	}{
		{"zh-CN message", ZhCN, "nav.orders", nil, "订单"},
		{"english message", En, "nav.orders", nil, "Orders"},
		{"unknown language falls back to zh-CN", "fr", "nav.orders", nil, "订单"},
		{"empty language falls back to zh-CN", "", "product.status.on_sale", nil, "在售"},
		{"missing key shows the key", En, "nav.no_such_page", nil, "nav.no_such_page"},
		{"missing key with args shows the key", En, "nav.no_such_page", []any{1}, "nav.no_such_page"},
		{"args formatted", En, "login.throttled", []any{30}, "Too many attempts, try again in 30 seconds"},
		{"args formatted zh-CN", ZhCN, "login.throttled", []any{30}, "尝试次数过多，请 30 秒后再试"},
		{"two args", En, "err.forbidden", []any{"viewer", "delete products"}, "Forbidden: your role viewer cannot delete products"},
		{"no args leaves verbs as written", En, "err.invalid", nil, "Invalid input: %s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := T(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
			}
		})
	}
}

func TestHas(t *testing.T) {
	if !Has(ZhCN, "nav.overview") || !Has(En, "nav.overview") {
		t.Error("nav.overview missing")
	}
	if Has(En, "nav.nope") {
		t.Error("Has reports a key that does not exist")
	}
}

func TestKeys_SortedAndACopy(t *testing.T) {
	keys := Keys(En)
	if !slices.IsSorted(keys) {
		t.Error("Keys not sorted")
	}
	keys[0] = "mutated"
	if Keys(En)[0] == "mutated" {
		t.Error("Keys returned the catalog's own storage")
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name, choice, header, want string
	}{
		{"nothing gives the default", "", "", ZhCN},
		{"explicit english", "en", "zh-CN,zh;q=0.9", En},
		{"explicit zh-CN", "zh-CN", "en-US,en;q=0.9", ZhCN},
		{"explicit choice is case-insensitive", "EN", "", En},
		{"explicit zh", "zh", "en", ZhCN},
		{"unsupported choice falls to the header", "fr", "en-GB", En},
		{"garbage choice falls to the header", "<script>", "en", En},
		{"zh-CN header", "", "zh-CN", ZhCN},
		{"zh header", "", "zh", ZhCN},
		{"zh-Hans header", "", "zh-Hans", ZhCN},
		{"zh-Hans-CN header", "", "zh-Hans-CN", ZhCN},
		{"zh_CN with underscore", "", "zh_CN", ZhCN},
		{"en-US header", "", "en-US", En},
		{"chrome english", "", "en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7", En},
		{"chrome chinese", "", "zh-CN,zh;q=0.9,en;q=0.8", ZhCN},
		{"q-values beat order", "", "zh;q=0.5, en;q=0.8", En},
		{"ties go to the first", "", "en;q=0.5, zh;q=0.5", En},
		{"unsupported first, supported later", "", "fr-FR,fr;q=0.9,en;q=0.8", En},
		{"only unsupported", "", "fr-FR,de;q=0.9", ZhCN},
		{"q=0 excludes", "", "en;q=0, fr", ZhCN},
		{"q=0 excludes but another matches", "", "zh;q=0, en;q=0.1", En},
		{"star means default", "", "fr, *;q=0.5", ZhCN},
		{"star loses to a better match", "", "*;q=0.1, en", En},
		{"spaces and case", "", "  EN-us ; Q=0.7 ,  fr ", En},
		{"malformed q skipped", "", "en;q=abc, zh;q=0.2", ZhCN},
		{"q above one skipped", "", "en;q=2, zh;q=0.2", ZhCN},
		{"NaN q skipped", "", "en;q=NaN", ZhCN},
		{"empty entries", "", ",,;,en", En},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.choice, tt.header); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.choice, tt.header, got, tt.want)
			}
		})
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add("", "en-US,en;q=0.9,zh-CN;q=0.8")
	f.Add("zh", "zh-Hans;q=0.1, *;q=0.5")
	f.Add("x", ";;q=;q=1e309,,")
	f.Fuzz(func(t *testing.T, choice, header string) {
		got := Negotiate(choice, header)
		if !slices.Contains(Supported, got) {
			t.Fatalf("Negotiate(%q, %q) = %q, not a supported language", choice, header, got)
		}
	})
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		lang     string
		minor    int64
		currency string
		want     string
	}{
		{ZhCN, 0, "CNY", "¥0.00"},
		{ZhCN, 1, "CNY", "¥0.01"},
		{ZhCN, 100, "CNY", "¥1.00"},
		{ZhCN, 123456, "CNY", "¥1,234.56"},
		{ZhCN, 123456789, "CNY", "¥1,234,567.89"},
		{ZhCN, -5050, "CNY", "-¥50.50"},
		{En, 0, "CNY", "CN¥0.00"},
		{En, 1, "CNY", "CN¥0.01"},
		{En, 100, "CNY", "CN¥1.00"},
		{En, 123456789, "CNY", "CN¥1,234,567.89"},
		{En, -5050, "CNY", "-CN¥50.50"},
		{En, 1200, "USD", "USD 12.00"},
		{ZhCN, 1200, "USD", "USD 12.00"},
		{ZhCN, -99, "usd", "-USD 0.99"},
		{En, 1500, "JPY", "JPY 1,500"},
		{En, 1234, "KWD", "KWD 1.234"},
		{"fr", 100, "CNY", "¥1.00"},
		{ZhCN, 100, "", "1.00"},
		{ZhCN, math.MaxInt64, "CNY", "¥92,233,720,368,547,758.07"},
		{ZhCN, math.MinInt64, "CNY", "-¥92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.lang, tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%q, %d, %q) = %q, want %q", tt.lang, tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestFormatInt(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{999, "999"},
		{1000, "1,000"},
		{-1000, "-1,000"},
		{1234567, "1,234,567"},
		{-123456, "-123,456"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		for _, lang := range Supported {
			if got := FormatInt(lang, tt.n); got != tt.want {
				t.Errorf("FormatInt(%q, %d) = %q, want %q", lang, tt.n, got, tt.want)
			}
		}
	}
}

func TestFormatPercent(t *testing.T) {
	tests := []struct {
		bp   int64
		want string
	}{
		{0, "0.00%"},
		{1, "0.01%"},
		{50, "0.50%"},
		{1234, "12.34%"},
		{10000, "100.00%"},
		{-5, "-0.05%"},
		{-1234, "-12.34%"},
		{12345678, "123,456.78%"},
	}
	for _, tt := range tests {
		for _, lang := range Supported {
			if got := FormatPercent(lang, tt.bp); got != tt.want {
				t.Errorf("FormatPercent(%q, %d) = %q, want %q", lang, tt.bp, got, tt.want)
			}
		}
	}
}

func TestFormatDate_InShanghai(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load Asia/Shanghai: %v", err)
	}
	tests := []struct {
		name         string
		t            time.Time
		lang         string
		wantDate     string
		wantDateTime string
	}{
		{"afternoon zh-CN", time.Date(2026, 11, 21, 6, 5, 0, 0, time.UTC), ZhCN, "2026年11月21日", "2026-11-21 14:05"},
		{"afternoon en", time.Date(2026, 11, 21, 6, 5, 0, 0, time.UTC), En, "21 Nov 2026", "2026-11-21 14:05"},
		// 2026-01-04 20:30 UTC is already the 5th in Shanghai (UTC+8).
		{"crosses midnight zh-CN", time.Date(2026, 1, 4, 20, 30, 0, 0, time.UTC), ZhCN, "2026年1月5日", "2026-01-05 04:30"},
		{"crosses midnight en", time.Date(2026, 1, 4, 20, 30, 0, 0, time.UTC), En, "5 Jan 2026", "2026-01-05 04:30"},
		{"unknown language as zh-CN", time.Date(2026, 11, 21, 6, 5, 0, 0, time.UTC), "fr", "2026年11月21日", "2026-11-21 14:05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatDate(tt.lang, tt.t, shanghai); got != tt.wantDate {
				t.Errorf("FormatDate = %q, want %q", got, tt.wantDate)
			}
			if got := FormatDateTime(tt.lang, tt.t, shanghai); got != tt.wantDateTime {
				t.Errorf("FormatDateTime = %q, want %q", got, tt.wantDateTime)
			}
		})
	}
}

func TestFormatDate_NilLocationKeepsTimesOwn(t *testing.T) {
	tm := time.Date(2026, 11, 21, 23, 59, 0, 0, time.FixedZone("UTC+8", 8*3600))
	if got, want := FormatDate(En, tm, nil), "21 Nov 2026"; got != want {
		t.Errorf("FormatDate = %q, want %q", got, want)
	}
	if got, want := FormatDateTime(ZhCN, tm, nil), "2026-11-21 23:59"; got != want {
		t.Errorf("FormatDateTime = %q, want %q", got, want)
	}
}
