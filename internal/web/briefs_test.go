package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
)

func TestBriefs_WriteListReadDownload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("boss", auth.RoleAdmin)
		f.addOperator("guest", auth.RoleViewer)
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 200, Days: 30, Seed: 9, Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.GenerateTraffic(ctx, d, 9, nil); err != nil {
			t.Fatal(err)
		}
		s := f.login("boss")
		if w := f.get("/briefs", s); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "还没有生成过简报") {
			t.Fatalf("empty list: %d", w.Code)
		}
		yesterday := time.Now().In(sh).AddDate(0, 0, -1).Format("2006-01-02")
		w := f.post("/briefs", url.Values{"date": {yesterday}, "kind": {"daily"}}, s)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/briefs/") {
			t.Fatalf("write: %d %s", w.Code, w.Body)
		}
		page := w.Header().Get("Location")
		w = f.get(page, s)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "核心指标") || !strings.Contains(w.Body.String(), "建议关注") {
			t.Fatalf("brief page: %d", w.Code)
		}
		if w = f.get(page+"?lang=en", s); !strings.Contains(w.Body.String(), "Key figures") {
			t.Errorf("English brief lacks its headings")
		}
		w = f.get(page+"/download?format=md&lang=en", s)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "## Key figures") || !strings.Contains(w.Header().Get("Content-Disposition"), ".md") {
			t.Errorf("markdown download: %d %q", w.Code, w.Header().Get("Content-Disposition"))
		}
		if w = f.get("/briefs", f.login("guest")); !strings.Contains(w.Body.String(), `id="brief-list"`) || strings.Contains(w.Body.String(), `action="/briefs"`) {
			t.Errorf("a viewer sees the list without the write form")
		}
		today := time.Now().In(sh).Format("2006-01-02")
		if w = f.post("/briefs", url.Values{"date": {today}, "kind": {"daily"}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("brief of today: %d", w.Code)
		}
	})
}
