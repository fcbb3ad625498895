package coupon_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// A push to a saved custom segment reaches the customers its rules match
// when the push runs, and no one else.
func TestPush_ToACustomSegment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		in := tenOff("高价值唤醒券")
		in.Claimable = false
		tpl := f.template(in)
		// spend in 分 paid 200 days ago; tagged vip or not.
		buyers := []struct {
			name  string
			spend int64
			vip   bool
		}{{"甲", 150000, true}, {"乙", 150000, false}, {"丙", 20000, true}, {"丁", 0, true}}
		ids := map[string]int64{}
		paidAt := start.AddDate(0, 0, -200).UnixMilli()
		for i, b := range buyers {
			id := f.customer(b.name)
			ids[b.name] = id
			if b.spend > 0 {
				if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, 'paid', $3, $3, $4, $4, 20250101, $4)`, fmt.Sprintf("SEG-%d", i), id, b.spend, paidAt); err != nil {
					t.Fatal(err)
				}
			}
			if b.vip {
				if _, err := d.Exec(ctx, `INSERT INTO customer_tags (customer_id, tag, created_at) VALUES ($1, 'vip', 0)`, id); err != nil {
					t.Fatal(err)
				}
			}
		}
		seg, err := (&audience.Service{DB: d}).Create(opCtx(), audience.Input{Name: "高价值沉睡", Rules: audience.Group{
			Match: audience.MatchAll,
			Rules: []audience.Rule{{Field: "spend", Op: "gte", Value: "100000"}, {Field: "recency_days", Op: "gte", Value: "90"}},
			Groups: []audience.Group{{Match: audience.MatchAny, Rules: []audience.Rule{
				{Field: "tag", Op: "in", Values: []string{"vip"}}, {Field: "orders", Op: "gte", Value: "3"}}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if seg.Customers != 1 {
			t.Fatalf("saved segment counts %d customers, want 1 (甲)", seg.Customers)
		}
		res, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: coupon.AudienceCustom, SegmentID: seg.ID})
		if err != nil {
			t.Fatal(err)
		}
		if res != (coupon.PushResult{Targeted: 1, Issued: 1}) {
			t.Fatalf("push: %+v", res)
		}
		var got []int64
		rows, err := d.Query(ctx, `SELECT customer_id FROM coupons WHERE template_id = $1 ORDER BY customer_id`, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		rows.Close()
		if !slices.Equal(got, []int64{ids["甲"]}) {
			t.Fatalf("coupons went to %v, want only 甲 (%d)", got, ids["甲"])
		}
		// No segment id, and one that does not exist, name the field.
		if _, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: coupon.AudienceCustom}); fieldOf(err) != "segment_id" {
			t.Fatalf("no segment id: %v", err)
		}
		if _, err := f.coupons.Push(opCtx(), tpl.ID, coupon.Audience{Kind: coupon.AudienceCustom, SegmentID: seg.ID + 99}); fieldOf(err) != "segment_id" {
			t.Fatalf("unknown segment: %v", err)
		}
	})
}
