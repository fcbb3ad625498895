package importer

import (
	"testing"
	"time"
)

func TestParseCommonTime(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2024-02-29 23:59:59", true},
		{"2023-02-29 12:00:00", false}, // no such day
		{"2024-13-01 00:00:00", false},
		{"2024-01-01 24:00:00", false},
		{"2024-01-01 12:60:00", false},
		{"2024/01/01 12:00:00", false}, // another layout: the list reads it
		{"2024-01-01T12:00:00", false},
		{"2024-01-0a 12:00:00", false},
		{"２０２４-01-01 12:00", false},
	} {
		got, ok := parseCommonTime(c.in, sh)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.in, ok, c.ok)
			continue
		}
		if ok {
			want, err := time.ParseInLocation("2006-01-02 15:04:05", c.in, sh)
			if err != nil || !want.Equal(got) {
				t.Errorf("%q: %v, time.Parse says %v (%v)", c.in, got, want, err)
			}
		}
	}
	// Through parseTime, the other layouts still read what the fast path
	// leaves.
	if got, ok := parseTime("2024/01/02 03:04:05", sh); !ok || got.Hour() != 3 {
		t.Errorf("2024/01/02 03:04:05: %v %v", got, ok)
	}
}

// The fast path agrees with time.ParseInLocation on every input it takes
// (what it leaves, the layouts read as before).
func FuzzParseCommonTime(f *testing.F) {
	for _, s := range []string{"2024-02-29 23:59:59", "2023-02-29 12:00:00", "0000-01-01 00:00:00", "9999-12-31 23:59:59"} {
		f.Add(s)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseCommonTime(s, sh)
		want, err := time.ParseInLocation("2006-01-02 15:04:05", s, sh)
		if ok && (err != nil || !want.Equal(got)) {
			t.Fatalf("%q: fast path %v, time.Parse %v (%v)", s, got, want, err)
		}
	})
}
