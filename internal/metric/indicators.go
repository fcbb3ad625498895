package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Figures are the indicators of a period (docs/METRICS.md, "The indicator
// system"). Money in 分, rates in basis points; a rate is 0 when its
// denominator is.
type Figures struct {
	// 流量层
	UV       int64 `json:"uv"`
	UVApprox bool  `json:"uv_approx"` // HyperLogLog estimate (ranges over a day)
	PV       int64 `json:"pv"`
	Sessions int64 `json:"sessions"`
	// 转化层
	ProductViews     int64 `json:"product_views"`
	Searches         int64 `json:"searches"`
	AddToCarts       int64 `json:"add_to_carts"`
	CheckoutStarts   int64 `json:"checkout_starts"`
	Purchases        int64 `json:"purchases"`
	FunnelView       int64 `json:"funnel_view"`
	FunnelCart       int64 `json:"funnel_cart"`
	FunnelCheckout   int64 `json:"funnel_checkout"`
	FunnelPaid       int64 `json:"funnel_paid"`
	Converted        int64 `json:"converted"` // visitors with a purchase
	CTRBP            int64 `json:"ctr_bp"`
	ConversionBP     int64 `json:"conversion_bp"`
	PageConversionBP int64 `json:"page_conversion_bp"`
	// 业绩类
	PaidOrders    int64 `json:"paid_orders"`
	GMV           int64 `json:"gmv"`
	AOV           int64 `json:"aov"`
	Buyers        int64 `json:"buyers"`
	NewCustomers  int64 `json:"new_customers"`
	Refunds       int64 `json:"refunds"`
	NetSales      int64 `json:"net_sales"`
	COGS          int64 `json:"cogs"`
	GrossMarginBP int64 `json:"gross_margin_bp"`
	RefundRateBP  int64 `json:"refund_rate_bp"`
	// Product and category rows: line totals after discounts, shipping
	// excluded, and units.
	Sales int64 `json:"sales,omitempty"`
	Units int64 `json:"units,omitempty"`
}

// finish derives the rates from the counts.
func (f *Figures) finish() {
	f.CTRBP = divRound(f.ProductViews*10000, f.PV)
	f.ConversionBP = divRound(f.Converted*10000, f.UV)
	f.PageConversionBP = divRound(f.FunnelPaid*10000, f.FunnelView)
	f.NetSales = f.GMV - f.Refunds
	f.AOV = divRound(f.GMV, f.PaidOrders)
	f.RefundRateBP = divRound(f.Refunds*10000, f.GMV)
	f.GrossMarginBP = 0
	if f.NetSales > 0 {
		f.GrossMarginBP = divRound((f.NetSales-f.COGS)*10000, f.NetSales)
	}
}

func (f *Figures) addTraffic(t trafficSums) {
	f.PV += t.pv
	f.Sessions += t.sessions
	f.ProductViews += t.productViews
	f.Searches += t.searches
	f.AddToCarts += t.carts
	f.CheckoutStarts += t.checkouts
	f.Purchases += t.purchases
	f.FunnelView += t.funnel[0]
	f.FunnelCart += t.funnel[1]
	f.FunnelCheckout += t.funnel[2]
	f.FunnelPaid += t.funnel[3]
}

type trafficSums struct {
	pv, sessions, productViews, searches, carts, checkouts, purchases int64
	funnel                                                            [4]int64
}

// trafficOf sums the traffic of days from..to for one channel ("" is the
// whole shop) and counts distinct visitors and converted visitors: exactly
// for one day, by merging sketches for longer ranges — the monthly rows
// for the calendar months the range holds whole, the daily rows for the
// days at its edges.
func trafficOf(ctx context.Context, q db.Queryer, from, to int64, channel string) (Figures, error) {
	var f Figures
	uv, conv := hyperloglog.New14(), hyperloglog.New14()
	n := 0
	read := func(query string, a, b int64, daily bool) error {
		rows, err := q.Query(ctx, query, a, b, channel)
		if err != nil {
			return fmt.Errorf("traffic %d–%d: %w", from, to, err)
		}
		defer rows.Close()
		for rows.Next() {
			var t trafficSums
			var dayUV, dayConv int64
			var uvb, cb []byte
			if err := rows.Scan(&t.pv, &dayUV, &t.sessions, &t.productViews, &t.searches, &t.carts, &t.checkouts, &t.purchases,
				&t.funnel[0], &t.funnel[1], &t.funnel[2], &t.funnel[3], &dayConv, &uvb, &cb); err != nil {
				return err
			}
			f.addTraffic(t)
			f.UV, f.Converted = dayUV, dayConv
			if err := mergeSketch(uv, uvb); err != nil {
				return err
			}
			if err := mergeSketch(conv, cb); err != nil {
				return err
			}
			n++
			if !daily {
				n++ // a month is never exact
			}
		}
		return rows.Err()
	}
	const daily = `SELECT pv, uv, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
			funnel_view, funnel_cart, funnel_checkout, funnel_paid, converted, uv_sketch, converted_sketch
		FROM traffic_daily WHERE day BETWEEN $1 AND $2 AND channel = $3`
	const monthly = `SELECT pv, 0, sessions, product_views, searches, add_to_carts, checkout_starts, purchases,
			funnel_view, funnel_cart, funnel_checkout, funnel_paid, 0, uv_sketch, converted_sketch
		FROM traffic_monthly WHERE month BETWEEN $1 AND $2 AND channel = $3`
	m1, m2, edges := split(from, to)
	if m1 <= m2 {
		if err := read(monthly, m1, m2, false); err != nil {
			return f, err
		}
	}
	for _, e := range edges {
		if err := read(daily, e[0], e[1], true); err != nil {
			return f, err
		}
	}
	if n > 1 {
		f.UV, f.Converted, f.UVApprox = int64(uv.Estimate()), int64(conv.Estimate()), true
	}
	return f, nil
}

func mergeSketch(into *hyperloglog.Sketch, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	sk := hyperloglog.New14()
	if err := sk.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("visitor sketch: %w", err)
	}
	return into.Merge(sk)
}

// PeriodFigures computes the indicators of days from..to from the rollups
// (sales_daily, traffic_daily) and customers.first_paid_day.
func PeriodFigures(ctx context.Context, q db.Queryer, from, to int64) (Figures, error) {
	f, err := trafficOf(ctx, q, from, to, "")
	if err != nil {
		return f, err
	}
	s, err := Summarize(ctx, q, from, to)
	if err != nil {
		return f, err
	}
	f.PaidOrders, f.GMV, f.Buyers, f.NewCustomers, f.Refunds, f.COGS = s.PaidOrders, s.GMV, s.Buyers, s.NewCustomers, s.Refunds, s.COGS
	f.finish()
	return f, nil
}

// Grains of a series.
const (
	GrainDay   = "day"
	GrainWeek  = "week"
	GrainMonth = "month"
)

// Bucket is one period of a series: a day, an ISO week (Monday–Sunday) or
// a calendar month, cut to the range asked for.
type Bucket struct {
	Label string `json:"label"` // 2026-11-20, 2026-W47, 2026-11
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Figures
}

// Buckets cuts from..to into periods of the grain.
func Buckets(from, to int64, grain string) []Bucket {
	var out []Bucket
	for d := from; d <= to; {
		t := settings.DayTime(d, time.UTC)
		var end time.Time
		var label string
		switch grain {
		case GrainWeek:
			wd := (int(t.Weekday()) + 6) % 7 // Monday 0
			end = t.AddDate(0, 0, 6-wd)
			y, w := t.ISOWeek()
			label = fmt.Sprintf("%d-W%02d", y, w)
		case GrainMonth:
			end = time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC)
			label = t.Format("2006-01")
		default:
			end = t
			label = t.Format("2006-01-02")
		}
		e := min(settings.Day(end, time.UTC), to)
		out = append(out, Bucket{Label: label, From: d, To: e})
		d = AddDays(e, 1)
	}
	return out
}

// YearAgo is the same period a year earlier: 364 days back for days and
// weeks, so Wednesday compares with Wednesday, and the same calendar dates
// for months.
func YearAgo(from, to int64, grain string) (int64, int64) {
	if grain == GrainMonth {
		back := func(d int64) int64 {
			return settings.Day(settings.DayTime(d, time.UTC).AddDate(-1, 0, 0), time.UTC)
		}
		return back(from), back(to)
	}
	return AddDays(from, -364), AddDays(to, -364)
}

// PreviousPeriod is the period of equal length just before (环比).
func PreviousPeriod(from, to int64) (int64, int64) {
	n := len(Days(from, to))
	return AddDays(from, -n), AddDays(from, -1)
}
