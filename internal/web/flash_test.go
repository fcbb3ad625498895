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
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// An operator creates a flash sale from the console: mistakes are shown
// next to the row and field they concern with what was typed kept, and
// nothing is carved; the created sale carves its units, its page shows
// each item's paid units, GMV and discount from real orders; ending it
// gives the unsold units back. A viewer sees the pages and changes nothing.
func TestFlashSalePages_CreateWithFieldErrorsFiguresEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")
		sku := f.stockedSKU("连衣裙", "FS-DRESS", "S", 19900, 6000)

		w := f.get("/flash-sales", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "<h1>秒杀</h1>", "还没有秒杀", `href="/flash-sales" aria-current="page"`)
		if strings.Contains(w.Body.String(), `href="/flash-sales/new"`) {
			t.Error("a viewer is offered the new-sale button")
		}
		if w = f.get("/flash-sales/new", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer opens the form: %d", w.Code)
		}
		if w = f.get("/flash-sales/new", op); w.Code != http.StatusOK {
			t.Fatalf("form: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `name="items[2].sku"`, `id="payment_window" name="payment_window" value="5"`, `T20:00"`)

		// The sale starts this minute in the store's zone, so orders can
		// buy from it below.
		loc := f.console.storeLocation(t)
		now := time.Now().In(loc)
		form := url.Values{"name": {"午间秒杀"}, "starts_at": {now.Format(formTime)}, "ends_at": {now.Add(2 * time.Hour).Format(formTime)},
			"per_customer_limit": {"1"}, "payment_window": {"10"},
			// Row 0 left empty: the service's items[0] is the form's row 1.
			"items[0].sku": {""}, "items[0].flash_price": {""}, "items[0].stock": {""},
			"items[1].sku": {"FS-DRESS"}, "items[1].flash_price": {"199"}, "items[1].stock": {"20"},
			"items[2].sku": {""}, "items[2].flash_price": {""}, "items[2].stock": {""}}
		w = f.post("/flash-sales", form, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("flash price = list price: %d", w.Code)
		}
		body := w.Body.String()
		mustContain(t, body, `name="items[1].flash_price" value="199" inputmode="decimal" aria-invalid="true"`,
			"must be below the list price", `value="午间秒杀"`, `value="FS-DRESS"`, `name="items[2].sku"`)
		if strings.Contains(body, `name="items[0].flash_price" value="" inputmode="decimal" placeholder="99.00" aria-invalid`) {
			t.Error("the error is shown on the empty row")
		}
		for _, c := range []struct{ key, value, want string }{
			{"items[1].stock", "51", "carve fewer units"},
			{"items[1].sku", "NOPE", "找不到 SKU NOPE"},
			{"items[1].flash_price", "9.999", "最多两位小数"},
			{"payment_window", "0.5", "请输入整数"},
			{"ends_at", now.Add(-time.Hour).Format(formTime), "must be after starts_at"},
		} {
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("items[1].flash_price", "99")
			bad.Set(c.key, c.value)
			w = f.post("/flash-sales", bad, op)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.want) ||
				!strings.Contains(w.Body.String(), `name="`+c.key+`" value="`+c.value+`"`) {
				t.Errorf("%s = %s: %d, want 422 with %q next to the kept value", c.key, c.value, w.Code, c.want)
			}
		}
		if l, _ := f.console.Inventory.Get(ctx, sku); l.Reserved != 0 {
			t.Fatalf("refused forms carved %d units", l.Reserved)
		}
		// More rows keeps what was typed and creates nothing.
		more := url.Values{"more": {"1"}}
		for k, v := range form {
			more[k] = v
		}
		if w = f.post("/flash-sales", more, op); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="items[5].sku"`) ||
			!strings.Contains(w.Body.String(), `value="FS-DRESS"`) {
			t.Fatalf("more rows: %d", w.Code)
		}

		form.Set("items[1].flash_price", "99")
		if w = f.post("/flash-sales", form, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer creates: %d", w.Code)
		}
		w = f.post("/flash-sales", form, op)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/flash-sales/") {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		if l, _ := f.console.Inventory.Get(ctx, sku); l.Reserved != 20 || l.Available != 30 {
			t.Fatalf("after carving 20 of 50: %+v", l)
		}

		// Two buyers: one pays, one does not yet.
		fl := &flash.Service{DB: d, Inventory: f.console.Inventory}
		orders := &order.Service{DB: d, Inventory: f.console.Inventory,
			Pricer: flash.Pricer{Flash: fl, Next: price.ListPricer{DB: d}}, Hooks: []order.Hook{flash.Hook{Flash: fl}}}
		var placed []order.Order
		for i, phone := range []string{"13900000001", "13900000002"} {
			c, err := f.console.Customers.Create(ctx, customer.Profile{Name: "买家" + phone[len(phone)-1:], Phone: phone})
			if err != nil {
				t.Fatal(err)
			}
			bctx := audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: c.ID, Name: "buyer"})
			o, err := orders.Checkout(bctx, order.CheckoutInput{CustomerID: c.ID, ShipTo: order.ShipTo{Recipient: "张三", Phone: phone,
				Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"}, Lines: []price.Line{{SKUID: sku, Quantity: 1}}})
			if err != nil {
				t.Fatalf("buyer %d: %v", i, err)
			}
			if o.Lines[0].UnitPrice != 9900 {
				t.Fatalf("buyer %d paid %d a unit, want the flash price", i, o.Lines[0].UnitPrice)
			}
			placed = append(placed, o)
		}
		if _, err := orders.Pay(ctx, placed[0].CustomerID, placed[0].ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}

		w = f.get(page, viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("detail: %d", w.Code)
		}
		body = w.Body.String()
		mustContain(t, body, "午间秒杀", `data-status="active"`, `data-kpi="carved">20<`, `data-kpi="sold">2<`, `data-kpi="paid">1<`,
			`data-kpi="sell_through">5.00%<`, `data-kpi="gmv">¥99.00<`, `data-kpi="discount">¥100.00<`,
			`data-gmv>¥99.00<`, `data-discount>¥100.00<`, "10 分钟", `class="stock-bar-paid" style="width: 5%"`)
		if strings.Contains(body, `/end"`) {
			t.Error("a viewer is offered the end button")
		}
		w = f.get("/flash-sales", viewer)
		mustContain(t, w.Body.String(), "午间秒杀", "进行中", "FS-DRESS", "已付款 1 · 待付款 1 · 剩余 18 / 共 20")

		if w = f.post(page+"/end", nil, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer ends: %d", w.Code)
		}
		if body = f.get(page, op).Body.String(); !strings.Contains(body, `action="`+page+`/end"`) {
			t.Fatal("the operator is not offered the end button")
		}
		if w = f.post(page+"/end", nil, op); w.Code != http.StatusSeeOther || w.Header().Get("Location") != page {
			t.Fatalf("end: %d", w.Code)
		}
		body = f.get(page, op).Body.String()
		// Ended, it still knows what it carved: 1 paid of 20 is 5%.
		mustContain(t, body, `data-status="ended"`, `data-kpi="carved">20<`, `data-kpi="sell_through">5.00%<`, `data-kpi="gmv">¥99.00<`)
		if strings.Contains(body, `/end"`) {
			t.Error("an ended sale still offers the end button")
		}
		// The 18 unsold units are back; the unpaid order still holds one.
		if l, _ := f.console.Inventory.Get(ctx, sku); l.Reserved != 1 || l.Available != 48 {
			t.Errorf("after the end: %+v, want 1 reserved for the unpaid order and 48 available", l)
		}
		if bad, err := flash.CheckReserved(ctx, d); err != nil || len(bad) > 0 {
			t.Errorf("reserved differs from what holds it: %+v %v", bad, err)
		}
		if w = f.post("/flash-sales/999999/end", nil, op); w.Code != http.StatusNotFound {
			t.Errorf("end an unknown sale: %d", w.Code)
		}

		// English.
		w = f.do(request{path: "/flash-sales", cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "<h1>Flash sales</h1>", "Ended", "paid 1 · awaiting payment 1 · left 0 of 2")
	})
}

func TestStockBar_AddsUpAndShowsEverySegment(t *testing.T) {
	for _, c := range []struct {
		paid, pending, stock int64
		p, q, l              int64
	}{
		{0, 0, 0, 0, 0, 0},
		{0, 0, 20, 0, 0, 100},
		{1, 1, 20, 5, 5, 90},
		{1, 0, 1000, 1, 0, 99},     // one unit still shows
		{1, 2, 3, 33, 67, 0},       // sold out: no gap left by rounding
		{3, 0, 3, 100, 0, 0},       // all paid
		{999, 1, 1000, 99, 1, 0},   // the last unit pending shows
		{0, 1000, 1000, 0, 100, 0}, // all held
	} {
		p, q, l := stockBar(c.paid, c.pending, c.stock)
		if p != c.p || q != c.q || l != c.l {
			t.Errorf("stockBar(%d, %d, %d) = %d %d %d, want %d %d %d", c.paid, c.pending, c.stock, p, q, l, c.p, c.q, c.l)
		}
		if c.stock > 0 && p+q+l != 100 {
			t.Errorf("stockBar(%d, %d, %d) adds up to %d", c.paid, c.pending, c.stock, p+q+l)
		}
	}
}
