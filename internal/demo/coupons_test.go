package demo

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestGenerate_CouponsHeldWithinTheirLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		end := time.Date(2025, 6, 18, 12, 0, 0, 0, shanghai(t))
		generate(t, d, Options{Customers: 400, Days: 60, End: end, Location: shanghai(t)})
		ctx := context.Background()
		s := &coupon.Service{DB: d, Now: func() time.Time { return end }}
		list, _, err := s.ListTemplates(ctx, coupon.TemplateFilter{})
		// Three templates of writeCoupons and the referral programme's
		// reward (writeReferrals).
		if err != nil || len(list) != 4 {
			t.Fatalf("templates: %d %v", len(list), err)
		}
		var holders int64
		for _, tpl := range list {
			st, err := s.Stats(ctx, tpl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Issued != tpl.Issued || st.Used != 0 || st.Locked != 0 {
				t.Errorf("%s: counter %d, stats %+v", tpl.Name, tpl.Issued, st)
			}
			holders += st.Issued
		}
		var overLimit, badState int64
		d.QueryRow(ctx, `SELECT COUNT(*) FROM coupon_claims k JOIN coupon_templates t ON t.id = k.template_id WHERE k.claimed > t.per_customer_limit`).Scan(&overLimit)
		d.QueryRow(ctx, `SELECT COUNT(*) FROM coupons WHERE (status = 'expired') <> (valid_to <= $1)`, end.UnixMilli()).Scan(&badState)
		if holders < 200 || overLimit != 0 || badState != 0 {
			t.Fatalf("%d coupons, %d claims over the limit, %d in the wrong state for their window", holders, overLimit, badState)
		}
		// A demo buyer can redeem the summer code, once.
		var buyer int64
		d.QueryRow(ctx, `SELECT MIN(id) FROM customers`).Scan(&buyer)
		if _, err := s.Redeem(ctx, buyer, "summer50"); err != nil {
			t.Fatalf("redeem SUMMER50: %v", err)
		}
	})
}
