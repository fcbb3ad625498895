package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestPromotionPages_CreateWithFieldErrorsScheduleTryCalendarEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")
		if _, err := f.console.Catalog.CreateProduct(context.Background(), catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "DRESS-S", Spec: "S", ListPrice: 35000, CostPrice: 10000}}}); err != nil {
			t.Fatal(err)
		}

		w := f.get("/promotions", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "<h1>促销活动</h1>", "还没有促销")
		if strings.Contains(w.Body.String(), `href="/promotions/new"`) {
			t.Error("a viewer is offered the new-promotion button")
		}
		if w = f.get("/promotions/new", viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer opens the form: %d", w.Code)
		}
		if w = f.get("/promotions/new", op); w.Code != http.StatusOK {
			t.Fatalf("form: %d", w.Code)
		}

		form := url.Values{"name": {"满300减50"}, "kind": {"tiered_off"}, "priority": {"1"}, "scope": {"order"}, "levels": {"300 300"}, "group": {"满减"}}
		// A discount as large as its threshold is shown next to the tiers.
		w = f.post("/promotions", form, op)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("off = threshold: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `name="levels" rows="3" aria-invalid="true"`, "below the threshold", `value="满300减50"`)
		// Reversed dates, on the end.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("levels", "300 50")
		bad.Set("starts_at", "2026-06-18T00:00")
		bad.Set("ends_at", "2026-06-01T00:00")
		if w = f.post("/promotions", bad, op); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "must be after starts_at") {
			t.Fatalf("reversed dates: %d", w.Code)
		}
		form.Set("levels", "300 50\n500 100")
		w = f.post("/promotions", form, op)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/promotions/") {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		body := f.get(page, op).Body.String()
		mustContain(t, body, "满300减50", "满300减50 / 满500减100", "草稿", `action="`+page+`/schedule"`)
		if w = f.post(page+"/schedule", nil, op); w.Code != http.StatusSeeOther {
			t.Fatalf("schedule: %d %s", w.Code, w.Body.String())
		}
		body = f.get(page, viewer).Body.String()
		mustContain(t, body, `data-status="active"`, `data-kpi="orders">0<`)
		if strings.Contains(body, `/pause"`) {
			t.Error("a viewer is offered pause")
		}
		if w = f.post(page+"/pause", nil, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer pauses: %d", w.Code)
		}

		// Try a cart by SKU code: the step and the explanation per line.
		w = f.get("/promotions/try?lines="+url.QueryEscape("DRESS-S 1")+"&channel=direct", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("try: %d %s", w.Code, w.Body.String())
		}
		mustContain(t, w.Body.String(), `id="try-steps"`, "满减", "−¥50.00", "连衣裙 S")
		if w = f.get("/promotions/try?lines=NOPE+1", viewer); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "NOPE") {
			t.Fatalf("unknown SKU: %d", w.Code)
		}

		// The calendar shows it on today.
		today := time.Now().In(f.console.storeLocation(t)).Format("2006-01-02")
		w = f.get("/promotions/calendar", viewer)
		if w.Code != http.StatusOK {
			t.Fatalf("calendar: %d", w.Code)
		}
		b := w.Body.String()
		i := strings.Index(b, `data-date="`+today+`"`)
		if i < 0 || !strings.Contains(b[i:i+400], "满300减50") {
			t.Fatalf("calendar lacks the promotion on %s", today)
		}

		if w = f.post(page+"/pause", nil, op); w.Code != http.StatusSeeOther {
			t.Fatalf("pause: %d", w.Code)
		}
		if w = f.post(page+"/end", nil, op); w.Code != http.StatusSeeOther {
			t.Fatalf("end: %d", w.Code)
		}
		if w = f.post(page+"/resume", nil, op); w.Code != http.StatusConflict {
			t.Fatalf("resume an ended promotion: %d", w.Code)
		}
		if w = f.get("/promotions?status=ended", op); !strings.Contains(w.Body.String(), "满300减50") {
			t.Fatal("ended filter lacks it")
		}

		// English.
		w = f.do(request{path: "/promotions/new", cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "New promotion", "Stacking group")
	})
}

func (c *Console) storeLocation(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
