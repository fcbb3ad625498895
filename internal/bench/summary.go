// Package bench is storeops' load generator: simulated shoppers and
// operators over HTTP against a storeops on loopback, bounded in requests
// and time, with a summary of throughput, errors and latency.
package bench

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"
)

// Latency summarises the durations of a kind of request.
type Latency struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summarize sorts ds (in place) and returns its percentiles by nearest
// rank: the p-th percentile is the smallest duration that at least p% of
// the durations do not exceed, so a p99 of 5 ms means 99% took 5 ms or less.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{Count: len(ds), P50: Percentile(ds, 50), P90: Percentile(ds, 90), P99: Percentile(ds, 99), Max: ds[len(ds)-1]}
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted
// durations: the value at rank ⌈p/100 × n⌉.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// Integer arithmetic on hundredths of a percent keeps 99% of 100 at
	// rank 99, where float rounding might give 100.
	hp := int64(p*100 + 0.5)
	rank := int((hp*int64(n) + 9999) / 10000)
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// ErrNotLoopback: the target is not this machine. Load tests run only
// against loopback; load on any other address is not allowed here.
var ErrNotLoopback = fmt.Errorf("bench only sends load to loopback (127.0.0.0/8, ::1, localhost)")

// CheckLoopback refuses a target URL whose host is not a loopback address.
// Names other than localhost are refused without resolving them, so a DNS
// answer cannot turn the load toward another machine.
func CheckLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("--url %q: give an http:// URL such as http://127.0.0.1:8080", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("--url %q: no host; give one such as http://127.0.0.1:8080", raw)
	}
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--url %q: host %s is not loopback: %w", raw, host, ErrNotLoopback)
	}
	return u, nil
}
