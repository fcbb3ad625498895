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
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
)

// seedShippedOrder is a shipped order of customer 1 with one line of qty
// units of SKU 1 at 99 元 each, paid through the sandbox.
func (f *fixture) seedShippedOrder(no string, qty int64) (orderID, lineID int64) {
	f.t.Helper()
	total := qty * 9900
	orderID = f.seedOrder(seedOrder{no: no, customer: 1, status: order.Shipped, total: total,
		created: time.Now().Add(-100 * time.Hour), paid: ptr(time.Now().Add(-100 * time.Hour))})
	f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
		VALUES ($1, 1, 1, '测试商品 红色 / M', $2, 9900, 9900, 0, $3)`, orderID, qty, total)
	f.exec(`INSERT INTO payments (order_id, provider, provider_ref, amount, status, created_at, updated_at)
		VALUES ($1, 'sandbox', $2, $3, 'succeeded', 1, 1)`, orderID, "SBX-"+no, total)
	lineID = f.count(`SELECT id FROM order_lines WHERE order_id = $1`, orderID)
	return orderID, lineID
}

// openCase opens a case on a line through the service, at the service's
// current clock.
func (f *fixture) openCase(orderID, lineID, qty int64, kind order.AfterSaleKind, reason order.AfterSaleReason) int64 {
	f.t.Helper()
	a, err := f.console.Orders.OpenAfterSale(context.Background(), 0, order.AfterSaleInput{OrderID: orderID, Kind: kind, Reason: reason,
		Lines: []order.AfterSaleLineInput{{OrderLineID: lineID, Quantity: qty}}})
	if err != nil {
		f.t.Fatalf("open %s case: %v", kind, err)
	}
	return a.ID
}

func (f *fixture) caseStatus(id int64) string {
	f.t.Helper()
	var st string
	if err := f.d.QueryRow(context.Background(), `SELECT status FROM aftersale_cases WHERE id = $1`, id).Scan(&st); err != nil {
		f.t.Fatal(err)
	}
	return st
}

var caseRowRe = regexp.MustCompile(`<tr data-case="(\d+)">`)

func shownCases(body string) []string {
	out := []string{}
	for _, m := range caseRowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestAfterSalesQueue_FiltersAndOverdueBadge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		oid, lid := f.seedShippedOrder("AS1", 3)
		// Whole milliseconds, as the table stores them, so the time left is exact.
		now := time.Now().Truncate(time.Millisecond)
		var clock time.Time
		f.console.Orders.Now = func() time.Time { return clock }

		// A quality complaint opened 49 h ago is past its 48 h.
		clock = now.Add(-49 * time.Hour)
		quality := f.openCase(oid, lid, 1, order.ReturnRefund, order.ReasonQuality)
		// A size exchange opened 10 h ago has 62 h of its 72 h left.
		clock = now.Add(-10 * time.Hour)
		size := f.openCase(oid, lid, 1, order.Exchange, order.ReasonSize)
		clock = now.Add(-time.Hour)
		rejected := f.openCase(oid, lid, 1, order.RefundOnly, order.ReasonChangedMind)
		if _, err := f.console.Orders.RejectAfterSale(context.Background(), rejected, "已发货"); err != nil {
			t.Fatal(err)
		}
		clock = now

		f.addOperator("kefu", auth.RoleService)
		s := f.login("kefu")
		id := func(n int64) string { return fmt.Sprint(n) }
		cases := []struct {
			query string
			want  []string
		}{
			{"", []string{id(rejected), id(size), id(quality)}},
			{"status=requested", []string{id(size), id(quality)}},
			{"status=rejected", []string{id(rejected)}},
			{"kind=exchange", []string{id(size)}},
			{"kind=return_refund&status=requested", []string{id(quality)}},
			{"overdue=1", []string{id(quality)}},
			{"overdue=1&kind=exchange", []string{}},
			{"status=bogus", []string{id(rejected), id(size), id(quality)}}, // dropped, not an error page
		}
		for _, c := range cases {
			w := f.get("/aftersales?"+c.query, s)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", c.query, w.Code)
			}
			if got := shownCases(w.Body.String()); !slices.Equal(got, c.want) {
				t.Errorf("%q: got %v, want %v", c.query, got, c.want)
			}
		}

		b := f.get("/aftersales", s).Body.String()
		mustContain(t, b, fmt.Sprintf(`data-overdue="%d"`, quality), `href="/orders/`+id(oid)+`"><code>AS1</code>`,
			`href="/customers/1">王小明</a>`, "已超时 1 小时", "还剩 2 天 14 小时", "质量问题", "¥99.00",
			// the due time in the store's zone, not UTC
			now.Add(-time.Hour).In(shanghai).Format("2006-01-02 15:04"))
		for _, other := range []int64{size, rejected} {
			if strings.Contains(b, fmt.Sprintf(`data-overdue="%d"`, other)) {
				t.Errorf("case %d is marked overdue", other)
			}
		}

		// The detail says so too; the order page lists all three cases.
		mustContain(t, f.get("/aftersales/"+id(quality), s).Body.String(), `id="case-overdue"`)
		if strings.Contains(f.get("/aftersales/"+id(size), s).Body.String(), `id="case-overdue"`) {
			t.Error("a case within its time is marked overdue")
		}
		ob := f.get("/orders/"+id(oid), s).Body.String()
		for _, c := range []int64{quality, size, rejected} {
			mustContain(t, ob, fmt.Sprintf(`<a href="/aftersales/%d">#%d</a>`, c, c))
		}
		if w := f.get("/aftersales/999", s); w.Code != http.StatusNotFound {
			t.Errorf("missing case: %d", w.Code)
		}
	})
}

func TestAfterSales_ReturnRefundThroughTheForms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		oid, lid := f.seedShippedOrder("AS2", 2)
		cid := f.openCase(oid, lid, 2, order.ReturnRefund, order.ReasonQuality)
		f.addOperator("kefu", auth.RoleService)
		s := f.login("kefu")
		path := fmt.Sprintf("/aftersales/%d", cid)

		b := f.get(path, s).Body.String()
		mustContain(t, b, `id="approve-form"`, `id="reject-form"`, `id="close-form"`)
		for _, absent := range []string{`id="refund-form"`, `id="receive-form"`, `id="exchange_ship-form"`} {
			if strings.Contains(b, absent) {
				t.Errorf("a requested case offers %s", absent)
			}
		}

		// A rejection needs a reason, shown at its field; nothing changes.
		w := f.post(path+"/reject", url.Values{"note": {"  "}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("reject without a note: %d", w.Code)
		}
		rb := w.Body.String()
		field := rb[strings.Index(rb, `id="reject-note"`):]
		if !strings.Contains(field[:strings.Index(field, "</div>")], "field-error") {
			t.Error("the error is not at the reject note")
		}
		if st := f.caseStatus(cid); st != "requested" {
			t.Fatalf("after a refused reject: %s", st)
		}

		// Refunding before the goods are back is refused in the service's words.
		if w := f.post(path+"/approve", url.Values{"note": {"同意退货"}}, s); w.Code != http.StatusSeeOther || w.Header().Get("Location") != path {
			t.Fatalf("approve: %d %s", w.Code, w.Body.String())
		}
		w = f.post(path+"/refund", url.Values{}, s)
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "cannot refund a return_refund case that is approved") {
			t.Errorf("early refund: %d", w.Code)
		}

		steps := []struct {
			action, status, flash string
		}{
			{"receive", "goods_received", "已确认收到退货"},
			{"refund", "refunded", "已退款"},
		}
		for _, st := range steps {
			w := f.post(path+"/"+st.action, url.Values{"note": {"备注-" + st.action}}, s)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != path {
				t.Fatalf("%s: %d %s", st.action, w.Code, w.Body.String())
			}
			if got := f.caseStatus(cid); got != st.status {
				t.Fatalf("after %s: %s", st.action, got)
			}
			mustContain(t, f.get(path, s, cookieNamed(w, flashCookie)).Body.String(), st.flash, `data-status="`+st.status+`"`)
			if st.action == "receive" {
				if n := f.count(`SELECT on_hand FROM stock WHERE sku_id = 1`); n != 2 {
					t.Errorf("on hand after the return: %d, want 2", n)
				}
			}
		}
		if n := f.count(`SELECT refunded_total FROM orders WHERE id = $1`, oid); n != 19800 {
			t.Errorf("refunded_total %d, want 19800", n)
		}
		if n := f.count(`SELECT refunded_quantity FROM order_lines WHERE id = $1`, lid); n != 2 {
			t.Errorf("refunded quantity %d, want 2", n)
		}
		if st := f.orderStatus(oid); st != "shipped" {
			t.Errorf("order status %s", st)
		}
		b = f.get(path, s).Body.String()
		mustContain(t, b, `<tr data-action="open">`, `<tr data-action="approve">`, `<tr data-action="receive">`, `<tr data-action="refund">`,
			"同意退货", "备注-refund", `data-amount="19800"`, `id="close-form"`)
		var actor string
		if err := d.QueryRow(context.Background(), `SELECT actor_name FROM aftersale_events WHERE case_id = $1 AND action = 'refund'`, cid).Scan(&actor); err != nil || actor != "kefu" {
			t.Errorf("refund event actor %q, %v", actor, err)
		}
	})
}

func TestAfterSales_ExchangeNeedsATrackingNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		oid, lid := f.seedShippedOrder("AS3", 1)
		cid := f.openCase(oid, lid, 1, order.Exchange, order.ReasonSize)
		f.addOperator("cangku", auth.RoleOperator)
		s := f.login("cangku")
		path := fmt.Sprintf("/aftersales/%d", cid)
		for _, a := range []string{"approve", "receive"} {
			if w := f.post(path+"/"+a, url.Values{}, s); w.Code != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", a, w.Code, w.Body.String())
			}
		}
		w := f.post(path+"/ship", url.Values{"carrier": {"顺丰速运"}, "tracking_no": {""}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("ship without tracking: %d", w.Code)
		}
		b := w.Body.String()
		field := b[strings.Index(b, `id="exchange-tracking_no"`):]
		if !strings.Contains(field[:strings.Index(field, "</div>")], "field-error") {
			t.Error("the error is not at the tracking number")
		}
		mustContain(t, b, `value="顺丰速运"`)
		if w := f.post(path+"/ship", url.Values{"carrier": {"顺丰速运"}, "tracking_no": {"SF999"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("ship: %d %s", w.Code, w.Body.String())
		}
		if st := f.caseStatus(cid); st != "exchanged" {
			t.Errorf("status %s", st)
		}
		// One unit came back, one left again.
		if n := f.count(`SELECT on_hand FROM stock WHERE sku_id = 1`); n != 0 {
			t.Errorf("on hand %d, want 0", n)
		}
		mustContain(t, f.get(path, s).Body.String(), `<code id="exchange-tracking">SF999</code>`)
	})
}

func TestAfterSales_ViewerSeesNoButtonsAndIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		oid, lid := f.seedShippedOrder("AS4", 1)
		cid := f.openCase(oid, lid, 1, order.ReturnRefund, order.ReasonWrongItem)
		f.addOperator("guest", auth.RoleViewer)
		s := f.login("guest")
		path := fmt.Sprintf("/aftersales/%d", cid)
		w := f.get(path, s)
		if w.Code != http.StatusOK {
			t.Fatalf("viewer reads the case: %d", w.Code)
		}
		for _, hidden := range []string{`id="case-actions"`, `/approve"`, `/reject"`, `/close"`} {
			if strings.Contains(w.Body.String(), hidden) {
				t.Errorf("viewer sees %s", hidden)
			}
		}
		for _, a := range []string{"approve", "reject", "receive", "refund", "ship", "close"} {
			w := f.post(path+"/"+a, url.Values{"note": {"x"}, "carrier": {"顺丰"}, "tracking_no": {"SF1"}}, s)
			if w.Code != http.StatusForbidden {
				t.Errorf("viewer %s: %d", a, w.Code)
			}
		}
		if st := f.caseStatus(cid); st != "requested" {
			t.Errorf("status %s", st)
		}
		if w := f.get("/aftersales", s); w.Code != http.StatusOK {
			t.Errorf("viewer reads the queue: %d", w.Code)
		}
	})
}

func TestAllowedCaseActions_FollowTheStateMachine(t *testing.T) {
	cases := []struct {
		kind order.AfterSaleKind
		st   order.AfterSaleStatus
		want []string
	}{
		{order.ReturnRefund, order.CaseRequested, []string{"approve", "close", "reject"}},
		{order.ReturnRefund, order.CaseApproved, []string{"close", "receive"}},
		{order.ReturnRefund, order.CaseGoodsReceived, []string{"refund"}},
		{order.RefundOnly, order.CaseApproved, []string{"close", "refund"}},
		{order.Exchange, order.CaseGoodsReceived, []string{"exchange_ship"}},
		{order.Exchange, order.CaseExchanged, []string{"close"}},
		{order.ReturnRefund, order.CaseClosed, []string{}},
		{order.ReturnRefund, order.CaseRejected, []string{}},
	}
	for _, c := range cases {
		got := []string{}
		for a, ok := range allowedCaseActions(c.kind, c.st) {
			if ok {
				got = append(got, a)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.kind, c.st, got, c.want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	v := &viewer{Lang: "en"}
	now := time.Date(2026, 6, 18, 1, 0, 0, 0, time.UTC)
	cases := []struct {
		due  time.Time
		want string
	}{
		{now.Add(3*time.Hour + 20*time.Minute), "3 h 20 min left"},
		{now.Add(62 * time.Hour), "2 d 14 h left"},
		{now.Add(-time.Hour - 5*time.Minute), "1 h 5 min overdue"},
		{now.Add(-49 * time.Hour), "2 d 1 h overdue"},
	}
	for _, c := range cases {
		if got := timeLeft(v, c.due, now); got != c.want {
			t.Errorf("%v: %q, want %q", c.due.Sub(now), got, c.want)
		}
	}
}

// rawCaseKey finds an after-sales catalog key that reached the page untranslated.
var rawCaseKey = regexp.MustCompile(`>[^<]*\b((?:aftersales?|flash|nav)\.[a-z_]+(?:\.[a-z_]+)?)[^<]*<`)

func TestAfterSalesPages_TranslatedInBothLanguages(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.seedOneOfEach()
	oid, lid := f.seedShippedOrder("AS5", 1)
	cid := f.openCase(oid, lid, 1, order.ReturnRefund, order.ReasonQuality)
	f.addOperator("boss", auth.RoleAdmin)
	s := f.login("boss")
	for _, lang := range []string{"zh-CN", "en"} {
		for _, path := range []string{"/aftersales", fmt.Sprintf("/aftersales/%d", cid), fmt.Sprintf("/orders/%d", oid)} {
			w := f.get(path, s, &http.Cookie{Name: langCookie, Value: lang})
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, path, w.Code)
			}
			if m := rawCaseKey.FindStringSubmatch(w.Body.String()); m != nil {
				t.Errorf("%s %s shows the key %s", lang, path, m[1])
			}
		}
	}
	mustContain(t, f.get("/aftersales", s, &http.Cookie{Name: langCookie, Value: "en"}).Body.String(), "After-sales", "Quality problem", "Overdue only")
}

func TestAfterSalesQueue_KeysetPagination(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedOneOfEach()
		oid, _ := f.seedShippedOrder("AS6", 1)
		// Written straight into the table: the queue only lists them.
		now := time.Now().UnixMilli()
		for i := 0; i < afterSalesPageSize+3; i++ {
			f.exec(`INSERT INTO aftersale_cases (order_id, customer_id, kind, reason, status, due_at, created_at, updated_at)
				VALUES ($1, 1, 'refund_only', 'other', 'requested', $2, $2, $2)`, oid, now+int64(i))
		}
		f.addOperator("kefu", auth.RoleService)
		s := f.login("kefu")
		first := f.get("/aftersales?kind=refund_only", s).Body.String()
		got := shownCases(first)
		if len(got) != afterSalesPageSize || got[0] != fmt.Sprint(afterSalesPageSize+3) || got[afterSalesPageSize-1] != "4" {
			t.Fatalf("first page: %v", got)
		}
		m := regexp.MustCompile(`href="(/aftersales\?[^"]*cursor=[^"]+)" rel="next"`).FindStringSubmatch(first)
		if m == nil {
			t.Fatal("no next-page link")
		}
		next := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.Contains(next, "kind=refund_only") {
			t.Errorf("the next page drops the filter: %s", next)
		}
		second := f.get(next, s).Body.String()
		if got := shownCases(second); !slices.Equal(got, []string{"3", "2", "1"}) {
			t.Errorf("second page: %v", got)
		}
		if strings.Contains(second, `rel="next"`) {
			t.Error("last page links to a next one")
		}
	})
}
