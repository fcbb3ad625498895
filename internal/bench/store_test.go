package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

// The whole path of `storeops bench`: a generated store served on loopback,
// shoppers checking out and paying, operators browsing, for about two
// seconds.
func TestRun_MixedAgainstSelfStartedStore_PaysOrdersWithoutServerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and loads it for two seconds")
	}
	ctx := context.Background()
	s, err := StartStore(ctx, StoreOptions{Dir: t.TempDir(), Synchronous: "NORMAL", Customers: 300, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	run := 2 * time.Second
	if raceDetector {
		run = 8 * time.Second
	}
	rep, err := Run(ctx, Config{URL: s.URL, Scenario: Mixed, Clients: 8, Duration: run, Token: s.Token, SKUs: s.SKUs, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests in %s, %d orders placed, %d paid, errors %v, p50 %s p99 %s",
		rep.Requests, rep.Elapsed.Round(time.Millisecond), rep.OrdersPlaced, rep.OrdersPaid, rep.Errors, rep.Latency.P50, rep.Latency.P99)
	if rep.OrdersPaid == 0 || rep.OrdersPlaced < rep.OrdersPaid {
		t.Fatalf("placed %d and paid %d orders, want some paid", rep.OrdersPlaced, rep.OrdersPaid)
	}
	if n := rep.ServerErrors(); n > 0 {
		t.Fatalf("%d answers were 5xx: %v", n, rep.Errors)
	}
	for _, op := range []string{"register (setup)", "checkout", "pay", "products", "customers"} {
		if rep.ByOperation[op].Count == 0 {
			t.Errorf("no %s request was measured: %v", op, rep.ByOperation)
		}
	}
	if rep.Elapsed > run+3*time.Second {
		t.Errorf("a %s run took %s: it did not stop by itself", run, rep.Elapsed)
	}
	// Every paid order the bench counted is in the database, paid.
	var paid int64
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM orders o JOIN customer_credentials c ON c.customer_id = o.customer_id
		WHERE o.status = 'paid'`).Scan(&paid); err != nil {
		t.Fatal(err)
	}
	if paid != rep.OrdersPaid {
		t.Errorf("the database holds %d paid orders of registered shoppers, the bench counted %d", paid, rep.OrdersPaid)
	}
}

// Without SKUs the run finds on-sale ones through the operator API, as it
// does against a server it did not start.
func TestRun_FindsSKUsAndStopsAfterRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	ctx := context.Background()
	s, err := StartStore(ctx, StoreOptions{Dir: t.TempDir(), Synchronous: "NORMAL", Customers: 300, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := Run(ctx, Config{URL: s.URL, Scenario: Mixed, Clients: 4, Duration: time.Minute, Requests: 40, Token: s.Token})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 40 || rep.Latency.Count != 40 {
		t.Fatalf("asked for 40 requests, sent %d (%d measured)", rep.Requests, rep.Latency.Count)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	if rep.ByOperation["checkout"].Count == 0 || rep.ByOperation["products"].Count+rep.ByOperation["product_search"].Count == 0 {
		t.Fatalf("want both shopping and browsing, got %v", rep.ByOperation)
	}
}
