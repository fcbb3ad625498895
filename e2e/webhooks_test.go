package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/webhook"
)

// TestBrowser_WebhookEndpointTestSendAndLog adds an endpoint in the
// console (a receiver on 127.0.0.1, so the server runs with
// --webhooks-allow-private), reads its secret, sends a test event that the
// running server's worker delivers, and finds the attempt in the log.
func TestBrowser_WebhookEndpointTestSendAndLog(t *testing.T) {
	ctx := browser(t)
	var got atomic.Int64
	var secret atomic.Value
	secret.Store("")
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret.Load().(string), r.Header.Get(webhook.HeaderSignature), b, time.Now(), time.Minute) == nil {
			got.Add(1)
			w.Write([]byte("ok, verified"))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer recv.Close()

	bg := context.Background()
	d, err := db.Open(bg, filepath.Join(t.TempDir(), "e2e.db"), db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "e2e", WebhooksAllowPrivate: true})
	if _, err := a.Auth.CreateOperator(bg, auth.NewOperator{Username: "boss", DisplayName: "店长", Role: "admin", Password: "e2e-password"}); err != nil {
		t.Fatal(err)
	}
	jobsCtx, stop := context.WithCancel(bg)
	jobs := a.StartJobs(jobsCtx)
	defer func() { stop(); jobs.Wait() }()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	base := srv.URL

	var sec string
	err = chromedp.Run(ctx,
		login(base, "boss", "e2e-password"),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(base+"/webhooks"),
		chromedp.WaitVisible(`#webhook-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#webhook-url`, recv.URL+"/storeops", chromedp.ByQuery),
		chromedp.Submit(`#webhook-url`, chromedp.ByQuery),
		chromedp.WaitVisible(`#webhook-secret`, chromedp.ByQuery),
		chromedp.Text(`#webhook-secret`, &sec, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("add an endpoint: %v", err)
	}
	screenshot(t, ctx, "webhook-created.png")
	if !strings.HasPrefix(sec, "whsec_") {
		t.Fatalf("secret %q", sec)
	}
	secret.Store(strings.TrimSpace(sec))

	err = chromedp.Run(ctx,
		chromedp.Click(`#webhook-test`, chromedp.ByQuery),
		chromedp.WaitVisible(`#delivery-replay`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("send a test: %v", err)
	}
	var loc, status, log string
	if err := chromedp.Run(ctx, chromedp.Location(&loc)); err != nil {
		t.Fatal(err)
	}
	// The worker looks for due deliveries every second; reload until it has.
	for range 30 {
		if err := chromedp.Run(ctx, chromedp.Navigate(loc), chromedp.WaitVisible(`dd[data-status]`, chromedp.ByQuery),
			chromedp.AttributeValue(`dd[data-status]`, "data-status", &status, nil, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if status != webhook.StatusPending {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err := chromedp.Run(ctx, chromedp.Text(`#attempt-table`, &log, chromedp.ByQuery)); err != nil {
		t.Fatalf("the attempt log: %v (status %s)", err, status)
	}
	screenshot(t, ctx, "webhook-delivery.png")
	if status != webhook.StatusSucceeded || !strings.Contains(log, "200") || !strings.Contains(log, "ok, verified") || got.Load() != 1 {
		t.Fatalf("status %s, log %q, verified requests %d", status, log, got.Load())
	}
}
