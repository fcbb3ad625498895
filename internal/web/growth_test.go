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

// The tiers page edits the growth actions (a negative growth is shown next
// to its cell, nothing saved); the customer page grants growth with a
// reason, lists it in the growth history and takes it back once.
func TestGrowth_ActionsFormGrantAndReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.seedOrders()
		s := f.login("yunying")

		w := f.get("/tiers", s)
		mustContain(t, w.Body.String(), `id="growth-actions"`, `<tr data-action="check_in">`, `name="actions[0].growth" type="number" min="0" value="5"`)
		form := url.Values{}
		for i, v := range [][3]string{{"8", "1", "0"}, {"-1", "0", "1"}, {"100", "0", "20"}} {
			k := "actions[" + string(rune('0'+i)) + "]."
			form.Set(k+"growth", v[0])
			form.Set(k+"daily_cap", v[1])
			form.Set(k+"lifetime_cap", v[2])
		}
		if w = f.post("/tiers/actions", form, s); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "give 0 (off)") {
			t.Fatalf("negative growth: %d %s", w.Code, w.Body.String())
		}
		form.Set("actions[1].growth", "60")
		if w = f.post("/tiers/actions", form, s); w.Code != http.StatusSeeOther {
			t.Fatalf("save actions: %d %s", w.Code, w.Body.String())
		}
		w = f.get("/tiers", s, cookieNamed(w, flashCookie))
		mustContain(t, w.Body.String(), "行为成长值已保存", `name="actions[0].growth" type="number" min="0" value="8"`, `name="actions[1].growth" type="number" min="0" value="60"`)

		if w = f.post("/customers/1/growth", url.Values{"growth": {"600"}, "growth_reason": {""}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("grant without a reason: %d", w.Code)
		}
		if w = f.post("/customers/1/growth", url.Values{"growth": {"600"}, "growth_reason": {"客诉补偿"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("grant: %d %s", w.Code, w.Body.String())
		}
		w = f.get("/customers/1", s, cookieNamed(w, flashCookie))
		body := w.Body.String()
		mustContain(t, body, "成长值已调整", `id="growth-movements"`, "客诉补偿", "手动调整", "来自 客诉补偿")
		var mid string
		if err := d.QueryRow(t.Context(), `SELECT CAST(id AS TEXT) FROM growth_movements WHERE customer_id = 1 AND action = 'manual'`).Scan(&mid); err != nil {
			t.Fatal(err)
		}
		mustContain(t, body, `action="/customers/1/growth/`+mid+`/reverse"`)
		if w = f.post("/customers/1/growth/"+mid+"/reverse", url.Values{"reason": {"误操作"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("reverse: %d %s", w.Code, w.Body.String())
		}
		if w = f.post("/customers/1/growth/"+mid+"/reverse", url.Values{"reason": {"again"}}, s); w.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(w.Body.String(), "不能撤销") {
			t.Errorf("reverse twice: %d", w.Code)
		}
		mustContain(t, f.get("/customers/1", s).Body.String(), "已撤销", "误操作")
	})
}
