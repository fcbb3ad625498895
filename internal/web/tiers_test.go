package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestTiers_CustomerCardLadderAndDistribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanke", auth.RoleViewer)
		f.seedOrders()
		s := f.login("yunying")
		now := time.Now().UnixMilli()
		f.exec(`INSERT INTO growth_movements (customer_id, source, amount, at) VALUES (1, 'test:1', 2000, $1)`, now)
		f.exec(`INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at) VALUES (1, 'gold', 2000, $1, $1)`, now)
		f.exec(`INSERT INTO tier_changes (customer_id, from_tier, to_tier, kind, growth, threshold, window_months, at)
			VALUES (1, 'normal', 'gold', 'upgrade', 2000, 1500, 12, $1)`, now)

		w := f.get("/customers/1", s)
		if w.Code != http.StatusOK {
			t.Fatalf("customer page: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `id="customer-tier" data-tier="gold"`, "金卡会员", "成长值越过 1,500", "还差 1,000 成长值升级为", "铂金卡会员", "包邮")

		w = f.get("/tiers", s)
		if w.Code != http.StatusOK {
			t.Fatalf("tiers page: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `<tr data-tier="gold"><td>金卡会员</td><td class="num">1</td>`, `name="levels[3].keep_threshold" type="number" min="0" value="2000"`, "chart-tiers")

		w = f.get("/customer-value", s)
		if w.Code != http.StatusOK {
			t.Fatalf("customer value page: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `id="value-tiers"`, `<tr data-tier="gold"><td>金卡会员</td><td class="num">1</td>`)

		form := url.Values{"growth_per_yuan": {"2"}, "window_months": {"6"}}
		levels := [][]string{{"普通会员", "Member", "0", "0", "0"}, {"银卡", "Silver", "800", "500", "300"}, {"金卡", "Gold", "4000", "2000", "600"}, {"黑金", "Black", "9000", "9500", "900"}}
		for i, l := range levels {
			k := "levels[" + string(rune('0'+i)) + "]."
			form.Set(k+"name_zh", l[0])
			form.Set(k+"name_en", l[1])
			form.Set(k+"threshold", l[2])
			form.Set(k+"keep_threshold", l[3])
			form.Set(k+"discount_bp", l[4])
		}
		form.Set("levels[2].free_shipping", "1")
		w = f.post("/tiers", form, s)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "threshold 9000") {
			t.Fatalf("keep above threshold: %d %s", w.Code, w.Body.String())
		}
		form.Set("levels[3].keep_threshold", "6000")
		if w = f.post("/tiers", form, f.login("kanke")); w.Code != http.StatusForbidden {
			t.Fatalf("viewer saves the ladder: %d", w.Code)
		}
		if w = f.post("/tiers", form, s); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body.String())
		}
		c, err := f.console.tiers().Config(context.Background())
		if err != nil || c.GrowthPerYuan != 2 || c.WindowMonths != 6 || c.Levels[3].NameZh != "黑金" || !c.Levels[2].FreeShipping || c.Levels[1].FreeShipping {
			t.Fatalf("saved %+v, %v", c, err)
		}

		// English.
		w = f.post("/lang", url.Values{"lang": {"en"}, "next": {"/tiers"}}, s)
		en := cookieNamed(w, langCookie)
		mustContain(t, f.get("/tiers", s, en).Body.String(), "Customers by member tier", "Keep threshold")
		mustContain(t, f.get("/customers/1", s, en).Body.String(), "Member tier", "upgrade: growth crossed 1,500")
	})
}
