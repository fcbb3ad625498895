package bench

import (
	"errors"
	"testing"
	"time"
)

func ms(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestPercentile_NearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100 is 50", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100 is 90", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100 is 99", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p50 of four rounds up to rank 2", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of four is the max", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p90 of ten is the ninth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"tiny p is the min", ms(3, 5, 9), 0.1, 3 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Percentile(c.sorted, c.p); got != c.want {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", c.sorted, c.p, got, c.want)
			}
		})
	}
}

func TestSummarize_SortsAndReportsCountAndMax(t *testing.T) {
	got := Summarize(ms(40, 10, 30, 20, 1000))
	want := Latency{Count: 5, P50: 30 * time.Millisecond, P90: time.Second, P99: time.Second, Max: time.Second}
	if got != want {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
	if (Summarize(nil) != Latency{}) {
		t.Fatal("Summarize(nil) is not zero")
	}
}

func TestCheckLoopback_RefusesOtherHosts(t *testing.T) {
	ok := []string{"http://127.0.0.1:8080", "http://127.3.4.5:1/", "http://[::1]:8080", "http://localhost:8080", "https://127.0.0.1"}
	for _, u := range ok {
		if _, err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%q) = %v, want accepted", u, err)
		}
	}
	refused := []string{"http://10.0.0.1:8080", "http://192.168.1.5", "http://example.com", "http://0.0.0.0:8080",
		"http://127.0.0.1.nip.io", "http://[::ffff:8.8.8.8]:80", "http://localhost.example.com"}
	for _, u := range refused {
		if _, err := CheckLoopback(u); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckLoopback(%q) = %v, want ErrNotLoopback", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1", "127.0.0.1:8080", "http://"} {
		if _, err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q) accepted a malformed URL", u)
		}
	}
}

func TestLoopbackClient_RefusesToConnectElsewhere(t *testing.T) {
	c := loopbackClient(1)
	// 192.0.2.1 is TEST-NET-1: refused before any packet leaves.
	_, err := c.Get("http://192.0.2.1:9/")
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("connecting to 192.0.2.1 = %v, want ErrNotLoopback", err)
	}
}

func TestConfig_Bounds(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:1", Scenario: Checkout, Clients: 4, Duration: time.Second, SKUs: []int64{1}}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Config){
		"unknown scenario": func(c *Config) { c.Scenario = "stress" },
		"no clients":       func(c *Config) { c.Clients = 0 },
		"too many clients": func(c *Config) { c.Clients = MaxClients + 1 },
		"endless":          func(c *Config) { c.Duration = 0 },
		"too long":         func(c *Config) { c.Duration = MaxDuration + time.Second },
		"negative count":   func(c *Config) { c.Requests = -1 },
		"browse, no token": func(c *Config) { c.Scenario = Browse },
		"no SKUs, no token": func(c *Config) {
			c.SKUs = nil
		},
	} {
		c := good
		mutate(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}

func TestReport_ServerErrorsCountsOnly5xx(t *testing.T) {
	r := Report{Errors: map[string]int64{"409": 3, "500": 2, "503": 1, "transport": 4}}
	if got := r.ServerErrors(); got != 3 {
		t.Fatalf("ServerErrors = %d, want 3", got)
	}
}
