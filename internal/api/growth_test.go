package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/tier"
)

// A buyer checks in (growth once a day, the second says repeat); an
// operator raises the check-in's growth, grants growth with a reason that
// upgrades at once, and reverses the grant; the buyer's membership lists
// every movement with its reason.
func TestGrowthAPI_CheckInGrantReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		s := f.shopper("签到会员", "13800138201", nil)
		st, b := f.storeCall(s.Token, nil, "POST", "/api/v1/store/check-in", nil)
		c := decodeAs[api.StoreCheckIn](t, b)
		if st != 200 || c.Growth != 5 || c.Membership.Growth != 5 {
			t.Fatalf("check-in: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "POST", "/api/v1/store/check-in", nil)
		if c := decodeAs[api.StoreCheckIn](t, b); st != 200 || c.Growth != 0 || !c.Repeat || c.Membership.Growth != 5 {
			t.Errorf("second check-in: %d %s", st, b)
		}
		if st, _ := f.storeCall("", nil, "POST", "/api/v1/store/check-in", nil); st != http.StatusUnauthorized {
			t.Errorf("guest check-in: %d", st)
		}

		if st, b := f.call("viewer", "GET", "/api/v1/tiers/actions", nil); st != 200 || len(decodeAs[api.GrowthActions](t, b).Actions) != 3 {
			t.Errorf("read actions: %d %s", st, b)
		}
		bad := api.GrowthActions{Actions: []tier.ActionRule{{Code: "review", Growth: 10}}}
		if st, b := f.call("operator", "PUT", "/api/v1/tiers/actions", bad); st != 422 || !strings.Contains(string(b), `"field":"actions[0].code"`) {
			t.Errorf("unknown action: %d %s", st, b)
		}
		if st, b := f.call("viewer", "PUT", "/api/v1/tiers/actions", api.GrowthActions{}); st != http.StatusForbidden {
			t.Errorf("viewer changes actions: %d %s", st, b)
		}
		up := api.GrowthActions{Actions: []tier.ActionRule{{Code: tier.ActionCheckIn, Growth: 10, DailyCap: 1}}}
		if st, b := f.call("operator", "PUT", "/api/v1/tiers/actions", up); st != 200 || decodeAs[api.GrowthActions](t, b).Actions[0].Growth != 10 {
			t.Errorf("save actions: %d %s", st, b)
		}

		path := "/api/v1/customers/" + itoa(s.CustomerID) + "/growth"
		if st, b := f.call("operator", "POST", path, tier.Grant{Growth: 600}); st != 422 || !strings.Contains(string(b), `"field":"reason"`) {
			t.Errorf("grant without a reason: %d %s", st, b)
		}
		if st, b := f.call("viewer", "POST", path, tier.Grant{Growth: 600, Reason: "x"}); st != http.StatusForbidden {
			t.Errorf("viewer grants: %d %s", st, b)
		}
		st, b = f.call("operator", "POST", path, tier.Grant{Growth: 600, Reason: "客诉补偿", Key: "t-1"})
		mv := decodeAs[tier.GrowthMovement](t, b)
		if st != http.StatusCreated || mv.Amount != 600 {
			t.Fatalf("grant: %d %s", st, b)
		}
		if st, b := f.call("operator", "POST", path, tier.Grant{Growth: 100, Reason: "客诉补偿", Key: "t-1"}); st != http.StatusConflict {
			t.Errorf("another grant under a used key: %d %s", st, b)
		}
		st, b = f.storeCall(s.Token, nil, "GET", "/api/v1/store/membership", nil)
		m := decodeAs[api.StoreMembership](t, b)
		if st != 200 || m.Tier.Code != "silver" || len(m.Changes) != 1 || m.Changes[0].Cause != "客诉补偿" || len(m.Movements) != 2 {
			t.Fatalf("membership after the grant: %d %s", st, b)
		}
		rev := path + "/" + itoa(mv.ID) + "/reverse"
		if st, b := f.call("operator", "POST", rev, api.ReverseInput{}); st != 422 {
			t.Errorf("reverse without a reason: %d %s", st, b)
		}
		if st, b := f.call("operator", "POST", rev, api.ReverseInput{Reason: "误操作"}); st != http.StatusCreated || decodeAs[tier.GrowthMovement](t, b).Amount != -600 {
			t.Errorf("reverse: %d %s", st, b)
		}
		if st, b := f.call("operator", "POST", rev, api.ReverseInput{Reason: "again"}); st != http.StatusConflict {
			t.Errorf("reverse twice: %d %s", st, b)
		}
		if st, b := f.call("operator", "POST", "/api/v1/customers/"+itoa(s.CustomerID)+"/growth/999999/reverse", api.ReverseInput{Reason: "x"}); st != 404 {
			t.Errorf("reverse an unknown movement: %d %s", st, b)
		}
	})
}

// A buyer completes their profile in the storefront: a wrong email is 422
// on email; the complete profile earns 完善资料 growth once, saving it
// again earns nothing more, and the phone stays the sign-in.
func TestStoreProfile_CompletingEarnsGrowthOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		f.a.Customers.Saved = tier.ProfileSaved
		s := f.shopper("王小美", "13800138401", nil)
		st, b := f.storeCall(s.Token, nil, "GET", "/api/v1/store/profile", nil)
		if p := decodeAs[api.StoreProfile](t, b); st != 200 || p.Complete || p.Phone != "13800138401" {
			t.Fatalf("profile before: %d %s", st, b)
		}
		in := api.StoreProfileInput{Name: "王小美", Email: "not-an-email", Gender: "female", Birthday: "1995-03-08"}
		if st, b := f.storeCall(s.Token, nil, "PUT", "/api/v1/store/profile", in); st != 422 || !strings.Contains(string(b), `"field":"email"`) {
			t.Errorf("bad email: %d %s", st, b)
		}
		in.Email = "xm@example.com"
		for range 2 {
			st, b = f.storeCall(s.Token, nil, "PUT", "/api/v1/store/profile", in)
			p := decodeAs[api.StoreProfile](t, b)
			if st != 200 || !p.Complete || p.Membership.Growth != 50 || p.Phone != "13800138401" {
				t.Fatalf("complete profile: %d %s", st, b)
			}
		}
	})
}
