package promotion_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
)

// A promotion for a saved custom segment prices its members, and a buyer
// who leaves the segment stops getting it at the next quote; the try-a-cart
// preview says which audience a buyer is not in.
func TestPricer_CustomSegmentAudience(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := opCtx()
		_, dress := f.sku("D1", f.dress, 20000, 5)
		seg, err := (&audience.Service{DB: d, Now: f.clock.Now}).Create(ctx, audience.Input{Name: "直播粉丝",
			Rules: audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{{Field: "tag", Op: "in", Values: []string{"直播粉丝"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		p := f.schedule(promo.Promotion{Name: "粉丝专享立减20", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 2000,
			Segments: []string{promotion.CustomSegment(seg.ID)}})
		cs := &customer.Service{DB: d}
		fan, err := cs.Create(ctx, customer.Profile{Name: "粉丝", Phone: "13700137001"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := cs.Create(ctx, customer.Profile{Name: "路人", Phone: "13700137002"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO customer_tags (customer_id, tag, created_at) VALUES ($1, '直播粉丝', 1)`, fan.ID); err != nil {
			t.Fatal(err)
		}
		quote := func(id int64) int64 {
			t.Helper()
			q, err := f.pricer.Price(ctx, price.Request{CustomerID: id, Lines: []price.Line{{SKUID: dress, Quantity: 1}}, At: start})
			if err != nil {
				t.Fatal(err)
			}
			return q.Discount
		}
		if got := quote(fan.ID); got != 2000 {
			t.Errorf("member of the segment: discount %d, want 2000", got)
		}
		if got := quote(other.ID); got != 0 {
			t.Errorf("not a member: discount %d, want 0", got)
		}
		if got := quote(0); got != 0 {
			t.Errorf("guest: discount %d, want 0", got)
		}
		// The fan loses the tag: the next quote (same cached promotions)
		// no longer gives the discount.
		if _, err := d.Exec(ctx, `DELETE FROM customer_tags WHERE customer_id = $1`, fan.ID); err != nil {
			t.Fatal(err)
		}
		if got := quote(fan.ID); got != 0 {
			t.Errorf("left the segment: discount %d, want 0", got)
		}

		pv, err := f.svc.Preview(ctx, promotion.PreviewInput{CustomerID: other.ID, Lines: []price.Line{{SKUID: dress, Quantity: 1}}, At: &start})
		if err != nil {
			t.Fatal(err)
		}
		want := "not in audience “直播粉丝” (custom:" + strconv.FormatInt(seg.ID, 10) + ")"
		found := false
		for _, n := range pv.NotApplied {
			if n.PromotionID == p.ID {
				found = n.Reason == want
				if !found {
					t.Errorf("reason %q, want %q", n.Reason, want)
				}
			}
		}
		if !found || !strings.Contains(strings.Join(pv.Explanation, "\n"), want) {
			t.Errorf("preview explanation %q lacks %q", pv.Explanation, want)
		}
	})
}

func TestCreate_RefusesUnknownAudiences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, segs := range [][]string{{"custom:999"}, {"dormant", "whales"}, {"custom:abc"}} {
			p := promo.Promotion{Name: "人群立减", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000, Segments: segs}
			_, err := f.svc.Create(opCtx(), promotion.Input{Promotion: p})
			if want := "segments[" + strconv.Itoa(len(segs)-1) + "]"; !isField(err, want) {
				t.Errorf("segments %v: %v, want an error on %s", segs, err, want)
			}
		}
		p := promo.Promotion{Name: "沉睡唤醒", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000, Segments: []string{"dormant", "at_risk"}}
		if _, err := f.svc.Create(opCtx(), promotion.Input{Promotion: p}); err != nil {
			t.Errorf("RFM segment and stage: %v", err)
		}
	})
}
