package web

import (
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// seedOrders writes a hand-checkable week: today three paid orders of 100,
// 200 and 300 元 by customers 1, 2, 1 (each line costing 40 元) and a 50 元
// refund; eight days ago one 200 元 order by customer 3, in the previous
// 7-day period.
func (f *fixture) seedOrders() (today int64) {
	f.seedOneOfEach()
	f.exec(`INSERT INTO customers (name, created_at, updated_at) VALUES ('李四', 1, 1), ('张三', 1, 1)`)
	loc := settings.Defaults.Location()
	now := time.Now()
	today = settings.Day(now, loc)
	earlier := metric.AddDays(today, -8)
	ms := now.UnixMilli()
	type order struct {
		no        string
		customer  int64
		total     int64
		paidDay   int64
		unitCost  int64
		unitPrice int64
	}
	for i, o := range []order{
		{"SO-1", 1, 10000, today, 4000, 10000},
		{"SO-2", 2, 20000, today, 4000, 20000},
		{"SO-3", 1, 30000, today, 4000, 30000},
		{"SO-0", 3, 20000, earlier, 4000, 20000},
	} {
		// Written as the order service writes a paid order: its cost at the
		// time of sale, and the customer's first paid day.
		f.exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, cost_total, created_at, paid_at, paid_day, updated_at)
			VALUES ($1, $2, 'paid', $3, $3, $4, $5, $5, $6, $5)`, o.no, o.customer, o.total, o.unitCost, ms-int64(i), o.paidDay)
		f.exec(`UPDATE customers SET first_paid_day = $2 WHERE id = $1 AND (first_paid_day IS NULL OR first_paid_day > $2)`, o.customer, o.paidDay)
		f.exec(`INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, line_total, unit_cost)
			VALUES ((SELECT id FROM orders WHERE order_no = $1), 1, 1, '测试商品', 1, $2, $2, $2, $3)`, o.no, o.unitPrice, o.unitCost)
	}
	f.exec(`INSERT INTO refunds (order_id, amount, reason, refunded_at, refunded_day) VALUES ((SELECT id FROM orders WHERE order_no = 'SO-3'), 5000, '尺码不合适', $1, $2)`, ms, today)
	return today
}

func TestOverview_KPIsAndCharts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("boss", auth.RoleAdmin)
		f.seedOrders()
		s := f.login("boss")
		w := f.get("/?days=7", s)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		body := w.Body.String()
		kpi := func(key string) string {
			m := regexp.MustCompile(`data-kpi="` + regexp.QuoteMeta(key) + `">([^<]*)</div>\s*<div class="delta ([a-z]+)">([^<]*)<`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no KPI %s", key)
			}
			return html.UnescapeString(m[1] + " | " + m[2] + " | " + m[3])
		}
		for key, want := range map[string]string{
			// 600 元 against 200 元 the week before: +200%, good.
			"dash.gmv":         "¥600.00 | good | 较上一周期 +200.00%",
			"dash.paid_orders": "3 | good | 较上一周期 +200.00%",
			// 客单价 600 ÷ 3 = 200 元, the same as last week's one order.
			"dash.aov":           "¥200.00 | flat | 较上一周期 0.00%",
			"dash.buyers":        "2 | good | 较上一周期 +100.00%",
			"dash.new_customers": "2 | good | 较上一周期 +100.00%",
			// No refunds the week before: nothing to compare with.
			"dash.refunds":   "¥50.00 | flat | 上一周期无数据",
			"dash.net_sales": "¥550.00 | good | 较上一周期 +175.00%",
			// (550 − 120) ÷ 550 = 78.18%; last week (200 − 40) ÷ 200 = 80%.
			"dash.gross_margin": "78.18% | bad | 较上一周期 -1.82 个百分点",
		} {
			if got := kpi(key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		mustContain(t, body, `id="chart-gmv" data-chart="chart-gmv-data"`, `id="chart-orders" data-chart="chart-orders-data"`,
			`href="/overview/daily.csv?days=7"`, "vendor/echarts.min.js", "console.js")
		var gmv chart
		m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-gmv-data">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil || json.Unmarshal([]byte(m[1]), &gmv) != nil {
			t.Fatalf("chart data block missing or not JSON: %v", m)
		}
		if len(gmv.X) != 7 || len(gmv.Series) != 1 || len(gmv.Series[0].Data) != 7 || gmv.Series[0].Data[6] != 60000 || gmv.Scale != 100 {
			t.Errorf("GMV chart data %+v, want 7 days ending with 60000 分", gmv)
		}
		if strings.Contains(body, " on") && regexp.MustCompile(`\son[a-z]+="`).MatchString(body) {
			t.Error("page has an inline event handler")
		}
	})
}

func TestOverviewCSV_DailyFiguresWithSafeCells(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("boss", auth.RoleFinance)
	today := f.seedOrders()
	// A currency code is three characters, and "=A1" is three characters:
	// the cell must reach the spreadsheet as text, not as a formula.
	f.exec(`INSERT INTO store_settings (key, value, updated_at) VALUES ('currency', '=A1', 1)`)
	s := f.login("boss")
	w := f.get("/overview/daily.csv?days=7", s)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 8 {
		t.Fatalf("%d rows, want a header and 7 days", len(recs))
	}
	last := recs[7]
	wantDay := time.Date(int(today/10000), time.Month(today/100%100), int(today%100), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	want := []string{wantDay, "3", "600.00", "50.00", "550.00", "2", "'=A1"}
	if strings.Join(last, ",") != strings.Join(want, ",") {
		t.Errorf("today's row %q, want %q", last, want)
	}
	if recs[0][0] != "日期" {
		t.Errorf("header %q", recs[0])
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":          "'=1+1",
		"+86 138":       "'+86 138",
		"-cmd":          "'-cmd",
		"@SUM(A1)":      "'@SUM(A1)",
		"\t=1":          "'\t=1",
		"\r=1":          "'\r=1",
		"-12.50":        "-12.50",
		"42":            "42",
		"0.5":           "0.5",
		"连衣裙":           "连衣裙",
		"":              "",
		"a=b":           "a=b",
		"-":             "'-",
		"1.":            "1.",
		"=HYPERLINK(x)": "'=HYPERLINK(x)",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
