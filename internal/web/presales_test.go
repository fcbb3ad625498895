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
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/presale"
)

// An operator creates a presale from the console (a mistake shows next to
// its field, with what was typed kept); a buyer puts down a deposit and
// pays it; the presale's page shows the deposit, the stock held and the
// money; the operator changes the tail's end and stops deposits. A viewer
// sees the pages and changes nothing.
func TestPresalePages_CreateDepositsEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")
		sku := f.stockedSKU("精华", "PS-SERUM", "50ml", 149900, 40000)
		w := f.get("/presales", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "<h1>预售</h1>", "还没有预售")
		if strings.Contains(w.Body.String(), `href="/presales/new"`) {
			t.Error("a viewer is offered the new button")
		}
		if w = f.get("/presales/new", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer opens the form: %d", w.Code)
		}
		if w = f.get("/presales/new", op); w.Code != http.StatusOK {
			t.Fatalf("form: %d", w.Code)
		}
		loc := f.console.storeLocation(t)
		now := time.Now().In(loc)
		form := url.Values{"name": {"双11 预售 精华"}, "sku": {"PS-SERUM"}, "stock": {"20"}, "presale_price": {"1299"}, "deposit": {"100"},
			"deposit_value": {"50"}, "tail_discount": {"30"}, "per_customer_limit": {"2"},
			"deposit_starts_at": {now.Add(-time.Minute).Format(formTime)}, "deposit_ends_at": {now.Add(24 * time.Hour).Format(formTime)},
			"tail_starts_at": {now.Add(48 * time.Hour).Format(formTime)}, "tail_ends_at": {now.Add(72 * time.Hour).Format(formTime)}}
		w = f.post("/presales", form, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("deposit value below the deposit: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `name="deposit_value" value="50" inputmode="decimal" aria-invalid="true"`, "must count as at least itself", `value="双11 预售 精华"`)
		for _, c := range []struct{ key, value, want string }{
			{"stock", "51", "fewer than 51 units"},
			{"sku", "NOPE", "没有 SKU NOPE"},
			{"tail_starts_at", now.Format(formTime), "must not be before deposits close"},
		} {
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("deposit_value", "200")
			bad.Set(c.key, c.value)
			w = f.post("/presales", bad, op)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.want) ||
				!strings.Contains(w.Body.String(), `name="`+c.key+`" value="`+c.value+`"`) {
				t.Errorf("%s = %s: %d, want 422 with %q next to the kept value", c.key, c.value, w.Code, c.want)
			}
		}
		form.Set("deposit_value", "200")
		if w = f.post("/presales", form, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer creates: %d", w.Code)
		}
		w = f.post("/presales", form, op)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/presales/") {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		pid := parseID(strings.TrimPrefix(page, "/presales/"))

		// A buyer puts down a deposit of 2 and pays it.
		ps := &presale.Service{DB: d}
		orders := &order.Service{DB: d, Inventory: f.console.Inventory,
			Pricer: presale.Pricer{Presales: ps, Next: price.ListPricer{DB: d}}, Hooks: []order.Hook{presale.Hook{Presales: ps}}}
		ps.Orders = orders
		c, err := f.console.Customers.Create(ctx, customer.Profile{Name: "买家甲", Phone: "13900000021"})
		if err != nil {
			t.Fatal(err)
		}
		_, do, err := ps.Deposit(audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: c.ID}), pid, presale.DepositInput{CustomerID: c.ID,
			ShipTo: order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"},
			Lines:  []price.Line{{SKUID: sku, Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orders.Pay(ctx, c.ID, do.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}

		w = f.get(page, viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("detail: %d %s", w.Code, w.Body.String())
		}
		body := w.Body.String()
		mustContain(t, body, "双11 预售 精华", `data-phase="deposit"`, `data-kpi="paid">1<`, `data-deposit-status="paid"`, "买家甲",
			"定金 ¥100.00 抵 ¥200.00,尾款 ¥1,069.00", "2 / 20,已售 0", do.No, "¥200.00", "定金不退")
		if strings.Contains(body, `/end"`) || strings.Contains(body, `id="edit-form"`) {
			t.Error("a viewer is offered the end button or the edit form")
		}
		mustContain(t, f.get("/presales", viewer).Body.String(), "双11 预售 精华", "付定金中", "PS-SERUM")

		edit := url.Values{"name": {"双11 预售 精华 加推"}, "per_customer_limit": {"3"}, "tail_ends_at": {now.Add(time.Hour).Format(formTime)}}
		if w = f.post(page, edit, op); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "may only move later") {
			t.Fatalf("moving the tail's end earlier: %d", w.Code)
		}
		edit.Set("tail_ends_at", now.Add(96*time.Hour).Format(formTime))
		if w = f.post(page, edit, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer edits: %d", w.Code)
		}
		if w = f.post(page, edit, op); w.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", w.Code, w.Body.String())
		}
		if w = f.post(page+"/end", nil, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer ends: %d", w.Code)
		}
		if w = f.post(page+"/end", nil, op); w.Code != http.StatusSeeOther || w.Header().Get("Location") != page {
			t.Fatalf("end: %d", w.Code)
		}
		body = f.get(page, op).Body.String()
		mustContain(t, body, "双11 预售 精华 加推", `data-phase="awaiting_tail"`, "2 / 2,已售 0")
		if strings.Contains(body, `/end"`) {
			t.Error("an ended presale still offers the end button")
		}
		if l, _ := f.console.Inventory.Get(ctx, sku); l.Reserved != 2 {
			t.Errorf("after stopping deposits %d units are reserved, want the 2 deposited", l.Reserved)
		}
		if w = f.get("/presales/999999", op); w.Code != http.StatusNotFound {
			t.Errorf("an unknown presale: %d", w.Code)
		}
		w = f.do(request{path: page, cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "Awaiting tail", "Deposit paid", "counts as", "tail")
	})
}
