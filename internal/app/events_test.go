package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event/eventtest"
)

// The shop's pages post from their own origin without a session or a CSRF
// token; what they send is written when the program stops at the latest.
func TestCollect_PublicCrossOriginAndWrittenOnShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		ctx, cancel := context.WithCancel(context.Background())
		jobs := a.StartJobs(ctx)
		srv := httptest.NewServer(a.Handler())
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/collect", strings.NewReader(`{"id":"x1","type":"page_view","anonymous_id":"a1","page":"https://shop.example/"}`))
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		req.Header.Set("Origin", "https://shop.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("status %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		code, body, hdr := get(t, srv.URL+"/static/track.js")
		if code != http.StatusOK || !strings.Contains(body, "storeops.track") || !strings.Contains(hdr.Get("Content-Type"), "javascript") {
			t.Errorf("snippet: status %d, type %q", code, hdr.Get("Content-Type"))
		}
		srv.Close()
		cancel()
		jobs.Wait()
		var n int
		eventtest.Copy(t, d)
		if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM stored_events WHERE event_id = 'c:x1'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("stored %d, %v", n, err)
		}
	})
}
