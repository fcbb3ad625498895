package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestCustomerDetail_TagsConsentOrdersAndEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.seedOrders()
		s := f.login("yunying")
		ctx := context.Background()
		htmx := map[string]string{"HX-Request": "true", "HX-Target": "customer-tags"}

		// Adding a tag with htmx returns just the tag list.
		w := f.do(request{method: http.MethodPost, path: "/customers/1/tags", form: url.Values{"tag": {"高价值"}}, cookies: []*http.Cookie{s}, header: htmx})
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(body), `<div id="customer-tags">`) || !strings.Contains(body, "高价值") {
			t.Fatalf("htmx add tag: %d %s", w.Code, body)
		}
		// A bad tag shows its message in the list, and is not saved.
		w = f.do(request{method: http.MethodPost, path: "/customers/1/tags", form: url.Values{"tag": {"a,b"}}, cookies: []*http.Cookie{s}, header: htmx})
		mustContain(t, w.Body.String(), "field-error", "comma")
		// Without JavaScript the form posts and comes back to the page.
		w = f.post("/customers/1/tags", url.Values{"tag": {"复购"}}, s)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/customers/1#tags" {
			t.Fatalf("plain add tag: %d %q", w.Code, w.Header().Get("Location"))
		}
		f.do(request{method: http.MethodPost, path: "/customers/1/tags/remove", form: url.Values{"tag": {"复购"}}, cookies: []*http.Cookie{s}, header: htmx})
		cu, err := f.console.Customers.Get(ctx, 1)
		if err != nil || !slices.Equal(cu.Tags, []string{"高价值"}) {
			t.Fatalf("tags %v, %v; want [高价值]", cu.Tags, err)
		}

		// Consent: the boxes ticked are the consents given.
		f.post("/customers/1/consent", url.Values{"sms": {"on"}, "wecom": {"on"}}, s)
		cu, _ = f.console.Customers.Get(ctx, 1)
		if !cu.ConsentSMS || cu.ConsentEmail || !cu.ConsentWeCom {
			t.Errorf("consent sms=%v email=%v wecom=%v, want true false true", cu.ConsentSMS, cu.ConsentEmail, cu.ConsentWeCom)
		}

		// The page lists the customer's orders, newest first, with money formatted.
		body = f.get("/customers/1", s).Body.String()
		mustContain(t, body, "SO-1", "SO-3", "¥300.00", "已支付", "高价值")
		if strings.Contains(body, "SO-2") {
			t.Error("another customer's order is listed")
		}
		// The order service lists by id, newest entered first (its keyset).
		if strings.Index(body, "SO-3") > strings.Index(body, "SO-1") {
			t.Error("orders not newest first")
		}

		// Edit: a bad phone is shown at the phone field and not saved.
		w = f.post("/customers/1", url.Values{"name": {"王小明"}, "phone": {"12345"}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad phone: %d", w.Code)
		}
		phone := w.Body.String()[strings.Index(w.Body.String(), `id="phone"`):]
		if !strings.Contains(phone[:strings.Index(phone, "</div>")], "field-error") {
			t.Error("phone error not at the phone field")
		}
		w = f.post("/customers/1", url.Values{"name": {"王小明"}, "phone": {"139 0013 9000"}, "source_channel": {"live"}}, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", w.Code, w.Body.String())
		}
		cu, _ = f.console.Customers.Get(ctx, 1)
		if cu.Phone != "13900139000" || cu.SourceChannel != "live" {
			t.Errorf("after edit %+v", cu)
		}

		// The list finds the customer by phone and filters by tag and channel.
		list := f.get("/customers?q=1390013", s).Body.String()
		mustContain(t, list, `href="/customers/1"`)
		if strings.Contains(list, `href="/customers/2"`) {
			t.Error("search by phone found another customer")
		}
		if !strings.Contains(f.get("/customers?tag="+url.QueryEscape("高价值"), s).Body.String(), `href="/customers/1"`) ||
			strings.Contains(f.get("/customers?channel=ads", s).Body.String(), `href="/customers/1"`) {
			t.Error("tag or channel filter wrong")
		}
	})
}

func TestCustomerOrders_NewestTwentyOfThatCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		f.exec(`INSERT INTO customers (name, created_at, updated_at) VALUES ('other', 1, 1)`)
		for i := 1; i <= 25; i++ {
			f.exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, updated_at) VALUES ($1, 1, 'pending_payment', 100, 100, $2, $2)`,
				"N"+strings.Repeat("0", 3-len(itoa(int64(i))))+itoa(int64(i)), int64(i))
		}
		f.exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at) VALUES ('X', 2, 'paid', 1, 1, 999, 999, 20260101, 999)`)
		f.addOperator("boss", auth.RoleAdmin)
		body := f.get("/customers/1", f.login("boss")).Body.String()
		mustContain(t, body, "N025", "N006", `href="/orders/25"`, `href="/orders?customer=1"`)
		for _, absent := range []string{"N005", "<code>X</code>"} {
			if strings.Contains(body, absent) {
				t.Errorf("customer page shows order %s", absent)
			}
		}
	})
}
