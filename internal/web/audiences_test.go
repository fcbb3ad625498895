package web

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/promo"
)

func TestAudienceBuilder_PreviewSaveExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedRegulars()
		// A customer whose name would be a formula in a spreadsheet.
		f.exec(`UPDATE customers SET name = '=HYPERLINK("http://x","y")' WHERE id = 4`)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kefu", auth.RoleService)
		op, svc := f.login("yunying"), f.login("kefu")

		if w := f.get("/audiences", svc); w.Code != http.StatusForbidden {
			t.Fatalf("customer service reads segments: %d", w.Code)
		}
		w := f.get("/audiences/new", op)
		if w.Code != http.StatusOK {
			t.Fatalf("new: %d", w.Code)
		}
		// The default rule, orders ≥ 1: all 40 buyers.
		mustContain(t, w.Body.String(), `id="preview-count">40<`, `name="r0.field"`, `hx-post="/audiences/preview"`)

		// Add a rule through the builder (htmx): the builder comes back with
		// a second rule and the preview out of band.
		form := url.Values{"name": {"少量购买"}, "match": {"all"}, "r0.field": {"orders"}, "r0.prev_field": {"orders"}, "r0.op": {"gte"}, "r0.value": {"1"}}
		add := cloneForm(form)
		add.Set("action", "add_group@")
		w = f.do(request{method: "POST", path: "/audiences/builder", form: add, cookies: []*http.Cookie{op}, header: map[string]string{"HX-Request": "true", "HX-Target": "builder"}})
		if w.Code != http.StatusOK {
			t.Fatalf("builder: %d %s", w.Code, w.Body)
		}
		body := w.Body.String()
		mustContain(t, body, `id="builder"`, `name="g0.match"`, `name="g0.r0.field"`, `hx-swap-oob="true"`)
		if strings.Contains(body, "<html") {
			t.Fatal("the builder answered htmx with a whole page")
		}
		// A field changed: its operator follows (spend takes no "in").
		chg := cloneForm(form)
		chg.Set("r0.field", "tag")
		w = f.do(request{method: "POST", path: "/audiences/builder", form: chg, cookies: []*http.Cookie{op}, header: map[string]string{"HX-Request": "true"}})
		mustContain(t, w.Body.String(), `<option value="in" selected>`, `name="r0.text"`)

		// Spend in yuan: at least ¥1,500 … and orders ≤ 3 in a subgroup.
		form.Set("r0.field", "spend")
		form.Set("r0.prev_field", "spend")
		form.Set("r0.value", "1,500")
		form.Set("g0.match", "any")
		form.Set("g0.r0.field", "orders")
		form.Set("g0.r0.prev_field", "orders")
		form.Set("g0.r0.op", "lte")
		form.Set("g0.r0.value", "3")
		w = f.post("/audiences/preview", form, op)
		if w.Code != http.StatusOK {
			t.Fatalf("preview: %d", w.Code)
		}
		// seedRegulars: every fourth customer stopped after three purchases
		// of ¥100–¥140, so spent less than ¥1,500; the rest bought more
		// than three times.
		mustContain(t, w.Body.String(), `id="preview-count">0<`)
		form.Set("r0.value", "300")
		w = f.post("/audiences/preview", form, op)
		mustContain(t, w.Body.String(), `id="preview-count">10<`, `id="preview-sample"`)

		// A bad value is shown on its rule, not saved.
		bad := cloneForm(form)
		bad.Set("g0.r0.value", "three")
		w = f.post("/audiences", bad, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad rule saved: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `whole number`, `id="preview-error"`)
		bad = cloneForm(form)
		bad.Set("r0.value", "12.345")
		if w = f.post("/audiences", bad, op); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad amount saved: %d", w.Code)
		}

		w = f.post("/audiences", form, op)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		loc := w.Header().Get("Location")
		w = f.get(loc, op)
		mustContain(t, w.Body.String(), `少量购买`, `value="300.00"`, `id="preview-count">10<`, `export?format=xlsx`)
		w = f.get("/audiences", op)
		mustContain(t, w.Body.String(), `少量购买`, `>10<`)

		// Export: CSV with the formula neutralised, XLSX as a workbook.
		w = f.get(loc+"/export?format=csv", op)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", w.Code, w.Header())
		}
		csv := w.Body.String()
		if n := strings.Count(csv, "\n"); n != 11 {
			t.Errorf("csv has %d lines, want a header and 10 customers:\n%s", n, csv)
		}
		if !strings.Contains(csv, "HYPERLINK") || strings.Contains(csv, "\n=HYPERLINK") || strings.Contains(csv, ",=HYPERLINK") {
			t.Errorf("formula not neutralised:\n%s", csv)
		}
		w = f.get(loc+"/export?format=xlsx", op)
		zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
		if w.Code != http.StatusOK || err != nil || len(zr.File) == 0 {
			t.Fatalf("xlsx: %d %v", w.Code, err)
		}

		// Delete.
		if w = f.post(loc+"/delete", nil, op); w.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d", w.Code)
		}
		if w = f.get(loc, op); w.Code != http.StatusNotFound {
			t.Fatalf("deleted segment: %d", w.Code)
		}
	})
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// A saved segment is offered on the coupon page's push form, and a push
// to it reaches its customers.
func TestCouponPush_ToASavedSegment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.seedRegulars()
		f.addOperator("yunying", auth.RoleOperator)
		op := f.login("yunying")
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "yunying"})
		seg, err := (&audience.Service{DB: d}).Create(ctx, audience.Input{Name: "三单以内", Rules: audience.Group{Match: audience.MatchAll,
			Rules: []audience.Rule{{Field: "orders", Op: "between", Values: []string{"1", "3"}}}}})
		if err != nil || seg.Customers != 10 {
			t.Fatalf("segment: %+v %v", seg, err)
		}
		tpl, err := (&coupon.Service{DB: d}).CreateTemplate(ctx, coupon.Input{Name: "回头券", ValidDays: 30,
			Rule: coupon.Rule{Kind: promo.KindFixedOff, Amount: 1000, Threshold: 9900, Scope: promo.ScopeOrder}})
		if err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("/coupons/%d", tpl.ID)
		opt := fmt.Sprintf(`value="segment_custom:%d">三单以内<`, seg.ID)
		mustContain(t, f.get(page, op).Body.String(), opt)
		w := f.post(page+"/push", url.Values{"audience": {fmt.Sprintf("segment_custom:%d", seg.ID)}}, op)
		if w.Code != http.StatusOK {
			t.Fatalf("push: %d", w.Code)
		}
		var issued int64
		if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM coupons WHERE template_id = $1`, tpl.ID).Scan(&issued); err != nil || issued != 10 {
			t.Fatalf("%d coupons issued (%v), want 10", issued, err)
		}
	})
}
