package app_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestProbesMetricsAndMounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		cases := []struct {
			path   string
			status int
			body   string
		}{
			{"/healthz", 200, "ok"},
			{"/readyz", 200, "ready"},
			{"/api/v1/openapi.json", 200, `"openapi":"3.0.3"`},
			{"/api/v1/products", 401, `"code":"unauthorized"`},
			{"/login", 200, "<form"},
			{"/static/vendor/echarts.min.js", 200, "echarts"},
		}
		for _, c := range cases {
			st, body, h := get(t, srv.URL+c.path)
			if st != c.status || !strings.Contains(body, c.body) {
				t.Errorf("GET %s: %d %.200q; want %d with %q", c.path, st, body, c.status, c.body)
			}
			if h.Get("X-Request-Id") == "" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s: missing request id or security headers: %v", c.path, h)
			}
		}
		// The metrics count requests by the route pattern, not the raw path.
		_, body, _ := get(t, srv.URL+"/metrics")
		if !strings.Contains(body, `storeops_http_requests_total{code="200",route="GET /healthz"}`) ||
			!strings.Contains(body, `route="GET /api/v1/products"`) || !strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics lacks the request counters:\n%.2000s", body)
		}
		// Readiness follows the database.
		d.Close()
		if st, body, _ := get(t, srv.URL+"/readyz"); st != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
			t.Errorf("/readyz with the database closed: %d %q", st, body)
		}
	})
}
