package demo

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/tier"
)

// The demo's customers stand on the ladder their history earned: each
// one's growth is their paid totals less refunds, in yuan, every placed
// customer's tier is what their growth over the last 12 months reaches
// (the history is longer: some refunds fall in the window, their orders
// before it), evaluating again moves nobody, and more customers stand on
// each lower tier than above it.
func TestGenerate_PlacesCustomersOnTheLadder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		opts := smallShop(t)
		opts.Days = 400
		generate(t, d, opts)
		var wrong int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM customer_tiers t WHERE t.growth <> (
			SELECT COALESCE(SUM(o.total / 100), 0) - COALESCE(SUM(o.refunded_total / 100), 0) FROM orders o
			WHERE o.customer_id = t.customer_id AND o.paid_at IS NOT NULL) + (
			SELECT COALESCE(SUM(g.amount), 0) FROM growth_movements g WHERE g.customer_id = t.customer_id AND g.action <> '')`).Scan(&wrong); err != nil {
			t.Fatal(err)
		}
		if wrong != 0 {
			t.Errorf("%d customers' growth is not their paid spend less refunds and their actions' growth", wrong)
		}
		// Recent buyers checked in (签到) on some of the last 14 days, once a
		// day at most; some profit items have gold and platinum prices below
		// list.
		var checkIns, days, priced, above int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT source) FROM growth_movements WHERE action = 'check_in' AND at >= $1`,
			opts.End.AddDate(0, 0, -15).UnixMilli()).Scan(&checkIns, &days); err != nil {
			t.Fatal(err)
		}
		if checkIns == 0 || checkIns != days {
			t.Errorf("%d check-ins over %d customer-days", checkIns, days)
		}
		if err := d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN m.price > k.list_price THEN 1 ELSE 0 END), 0)
			FROM sku_member_prices m JOIN skus k ON k.id = m.sku_id`).Scan(&priced, &above); err != nil {
			t.Fatal(err)
		}
		if priced == 0 || above != 0 {
			t.Errorf("%d member prices, %d above list", priced, above)
		}
		c := tier.Default()
		rows, err := d.Query(ctx, `SELECT t.tier, COALESCE(SUM(m.amount), 0) FROM customer_tiers t
			LEFT JOIN growth_movements m ON m.customer_id = t.customer_id AND m.at >= $1 GROUP BY t.customer_id, t.tier`,
			opts.End.AddDate(0, -12, 0).UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var code string
			var g int64
			if err := rows.Scan(&code, &g); err != nil {
				t.Fatal(err)
			}
			if want := c.Levels[c.Reached(g)].Code; code != want {
				t.Errorf("a customer with growth %d is %s, want %s", g, code, want)
			}
		}
		// The placement is stable: evaluating again at the end moves nobody,
		// and no change leaves a customer where they were.
		sum, err := (&tier.Service{DB: d, Now: func() time.Time { return opts.End }}).Evaluate(ctx)
		if err != nil || sum.Upgraded+sum.Downgraded != 0 {
			t.Errorf("evaluating again: %+v, %v", sum, err)
		}
		var still int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM tier_changes WHERE from_tier = to_tier`).Scan(&still); err != nil || still != 0 {
			t.Errorf("%d changes from a tier to itself, %v", still, err)
		}
		dist, err := (&tier.Service{DB: d}).Distribution(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo tiers: %+v", counts(dist))
		for i := 1; i < len(dist); i++ {
			if dist[i].Customers == 0 || dist[i].Customers >= dist[i-1].Customers {
				t.Errorf("tier %s has %d customers, tier below %d", dist[i].Level.Code, dist[i].Customers, dist[i-1].Customers)
			}
		}
	})
}

func counts(dist []tier.Count) map[string]int64 {
	out := map[string]int64{}
	for _, c := range dist {
		out[c.Level.Code] = c.Customers
	}
	return out
}
