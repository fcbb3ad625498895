package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// chromium is Debian's browser, which CI installs for the browser tests.
const chromium = "/usr/bin/chromium"

// TestBrowser_OverviewChartsRender loads the overview in headless Chromium
// and checks that console.js drew both charts: each chart element is marked
// data-rendered="true" and holds a canvas. It needs no driver: the browser
// dumps the DOM after the page's scripts ran.
func TestBrowser_OverviewChartsRender(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium)
	}
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("boss", auth.RoleAdmin)
	f.seedOrders()
	s := f.login("boss")
	// The browser carries the session through a wrapper: a fresh headless
	// profile has no way to log in by itself here.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.AddCookie(s)
		f.h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--window-size=390,1200", "--virtual-time-budget=5000", "--dump-dom", srv.URL+"/?days=7").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	for _, id := range []string{"chart-gmv", "chart-orders"} {
		re := regexp.MustCompile(`(?s)<div class="chart" id="` + id + `"[^>]*data-rendered="true"[^>]*>.*?<canvas`)
		if !re.Match(out) {
			t.Errorf("%s not drawn (no data-rendered or no canvas)", id)
		}
	}
}
