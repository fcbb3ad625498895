package demo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	ev "github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/event/eventtest"
)

func generateTraffic(t *testing.T, d *db.DB) TrafficSummary {
	t.Helper()
	generate(t, d, smallShop(t))
	sum, err := GenerateTraffic(context.Background(), d, 16, nil)
	if err != nil {
		t.Fatalf("GenerateTraffic: %v", err)
	}
	eventtest.Copy(t, d) // the stored events as a table, stored_events
	return sum
}

func one(t *testing.T, d *db.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Every paid order but a presale's deposit (no purchase: docs/METRICS.md)
// is one purchase event on its payment day through its channel, and every
// order had a checkout start.
func TestTraffic_PurchasesMatchPaidOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		sum := generateTraffic(t, d)
		if sum.Events == 0 || sum.Events != one(t, d, "SELECT COUNT(*) FROM stored_events") {
			t.Fatalf("summary says %d events", sum.Events)
		}
		paid := one(t, d, "SELECT COUNT(*) FROM orders WHERE paid_day IS NOT NULL AND presale_role <> 'deposit'")
		if n := one(t, d, "SELECT COUNT(*) FROM stored_events WHERE type = 'purchase'"); n != paid {
			t.Errorf("%d purchase events for %d paid orders", n, paid)
		}
		if n := one(t, d, `SELECT COUNT(*) FROM orders o JOIN stored_events e ON e.event_id = 'purchase:' || o.order_no
			WHERE e.day = o.paid_day AND e.channel = o.channel AND e.customer_id = o.customer_id AND e.at = o.paid_at`); n != paid {
			t.Errorf("%d of %d purchase events agree with their order's day, channel, customer and time", n, paid)
		}
		orders := one(t, d, "SELECT COUNT(*) FROM orders")
		if n := one(t, d, "SELECT COUNT(DISTINCT session_id) FROM stored_events WHERE type = 'checkout_start'"); n < orders {
			t.Errorf("%d visits started checkout, fewer than the %d orders placed", n, orders)
		}
		if n := one(t, d, "SELECT COUNT(*) FROM stored_events WHERE at >= $1", time.Now().UnixMilli()); n != 0 {
			t.Errorf("%d events in the future", n)
		}
		done, err := TrafficDone(context.Background(), d)
		if err != nil || !done {
			t.Errorf("traffic not marked done: %v", err)
		}
		if n := one(t, d, "SELECT COUNT(*) FROM job_marks WHERE name = $1", TrafficPendingMark); n != 0 {
			t.Error("traffic still marked pending")
		}
	})
}

// The channel each event carries is the one the default rules give its UTM
// parameters and referrer at ingest.
func TestTraffic_ChannelsFollowTheIngestRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		generateTraffic(t, d)
		rules, err := ev.NewCollector(d, nil).Rules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rows, err := d.Query(context.Background(), "SELECT channel, utm_source, utm_medium, referrer, page FROM stored_events")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		bad := 0
		for rows.Next() {
			var ch, src, med, ref, page string
			if err := rows.Scan(&ch, &src, &med, &ref, &page); err != nil {
				t.Fatal(err)
			}
			if got := ev.Channel(rules, src, med, ref, page); got != ch {
				if bad++; bad < 5 {
					t.Errorf("stored %s, the rules say %s (utm %s/%s, referrer %s)", ch, got, src, med, ref)
				}
			}
		}
	})
}

// The funnel narrows at every step and about one visitor in 8–25 buys.
func TestTraffic_FunnelDropsOff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		generateTraffic(t, d)
		step := func(typ string) int64 {
			return one(t, d, "SELECT COUNT(DISTINCT session_id) FROM stored_events WHERE type = $1", typ)
		}
		visits := one(t, d, "SELECT COUNT(DISTINCT session_id) FROM stored_events")
		views, carts, checkouts, paid := step("product_view"), step("add_to_cart"), step("checkout_start"), step("purchase")
		if !(visits > views && views > carts && carts > checkouts && checkouts > paid && paid > 0) {
			t.Fatalf("funnel: visits %d, views %d, carts %d, checkouts %d, paid %d", visits, views, carts, checkouts, paid)
		}
		if conv := float64(paid) / float64(visits); conv < 0.04 || conv > 0.12 {
			t.Errorf("visit conversion %.3f, want 0.04–0.12", conv)
		}
		pv := one(t, d, "SELECT COUNT(*) FROM stored_events WHERE type = 'page_view'")
		if ctr := float64(one(t, d, "SELECT COUNT(*) FROM stored_events WHERE type = 'product_view'")) / float64(pv); ctr < 0.3 || ctr > 0.8 {
			t.Errorf("product views per page view %.2f", ctr)
		}
	})
}

// Running it again (a demo stopped halfway) replaces the demo traffic
// rather than doubling it.
func TestTraffic_RerunReplaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		first := generateTraffic(t, d)
		if _, err := GenerateTraffic(context.Background(), d, 16, nil); err != nil {
			t.Fatal(err)
		}
		eventtest.Copy(t, d)
		if n := one(t, d, "SELECT COUNT(*) FROM stored_events"); n != first.Events {
			t.Errorf("%d events after a second run, want %d", n, first.Events)
		}
	})
}

// The default demo size, timed (STOREOPS_DEMO_TIMING=1).
func TestTraffic_DefaultSizeTiming(t *testing.T) {
	if os.Getenv("STOREOPS_DEMO_TIMING") == "" {
		t.Skip("set STOREOPS_DEMO_TIMING=1 to time the default demo")
	}
	d, err := db.Open(context.Background(), t.TempDir()+"/demo.db", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sum := generate(t, d, Options{})
	tr, err := GenerateTraffic(context.Background(), d, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("orders %d in %s; traffic %d events, %d visits in %s", sum.Orders, sum.Took, tr.Events, tr.Visits, tr.Took)
}
