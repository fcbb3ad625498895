package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// An operator creates a group buy from the console (a mistake shows next
// to its row, with what was typed kept); buyers open and join a group and
// one pays; the campaign's page shows the group forming with its members,
// paid count and time left; ending it removes the button. A viewer sees
// the pages and changes nothing.
func TestGroupBuyPages_CreateGroupsEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")
		sku := f.stockedSKU("面膜", "GB-MASK", "10 片", 9900, 3000)
		w := f.get("/group-buys", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "<h1>拼团</h1>", "还没有拼团活动", `href="/group-buys" aria-current="page"`)
		if strings.Contains(w.Body.String(), `href="/group-buys/new"`) {
			t.Error("a viewer is offered the new button")
		}
		if w = f.get("/group-buys/new", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer opens the form: %d", w.Code)
		}
		if w = f.get("/group-buys/new", op); w.Code != http.StatusOK {
			t.Fatalf("form: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `name="items[2].sku"`, `id="group_size" name="group_size" value="3"`, `id="time_limit_hours" name="time_limit_hours" value="24"`)

		loc := f.console.storeLocation(t)
		now := time.Now().In(loc)
		form := url.Values{"name": {"三人团"}, "starts_at": {now.Add(-time.Minute).Format(formTime)}, "ends_at": {now.Add(48 * time.Hour).Format(formTime)},
			"group_size": {"3"}, "time_limit_hours": {"24"}, "per_customer_limit": {"1"},
			"items[0].sku": {""}, "items[0].group_price": {""}, "items[0].leader_price": {""},
			"items[1].sku": {"GB-MASK"}, "items[1].group_price": {"99"}, "items[1].leader_price": {""}}
		w = f.post("/group-buys", form, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("group price = list price: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `name="items[1].group_price" value="99" inputmode="decimal" aria-invalid="true"`,
			"must be below the list price", `value="三人团"`, `value="GB-MASK"`)
		for _, c := range []struct{ key, value, want string }{
			{"group_size", "1", "2 to 50"},
			{"time_limit_hours", "200", "must be from"},
			{"items[1].leader_price", "70", "must not be above the group price"},
			{"ends_at", now.Add(-time.Hour).Format(formTime), "must be after starts_at"},
		} {
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("items[1].group_price", "59")
			bad.Set(c.key, c.value)
			w = f.post("/group-buys", bad, op)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.want) ||
				!strings.Contains(w.Body.String(), `name="`+c.key+`" value="`+c.value+`"`) {
				t.Errorf("%s = %s: %d, want 422 with %q next to the kept value", c.key, c.value, w.Code, c.want)
			}
		}
		form.Set("items[1].group_price", "59")
		form.Set("items[1].leader_price", "49")
		if w = f.post("/group-buys", form, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer creates: %d", w.Code)
		}
		w = f.post("/group-buys", form, op)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/group-buys/") {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		cid := parseID(strings.TrimPrefix(page, "/group-buys/"))

		// A leader opens and pays; a member joins and has not paid.
		gb := &groupbuy.Service{DB: d}
		orders := &order.Service{DB: d, Inventory: f.console.Inventory,
			Pricer: groupbuy.Pricer{GroupBuys: gb, Next: price.ListPricer{DB: d}}, Hooks: []order.Hook{groupbuy.Hook{GroupBuys: gb}}}
		gb.Orders = orders
		var ids []int64
		for _, phone := range []string{"13900000011", "13900000012"} {
			c, err := f.console.Customers.Create(ctx, customer.Profile{Name: "买家" + phone[len(phone)-2:], Phone: phone})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		in := func(id int64) groupbuy.BuyInput {
			return groupbuy.BuyInput{CustomerID: id, ShipTo: order.ShipTo{Recipient: "张三", Phone: "13800138000",
				Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}, Lines: []price.Line{{SKUID: sku, Quantity: 1}}}
		}
		g, lo, err := gb.Open(audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: ids[0]}), cid, in(ids[0]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orders.Pay(ctx, ids[0], lo.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := gb.Join(audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: ids[1]}), g.Code, in(ids[1])); err != nil {
			t.Fatal(err)
		}

		w = f.get(page, viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("detail: %d %s", w.Code, w.Body.String())
		}
		body := w.Body.String()
		mustContain(t, body, "三人团", `data-status="active"`, `data-kpi="forming">1<`, `data-group="`+g.Code+`"`,
			`data-group-status="forming"`, `data-paid>1 / 3<`, "买家11", "买家12", "团长", "待付款", "剩余 23 小时", "¥49.00")
		if strings.Contains(body, `/end"`) {
			t.Error("a viewer is offered the end button")
		}
		if w = f.get(page+"?status=succeeded", viewer); !strings.Contains(w.Body.String(), "这里还没有团") {
			t.Error("the succeeded filter shows the forming group")
		}
		mustContain(t, f.get("/group-buys", viewer).Body.String(), "三人团", "进行中", "GB-MASK", "团长价 ¥49.00")

		if w = f.post(page+"/end", nil, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer ends: %d", w.Code)
		}
		if w = f.post(page+"/end", nil, op); w.Code != http.StatusSeeOther || w.Header().Get("Location") != page {
			t.Fatalf("end: %d", w.Code)
		}
		body = f.get(page, op).Body.String()
		mustContain(t, body, `data-status="ended"`, `data-group-status="forming"`)
		if strings.Contains(body, `/end"`) {
			t.Error("an ended campaign still offers the end button")
		}
		if w = f.get("/group-buys/999999", op); w.Code != http.StatusNotFound {
			t.Errorf("an unknown campaign: %d", w.Code)
		}
		w = f.do(request{path: page, cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "Ended", "Forming", "Leader", "awaiting payment")
	})
}
