package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

func TestAnalytics_PageChartsAndExports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("boss", auth.RoleAdmin)
		f.addOperator("kefu", auth.RoleService)
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 300, Days: 120, Seed: 8, Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.GenerateTraffic(ctx, d, 8, nil); err != nil {
			t.Fatal(err)
		}
		s := f.login("boss")
		w := f.get("/analytics?days=30&grain=week", s)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		body := w.Body.String()
		for _, want := range []string{`data-kpi="uv"`, `data-kpi="conversion"`, `data-kpi="repurchase_rate"`, `id="chart-funnel"`,
			`id="chart-channels"`, `id="chart-retention"`, `id="chart-compare"`, `id="chart-products"`, `id="funnel-table"`, `id="segment-table"`,
			"/analytics/export?chart=funnel", "format=xlsx", "同比", "环比", "需要问卷数据"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		// The funnel export holds the same visitors as the indicators.
		w = f.get("/analytics/export?chart=funnel&format=csv&days=30&grain=week", s)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("funnel csv: %d %s", w.Code, w.Header().Get("Content-Type"))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 5 {
			t.Fatalf("funnel csv: %v %q", err, recs)
		}
		y := metric.AddDays(metric.AddDays(todayIn(sh), 0), -1)
		fig, err := metric.PeriodFigures(ctx, d, metric.AddDays(y, -29), y)
		if err != nil {
			t.Fatal(err)
		}
		if recs[1][1] != strconv.FormatInt(fig.FunnelView, 10) || recs[4][1] != strconv.FormatInt(fig.FunnelPaid, 10) || fig.FunnelPaid == 0 {
			t.Errorf("funnel csv %q; indicators view %d paid %d", recs, fig.FunnelView, fig.FunnelPaid)
		}
		w = f.get("/analytics/export?chart=retention&format=xlsx&days=90", s)
		if w.Code != http.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), []byte("PK")) {
			t.Errorf("retention xlsx: %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		if w = f.get("/analytics/export?chart=nothing&format=csv", s); w.Code != http.StatusNotFound {
			t.Errorf("unknown chart: %d", w.Code)
		}
		if w = f.get("/analytics", f.login("kefu")); w.Code != http.StatusForbidden {
			t.Errorf("customer service opens analytics: %d", w.Code)
		}
	})
}

func todayIn(loc *time.Location) int64 {
	n := time.Now().In(loc)
	return int64(n.Year()*10000 + int(n.Month())*100 + n.Day())
}
