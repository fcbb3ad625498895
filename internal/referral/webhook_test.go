package referral_test

import (
	"context"
	"slices"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/webhook"
)

// An endpoint subscribed to referral.* hears each step once, in order,
// however often the reward job runs.
func TestWebhooks_EachStepOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := (&webhook.Service{DB: d}).CreateEndpoint(opCtx(), webhook.EndpointInput{URL: "https://erp.example.com/hooks",
			Events: []string{"referral.*"}}); err != nil {
			t.Fatal(err)
		}
		f.programme(nil)
		alice, bob := f.customer("王丽", "13800000001"), f.customer("李明", "13900000002")
		f.link(bob, f.code(alice, ""), "")
		f.buy(bob, 1, address(1, ""))
		f.clock.Add(8 * day)
		for range 2 {
			if _, err := f.ref.GrantDue(ctx, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.Query(ctx, `SELECT type FROM webhook_events ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var typ string
			if err := rows.Scan(&typ); err != nil {
				t.Fatal(err)
			}
			got = append(got, typ)
		}
		want := []string{webhook.ReferralLinked, webhook.ReferralPaid, webhook.ReferralRewarded}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}
