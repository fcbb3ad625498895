package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/promotion"
)

// The promotion form offers saved custom segments as an audience; the page
// names the audience, and try-a-cart says a buyer outside it is not in it.
func TestPromotionPages_CustomSegmentAudience(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		op := f.login("yunying")
		ctx := context.Background()
		if _, err := f.console.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "DRESS-S", Spec: "S", ListPrice: 35000, CostPrice: 10000}}}); err != nil {
			t.Fatal(err)
		}
		seg, err := (&audience.Service{DB: d}).Create(ctx, audience.Input{Name: "直播间复购粉丝",
			Rules: audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{{Field: "tag", Op: "in", Values: []string{"直播粉丝"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		buyer, err := (&customer.Service{DB: d}).Create(ctx, customer.Profile{Name: "路人", Phone: "13700137009"})
		if err != nil {
			t.Fatal(err)
		}
		value := promotion.CustomSegment(seg.ID)
		body := f.get("/promotions/new", op).Body.String()
		mustContain(t, body, "适用人群", `name="segments" value="`+value+`"`, "直播间复购粉丝", `name="segments" value="dormant"`)

		form := url.Values{"name": {"粉丝立减20"}, "kind": {"fixed_off"}, "scope": {"order"}, "amount": {"20"}, "segments": {value, "custom:999"}}
		w := f.post("/promotions", form, op)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "there is no saved custom segment 999") {
			t.Fatalf("unknown segment: %d", w.Code)
		}
		form["segments"] = []string{value}
		w = f.post("/promotions", form, op)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		page := w.Header().Get("Location")
		mustContain(t, f.get(page, op).Body.String(), "自定义人群“直播间复购粉丝”")
		mustContain(t, f.get(page+"/edit", op).Body.String(), `value="`+value+`" checked`)
		if w = f.post(page+"/schedule", nil, op); w.Code != http.StatusSeeOther {
			t.Fatalf("schedule: %d", w.Code)
		}
		w = f.get("/promotions/try?lines="+url.QueryEscape("DRESS-S 1")+"&customer_id="+strconv.FormatInt(buyer.ID, 10), op)
		mustContain(t, w.Body.String(), "not in audience “直播间复购粉丝” ("+value+")")

		w = f.do(request{path: "/promotions/new", cookies: []*http.Cookie{op, {Name: langCookie, Value: "en"}}})
		mustContain(t, w.Body.String(), "Audience", "Custom segments", "Dormant")
	})
}
