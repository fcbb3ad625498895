package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// periodDays are the periods the overview offers.
var periodDays = []int{7, 30, 90, 365}

// period is the stretch of days the overview covers: Days days ending today
// or yesterday (a whole day, for comparing like with like) in the store zone.
type period struct {
	Days      int
	Yesterday bool
	To        int64 // YYYYMMDD
}

func periodFrom(r *http.Request, st settings.Store, now time.Time) period {
	p := period{Days: 30}
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains(periodDays, n) {
		p.Days = n
	}
	p.Yesterday = r.URL.Query().Get("end") == "yesterday"
	p.To = settings.Day(now, st.Location())
	if p.Yesterday {
		p.To = metric.AddDays(p.To, -1)
	}
	return p
}

// Query is the period's query string, for links that keep it.
func (p period) Query() string {
	q := "days=" + strconv.Itoa(p.Days)
	if p.Yesterday {
		q += "&end=yesterday"
	}
	return q
}

// kpi is one figure card.
type kpi struct {
	Label string // catalog key
	Value string
	Delta string // "" when there is nothing to compare with
	Class string // good, bad or flat: good for the shop, not the sign
}

// chart is what static/console.js draws: the kind of chart, the x axis
// labels and the series. Money series are in 分 with Scale 100, so the
// figures in the page stay exact integers and only the drawing divides.
type chart struct {
	ID       string        `json:"-"`
	Title    string        `json:"title"`
	Kind     string        `json:"kind"` // line or bar
	X        []string      `json:"x"`
	Series   []chartSeries `json:"series"`
	Scale    int64         `json:"scale"`
	Currency string        `json:"currency,omitempty"`
	Lang     string        `json:"lang"`
}

type chartSeries struct {
	Name string  `json:"name"`
	Data []int64 `json:"data"`
}

type overviewPage struct {
	Period  period
	Periods []int
	From    string
	To      string
	KPIs    []kpi
	Charts  []chart
	Daily   []dailyRow
	CSVURL  string
	HasData bool
}

// dailyRow is one day of the table under the charts, which is what a
// browser without JavaScript shows instead of them.
type dailyRow struct {
	Day time.Time
	metric.DaySales
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	p := periodFrom(r, v.Store, time.Now())
	o, err := (&metric.Rollup{DB: c.DB, Wait: c.RefreshWait}).Overview(r.Context(), p.To, p.Days)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	loc := v.Store.Location()
	page := overviewPage{
		Period:  p,
		Periods: periodDays,
		From:    i18n.FormatDate(v.Lang, settings.DayTime(o.Current.From, loc), loc),
		To:      i18n.FormatDate(v.Lang, settings.DayTime(o.Current.To, loc), loc),
		KPIs:    overviewKPIs(v, o),
		CSVURL:  "/overview/daily.csv?" + p.Query(),
		HasData: o.Current.PaidOrders > 0 || o.Current.Refunds > 0,
	}
	x := make([]string, len(o.Daily))
	gmv := make([]int64, len(o.Daily))
	orders := make([]int64, len(o.Daily))
	for i, d := range o.Daily {
		x[i] = fmt.Sprintf("%02d-%02d", d.Day/100%100, d.Day%100)
		gmv[i], orders[i] = d.GMV, d.PaidOrders
	}
	// Newest first in the table: the latest days are what one looks for.
	for i := len(o.Daily) - 1; i >= 0; i-- {
		d := o.Daily[i]
		page.Daily = append(page.Daily, dailyRow{Day: settings.DayTime(d.Day, loc), DaySales: d})
	}
	page.Charts = []chart{
		{ID: "chart-gmv", Title: tr(v, "dash.gmv_per_day"), Kind: "line", X: x, Scale: 100, Currency: v.Store.Currency, Lang: v.Lang,
			Series: []chartSeries{{Name: tr(v, "dash.gmv"), Data: gmv}}},
		{ID: "chart-orders", Title: tr(v, "dash.orders_per_day"), Kind: "bar", X: x, Scale: 1, Lang: v.Lang,
			Series: []chartSeries{{Name: tr(v, "dash.paid_orders"), Data: orders}}},
	}
	c.render(w, r, http.StatusOK, "overview", tr(v, "dash.title"), "overview", page)
}

// overviewKPIs turns the period and the one before into cards with their
// 环比 change. A rise is good except for refunds.
func overviewKPIs(v *viewer, o metric.Overview) []kpi {
	cur, prev := o.Current, o.Previous
	money := func(n int64) string { return i18n.FormatMoney(v.Lang, n, v.Store.Currency) }
	count := func(n int64) string { return i18n.FormatInt(v.Lang, n) }
	card := func(label string, c, p int64, format func(int64) string, riseIsGood bool) kpi {
		k := kpi{Label: label, Value: format(c), Class: "flat"}
		bp, ok := metric.ChangeBP(c, p)
		if !ok {
			return k
		}
		k.Delta = tr(v, "dash.vs_previous", signed(i18n.FormatPercent(v.Lang, bp), bp))
		k.Class = deltaClass(bp, riseIsGood)
		return k
	}
	margin := kpi{Label: "dash.gross_margin", Value: "—", Class: "flat"}
	if cur.NetSales > 0 {
		margin.Value = i18n.FormatPercent(v.Lang, cur.GrossMarginBP)
		if prev.NetSales > 0 {
			// Margins compare by difference in percentage points: from
			// 40% to 42% is +2 points, not +5%.
			d := cur.GrossMarginBP - prev.GrossMarginBP
			points := strings.TrimSuffix(i18n.FormatPercent(v.Lang, d), "%")
			margin.Delta = tr(v, "dash.vs_previous_points", signed(points, d))
			margin.Class = deltaClass(d, true)
		}
	}
	return []kpi{
		card("dash.gmv", cur.GMV, prev.GMV, money, true),
		card("dash.paid_orders", cur.PaidOrders, prev.PaidOrders, count, true),
		card("dash.aov", cur.AOV, prev.AOV, money, true),
		card("dash.buyers", cur.Buyers, prev.Buyers, count, true),
		card("dash.new_customers", cur.NewCustomers, prev.NewCustomers, count, true),
		card("dash.refunds", cur.Refunds, prev.Refunds, money, false),
		card("dash.net_sales", cur.NetSales, prev.NetSales, money, true),
		margin,
	}
}

func signed(s string, n int64) string {
	if n > 0 {
		return "+" + s
	}
	return s
}

func deltaClass(change int64, riseIsGood bool) string {
	switch {
	case change == 0:
		return "flat"
	case (change > 0) == riseIsGood:
		return "good"
	}
	return "bad"
}

// overviewCSV is the daily figures behind the charts, as a download.
func (c *Console) overviewCSV(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	p := periodFrom(r, v.Store, time.Now())
	from := metric.AddDays(p.To, -(p.Days - 1))
	rollup := &metric.Rollup{DB: c.DB, Wait: c.RefreshWait}
	if err := rollup.RefreshIfOlder(r.Context(), metric.FreshEnough); err != nil {
		c.serverError(w, r, err)
		return
	}
	days, err := metric.Daily(r.Context(), c.DB, from, p.To)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	header := []string{tr(v, "csv.date"), tr(v, "dash.paid_orders"), tr(v, "dash.gmv"), tr(v, "dash.refunds"),
		tr(v, "dash.net_sales"), tr(v, "dash.buyers"), tr(v, "csv.currency")}
	rows := make([][]string, len(days))
	for i, d := range days {
		rows[i] = []string{
			fmt.Sprintf("%04d-%02d-%02d", d.Day/10000, d.Day/100%100, d.Day%100),
			itoa(d.PaidOrders), formatYuan(d.GMV), formatYuan(d.Refunds), formatYuan(d.NetSales), itoa(d.Buyers),
			v.Store.Currency,
		}
	}
	name := fmt.Sprintf("overview-daily-%d-%d.csv", from, p.To)
	if err := writeCSV(w, name, header, rows); err != nil {
		c.log().Warn("console: write csv", "err", err)
	}
}
