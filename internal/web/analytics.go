package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/export"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// The 数据分析 page: the indicator system (docs/METRICS.md) over a period
// ending yesterday, with 环比 and 同比, and the dashboards — traffic by
// channel, the funnel, cohort curves, product performance and period
// comparison — each exportable as CSV and XLSX.

var analyticsGrains = []string{metric.GrainDay, metric.GrainWeek, metric.GrainMonth}

// analyticsParams is the period asked for: Days days ending on To
// (yesterday by default: a whole day compares with a whole day).
type analyticsParams struct {
	Days  int
	Grain string
	To    int64
}

func analyticsParamsFrom(r *http.Request, st settings.Store, now time.Time) analyticsParams {
	p := analyticsParams{Days: 30, Grain: metric.GrainDay}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("days")); err == nil && slices.Contains(periodDays, n) {
		p.Days = n
	}
	if g := q.Get("grain"); slices.Contains(analyticsGrains, g) {
		p.Grain = g
	}
	if p.Days > 90 && p.Grain == metric.GrainDay {
		p.Grain = metric.GrainWeek // a year of days is 365 points: weeks read better
	}
	p.To = settings.Day(now.In(st.Location()).AddDate(0, 0, -1), st.Location())
	if v, err := strconv.ParseInt(q.Get("to"), 10, 64); err == nil && v >= 19700101 && v <= p.To && metric.AddDays(v, 0) == v {
		p.To = v
	}
	return p
}

func (p analyticsParams) From() int64 { return metric.AddDays(p.To, -(p.Days - 1)) }

func (p analyticsParams) Query() string {
	return "days=" + strconv.Itoa(p.Days) + "&grain=" + p.Grain + "&to=" + strconv.FormatInt(p.To, 10)
}

// analyticsCard is one indicator with its 环比 and 同比.
type analyticsCard struct {
	Key      string // catalog key analytics.<Key> and analytics.help.<Key>
	Value    string
	PoP, YoY string
	PoPClass string
	YoYClass string
}

// analyticsChart is a chart and its table, which the export writes.
type analyticsChart struct {
	chart
	Help      string
	CSV, XLSX string // export links
}

type funnelStep struct {
	Key      string
	Visitors int64
	FromPrev string // share of the step before that got here
	DropOff  string
}

type analyticsPage struct {
	Params     analyticsParams
	Periods    []int
	Grains     []string
	From, To   string
	Cards      []analyticsCard
	Charts     []analyticsChart
	Funnel     []funnelStep
	Channels   []metric.Group
	Segments   []metric.Group
	Products   []metric.Group
	Report     metric.Report
	HasData    bool
	OpenAlerts int
}

// analyticsData computes everything the page and its exports show.
func (c *Console) analyticsData(ctx context.Context, v *viewer, p analyticsParams) (analyticsPage, error) {
	page := analyticsPage{Params: p, Periods: periodDays, Grains: analyticsGrains}
	if err := (&metric.IndicatorRollup{DB: c.DB, Wait: c.RefreshWait}).RefreshIfOlder(ctx, metric.FreshEnough); err != nil {
		return page, err
	}
	if err := (&metric.Rollup{DB: c.DB, Wait: c.RefreshWait}).RefreshIfOlder(ctx, metric.FreshEnough); err != nil {
		return page, err
	}
	from, to := p.From(), p.To
	rep, err := metric.IndicatorReport(ctx, c.DB, from, to, p.Grain, metric.ByChannel)
	if err != nil {
		return page, err
	}
	products, err := metric.ProductGroups(ctx, c.DB, from, to, metric.ByProduct, 20)
	if err != nil {
		return page, err
	}
	cohorts, err := metric.Cohorts(ctx, c.DB, to, 12)
	if err != nil {
		return page, err
	}
	if page.Segments, err = metric.SegmentGroups(ctx, c.DB, from, to); err != nil {
		return page, err
	}
	if err := c.DB.QueryRow(ctx, "SELECT COUNT(*) FROM alerts WHERE status <> 'resolved'").Scan(&page.OpenAlerts); err != nil {
		return page, err
	}
	bySeries, err := metric.ChannelSeries(ctx, c.DB, rep.Series)
	if err != nil {
		return page, err
	}
	loc := v.Store.Location()
	page.Report, page.Channels, page.Products = rep, rep.Groups, products
	page.From = i18n.FormatDate(v.Lang, settings.DayTime(from, loc), loc)
	page.To = i18n.FormatDate(v.Lang, settings.DayTime(to, loc), loc)
	page.HasData = rep.Current.UV > 0 || rep.Current.PaidOrders > 0
	page.Cards = analyticsCards(v, rep)
	page.Funnel = funnelSteps(v, rep.Current)

	cur := v.Store.Currency
	x := make([]string, len(rep.Series))
	uv, pv, gmv := make([]int64, len(x)), make([]int64, len(x)), make([]int64, len(x))
	for i, b := range rep.Series {
		x[i], uv[i], pv[i], gmv[i] = b.Label, b.UV, b.PV, b.GMV
	}
	mk := func(id, kind string, x []string, scale int64, currency string, series ...chartSeries) analyticsChart {
		return analyticsChart{chart: chart{ID: "chart-" + id, Title: tr(v, "analytics.chart."+id), Kind: kind, X: x,
			Series: series, Scale: scale, Currency: currency, Lang: v.Lang},
			Help: tr(v, "analytics.chart_help."+id),
			CSV:  "/analytics/export?chart=" + id + "&format=csv&" + p.Query(),
			XLSX: "/analytics/export?chart=" + id + "&format=xlsx&" + p.Query()}
	}
	page.Charts = append(page.Charts, mk("trend", "line", x, 1, "",
		chartSeries{Name: tr(v, "analytics.uv"), Data: uv}, chartSeries{Name: tr(v, "analytics.pv"), Data: pv}))

	var chSeries []chartSeries
	for _, g := range rep.Groups {
		if d, ok := bySeries[g.Key]; ok {
			chSeries = append(chSeries, chartSeries{Name: channelLabel(v, g.Key), Data: d})
		}
	}
	page.Charts = append(page.Charts, mk("channels", "line", x, 1, "", chSeries...))

	steps := make([]string, len(page.Funnel))
	visitors := make([]int64, len(page.Funnel))
	for i, s := range page.Funnel {
		steps[i], visitors[i] = tr(v, "analytics.funnel."+s.Key), s.Visitors
	}
	page.Charts = append(page.Charts, mk("funnel", "bar", steps, 1, "", chartSeries{Name: tr(v, "analytics.visitors"), Data: visitors}))

	// Period comparison: GMV of each period of the series against the same
	// position in the period before (环比) and a year before (同比).
	prev, err := bucketGMV(ctx, c, rep.PreviousFrom, rep.PreviousTo, p.Grain, len(x))
	if err != nil {
		return page, err
	}
	yago, err := bucketGMV(ctx, c, rep.YearAgoFrom, rep.YearAgoTo, p.Grain, len(x))
	if err != nil {
		return page, err
	}
	page.Charts = append(page.Charts, mk("compare", "line", x, 100, cur,
		chartSeries{Name: tr(v, "analytics.this_period"), Data: gmv},
		chartSeries{Name: tr(v, "analytics.previous_period"), Data: prev},
		chartSeries{Name: tr(v, "analytics.year_ago"), Data: yago}))

	top := products[:min(len(products), 10)]
	px := make([]string, len(top))
	ps := make([]int64, len(top))
	for i, g := range top {
		px[i], ps[i] = g.Label, g.Sales
	}
	page.Charts = append(page.Charts, mk("products", "bar", px, 100, cur, chartSeries{Name: tr(v, "analytics.sales"), Data: ps}))

	// Cohort curves: the last six monthly cohorts followed for a month at
	// least, by months since the first purchase.
	shown := cohorts[max(0, len(cohorts)-7):max(0, len(cohorts)-1)]
	months := 0
	for _, co := range shown {
		months = max(months, len(co.RetainedBP))
	}
	mx := make([]string, months)
	for k := range mx {
		mx[k] = "M" + strconv.Itoa(k)
	}
	var retained, repurchased, ltv []chartSeries
	for _, co := range shown {
		retained = append(retained, chartSeries{Name: co.Month, Data: co.RetainedBP})
		repurchased = append(repurchased, chartSeries{Name: co.Month, Data: co.RepurchasedBP})
		ltv = append(ltv, chartSeries{Name: co.Month, Data: co.LTV})
	}
	page.Charts = append(page.Charts,
		mk("retention", "line", mx, 100, "", retained...),
		mk("repurchase", "line", mx, 100, "", repurchased...),
		mk("ltv", "line", mx, 100, cur, ltv...))
	return page, nil
}

// bucketGMV is the GMV of each period of from..to cut by grain, as many as
// the current series has (padded with zeros), from the daily rollup.
func bucketGMV(ctx context.Context, c *Console, from, to int64, grain string, n int) ([]int64, error) {
	days, err := metric.Daily(ctx, c.DB, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	for i, b := range metric.Buckets(from, to, grain) {
		if i >= n {
			break
		}
		for _, d := range days {
			if d.Day >= b.From && d.Day <= b.To {
				out[i] += d.GMV
			}
		}
	}
	return out, nil
}

func channelLabel(v *viewer, ch string) string {
	key := "channel." + ch
	if s := tr(v, key); s != key {
		return s
	}
	return ch
}

func funnelSteps(v *viewer, f metric.Figures) []funnelStep {
	steps := []funnelStep{{Key: "view", Visitors: f.FunnelView}, {Key: "cart", Visitors: f.FunnelCart},
		{Key: "checkout", Visitors: f.FunnelCheckout}, {Key: "paid", Visitors: f.FunnelPaid}}
	for i := 1; i < len(steps); i++ {
		if prev := steps[i-1].Visitors; prev > 0 {
			share := (steps[i].Visitors*10000 + prev/2) / prev
			steps[i].FromPrev = i18n.FormatPercent(v.Lang, share)
			steps[i].DropOff = i18n.FormatPercent(v.Lang, 10000-share)
		}
	}
	return steps
}

// analyticsCards are the headline indicators with 环比 and 同比; rates
// compare in percentage points, counts and money in percent.
func analyticsCards(v *viewer, rep metric.Report) []analyticsCard {
	money := func(n int64) string { return i18n.FormatMoney(v.Lang, n, v.Store.Currency) }
	count := func(n int64) string { return i18n.FormatInt(v.Lang, n) }
	pct := func(n int64) string { return i18n.FormatPercent(v.Lang, n) }
	cur, prev, yago := rep.Current, rep.Previous, rep.YearAgo
	type spec struct {
		key        string
		get        func(metric.Figures) int64
		format     func(int64) string
		rate       bool
		riseIsGood bool
	}
	delta := func(s spec, c, b int64, baseOK bool) (string, string) {
		if !baseOK {
			return "", "flat"
		}
		if s.rate {
			d := c - b
			return tr(v, "analytics.points", signed(strings.TrimSuffix(pct(d), "%"), d)), deltaClass(d, s.riseIsGood)
		}
		bp, ok := metric.ChangeBP(c, b)
		if !ok {
			return "", "flat"
		}
		return signed(pct(bp), bp), deltaClass(bp, s.riseIsGood)
	}
	specs := []spec{
		{"uv", func(f metric.Figures) int64 { return f.UV }, count, false, true},
		{"pv", func(f metric.Figures) int64 { return f.PV }, count, false, true},
		{"ctr", func(f metric.Figures) int64 { return f.CTRBP }, pct, true, true},
		{"conversion", func(f metric.Figures) int64 { return f.ConversionBP }, pct, true, true},
		{"page_conversion", func(f metric.Figures) int64 { return f.PageConversionBP }, pct, true, true},
		{"aov", func(f metric.Figures) int64 { return f.AOV }, money, false, true},
		{"gmv", func(f metric.Figures) int64 { return f.GMV }, money, false, true},
		{"net_sales", func(f metric.Figures) int64 { return f.NetSales }, money, false, true},
		{"gross_margin", func(f metric.Figures) int64 { return f.GrossMarginBP }, pct, true, true},
		{"refund_rate", func(f metric.Figures) int64 { return f.RefundRateBP }, pct, true, false},
		{"new_customers", func(f metric.Figures) int64 { return f.NewCustomers }, count, false, true},
	}
	var out []analyticsCard
	for _, s := range specs {
		c := s.get(cur)
		card := analyticsCard{Key: s.key, Value: s.format(c)}
		// A rate needs its base: no visitors before means no comparison.
		prevOK, yagoOK := prev.UV > 0 || prev.PaidOrders > 0, yago.UV > 0 || yago.PaidOrders > 0
		card.PoP, card.PoPClass = delta(s, c, s.get(prev), prevOK)
		card.YoY, card.YoYClass = delta(s, c, s.get(yago), yagoOK)
		out = append(out, card)
	}
	r, o := rep.Retention, rep.Operations
	turns := fmt.Sprintf("%d.%02d", o.InventoryTurnoverBP/10000, o.InventoryTurnoverBP%10000/100)
	out = append(out,
		analyticsCard{Key: "repurchase_rate", Value: pct(r.RepurchaseRateBP), PoPClass: "flat", YoYClass: "flat"},
		analyticsCard{Key: "churn_rate", Value: pct(r.ChurnRateBP), PoPClass: "flat", YoYClass: "flat"},
		analyticsCard{Key: "ltv", Value: money(r.LTV), PoPClass: "flat", YoYClass: "flat"},
		analyticsCard{Key: "inventory_turnover", Value: turns, PoPClass: "flat", YoYClass: "flat"},
		analyticsCard{Key: "gmv_per_staff", Value: money(o.GMVPerStaff), PoPClass: "flat", YoYClass: "flat"},
	)
	return out
}

func (c *Console) analytics(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	p := analyticsParamsFrom(r, v.Store, time.Now())
	page, err := c.analyticsData(r.Context(), v, p)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "analytics", tr(v, "analytics.title"), "analytics", page)
}

// chartTable is a chart's data as a table: the x axis and one column per
// series, money in 元 and rates in percent as the chart shows them.
func chartTable(v *viewer, ch analyticsChart) ([]string, [][]string) {
	header := []string{tr(v, "analytics.axis")}
	for _, s := range ch.Series {
		header = append(header, s.Name)
	}
	rows := make([][]string, len(ch.X))
	for i, x := range ch.X {
		row := []string{x}
		for _, s := range ch.Series {
			var n int64
			if i < len(s.Data) {
				n = s.Data[i]
			}
			switch {
			case ch.Currency != "":
				row = append(row, formatYuan(n))
			case ch.Scale == 100:
				row = append(row, fmt.Sprintf("%d.%02d", n/100, abs64(n%100)))
			default:
				row = append(row, itoa(n))
			}
		}
		rows[i] = row
	}
	return header, rows
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// analyticsExport is one chart's data as CSV or XLSX.
func (c *Console) analyticsExport(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	p := analyticsParamsFrom(r, v.Store, time.Now())
	id := r.URL.Query().Get("chart")
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		http.Error(w, "format must be csv or xlsx", http.StatusBadRequest)
		return
	}
	page, err := c.analyticsData(r.Context(), v, p)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	i := slices.IndexFunc(page.Charts, func(ch analyticsChart) bool { return ch.ID == "chart-"+id })
	if i < 0 {
		http.Error(w, "no chart "+strconv.Quote(id)+"; use trend, channels, funnel, compare, products, retention, repurchase or ltv", http.StatusNotFound)
		return
	}
	header, rows := chartTable(v, page.Charts[i])
	name := fmt.Sprintf("%s-%d-%d", id, p.From(), p.To)
	if format == "csv" {
		if err := writeCSV(w, name+".csv", header, rows); err != nil {
			c.log().Warn("console: write csv", "err", err)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	if err := export.XLSX(w, id, header, export.SliceRows(rows)); err != nil {
		c.log().Warn("console: write xlsx", "err", err)
	}
}

// JSON is what static/console.js draws.
func (a analyticsChart) JSON() chart { return a.chart }
