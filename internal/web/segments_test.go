package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/settings"
)

// seedRegulars writes 40 customers buying over the last 30 weeks: customer
// i every 7·(1 + i mod 5) days from day 3·(i mod 10); every fourth stops
// after three purchases.
func (f *fixture) seedRegulars() {
	f.t.Helper()
	loc := settings.Defaults.Location()
	end := time.Now().Add(-time.Hour)
	start := end.AddDate(0, 0, -30*7)
	n := 0
	for i := 1; i <= 40; i++ {
		f.exec(`INSERT INTO customers (name, created_at, updated_at) VALUES ($1, 1, 1)`, fmt.Sprintf("常客%d", i))
		purchases := 0
		for day := start.AddDate(0, 0, 3*(i%10)); !day.After(end); day = day.AddDate(0, 0, 7*(1+i%5)) {
			if i%4 == 0 && purchases == 3 {
				break
			}
			purchases++
			n++
			f.exec(`INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
				VALUES ($1, $2, 'paid', $3, $3, $4, $4, $5, $4)`, fmt.Sprintf("SO-%d", n), i, 10000+int64(i)*100, day.UnixMilli(), settings.Day(day, loc))
		}
	}
}

func TestSegmentsAndValuePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("caiwu", auth.RoleFinance)
		f.addOperator("kefu", auth.RoleService)
		op, fin, svc := f.login("yunying"), f.login("caiwu"), f.login("kefu")

		// Nothing computed yet: the pages say so, and refitting an empty
		// shop explains why it cannot.
		w := f.get("/segments", op)
		if w.Code != http.StatusOK {
			t.Fatalf("segments: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "还没有计算过用户分层", `action="/segments/runs"`)
		w = f.post("/customer-value/fits", nil, op)
		if w.Code != http.StatusSeeOther || cookieNamed(w, flashCookie).Value != "flash.error.value_too_little_data" {
			t.Fatalf("refit empty shop: %d %v", w.Code, w.Result().Cookies())
		}

		f.seedRegulars()
		for range 2 {
			if w = f.post("/segments/runs", nil, op); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/segments" {
				t.Fatalf("recompute: %d %s", w.Code, w.Header().Get("Location"))
			}
		}
		if w = f.post("/customer-value/fits", nil, op); w.Code != http.StatusSeeOther || cookieNamed(w, flashCookie).Value != "flash.value_refitted" {
			t.Fatalf("refit: %d", w.Code)
		}

		// Finance reads the page but gets no recompute button.
		w = f.get("/segments", fin)
		body := w.Body.String()
		if w.Code != http.StatusOK || strings.Contains(body, `action="/segments/runs"`) {
			t.Fatalf("finance segments page: %d, recompute button shown: %v", w.Code, strings.Contains(body, `action="/segments/runs"`))
		}
		mustContain(t, body, "冠军客户", "已流失", "忠实用户", "高价值高活跃", "生命周期阶段", `id="movement-table"`,
			`data-chart="chart-segment-sizes-data"`, `data-chart="chart-segment-trend-data"`, "vendor/echarts.min.js")
		var sizes chart
		m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-segment-sizes-data">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil || json.Unmarshal([]byte(m[1]), &sizes) != nil {
			t.Fatalf("sizes chart data missing or not JSON")
		}
		var total int64
		for _, n := range sizes.Series[0].Data {
			total += n
		}
		if len(sizes.X) != 11 || total != 40 || sizes.X[0] != "冠军客户" {
			t.Errorf("sizes chart %+v, want 11 segments adding to 40 customers", sizes)
		}
		// Two runs on the same orders: the movement matrix's diagonal holds
		// everyone.
		diag := regexp.MustCompile(`(?s)<table class="table" id="movement-table">.*?</table>`).FindString(body)
		if !strings.Contains(diag, "新进入") {
			t.Errorf("movement table lacks the entered row")
		}

		w = f.get("/customer-value", fin)
		body = w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("value page: %d", w.Code)
		}
		mustContain(t, body, "BG/NBD r", "Gamma-Gamma", `id="top-customers"`, `data-chart="chart-holdout-data"`, `href="/customers/`)
		var holdout chart
		m = regexp.MustCompile(`(?s)<script type="application/json" id="chart-holdout-data">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil || json.Unmarshal([]byte(m[1]), &holdout) != nil || len(holdout.Series) != 2 || holdout.Scale != 100 || len(holdout.X) == 0 {
			t.Fatalf("holdout chart %+v", holdout)
		}

		// The customer page shows segment, stage and CLV to those who may
		// read segments, not to customer service.
		w = f.get("/customers/1", fin)
		mustContain(t, w.Body.String(), `id="customer-value"`, "data-segment=", "data-stage=", "data-clv=")
		if w = f.get("/customers/1", svc); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="customer-value"`) {
			t.Errorf("customer service sees the value card: %d", w.Code)
		}
		if w = f.get("/segments", svc); w.Code != http.StatusForbidden {
			t.Errorf("customer service reads segments: %d", w.Code)
		}
	})
}
