package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/points"
)

func TestPointsPages_AdjustOnTheCustomerPage_RulesForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")
		cu, err := f.console.Customers.Create(context.Background(), customer.Profile{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		path := "/customers/" + strconv.FormatInt(cu.ID, 10)

		w := f.get(path, op)
		mustContain(t, w.Body.String(), `id="points"`, `data-points-balance="0"`, "还没有积分变动", `action="`+path+`/points"`)
		if w = f.post(path+"/points", url.Values{"points": {"300"}, "reason": {"物流延误补偿"}}, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer adjusts: %d", w.Code)
		}
		if w = f.post(path+"/points", url.Values{"points": {"300"}, "reason": {""}}, op); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("no reason: %d", w.Code)
		}
		if w = f.post(path+"/points", url.Values{"points": {"300"}, "reason": {"物流延误补偿"}}, op); w.Code != http.StatusSeeOther {
			t.Fatalf("adjust: %d %s", w.Code, w.Body)
		}
		w = f.get(path, op)
		mustContain(t, w.Body.String(), `data-points-balance="300"`, "物流延误补偿", "人工调整")

		w = f.get("/points", op)
		mustContain(t, w.Body.String(), "<h1>积分</h1>", "1 200 首购激励", `name="max_share_bp"`)
		bad := url.Values{"earn_points_per_yuan": {"2"}, "redeem_points_per_yuan": {"100"}, "max_share_bp": {"3000"}, "expiry_months": {"12"},
			"ladder": {"1 five"}}
		if w = f.post("/points", bad, op); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad ladder: %d", w.Code)
		}
		good := bad
		good.Set("ladder", "1 300 首购激励\n3 100 第三单")
		if w = f.post("/points", good, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer saves: %d", w.Code)
		}
		if w = f.post("/points", good, op); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		r, err := points.LoadRules(context.Background(), d)
		if err != nil || r.EarnPerYuan != 2 || r.MaxShareBP != 3000 || r.ExpiryMonths != 12 || len(r.Ladder) != 2 || r.Ladder[1] != (points.Rung{OrderNumber: 3, Bonus: 100, Label: "第三单"}) {
			t.Fatalf("saved %+v %v", r, err)
		}
	})
}
