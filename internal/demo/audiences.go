package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db"
)

// demoAudiences are the custom segments (自定义人群) an operator of this
// shop would keep: the sleeping big spenders to win back, the live-stream
// fans who came back to buy again, and the first-time buyers of the last
// month to nudge to a second order.
var demoAudiences = []audience.Input{
	{Name: "高价值沉睡", Description: "累计消费 ≥ ¥1000，90 天没有下单：发唤醒券",
		Rules: audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{
			{Field: "spend", Op: "gte", Value: "100000"},
			{Field: "recency_days", Op: "gte", Value: "90"},
		}}},
	{Name: "直播间复购粉丝", Description: "直播来源或带「直播粉丝」标签，且在直播间下过单、至少两单",
		Rules: audience.Group{Match: audience.MatchAll,
			Rules: []audience.Rule{{Field: "orders", Op: "gte", Value: "2"}, {Field: "order_channel", Op: "in", Values: []string{"live"}}},
			Groups: []audience.Group{{Match: audience.MatchAny, Rules: []audience.Rule{
				{Field: "source_channel", Op: "in", Values: []string{"live"}},
				{Field: "tag", Op: "in", Values: []string{"直播粉丝"}},
			}}}}},
	{Name: "新客待复购", Description: "只买过一次、30 天内首单的新客：推第二单优惠",
		Rules: audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{
			{Field: "orders", Op: "eq", Value: "1"},
			{Field: "recency_days", Op: "lte", Value: "30"},
		}}},
}

// writeAudiences saves the demo segments, counted as of end.
func writeAudiences(ctx context.Context, d *db.DB, end time.Time) error {
	svc := &audience.Service{DB: d, Now: func() time.Time { return end }}
	for _, in := range demoAudiences {
		if _, err := svc.Create(ctx, in); err != nil {
			return fmt.Errorf("demo segment %s: %w", in.Name, err)
		}
	}
	return nil
}
