package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/tier"
)

// An operator lowers the ladder so one ¥59 T-shirt reaches silver; a buyer
// pays for one and is silver at once, which the buyer's membership and the
// customer's tier both say, with the upgrade and its figures.
func TestTiersAPI_LadderUpgradeMembership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		f.a.Orders.Hooks = []order.Hook{tier.Hook{}}
		ladder := tier.Default()
		for i := range ladder.Levels {
			ladder.Levels[i].DiscountBP = 0
		}
		ladder.Levels[1].Threshold, ladder.Levels[1].KeepThreshold = 50, 30
		if st, b := f.call("viewer", "PUT", "/api/v1/tiers", ladder); st != http.StatusForbidden {
			t.Errorf("viewer changes the ladder: %d %s", st, b)
		}
		bad := tier.Default()
		bad.Levels[2].Threshold = 10
		if st, b := f.call("operator", "PUT", "/api/v1/tiers", bad); st != 422 || !strings.Contains(string(b), `"field":"levels[2].`) {
			t.Errorf("thresholds out of order: %d %s", st, b)
		}
		if st, b := f.call("operator", "PUT", "/api/v1/tiers", ladder); st != 200 || decodeAs[tier.Config](t, b).Levels[1].Threshold != 50 {
			t.Fatalf("save ladder: %d %s", st, b)
		}
		if st, b := f.call("viewer", "GET", "/api/v1/tiers", nil); st != 200 || decodeAs[tier.Config](t, b).Levels[1].KeepThreshold != 30 {
			t.Errorf("read ladder: %d %s", st, b)
		}
		s := f.shopper("陈会员", "13800138077", nil)
		st, b := f.storeCall(s.Token, nil, "GET", "/api/v1/store/membership", nil)
		if m := decodeAs[api.StoreMembership](t, b); st != 200 || m.Tier.Code != "normal" || m.NeedGrowth != 50 || len(m.Ladder) != 4 {
			t.Fatalf("membership before: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}, "ship_to": shipTo})
		if st != http.StatusCreated {
			t.Fatalf("checkout: %d %s", st, b)
		}
		o := decodeAs[api.StoreOrder](t, b)
		if st, b = f.storeCall(s.Token, map[string]string{api.HeaderIdempotencyKey: "tier-pay-1"}, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/pay", map[string]any{}); st != 200 && st != 201 {
			t.Fatalf("pay: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "GET", "/api/v1/store/membership", nil)
		if m := decodeAs[api.StoreMembership](t, b); st != 200 || m.Tier.Code != "silver" || m.Next == nil || m.Next.Code != "gold" {
			t.Fatalf("membership after: %d %s", st, b)
		}
		st, b = f.call("service", "GET", "/api/v1/customers/"+itoa(s.CustomerID)+"/tier", nil)
		m := decodeAs[tier.Membership](t, b)
		if st != 200 || len(m.Changes) != 1 || m.Changes[0].Kind != "upgrade" || m.Changes[0].Threshold != 50 || m.Growth < 50 {
			t.Fatalf("customer tier: %d %s", st, b)
		}
		if st, b := f.call("service", "GET", "/api/v1/customers/999999/tier", nil); st != 404 {
			t.Errorf("unknown customer: %d %s", st, b)
		}
		st, b = f.call("viewer", "GET", "/api/v1/tiers/distribution", nil)
		if dist := decodeAs[api.TierDistribution](t, b); st != 200 || dist.Tiers[1].Customers != 1 {
			t.Errorf("distribution: %d %s", st, b)
		}
	})
}
