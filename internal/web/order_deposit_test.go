package web

import (
	"context"
	"net/http"
	"strconv"
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

// A paid presale deposit reads "定金已付 · 尾款截至 …" in the order list and
// on its page, which offers no shipping; in English "Deposit paid — tail
// due by …". The list's paid tab (orders to ship) leaves it out: it sits
// under 定金订单.
func TestOrderPages_DepositPaidTailDue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.addOperator("yunying", auth.RoleOperator)
		op := f.login("yunying")
		sku := f.stockedSKU("精华", "PS-SERUM", "50ml", 149900, 40000)
		ps := &presale.Service{DB: d, Inventory: f.console.Inventory}
		orders := &order.Service{DB: d, Inventory: f.console.Inventory,
			Pricer: presale.Pricer{Presales: ps, Next: price.ListPricer{DB: d}}, Hooks: []order.Hook{presale.Hook{Presales: ps}}}
		ps.Orders = orders
		loc := f.console.storeLocation(t)
		now := time.Now().In(loc)
		tailEnds := time.Date(now.Year(), now.Month(), now.Day()+5, 0, 0, 0, 0, loc)
		sale, err := ps.Create(audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: 1, Name: "小王"}), presale.Input{Name: "双12 预售 精华", SKUID: sku,
			PresalePrice: 129900, Deposit: 10000, DepositValue: 20000, PerCustomerLimit: 2, Stock: 20,
			Windows: presale.Windows{DepositStartsAt: now.Add(-time.Minute), DepositEndsAt: now.Add(24 * time.Hour),
				TailStartsAt: now.Add(48 * time.Hour), TailEndsAt: tailEnds}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.console.Customers.Create(ctx, customer.Profile{Name: "买家甲", Phone: "13900000031"})
		if err != nil {
			t.Fatal(err)
		}
		_, do, err := ps.Deposit(audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: c.ID}), sale.ID, presale.DepositInput{CustomerID: c.ID,
			ShipTo: order.ShipTo{Recipient: "张三", Phone: "13800138000", Province: "上海", City: "上海", District: "浦东新区", Detail: "世纪大道 100 号"},
			Lines:  []price.Line{{SKUID: sku, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orders.Pay(ctx, c.ID, do.ID, order.PayInput{}); err != nil {
			t.Fatal(err)
		}
		due := tailEnds.Format("2006-01-02")
		list := f.get("/orders", op).Body.String()
		mustContain(t, list, `data-deposit="paid"`, "定金已付 · 尾款截至 "+due, `data-status="deposits_paid">定金订单 (1)`, `data-status="paid">已支付 (0)`)
		// Paid (待发货) lists the orders to ship; the deposit has its own tab.
		if toShip := f.get("/orders?status=paid", op).Body.String(); strings.Contains(toShip, `data-deposit="paid"`) {
			t.Error("the paid tab lists a deposit order, which ships nothing")
		}
		mustContain(t, f.get("/orders?status=deposits_paid", op).Body.String(), `data-deposit="paid"`)
		page := f.get("/orders/"+strconv.FormatInt(do.ID, 10), op).Body.String()
		mustContain(t, page, `id="order-status" data-status="paid" data-deposit="paid"`, "定金已付 · 尾款截至 "+due)
		if strings.Contains(page, `id="ship-form"`) {
			t.Error("a deposit order is offered shipping")
		}
		w := f.do(request{path: "/orders/" + strconv.FormatInt(do.ID, 10), cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "Deposit paid — tail due by")
	})
}
