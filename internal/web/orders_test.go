package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// seedOrder is an order written straight into the table, the way the demo
// and the importer write them: no events.
type seedOrder struct {
	no       string
	customer int64 // 0: none
	channel  string
	status   order.Status
	total    int64
	created  time.Time
	paid     *time.Time
	shipTo   string // JSON
}

func (f *fixture) seedOrder(o seedOrder) int64 {
	f.t.Helper()
	var cust any
	if o.customer > 0 {
		cust = o.customer
	}
	var paid, paidDay any
	if o.paid != nil {
		paid = o.paid.UnixMilli()
		paidDay = int64(o.paid.In(shanghai).Year()*10000 + int(o.paid.In(shanghai).Month())*100 + o.paid.In(shanghai).Day())
	}
	if o.channel == "" {
		o.channel = "direct"
	}
	if o.shipTo == "" {
		o.shipTo = `{"recipient":"王小明","phone":"13800138000","province":"浙江省","city":"杭州市","district":"西湖区","detail":"文三路 1 号"}`
	}
	var id int64
	err := f.d.InTx(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO orders (order_no, customer_id, channel, status, items_total, total, created_at,
			paid_at, paid_day, updated_at, ship_to) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $6, $9) RETURNING id`,
			o.no, cust, o.channel, string(o.status), o.total, o.created.UnixMilli(), paid, paidDay, o.shipTo).Scan(&id)
	})
	if err != nil {
		f.t.Fatalf("seed order %s: %v", o.no, err)
	}
	return id
}

func inShanghai(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

var orderRowRe = regexp.MustCompile(`data-order="([^"]+)"`)

// shownOrders is the order numbers of the list's rows, in page order.
func shownOrders(body string) []string {
	out := []string{}
	for _, m := range orderRowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func (f *fixture) orderStatus(id int64) string {
	f.t.Helper()
	var st string
	if err := f.d.QueryRow(context.Background(), `SELECT status FROM orders WHERE id = $1`, id).Scan(&st); err != nil {
		f.t.Fatal(err)
	}
	return st
}

func (f *fixture) count(q string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestOrderList_FiltersReturnExactlyTheMatchingOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach() // customer 1: 王小明
		// Through the service, which indexes them for the search.
		for _, p := range []customer.Profile{{Name: "李四", Phone: "13900000002"}, {Name: "李四娘", Phone: "13900000003"}} {
			if _, err := f.console.Customers.Create(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}
		f.seedOrder(seedOrder{no: "SOA", customer: 1, channel: "live", status: order.Paid, total: 5000, created: inShanghai("2026-06-17 10:00"), paid: ptr(inShanghai("2026-06-17 10:05"))})
		f.seedOrder(seedOrder{no: "SOB", customer: 1, channel: "search", status: order.Shipped, total: 12000, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01"))})
		f.seedOrder(seedOrder{no: "SOC", customer: 2, channel: "live", status: order.Completed, total: 30000, created: inShanghai("2026-06-18 23:30"), paid: ptr(inShanghai("2026-06-18 23:31"))})
		// 00:30 on the 19th in Shanghai is still the 18th in UTC: the day
		// filter must use the store's zone.
		f.seedOrder(seedOrder{no: "SOD", channel: "direct", status: order.PendingPayment, total: 800, created: inShanghai("2026-06-19 00:30")})
		f.addOperator("boss", auth.RoleAdmin)
		s := f.login("boss")

		cases := []struct {
			query string
			want  []string
		}{
			{"", []string{"SOD", "SOC", "SOB", "SOA"}},
			{"status=paid", []string{"SOA"}},
			{"status=pending_payment", []string{"SOD"}},
			{"from=2026-06-18&to=2026-06-18", []string{"SOC", "SOB"}},
			{"from=2026-06-19", []string{"SOD"}},
			{"to=2026-06-17", []string{"SOA"}},
			{"min=50", []string{"SOC", "SOB", "SOA"}},
			{"min=100&max=" + url.QueryEscape("¥120.00"), []string{"SOB"}},
			{"max=8", []string{"SOD"}},
			{"channel=live", []string{"SOC", "SOA"}},
			{"customer=1", []string{"SOB", "SOA"}},
			{"customer_q=13900000002", []string{"SOC"}},
			{"customer_q=" + url.QueryEscape("李四"), []string{}}, // two match: pick one first
			{"customer_q=nobody", []string{}},
			{"q=soc", []string{"SOC"}},
			{"status=shipped&channel=search&customer=1&from=2026-06-18", []string{"SOB"}},
		}
		for _, c := range cases {
			w := f.get("/orders?"+c.query, s)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", c.query, w.Code)
			}
			if got := shownOrders(w.Body.String()); !slices.Equal(got, c.want) {
				t.Errorf("%q: got %v, want %v", c.query, got, c.want)
			}
		}

		// Two customers match: both are offered, each link filtering on one.
		body := f.get("/orders?customer_q="+url.QueryEscape("李四"), s).Body.String()
		mustContain(t, body, `id="customer-picks"`, `href="/orders?customer=2"`, `href="/orders?customer=3"`)

		// The status tabs count every status, whatever the other filters.
		body = f.get("/orders?channel=live", s).Body.String()
		for st, n := range map[string]int{"": 4, "paid": 1, "shipped": 1, "completed": 1, "pending_payment": 1, "cancelled": 0} {
			re := regexp.MustCompile(`data-status="` + st + `">[^<(]*\((\d+)\)`)
			m := re.FindStringSubmatch(body)
			if m == nil || m[1] != fmt.Sprint(n) {
				t.Errorf("tab %q: %v, want %d", st, m, n)
			}
		}
		mustContain(t, body, `href="/orders?channel=live&amp;status=paid"`)

		// A bad amount is named at its field; the other filters still apply.
		w := f.get("/orders?min=12.345&channel=search", s)
		if got := shownOrders(w.Body.String()); !slices.Equal(got, []string{"SOB"}) {
			t.Errorf("bad amount: got %v", got)
		}
		if !regexp.MustCompile(`<input name="min" value="12.345"[^>]* aria-invalid="true">`).MatchString(w.Body.String()) {
			t.Error("the amount field is not marked invalid")
		}

		// With htmx only the table is replaced: it repeats the error.
		w = f.do(request{path: "/orders?min=abc", cookies: []*http.Cookie{s}, header: map[string]string{"HX-Request": "true", "HX-Target": "order-table"}})
		mustContain(t, w.Body.String(), `class="flash flash-error"`, "12.34")

		// htmx gets only the table.
		w = f.do(request{path: "/orders?status=paid", cookies: []*http.Cookie{s}, header: map[string]string{"HX-Request": "true", "HX-Target": "order-table"}})
		if b := w.Body.String(); !strings.HasPrefix(strings.TrimSpace(b), `<div id="order-table">`) || strings.Contains(b, "<html") {
			t.Errorf("htmx response is not just the table: %.200s", b)
		}
		if got := shownOrders(w.Body.String()); !slices.Equal(got, []string{"SOA"}) {
			t.Errorf("htmx: got %v", got)
		}
	})
}

func TestOrderList_KeysetPagination(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		start := inShanghai("2026-06-01 08:00")
		for i := 1; i <= ordersPageSize+5; i++ {
			f.seedOrder(seedOrder{no: fmt.Sprintf("P%03d", i), status: order.PendingPayment, total: 100, created: start.Add(time.Duration(i) * time.Minute)})
		}
		f.addOperator("boss", auth.RoleAdmin)
		s := f.login("boss")
		first := f.get("/orders", s).Body.String()
		got := shownOrders(first)
		if len(got) != ordersPageSize || got[0] != "P035" || got[ordersPageSize-1] != "P006" {
			t.Fatalf("first page: %v", got)
		}
		m := regexp.MustCompile(`href="(/orders\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(first)
		if m == nil {
			t.Fatal("no next-page link")
		}
		second := f.get(strings.ReplaceAll(m[1], "&amp;", "&"), s).Body.String()
		if got := shownOrders(second); !slices.Equal(got, []string{"P005", "P004", "P003", "P002", "P001"}) {
			t.Errorf("second page: %v", got)
		}
		if strings.Contains(second, `rel="next"`) {
			t.Error("last page links to a next one")
		}
	})
}

func TestOrderDetail_ShowsLinesPaymentsAndEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		id := f.seedOrder(seedOrder{no: "SO1", customer: 1, status: order.Paid, total: 19800, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01"))})
		f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
			VALUES ($1, 1, 1, '测试商品 红色 / M', 2, 9900, 9900, 0, 19800)`, id)
		f.exec(`INSERT INTO payments (order_id, provider, provider_ref, amount, status, created_at, updated_at)
			VALUES ($1, 'sandbox', 'SBX-42', 19800, 'succeeded', $2, $2)`, id, inShanghai("2026-06-18 09:01").UnixMilli())
		f.exec(`INSERT INTO order_events (order_id, at, action, from_status, to_status, actor_kind, actor_name, note)
			VALUES ($1, $2, 'pay', 'pending_payment', 'paid', 'customer', '王小明', '微信付款')`, id, inShanghai("2026-06-18 09:01").UnixMilli())
		f.addOperator("boss", auth.RoleAdmin)
		w := f.get(fmt.Sprintf("/orders/%d", id), f.login("boss"))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		b := w.Body.String()
		mustContain(t, b, "SO1", "测试商品 红色 / M", `<a href="/inventory/1"><code>TEST-1</code></a>`, "SBX-42",
			`href="/customers/1">王小明</a>`, "文三路 1 号", "微信付款",
			// the recorded payment, and the creation derived from created_at
			`<tr data-action="pay">`, `<tr data-action="create">`,
			// 09:00 in the store's zone, not 01:00 UTC
			"2026-06-18 09:00", `id="ship-form"`, `id="cancel-form"`)
		if strings.Contains(b, `id="deliver-form"`) || strings.Contains(b, `id="complete-form"`) {
			t.Error("a paid order offers deliver or complete")
		}
		if strings.Index(b, `data-action="create"`) > strings.Index(b, `data-action="pay"`) {
			t.Error("timeline is not oldest first")
		}
		if w := f.get("/orders/999", f.login("boss")); w.Code != http.StatusNotFound {
			t.Errorf("missing order: %d", w.Code)
		}
	})
}

func TestOrderActions_ShipDeliverCompleteThroughTheForms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		id := f.seedOrder(seedOrder{no: "SO2", customer: 1, status: order.Paid, total: 9900, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01"))})
		f.addOperator("cangku", auth.RoleOperator)
		s := f.login("cangku")
		path := fmt.Sprintf("/orders/%d", id)

		// No tracking number: shown at the field, nothing changes.
		w := f.post(path+"/ship", url.Values{"carrier": {"顺丰速运"}, "tracking_no": {" "}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("ship without tracking no: %d", w.Code)
		}
		b := w.Body.String()
		field := b[strings.Index(b, `id="tracking_no"`):]
		if !strings.Contains(field[:strings.Index(field, "</div>")], "field-error") {
			t.Error("the error is not at the tracking number field")
		}
		mustContain(t, b, `value="顺丰速运"`) // what was typed stays
		if st := f.orderStatus(id); st != "paid" || f.count(`SELECT COUNT(*) FROM order_events WHERE order_id = $1`, id) != 0 {
			t.Errorf("after a refused ship: status %s", st)
		}

		steps := []struct {
			action string
			form   url.Values
			status string
			flash  string
		}{
			{"ship", url.Values{"carrier": {"顺丰速运"}, "tracking_no": {"SF1234567890"}}, "shipped", "订单已发货"},
			{"deliver", url.Values{}, "delivered", "订单已标记为签收"},
			{"complete", url.Values{}, "completed", "订单已完成"},
		}
		for _, st := range steps {
			w := f.post(path+"/"+st.action, st.form, s)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != path {
				t.Fatalf("%s: %d %s", st.action, w.Code, w.Body.String())
			}
			if got := f.orderStatus(id); got != st.status {
				t.Fatalf("after %s: %s", st.action, got)
			}
			page := f.get(path, s, cookieNamed(w, flashCookie)).Body.String()
			mustContain(t, page, st.flash, `data-status="`+st.status+`"`)
		}
		page := f.get(path, s).Body.String()
		mustContain(t, page, "SF1234567890", `<tr data-action="ship">`, `<tr data-action="deliver">`, `<tr data-action="complete">`)
		if strings.Contains(page, `id="order-actions"`) {
			t.Error("a completed order still offers actions")
		}
		var actor string
		if err := d.QueryRow(context.Background(), `SELECT actor_name FROM order_events WHERE order_id = $1 AND action = 'ship'`, id).Scan(&actor); err != nil || actor != "cangku" {
			t.Errorf("ship event actor %q, %v", actor, err)
		}

		// A move the state machine refuses shows the service's reason.
		w = f.post(path+"/deliver", url.Values{}, s)
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "cannot deliver an order that is completed") {
			t.Errorf("illegal deliver: %d", w.Code)
		}
	})
}

func TestOrderCancel_AsksForAReasonAndConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		f.exec(`UPDATE stock SET on_hand = 5, reserved = 2 WHERE sku_id = 1`)
		id := f.seedOrder(seedOrder{no: "SO3", customer: 1, status: order.PendingPayment, total: 19800, created: time.Now()})
		f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
			VALUES ($1, 1, 1, '测试商品', 2, 9900, 9900, 0, 19800)`, id)
		f.addOperator("kefu", auth.RoleService)
		s := f.login("kefu")
		path := fmt.Sprintf("/orders/%d", id)

		if w := f.post(path+"/cancel", url.Values{"reason": {""}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("no reason: %d", w.Code)
		}
		w := f.post(path+"/cancel", url.Values{"reason": {"买家拍错了"}}, s)
		if w.Code != http.StatusOK {
			t.Fatalf("first step: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `id="confirm-cancel"`, `name="confirm" value="yes"`, `value="买家拍错了"`)
		if st := f.orderStatus(id); st != "pending_payment" {
			t.Fatalf("cancelled before the confirmation: %s", st)
		}
		w = f.post(path+"/cancel", url.Values{"reason": {"买家拍错了"}, "confirm": {"yes"}}, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("confirmed: %d %s", w.Code, w.Body.String())
		}
		if st := f.orderStatus(id); st != "cancelled" {
			t.Errorf("status %s", st)
		}
		if n := f.count(`SELECT reserved FROM stock WHERE sku_id = 1`); n != 0 {
			t.Errorf("reserved after cancel: %d", n)
		}
		mustContain(t, f.get(path, s).Body.String(), "买家拍错了")

		// A paid order is refunded in full and closed; the question says how much.
		paid := f.seedOrder(seedOrder{no: "SO3P", customer: 1, status: order.Paid, total: 9900, created: time.Now(), paid: ptr(time.Now())})
		f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
			VALUES ($1, 1, 1, '测试商品', 1, 9900, 9900, 0, 9900)`, paid)
		f.exec(`INSERT INTO payments (order_id, provider, provider_ref, amount, status, created_at, updated_at) VALUES ($1, 'sandbox', 'SBX-1', 9900, 'succeeded', 1, 1)`, paid)
		path = fmt.Sprintf("/orders/%d", paid)
		mustContain(t, f.post(path+"/cancel", url.Values{"reason": {"缺货"}}, s).Body.String(), "¥99.00")
		if w := f.post(path+"/cancel", url.Values{"reason": {"缺货"}, "confirm": {"yes"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("cancel paid: %d %s", w.Code, w.Body.String())
		}
		if st := f.orderStatus(paid); st != "closed" {
			t.Errorf("paid order cancelled: %s", st)
		}
		if n := f.count(`SELECT refunded_total FROM orders WHERE id = $1`, paid); n != 9900 {
			t.Errorf("refunded %d, want 9900", n)
		}
		if n := f.count(`SELECT on_hand FROM stock WHERE sku_id = 1`); n != 6 {
			t.Errorf("on hand after the refund: %d, want 6", n)
		}
	})
}

func TestOrderActions_ViewerSeesNoButtonsAndIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		id := f.seedOrder(seedOrder{no: "SO4", status: order.Paid, total: 100, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01"))})
		f.addOperator("guest", auth.RoleViewer)
		s := f.login("guest")
		path := fmt.Sprintf("/orders/%d", id)
		w := f.get(path, s)
		if w.Code != http.StatusOK {
			t.Fatalf("viewer reads the order: %d", w.Code)
		}
		for _, hidden := range []string{`id="order-actions"`, `/ship"`, `/cancel"`} {
			if strings.Contains(w.Body.String(), hidden) {
				t.Errorf("viewer sees %s", hidden)
			}
		}
		for _, a := range []string{"ship", "deliver", "complete", "cancel"} {
			w := f.post(path+"/"+a, url.Values{"carrier": {"顺丰"}, "tracking_no": {"SF1"}, "reason": {"x"}, "confirm": {"yes"}}, s)
			if w.Code != http.StatusForbidden {
				t.Errorf("viewer %s: %d", a, w.Code)
			}
		}
		if st := f.orderStatus(id); st != "paid" {
			t.Errorf("status %s", st)
		}
	})
}

func TestOrdersCSV_FilteredAndFormulaSafe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOrder(seedOrder{no: "SOX", status: order.Paid, total: 12345, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01")),
			shipTo: `{"recipient":"=HYPERLINK(\"http://evil\")","province":"浙江省","city":"杭州市"}`})
		f.seedOrder(seedOrder{no: "SOY", status: order.PendingPayment, total: 100, created: inShanghai("2026-06-18 10:00")})
		f.addOperator("boss", auth.RoleAdmin)
		w := f.get("/orders.csv?status=paid", f.login("boss"))
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, type %s", w.Code, w.Header().Get("Content-Type"))
		}
		b := w.Body.String()
		mustContain(t, b, "SOX", "123.45", "2026-06-18 09:01:00", `'=HYPERLINK`)
		if strings.Contains(b, "SOY") {
			t.Error("the export ignores the status filter")
		}
		if strings.Contains(b, `,=HYPERLINK`) || strings.Contains(b, `,"=HYPERLINK`) {
			t.Error("a formula reaches the spreadsheet")
		}
	})
}

func TestAllowedActions_FollowTheStateMachine(t *testing.T) {
	cases := map[order.Status][]string{
		order.PendingPayment: {"cancel"},
		order.Paid:           {"cancel", "ship"},
		order.Shipped:        {"deliver"},
		order.Delivered:      {"complete"},
		order.Completed:      {},
		order.Cancelled:      {},
		order.Closed:         {},
	}
	for st, want := range cases {
		got := []string{}
		for a, ok := range allowedActions(st) {
			if ok {
				got = append(got, a)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", st, got, want)
		}
	}
}

func TestOrderTimeline_DerivesMilestonesWhenEventsAreMissing(t *testing.T) {
	t0 := time.Date(2026, 6, 18, 1, 0, 0, 0, time.UTC)
	h := func(n int) *time.Time { t := t0.Add(time.Duration(n) * time.Hour); return &t }
	type step struct {
		action  order.Action
		from    string
		to      order.Status
		derived bool
	}
	cases := []struct {
		name string
		o    order.Order
		want []step
	}{
		{"demo order completed, no events",
			order.Order{Status: order.Completed, CreatedAt: t0, PaidAt: h(1), ShippedAt: h(2), DeliveredAt: h(3), CompletedAt: h(4)},
			[]step{{"create", "", "pending_payment", true}, {"pay", "pending_payment", "paid", true}, {"ship", "paid", "shipped", true},
				{"deliver", "shipped", "delivered", true}, {"complete", "delivered", "completed", true}}},
		{"unpaid and closed by the timeout",
			order.Order{Status: order.Closed, CreatedAt: t0, CancelledAt: h(1)},
			[]step{{"create", "", "pending_payment", true}, {"close", "pending_payment", "closed", true}}},
		{"unpaid and cancelled",
			order.Order{Status: order.Cancelled, CreatedAt: t0, CancelledAt: h(1)},
			[]step{{"create", "", "pending_payment", true}, {"cancel", "pending_payment", "cancelled", true}}},
		{"paid then called off",
			order.Order{Status: order.Closed, CreatedAt: t0, PaidAt: h(1), CancelledAt: h(2)},
			[]step{{"create", "", "pending_payment", true}, {"pay", "pending_payment", "paid", true}, {"cancel", "paid", "closed", true}}},
		{"pending, nothing else happened",
			order.Order{Status: order.PendingPayment, CreatedAt: t0},
			[]step{{"create", "", "pending_payment", true}}},
		{"recorded events are used as they are",
			order.Order{Status: order.Shipped, CreatedAt: t0, PaidAt: h(1), ShippedAt: h(2), Events: []order.Event{
				{At: t0, Action: "create", To: "pending_payment"},
				{At: *h(1), Action: "pay", From: "pending_payment", To: "paid", ActorName: "buyer"},
				{At: *h(2), Action: "ship", From: "paid", To: "shipped", ActorName: "cangku", Note: "SF1"}}},
			[]step{{"create", "", "pending_payment", false}, {"pay", "pending_payment", "paid", false}, {"ship", "paid", "shipped", false}}},
		{"an imported paid order shipped in the console: only the gap is derived",
			order.Order{Status: order.Shipped, CreatedAt: t0, PaidAt: h(1), ShippedAt: h(2), Events: []order.Event{
				{At: *h(2), Action: "ship", From: "paid", To: "shipped"}}},
			[]step{{"create", "", "pending_payment", true}, {"pay", "pending_payment", "paid", true}, {"ship", "paid", "shipped", false}}},
		{"a closing event covers cancelled_at",
			order.Order{Status: order.Closed, CreatedAt: t0, CancelledAt: h(1), Events: []order.Event{
				{At: *h(1), Action: "close", From: "pending_payment", To: "closed"}}},
			[]step{{"create", "", "pending_payment", true}, {"close", "pending_payment", "closed", false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := orderTimeline(c.o)
			var steps []step
			for i, e := range got {
				steps = append(steps, step{e.Action, e.From, e.To, e.Derived})
				if i > 0 && e.At.Before(got[i-1].At) {
					t.Errorf("entry %d is older than the one before", i)
				}
			}
			if !slices.Equal(steps, c.want) {
				t.Errorf("got %v\nwant %v", steps, c.want)
			}
		})
	}
}

// rawKey finds a catalog key that reached the page untranslated.
var rawKey = regexp.MustCompile(`>[^<]*\b((?:orders?|payment|channel|flash)\.[a-z_]+(?:\.[a-z_]+)?)[^<]*<`)

func TestOrderPages_TranslatedInBothLanguages(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.seedOneOfEach()
	id := f.seedOrder(seedOrder{no: "SO5", customer: 1, channel: "live", status: order.Paid, total: 9900, created: inShanghai("2026-06-18 09:00"), paid: ptr(inShanghai("2026-06-18 09:01"))})
	f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
		VALUES ($1, 1, 1, '测试商品', 1, 9900, 9900, 0, 9900)`, id)
	f.exec(`INSERT INTO payments (order_id, provider, amount, status, created_at, updated_at) VALUES ($1, 'sandbox', 9900, 'succeeded', 1, 1)`, id)
	f.addOperator("boss", auth.RoleAdmin)
	s := f.login("boss")
	for _, lang := range []string{"zh-CN", "en"} {
		for _, path := range []string{"/orders", "/orders?customer_q=nobody&min=x", fmt.Sprintf("/orders/%d", id)} {
			w := f.get(path, s, &http.Cookie{Name: langCookie, Value: lang})
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, path, w.Code)
			}
			if m := rawKey.FindStringSubmatch(w.Body.String()); m != nil {
				t.Errorf("%s %s shows the key %s", lang, path, m[1])
			}
		}
		w := f.post(fmt.Sprintf("/orders/%d/cancel", id), url.Values{"reason": {"缺货"}}, s, &http.Cookie{Name: langCookie, Value: lang})
		if m := rawKey.FindStringSubmatch(w.Body.String()); m != nil || w.Code != http.StatusOK {
			t.Errorf("%s confirm step: %d, key %v", lang, w.Code, m)
		}
	}
	en := f.get(fmt.Sprintf("/orders/%d", id), s, &http.Cookie{Name: langCookie, Value: "en"}).Body.String()
	mustContain(t, en, "Ship", "Cancel order…", "Live stream")
}
