package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestCouponPages_CreateWithFieldErrorsPushCodesEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")

		w := f.get("/coupons", op)
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "<h1>优惠券</h1>", `href="/coupons/new"`, "还没有优惠券")
		if w = f.get("/coupons/new", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer opens the form: %d", w.Code)
		}
		if w = f.get("/coupons/new", op); w.Code != http.StatusOK {
			t.Fatalf("form: %d", w.Code)
		}

		form := url.Values{"name": {"新人券 满99减10"}, "rule.kind": {"fixed_off"}, "rule.amount": {"10"}, "rule.threshold": {"5"},
			"rule.scope": {"order"}, "rule.first_order_only": {"1"}, "validity": {"days"}, "valid_days": {"30"},
			"total_limit": {"100"}, "per_customer_limit": {"1"}, "claimable": {"1"}, "shared_code": {"NEW10"}}
		// A threshold under the discount is shown next to the threshold.
		w = f.post("/coupons", form, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad threshold: %d", w.Code)
		}
		body := w.Body.String()
		mustContain(t, body, `id="rule.threshold" name="rule.threshold" value="5" inputmode="decimal" aria-describedby="threshold-hint" aria-invalid="true"`,
			"must be above the amount off", `value="新人券 满99减10"`)
		// Reversed dates, on the date field.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("rule.threshold", "99")
		bad.Set("validity", "window")
		bad.Set("valid_from", "2026-07-01")
		bad.Set("valid_to", "2026-06-01")
		if w = f.post("/coupons", bad, op); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "dates are reversed") {
			t.Fatalf("reversed dates: %d", w.Code)
		}
		form.Set("rule.threshold", "99")
		w = f.post("/coupons", form, op)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/coupons/") {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		body = f.get(page, viewer).Body.String()
		mustContain(t, body, "新人券 满99减10", "满 ¥99.00 减 ¥10.00", "仅限首单", "领取后 30 天内有效", "<code>NEW10</code>", `data-kpi="issued">0<`)
		if strings.Contains(body, `id="push-form"`) || strings.Contains(body, `id="codes-form"`) {
			t.Fatal("a viewer is offered push or codes")
		}

		// Push to listed-by-tag customers; one customer, one coupon.
		f.exec(`INSERT INTO customers (name, created_at, updated_at) VALUES ('老客', 1, 1)`)
		f.exec(`INSERT INTO customer_tags (customer_id, tag, created_at) VALUES (1, 'vip', 1)`)
		w = f.post(page+"/push", url.Values{"audience": {"tag:"}, "tag": {"vip"}}, op)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "推送给 1 位客户：发出 1 张") {
			t.Fatalf("push: %d %s", w.Code, w.Body.String())
		}
		if body = f.get(page, op).Body.String(); !strings.Contains(body, ">老客</a>") {
			t.Error("the coupon list does not name its customer")
		}
		w = f.post(page+"/push", url.Values{"audience": {"customers:"}, "customer_ids": {"1, 999"}}, op)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "推送给 2 位客户：发出 0 张，1 位已达上限跳过。 1 个 ID 不是本店客户。") {
			t.Fatalf("push to listed ids: %d", w.Code)
		}
		w = f.post(page+"/push", url.Values{"audience": {"segment:champions"}}, op)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "未发券") {
			t.Fatalf("push before an RFM run: %d", w.Code)
		}

		// Codes: generated, then downloaded as CSV.
		w = f.post(page+"/codes", url.Values{"count": {"3"}, "prefix": {"vip"}}, op)
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "/codes.csv?batch=1") {
			t.Fatalf("codes: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = f.get(w.Header().Get("Location"), op)
		lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
		if w.Code != http.StatusOK || len(lines) != 4 || !strings.HasPrefix(lines[1], "VIP") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %q", w.Code, lines)
		}
		if w = f.get(page+"/codes.csv", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer downloads codes: %d", w.Code)
		}
		if w = f.post(page+"/codes", url.Values{"count": {"500"}}, op); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "total limit") {
			t.Fatalf("codes beyond the limit: %d", w.Code)
		}

		// Edit: the rule is fixed once issued, the name is not.
		w = f.get(page+"/edit", op)
		mustContain(t, w.Body.String(), `value="99.00"`, `value="NEW10"`, "已发放 1 张")
		form.Set("rule.amount", "20")
		if w = f.post(page, form, op); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("rule change after issue: %d", w.Code)
		}
		form.Set("rule.amount", "10")
		form.Set("name", "新人专享券")
		if w = f.post(page, form, op); w.Code != http.StatusSeeOther {
			t.Fatalf("rename: %d %s", w.Code, w.Body.String())
		}

		for _, step := range []struct{ action, flash string }{{"pause", "flash.coupon_paused"}, {"resume", "flash.coupon_resumed"}, {"end", "flash.coupon_ended"}} {
			w = f.post(page+"/"+step.action, nil, op)
			if w.Code != http.StatusSeeOther || cookieNamed(w, flashCookie).Value != step.flash {
				t.Fatalf("%s: %d", step.action, w.Code)
			}
		}
		if w = f.post(page+"/pause", nil, op); cookieNamed(w, flashCookie).Value != "flash.error.coupon_changed" {
			t.Fatalf("pause an ended coupon: %d", w.Code)
		}
		body = f.do(request{path: page, cookies: []*http.Cookie{op}, header: map[string]string{"Accept-Language": "en"}}).Body.String()
		mustContain(t, body, "新人专享券", "Ended", "Expired")
		body = f.get("/coupons?status=ended", op).Body.String()
		mustContain(t, body, "新人专享券", `data-status="ended"`)
		if body = f.get("/coupons?q=专享", op).Body.String(); !strings.Contains(body, "新人专享券") || !strings.Contains(body, `value="专享"`) {
			t.Error("search by name")
		}
		if body = f.get("/coupons?q=nothing-like-it", op).Body.String(); strings.Contains(body, "新人专享券") {
			t.Error("search matched an unrelated coupon")
		}
	})
}
