package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/promotion"
)

func TestCouponsAPI_TemplatesClaimRedeemPushCodes(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	newcomer := map[string]any{"name": "新人券 满99减10", "claimable": true, "valid_days": 30, "per_customer_limit": 1,
		"rule": map[string]any{"kind": "fixed_off", "amount": 1000, "threshold": 9900, "first_order_only": true}}

	if st, _ := f.call("designer", "POST", "/api/v1/coupon-templates", newcomer); st != http.StatusForbidden {
		t.Fatalf("designer creates a coupon: %d", st)
	}
	bad := map[string]any{"name": "倒挂券", "valid_days": 30, "rule": map[string]any{"kind": "fixed_off", "amount": 1000, "threshold": 500}}
	st, body := f.call("operator", "POST", "/api/v1/coupon-templates", bad)
	if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "rule.threshold" {
		t.Fatalf("threshold under the discount: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/coupon-templates", newcomer)
	tpl := decodeAs[coupon.Template](t, body)
	if st != http.StatusCreated || tpl.Status != coupon.StatusActive || tpl.Rule.Scope != "order" {
		t.Fatalf("create: %d %s", st, body)
	}
	live := map[string]any{"name": "直播间专属券", "shared_code": "LIVE20", "valid_days": 7, "total_limit": 100,
		"rule": map[string]any{"kind": "percent_off", "rate_bp": 1000, "cap": 2000, "channels": []string{"live"}}}
	st, body = f.call("operator", "POST", "/api/v1/coupon-templates", live)
	liveTpl := decodeAs[coupon.Template](t, body)
	if st != http.StatusCreated || liveTpl.SharedCode != "LIVE20" {
		t.Fatalf("create live coupon: %d %s", st, body)
	}

	// The buyer sees the claimable one only, claims it once.
	token := f.customerToken()
	st, body = f.storeCall("", nil, "GET", "/api/v1/store/coupon-templates", nil)
	if list := decodeAs[[]coupon.Claimable](t, body); st != 200 || len(list) != 1 || list[0].ID != tpl.ID || list[0].CanClaim {
		t.Fatalf("claimable as a guest: %d %s", st, body)
	}
	path := "/api/v1/store/coupon-templates/" + itoa(tpl.ID) + "/claim"
	st, body = f.storeCall(token, nil, "POST", path, nil)
	mine := decodeAs[coupon.Coupon](t, body)
	if st != http.StatusCreated || mine.State != coupon.StateIssued || mine.Source != coupon.SourceClaim {
		t.Fatalf("claim: %d %s", st, body)
	}
	if st, body = f.storeCall(token, nil, "POST", path, nil); st != http.StatusConflict {
		t.Fatalf("claim past the per-customer limit: %d %s", st, body)
	}
	if st, body = f.storeCall(token, nil, "POST", "/api/v1/store/coupon-templates/"+itoa(liveTpl.ID)+"/claim", nil); st != http.StatusNotFound {
		t.Fatalf("claim a code-only template: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "POST", "/api/v1/store/coupons/redeem", map[string]string{"code": "live20"})
	if c := decodeAs[coupon.Coupon](t, body); st != http.StatusCreated || c.TemplateID != liveTpl.ID || c.Code != "LIVE20" {
		t.Fatalf("redeem: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "POST", "/api/v1/store/coupons/redeem", map[string]string{"code": "LIVE20"})
	if e := decodeAs[api.ErrorBody](t, body); st != http.StatusConflict || e.Error.Message == "" {
		t.Fatalf("replayed code: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "POST", "/api/v1/store/coupons/redeem", map[string]string{"code": "OTHERSHOP1"})
	if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "code" {
		t.Fatalf("another store's code: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "GET", "/api/v1/store/coupons?state=issued", nil)
	if l := decodeAs[api.List[coupon.Coupon]](t, body); st != 200 || len(l.Items) != 2 {
		t.Fatalf("my coupons: %d %s", st, body)
	}

	// One-time codes, pushes, the template's coupons and results.
	st, body = f.call("operator", "POST", "/api/v1/coupon-templates/"+itoa(liveTpl.ID)+"/codes", map[string]any{"count": 5, "prefix": "LV"})
	if b := decodeAs[coupon.Batch](t, body); st != http.StatusCreated || len(b.Codes) != 5 || b.Batch != 1 {
		t.Fatalf("codes: %d %s", st, body)
	}
	st, body = f.call("operator", "GET", "/api/v1/coupon-templates/"+itoa(liveTpl.ID)+"/codes", nil)
	if codes := decodeAs[[]coupon.Code](t, body); st != 200 || len(codes) != 5 {
		t.Fatalf("list codes: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/push", map[string]any{"kind": "customers", "customer_ids": []int64{mine.CustomerID}})
	if r := decodeAs[coupon.PushResult](t, body); st != 200 || r.AtLimit != 1 || r.Issued != 0 {
		t.Fatalf("push to a customer at the limit: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/coupon-templates/"+itoa(tpl.ID), nil)
	if v := decodeAs[api.CouponTemplateView](t, body); st != 200 || v.Stats.Issued != 1 || v.Stats.Available != 1 {
		t.Fatalf("template view: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/coupons?state=issued", nil)
	if l := decodeAs[api.List[coupon.Coupon]](t, body); st != 200 || len(l.Items) != 1 {
		t.Fatalf("template coupons: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/coupon-templates?status=active", nil)
	if l := decodeAs[api.List[coupon.Template]](t, body); st != 200 || len(l.Items) != 2 {
		t.Fatalf("templates: %d %s", st, body)
	}
	st, body = f.call("service", "GET", "/api/v1/customers/"+itoa(mine.CustomerID)+"/coupons", nil)
	if l := decodeAs[api.List[coupon.Coupon]](t, body); st != 200 || len(l.Items) != 2 {
		t.Fatalf("a customer's coupons for customer service: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/pause", nil); st != 200 {
		t.Fatalf("pause: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/pause", nil); st != http.StatusConflict {
		t.Fatalf("pause twice: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/end", nil); st != 200 {
		t.Fatalf("end: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/coupon-templates/"+itoa(tpl.ID)+"/stats", nil)
	if s := decodeAs[coupon.Stats](t, body); st != 200 || s.Expired != 1 || s.Available != 0 {
		t.Fatalf("stats after end: %d %s", st, body)
	}
}

// TestStorefront_QuoteAndCheckoutWithACoupon wires the promotions engine's
// Pricer and the coupon hook as internal/app does, and follows one coupon
// through quote, checkout, a refused second use, cancel and reuse.
func TestStorefront_QuoteAndCheckoutWithACoupon(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		f.a.Orders.Pricer = &promotion.Pricer{DB: d, Coupons: &coupon.Service{DB: d}}
		f.a.Orders.Hooks = append(f.a.Orders.Hooks, coupon.Hook{})
		st, body := f.call("operator", "POST", "/api/v1/coupon-templates", map[string]any{"name": "满99减10", "claimable": true, "valid_days": 30,
			"rule": map[string]any{"kind": "fixed_off", "amount": 1000, "threshold": 9900}})
		tpl := decodeAs[coupon.Template](t, body)
		if st != http.StatusCreated {
			t.Fatalf("template: %d %s", st, body)
		}
		s := f.shopper("张三", "13800138000", nil)
		other := f.shopper("李四", "13800138001", nil)
		key := map[string]string{api.HeaderIdempotencyKey: "claim-1"}
		st, body = f.storeCall(s.Token, key, "POST", "/api/v1/store/coupon-templates/"+itoa(tpl.ID)+"/claim", nil)
		c := decodeAs[coupon.Coupon](t, body)
		if st != http.StatusCreated {
			t.Fatalf("claim: %d %s", st, body)
		}
		// A retry of the claim with its key is the first answer, not a
		// refusal at the per-customer limit.
		st, h, body := f.storeDo(s.Token, key, "POST", "/api/v1/store/coupon-templates/"+itoa(tpl.ID)+"/claim", nil)
		if again := decodeAs[coupon.Coupon](t, body); st != http.StatusCreated || again.ID != c.ID || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("claim retried with its key: %d %s", st, body)
		}
		two := []map[string]any{{"sku_id": f.sku, "quantity": 2}}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/quote", map[string]any{"lines": two, "coupons": []int64{c.ID}})
		if q := decodeAs[api.Quote](t, body); st != 200 || q.Discount != 1000 || q.Total != 10800 || len(q.Applied) != 1 || q.Applied[0].CouponID != c.ID {
			t.Fatalf("quote with the coupon: %d %s", st, body)
		}
		// Someone else's coupon id reads like a missing one.
		st, body = f.storeCall(other.Token, nil, "POST", "/api/v1/store/quote", map[string]any{"lines": two, "coupons": []int64{c.ID}})
		if e := decodeAs[api.ErrorBody](t, body); st != 422 || e.Error.Field != "coupons" || !strings.Contains(e.Error.Message, "you have no coupon") {
			t.Fatalf("another's coupon: %d %s", st, body)
		}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": two, "ship_to": shipTo, "coupons": []int64{c.ID}})
		o := decodeAs[api.StoreOrder](t, body)
		if st != http.StatusCreated || o.DiscountTotal != 1000 {
			t.Fatalf("checkout: %d %s", st, body)
		}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": two, "ship_to": shipTo, "coupons": []int64{c.ID}})
		if e := decodeAs[api.ErrorBody](t, body); st != 422 || !strings.Contains(e.Error.Message, "unpaid order") {
			t.Fatalf("second use while locked: %d %s", st, body)
		}
		if st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/cancel", map[string]any{"reason": "买错了"}); st != 200 {
			t.Fatalf("cancel: %d %s", st, body)
		}
		st, body = f.storeCall(s.Token, nil, "GET", "/api/v1/store/coupons?state=issued", nil)
		if l := decodeAs[api.List[coupon.Coupon]](t, body); st != 200 || len(l.Items) != 1 || l.Items[0].Returned != 1 {
			t.Fatalf("coupon back after cancel: %d %s", st, body)
		}
	})
}
