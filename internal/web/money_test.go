package web

import (
	"errors"
	"testing"
)

func TestParseYuan(t *testing.T) {
	ok := map[string]int64{
		"0":                  0,
		"12":                 1200,
		"12.5":               1250,
		"12.50":              1250,
		"0.29":               29, // 0.29 as a float64 × 100 is 28.999…
		"0.07":               7,
		".5":                 50,
		"1,299.00":           129900,
		"12,345,678.9":       1234567890,
		"¥8.80":              880,
		"￥ 8.8":              880,
		"  19.9 ":            1990,
		"+3":                 300,
		"007.10":             710,
		"999999999999999.99": 99999999999999999,
	}
	for in, want := range ok {
		got, err := parseYuan(in)
		if err != nil || got != want {
			t.Errorf("parseYuan(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]error{
		"":                  errYuanEmpty,
		"  ":                errYuanEmpty,
		"12.345":            errYuanDecimals,
		"0.001":             errYuanDecimals,
		"-1":                errYuanNegative,
		"1e3":               errYuanFormat,
		"12.":               errYuanFormat,
		".":                 errYuanFormat,
		"1.2.3":             errYuanFormat,
		"12,34":             errYuanFormat,
		"1,2345":            errYuanFormat,
		"abc":               errYuanFormat,
		"1 000":             errYuanFormat,
		"NaN":               errYuanFormat,
		"１２":                errYuanFormat, // full-width digits
		"1000000000000000":  errYuanTooLarge,
		"99999999999999999": errYuanTooLarge,
	}
	for in, want := range bad {
		if got, err := parseYuan(in); !errors.Is(err, want) {
			t.Errorf("parseYuan(%q) = %d, %v; want error %v", in, got, err, want)
		}
	}
}

func TestFormatYuanRoundTrips(t *testing.T) {
	for _, fen := range []int64{0, 1, 29, 100, 1990, 129950, 99999999999999999} {
		s := formatYuan(fen)
		back, err := parseYuan(s)
		if err != nil || back != fen {
			t.Errorf("formatYuan(%d) = %q, parses back as %d, %v", fen, s, back, err)
		}
	}
	if got := formatYuan(-5050); got != "-50.50" {
		t.Errorf("formatYuan(-5050) = %q", got)
	}
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"12.34", "1,299.00", "¥8", ".5", "1e9", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := parseYuan(s)
		if err != nil {
			return
		}
		if fen < 0 {
			t.Fatalf("parseYuan(%q) = %d, negative", s, fen)
		}
		if back, err := parseYuan(formatYuan(fen)); err != nil || back != fen {
			t.Fatalf("parseYuan(%q) = %d does not round-trip: %d, %v", s, fen, back, err)
		}
	})
}
