package audience

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// benchNow is the moment the generated store is looked at.
var benchNow = time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)

// benchStore opens (generating the first time, then reusing the file) a
// SQLite store of STOREOPS_BENCH_CUSTOMERS customers (default 1,000,000)
// with 5 orders each on average over two years, tags on a tenth, tiers on a
// third and points on half of them. The generation is plain SQL over a
// recursive counter, so a million customers take seconds, not the hours a
// row-by-row insert would. No ANALYZE: the program never runs one, so the
// planner works without statistics here as it does in a shop.
func benchStore(b *testing.B) *db.DB {
	b.Helper()
	n := 1_000_000
	if s := os.Getenv("STOREOPS_BENCH_CUSTOMERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("storeops-audience-bench-%d.db", n))
	_, statErr := os.Stat(path)
	ctx := context.Background()
	d, err := db.Open(ctx, path, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if statErr == nil {
		var have int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&have); err == nil && have == int64(n) {
			return d
		}
	}
	start := time.Now()
	now := benchNow.UnixMilli()
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d)
			INSERT INTO customers (id, name, phone, source_channel, created_at, updated_at)
			SELECT i, '客户' || i, '138' || (10000000 + i), CASE i %% 5 WHEN 0 THEN 'live' WHEN 1 THEN 'search' WHEN 2 THEN 'community' WHEN 3 THEN 'ads' ELSE '' END, 1, 1 FROM k`, n),
		// Customer i has (i*7) % 11 orders (0–10, 5 on average); order j of
		// customer i was paid (i*31 + j*97) % 730 days before now.
		fmt.Sprintf(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d), j(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM j WHERE n < 9)
			INSERT INTO orders (order_no, customer_id, channel, status, items_total, total, refunded_total, created_at, paid_at, paid_day, updated_at)
			SELECT 'B' || i || '-' || n, i, CASE (i + n) %% 3 WHEN 0 THEN 'live' WHEN 1 THEN 'direct' ELSE 'community' END, 'completed',
				5000 + (i * 13 + n * 7919) %% 60000, 5000 + (i * 13 + n * 7919) %% 60000, CASE WHEN (i + n) %% 17 = 0 THEN 2000 ELSE 0 END,
				%d - ((i * 31 + n * 97) %% 730) * 86400000 - (i %% 86400) * 1000, %d - ((i * 31 + n * 97) %% 730) * 86400000 - (i %% 86400) * 1000,
				20240101, 1
			FROM k JOIN j ON j.n < (k.i * 7) %% 11`, n, now, now),
		`UPDATE customers SET first_paid_day = (SELECT MIN(paid_day) FROM orders o WHERE o.customer_id = customers.id)`,
		fmt.Sprintf(`WITH RECURSIVE k(i) AS (SELECT 10 UNION ALL SELECT i + 10 FROM k WHERE i + 10 <= %d)
			INSERT INTO customer_tags (customer_id, tag, created_at) SELECT i, 'vip', 1 FROM k`, n),
		fmt.Sprintf(`WITH RECURSIVE k(i) AS (SELECT 3 UNION ALL SELECT i + 3 FROM k WHERE i + 3 <= %d)
			INSERT INTO customer_tiers (customer_id, tier, since, updated_at) SELECT i, CASE i %% 4 WHEN 0 THEN 'gold' WHEN 1 THEN 'platinum' ELSE 'silver' END, 1, 1 FROM k`, n),
		fmt.Sprintf(`WITH RECURSIVE k(i) AS (SELECT 2 UNION ALL SELECT i + 2 FROM k WHERE i + 2 <= %d)
			INSERT INTO points_balances (customer_id, balance, updated_at) SELECT i, i %% 5000, 1 FROM k`, n),
	}
	for _, q := range stmts {
		if _, err := d.Exec(ctx, q); err != nil {
			b.Fatalf("generate: %v\n%s", err, q)
		}
	}
	var orders int64
	d.QueryRow(ctx, `SELECT COUNT(*) FROM orders`).Scan(&orders)
	b.Logf("generated %d customers, %d orders in %s (%s)", n, orders, time.Since(start).Round(time.Second), path)
	// Every customer is new to the facts: the first refresh rebuilds them.
	start = time.Now()
	if err := Refresh(ctx, d, true); err != nil {
		b.Fatal(err)
	}
	b.Logf("order facts rebuilt in %s", time.Since(start).Round(time.Millisecond))
	return d
}

var benchSegments = []struct {
	name string
	g    Group
}{
	{"high_value_asleep", Group{Match: MatchAll, Rules: []Rule{{Field: "spend", Op: "gte", Value: "100000"}, {Field: "recency_days", Op: "gte", Value: "90"}}}},
	{"tier_and_tag", Group{Match: MatchAll, Rules: []Rule{{Field: "tier", Op: "in", Values: []string{"gold", "platinum"}}, {Field: "tag", Op: "in", Values: []string{"vip"}}}}},
	{"channel_or_points", Group{Match: MatchAny, Rules: []Rule{{Field: "source_channel", Op: "in", Values: []string{"live"}}, {Field: "points", Op: "gte", Value: "4000"}}}},
	{"nested_orders_channel", Group{Match: MatchAll, Rules: []Rule{{Field: "orders", Op: "gte", Value: "3"}},
		Groups: []Group{{Match: MatchAny, Rules: []Rule{{Field: "order_channel", Op: "in", Values: []string{"live"}}, {Field: "tag", Op: "in", Values: []string{"vip"}}}}}}},
}

// BenchmarkPreviewCount_1MCustomers counts each benchmark segment over the
// generated store, as the builder's live preview does.
func BenchmarkPreviewCount_1MCustomers(b *testing.B) {
	d := benchStore(b)
	ctx := context.Background()
	for _, s := range benchSegments {
		b.Run(s.name, func(b *testing.B) {
			env, err := LoadEnv(ctx, d, benchNow)
			if err != nil {
				b.Fatal(err)
			}
			if err := Refresh(ctx, d, true); err != nil {
				b.Fatal(err)
			}
			var n int64
			for b.Loop() {
				if n, err = CountIn(ctx, d, s.g, env); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "customers")
		})
	}
}

// BenchmarkMembership_1MCustomers asks which of the four benchmark
// segments one customer is in, as a promotion's pricing does once per
// quote: one query over the customer's own rows, whatever the store's size
// (compare STOREOPS_BENCH_CUSTOMERS=10000).
func BenchmarkMembership_1MCustomers(b *testing.B) {
	d := benchStore(b)
	ctx := context.Background()
	env, err := LoadEnv(ctx, d, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	var segs []Segment
	for i, s := range benchSegments {
		segs = append(segs, Segment{ID: int64(i + 1), Rules: s.g})
	}
	m := CompileMembership(segs, env)
	var n int64
	if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	in, id := 0, int64(0)
	for b.Loop() {
		id = id*7919%n + 1 // customers spread over the whole store
		got, err := m.Of(ctx, d, id)
		if err != nil {
			b.Fatal(err)
		}
		in += len(got)
	}
	b.ReportMetric(float64(in)/float64(b.N), "segments/customer")
}
