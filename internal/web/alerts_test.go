package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestAlerts_ListEvidenceAndWorkflow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("guest", auth.RoleViewer)
		f.exec(`INSERT INTO alerts (day, metric, channel, value, baseline, low, high, severity, status, playbook, created_at, updated_at)
			VALUES (20261118, 'uv', 'live', 300, 1000, 800, 1200, 'critical', 'open', 'traffic', 1, 1)`)
		s := f.login("yunying")
		w := f.get("/alerts", s)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "直播") || !strings.Contains(w.Body.String(), `href="/alerts/1"`) {
			t.Fatalf("list: %d", w.Code)
		}
		w = f.get("/alerts/1", s)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "备用流量渠道") || !strings.Contains(body, `id="chart-evidence"`) || !strings.Contains(body, "/alerts/1/acknowledge") {
			t.Fatalf("detail: %d", w.Code)
		}
		if w = f.post("/alerts/1/acknowledge", url.Values{"note": {"在查"}}, f.login("guest")); w.Code != http.StatusForbidden {
			t.Errorf("a viewer acknowledges: %d", w.Code)
		}
		if w = f.post("/alerts/1/acknowledge", url.Values{"note": {"在查投放素材"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("acknowledge: %d %s", w.Code, w.Body)
		}
		if w = f.post("/alerts/1/resolve", url.Values{"note": {""}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("resolve without a note: %d", w.Code)
		}
		if w = f.post("/alerts/1/resolve", url.Values{"note": {"更换素材后恢复"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("resolve: %d", w.Code)
		}
		body = f.get("/alerts/1", s).Body.String()
		if !strings.Contains(body, "更换素材后恢复") || strings.Contains(body, "/alerts/1/resolve") {
			t.Errorf("resolved alert page shows no note or still offers resolving")
		}
		if w = f.get("/alerts/999", s); w.Code != http.StatusNotFound {
			t.Errorf("missing alert: %d", w.Code)
		}
	})
}
