package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promotion"
)

func TestGenerate_PromotionsMatchTheOrdersTheyPriced(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		loc := shanghai(t)
		end := time.Date(2025, 6, 10, 12, 0, 0, 0, loc) // inside 618
		generate(t, d, Options{Customers: 400, Days: 60, End: end, Location: loc})
		ctx := context.Background()
		s := &promotion.Service{DB: d, Now: func() time.Time { return end }}
		all, err := s.List(ctx, promotion.Filter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]promotion.Promotion{}
		for _, p := range all {
			if err := p.Validate(); err != nil {
				t.Errorf("%s: %v", p.Name, err)
			}
			byName[strings.Fields(p.Name)[0]] = p
		}
		for name, want := range map[string]promotion.Status{"618": promotion.StatusActive, "520": promotion.StatusEnded,
			"双11": promotion.StatusScheduled, "周三会员日": promotion.StatusActive, "满300减50": promotion.StatusActive,
			"搭配套餐": promotion.StatusActive, "满199赠小样": promotion.StatusActive} {
			if got := byName[name].Status; got != want {
				t.Errorf("%s: %s, want %s", name, got, want)
			}
		}
		// Every order of 618 so far with money off is 618's, and its results
		// add up from those orders.
		p618 := byName["618"]
		var orders, off, gmv int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(discount_total), 0), COALESCE(SUM(total), 0) FROM orders
			WHERE created_at >= $1 AND created_at < $2 AND discount_total > 0 AND paid_at IS NOT NULL`,
			p618.StartsAt.UnixMilli(), end.UnixMilli()).Scan(&orders, &off, &gmv); err != nil {
			t.Fatal(err)
		}
		res, err := s.Results(ctx, p618.ID)
		if err != nil || orders == 0 || res.Orders != orders || res.DiscountCost != off || res.GMV != gmv {
			t.Fatalf("618 results %+v (%v), orders say %d orders, %d off, GMV %d", res, err, orders, off, gmv)
		}
		if r, _ := s.Results(ctx, byName["周三会员日"].ID); r.Orders == 0 {
			t.Error("周三会员日 priced no order")
		}
		// The storefront prices the bundle's two SKUs with it.
		b := byName["搭配套餐"]
		pr := &promotion.Pricer{DB: d, Now: func() time.Time { return end }}
		q, err := pr.Price(ctx, price.Request{Lines: []price.Line{{SKUID: b.BundleSKUs[0], Quantity: 1}, {SKUID: b.BundleSKUs[1], Quantity: 1}},
			Channel: "direct", At: end})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range q.Applied {
			found = found || a.PromotionID == b.ID
		}
		if !found {
			t.Fatalf("bundle not applied: %+v\n%v", q.Applied, q.Explanation)
		}
	})
}
